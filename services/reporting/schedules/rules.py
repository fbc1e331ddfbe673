"""Pure rules of scheduled deliveries: when a schedule's next occurrence is (a local time in
the CBO's zone, so it stays at 8:00 across daylight saving), which period it sends, its
idempotency key and the retry backoff."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from services.reporting.dashboards.rules import MONTH, WEEK, Period, last_complete
from services.reporting.records.rules import zone

PENDING, SENT, FAILED = "pending", "sent", "failed"
STATUSES = (PENDING, SENT, FAILED)
MAX_ATTEMPTS = 5
# Seconds before the next attempt after each failure.
BACKOFF_SECONDS = (60, 300, 1800, 7200)


def next_occurrence(
    *,
    after: datetime,
    timezone: str,
    period: str,
    weekday: int,
    day_of_month: int,
    hour: int,
    minute: int,
) -> datetime:
    """The first occurrence strictly after `after` (UTC): a weekly schedule on `weekday`
    (0 = Monday), a monthly one on `day_of_month` (1-28), at hour:minute local time."""
    tz = zone(timezone)
    local = after.astimezone(tz)
    day = local.date()
    for offset in range(0, 62):
        candidate_day = day + timedelta(days=offset)
        if period == WEEK and candidate_day.weekday() != weekday:
            continue
        if period == MONTH and candidate_day.day != day_of_month:
            continue
        candidate = datetime.combine(candidate_day, time(hour, minute), tz)
        if candidate.astimezone(UTC) > after.astimezone(UTC):
            return candidate.astimezone(UTC)
    raise ValueError("no occurrence within 62 days")


def period_sent(*, occurrence: datetime, timezone: str, period: str) -> Period:
    """What an occurrence sends: the last whole week or month before its local day."""
    return last_complete(period, occurrence.astimezone(zone(timezone)).date())


def idempotency_key(schedule_id: str, occurrence: datetime) -> str:
    return f"{schedule_id}:{occurrence.astimezone(UTC).strftime('%Y%m%dT%H%MZ')}"


def message_id(key: str, domain: str) -> str:
    """A stable Message-ID per occurrence: a receiver can tell a resend from a new report."""
    safe = "".join(c if c.isalnum() else "." for c in key)
    return f"<report.{safe}@{domain}>"


def retry_at(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed ones; None when it is given up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def subject(*, cbo_name: str, period: Period) -> str:
    label = "Week" if period.kind == WEEK else "Month"
    return f"{cbo_name}: {label} of {period.starts_on.isoformat()} KPIs"


def first_day(period: Period) -> date:
    return period.starts_on
