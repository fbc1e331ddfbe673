"""Term calendars and weekly hour caps, without a database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def parse_terms(terms: Iterable[dict]) -> list[tuple[date, date]]:
    """Term ranges as sorted (starts_on, ends_on) pairs; raises ValueError if one ends before
    it starts or two overlap."""
    ranges = sorted((t["starts_on"], t["ends_on"]) for t in terms)
    for starts_on, ends_on in ranges:
        if ends_on < starts_on:
            raise ValueError(f"The term starting {starts_on} ends before it starts.")
    for (_, previous_end), (starts_on, _) in zip(ranges, ranges[1:], strict=False):
        if starts_on <= previous_end:
            raise ValueError(f"The term starting {starts_on} overlaps the one before it.")
    return ranges


def term_containing(terms: Iterable[dict], day: date) -> dict | None:
    """The stored term (ISO dates) that `day` falls in, if any."""
    for term in terms:
        if date.fromisoformat(term["starts_on"]) <= day <= date.fromisoformat(term["ends_on"]):
            return term
    return None


def cap_applies(cap: float | None, terms: list[dict], day: date) -> bool:
    """A weekly hour cap applies within a term; a source without terms applies it all year."""
    if cap is None:
        return False
    return not terms or term_containing(terms, day) is not None
