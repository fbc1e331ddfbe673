"""Pure rules of booking's read model of workers: availability as minute ranges.

A worker publishes weekly hours (per weekday, "HH:MM" slots in the CBO's local time) and
exceptions on dates. A search checks them in the database as PostgreSQL multiranges:
- the weekly hours as minutes of the local week (Monday 00:00 is 0, Sunday 24:00 is 10080);
  adjacent slots merge, so Monday 22:00-24:00 and Tuesday 00:00-06:00 cover a night shift;
- each exception date as the minutes of that local day the worker is available on it (the
  weekly hours of that weekday, less the hours made unavailable, plus the extra hours).
Wall-clock minutes make daylight-saving changes a non-event: a shift 09:00-13:00 local is
minutes 540-780 of its day whatever the UTC offset (`local_day_span`, `local_week_span` read a
shift's UTC times that way, in the CBO's time zone).

A worker's home ZIP becomes the coordinates of its centroid (`zip_coordinates`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import zipcodes

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


def cap_minutes(weekly_hour_cap: float | None) -> int | None:
    """A worker source's weekly hour cap (tenancy keeps hours, to the hundredth) as whole
    minutes; None: no cap."""
    return None if weekly_hour_cap is None else round(weekly_hour_cap * 60)


# -- home ZIP as coordinates ------------------------------------------------------------------

_ZIP = re.compile(r"\d{5}(-\d{4})?")


def zip_coordinates(home_zip: str | None) -> tuple[float, float] | None:
    """(latitude, longitude) of a US ZIP code's centroid (the `zipcodes` package's table; a
    ZIP+4 counts as its 5-digit ZIP); None for no ZIP, one not written as a ZIP, or one the
    table does not know."""
    if not home_zip or not _ZIP.fullmatch(home_zip.strip()):
        return None
    return _centroid(home_zip.strip()[:5])


@functools.cache
def _centroid(zip5: str) -> tuple[float, float] | None:
    # The package scans its whole table for each ZIP (about 0.15 ms); a rebuild asks for the
    # same few hundred again and again. At most 100,000 five-digit keys.
    found = zipcodes.matching(zip5)
    if not found:
        return None
    try:
        return float(found[0]["lat"]), float(found[0]["long"])
    except (KeyError, TypeError, ValueError):
        return None


# -- times of a shift as the local wall clock reads them --------------------------------------


def local_day_span(starts_at: datetime, ends_at: datetime, timezone: str) -> tuple[date, int, int]:
    """(local date, first minute, end minute) of a span that starts on that date in `timezone`,
    as the wall clock there reads it: 09:00-13:00 is (540, 780) whatever the UTC offset that
    day. The end minute passes 1440 when the span runs past midnight; a span across a
    daylight-saving change keeps its wall-clock ends (01:00-04:00 on the spring-forward night
    is 60-240, though only two hours pass)."""
    zone = ZoneInfo(timezone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    days = (end.date() - start.date()).days
    return (
        start.date(),
        start.hour * 60 + start.minute,
        days * DAY + end.hour * 60 + end.minute,
    )


def local_week_span(starts_at: datetime, ends_at: datetime, timezone: str) -> tuple[int, int]:
    """The span as minutes of its local week (Monday 00:00 = 0), as `weekly_minutes` keeps the
    weekly hours; the end passes WEEK when it runs past Sunday midnight."""
    on_date, start, end = local_day_span(starts_at, ends_at, timezone)
    offset = on_date.weekday() * DAY
    return offset + start, offset + end


def covers_week(ranges: Ranges, start: int, end: int) -> bool:
    """Whether weekly minutes hold every minute of [start, end) of the local week, a span past
    Sunday midnight (end > WEEK) going on from Monday 00:00: Sunday 22:00-24:00 and Monday
    00:00-06:00 cover a night shift from Sunday 23:00 to Monday 03:00."""
    if end <= WEEK:
        return covers(ranges, start, end)
    return covers(ranges, start, WEEK) and covers(ranges, 0, end - WEEK)
