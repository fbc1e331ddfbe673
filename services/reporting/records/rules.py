"""Pure rules of reporting's read model: which day a fact counts on, the weeks and months it
falls in, and the additive figures a day keeps."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "America/Los_Angeles"

# The additive figures of a CBO day (daily rollups and totals), with what each counts. Shift
# figures count on the shift's day, people's on the day it happened, pay on its week's Monday.
METRICS: dict[str, str] = {
    "registered": "job seekers who registered",
    "approved": "job seekers approved to work",
    "shifts_booked": "shifts booked (each occurrence of a booking)",
    "minutes_booked": "minutes booked: shift length times positions",
    "shifts_cancelled": "shifts cancelled by their booking",
    "shifts_filled": "shifts whose every position was confirmed (first time only)",
    "fill_minutes": "minutes from booking to first fill, summed over filled shifts",
    "places_completed": "places worked (shift.completed)",
    "minutes_worked": "minutes of the places worked",
    "no_shows": "places whose worker did not come",
    "late_cancellations": "late cancellations: a worker's place or a client's shift",
    "cascades_started": "replacement cascades started",
    "cascades_completed": "cascades that found a replacement who confirmed",
    "cascades_exhausted": "cascades that ended with no replacement",
    "visits": "EVV visits clocked in",
    "visits_with_exceptions": "visits with at least one EVV exception",
    "gross_cents": "gross pay from completed payroll runs (cents)",
}

PERIODS = ("week", "month")


def zone(name: str | None) -> ZoneInfo:
    """The CBO's time zone, or the default one if it names none we know."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_day(at: datetime, timezone: str | None) -> date:
    """The CBO's calendar day of a moment (naive moments are UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo("UTC"))
    return at.astimezone(zone(timezone)).date()


def week_start(day: date) -> date:
    """The Monday of the week holding `day` (the pay week)."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def period_starts(day: date) -> tuple[tuple[str, date], ...]:
    """The week and the month a day counts in."""
    return (("week", week_start(day)), ("month", month_start(day)))


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from `start` to `end`, never negative."""
    return max(0, round((end - start).total_seconds() / 60))
