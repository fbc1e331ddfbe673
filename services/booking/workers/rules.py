"""Pure rules of booking's read model of workers: availability as minute ranges.

A worker publishes weekly hours (per weekday, "HH:MM" slots in the CBO's local time) and
exceptions on dates. A search checks them in the database as PostgreSQL multiranges:
- the weekly hours as minutes of the local week (Monday 00:00 is 0, Sunday 24:00 is 10080);
  adjacent slots merge, so Monday 22:00-24:00 and Tuesday 00:00-06:00 cover a night shift;
- each exception date as the minutes of that local day the worker is available on it (the
  weekly hours of that weekday, less the hours made unavailable, plus the extra hours).
Wall-clock minutes make daylight-saving changes a non-event: a shift 09:00-13:00 local is
minutes 540-780 of its day whatever the UTC offset.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY = 24 * 60
WEEK = 7 * DAY

Ranges = list[tuple[int, int]]


def minute_of_day(value: str) -> int:
    """Minutes since midnight of "HH:MM" ("24:00" ends a day)."""
    hours, mins = value.split(":")
    return int(hours) * 60 + int(mins)


def merged(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """The ranges sorted, with overlapping or touching ones joined; empty ones dropped."""
    found: Ranges = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if found and start <= found[-1][1]:
            found[-1] = (found[-1][0], max(found[-1][1], end))
        else:
            found.append((start, end))
    return found


def without(ranges: Ranges, removed: Ranges) -> Ranges:
    """`ranges` less every minute in `removed`."""
    left = merged(ranges)
    for cut_start, cut_end in merged(removed):
        kept: Ranges = []
        for start, end in left:
            if cut_end <= start or cut_start >= end:
                kept.append((start, end))
                continue
            if start < cut_start:
                kept.append((start, cut_start))
            if cut_end < end:
                kept.append((cut_end, end))
        left = kept
    return left


def covers(ranges: Ranges, start: int, end: int) -> bool:
    """Whether one range holds every minute of [start, end)."""
    return any(s <= start and end <= e for s, e in merged(ranges))


def _slots(slots: Iterable[dict[str, str]]) -> Ranges:
    return [(minute_of_day(s["start"]), minute_of_day(s["end"])) for s in slots]


def weekday_minutes(availability: dict[str, Any], weekday: int) -> Ranges:
    """The weekly hours of one weekday (0 = Monday) as minutes of that day."""
    weekly = availability.get("weekly") or {}
    return merged(_slots(weekly.get(WEEKDAYS[weekday]) or []))


def weekly_minutes(availability: dict[str, Any]) -> Ranges:
    """The weekly hours as minutes of the local week."""
    return merged(
        (day * DAY + start, day * DAY + end)
        for day in range(7)
        for start, end in weekday_minutes(availability, day)
    )


def day_minutes(availability: dict[str, Any]) -> dict[date, Ranges]:
    """Each exception date and the minutes of that day the worker is available on it."""
    found: dict[date, Ranges] = {}
    for exception in availability.get("exceptions") or []:
        on_date = date.fromisoformat(str(exception["date"]))
        base = weekday_minutes(availability, on_date.weekday())
        slots = _slots(exception.get("slots") or [])
        if exception["kind"] == "extra":
            found[on_date] = merged([*base, *slots])
        elif slots:
            found[on_date] = without(base, slots)
        else:
            found[on_date] = []
    return found
