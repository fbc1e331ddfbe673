"""Licence periods without a database: what covers a day, what overlaps, what state a licence
is in."""

from __future__ import annotations

from datetime import date, timedelta


def licence_covers(starts_on: date, ends_on: date | None, day: date) -> bool:
    return starts_on <= day and (ends_on is None or day <= ends_on)


def periods_overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    far = date.max
    return a_start <= (b_end or far) and b_start <= (a_end or far)


def licence_state(starts_on: date, ends_on: date | None, revoked: bool, day: date) -> str:
    """scheduled, active, ended or revoked, as seen on `day`."""
    if licence_covers(starts_on, ends_on, day):
        return "active"
    if day < starts_on and not (ends_on is not None and ends_on < starts_on):
        return "scheduled"
    return "revoked" if revoked else "ended"


def day_before(day: date) -> date:
    return day - timedelta(days=1)
