"""Pure rules of market watch: its windows, and when a worker's reliability is falling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How far ahead and back market watch looks unless staff ask otherwise.
DEFAULT_HORIZON_HOURS = 12
DEFAULT_DEADLINE_MINUTES = 30
# Expired offers stay on watch this long (the shift still to come and not filled).
EXPIRED_LOOKBACK = timedelta(hours=24)
# Reliability is "falling" when the points counted against a worker in this window (no-shows,
# late cancellations, missed confirmations) reach FALLING_POINTS, or they are up for review.
FALLING_WINDOW = timedelta(days=7)
FALLING_POINTS = 2

# Cascade states, as rebooking's events tell them.
RUNNING = "running"
COMPLETED = "completed"
EXHAUSTED = "exhausted"
CASCADE_STATES = (RUNNING, COMPLETED, EXHAUSTED)


@dataclass(frozen=True)
class Windows:
    now: datetime
    deadline_by: datetime  # offers whose deadline falls before this
    starts_by: datetime  # shifts that start before this
    expired_since: datetime
    falling_since: datetime
    today_starts: datetime  # the CBO's local day, in UTC
    today_ends: datetime


def windows(*, now: datetime, timezone: str, horizon_hours: int, deadline_minutes: int) -> Windows:
    """The moments market watch compares with, `today` being the CBO's local date."""
    zone = ZoneInfo(timezone)
    local_day = now.astimezone(zone).date()
    # In UTC: aware times of one zone subtract as wall clocks, not as elapsed time.
    start = datetime.combine(local_day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return Windows(
        now=now,
        deadline_by=now + timedelta(minutes=deadline_minutes),
        starts_by=now + timedelta(hours=horizon_hours),
        expired_since=now - EXPIRED_LOOKBACK,
        falling_since=now - FALLING_WINDOW,
        today_starts=start,
        today_ends=end,
    )


def next_state(current: str | None, incoming: str) -> str:
    """A cascade's state after an event: completed and exhausted are final (a late
    cascade.advanced, delivered out of order, does not reopen one)."""
    if current in (COMPLETED, EXHAUSTED):
        return current
    return incoming
