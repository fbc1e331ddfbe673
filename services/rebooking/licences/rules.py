"""Pure rules of the licence read model: whether a licence covers a day (whether an event is
newer than a record is chassis.licence_records.is_newer)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

FEATURE = "rebooking"


def covers(*, starts_on: date, ends_on: date | None, day: date) -> bool:
    """A licence holds on `day`: from its first day to its last (none: open-ended)."""
    return starts_on <= day and (ends_on is None or day <= ends_on)


def held_on(periods: Iterable[tuple[date, date | None]], day: date) -> bool:
    """Whether any of a CBO's licence periods (starts_on, ends_on) covers `day`."""
    return any(covers(starts_on=s, ends_on=e, day=day) for s, e in periods)
