"""Pure rules of a CBO's booking settings: their defaults and bounds, the confirmation deadline
of an offer, the delay between open-shift tiers and whether a cancellation is late.

Every function takes the settings as any object with the fields of `DEFAULTS` as attributes
(the `BookingSettings` row, or `Settings` below in tests), and aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR

DEFAULTS: dict[str, int] = {
    # An offer must be confirmed within a day of being sent ...
    "confirm_within_minutes": 24 * 60,
    # ... and 16 hours before the shift starts when there is time for both (Instawork drops
    # unconfirmed workers 16 h before the shift).
    "confirm_before_start_minutes": 16 * 60,
    # A client cancelling less than 24 hours before the start owes reporting-time pay, and a
    # worker doing so loses reliability.
    "late_cancel_hours": 24,
    # Each open-shift tier waits 5 % of the time left before the shift, 1 minute to 1 hour.
    "tier_delay_permille": 50,
    "tier_delay_min_seconds": 60,
    "tier_delay_max_seconds": HOUR,
    # Reliability points lose half their weight every 90 days; 10 active points open a review.
    "reliability_half_life_days": 90,
    "reliability_review_points": 10,
}

# The values staff may set, inclusive. A tier delay may be as short as a second (so that
# end-to-end tests can watch tiers being released).
BOUNDS: dict[str, tuple[int, int]] = {
    "confirm_within_minutes": (1, 14 * 24 * 60),
    "confirm_before_start_minutes": (0, 14 * 24 * 60),
    "late_cancel_hours": (0, 7 * 24),
    "tier_delay_permille": (0, 1000),
    "tier_delay_min_seconds": (1, DAY),
    "tier_delay_max_seconds": (1, 7 * DAY),
    "reliability_half_life_days": (1, 3650),
    "reliability_review_points": (1, 1000),
}

# However short the lead time, a worker gets this long to confirm (unless the shift starts
# sooner: the deadline is never after the start).
MIN_CONFIRM_WINDOW = timedelta(minutes=15)


class SettingsLike(Protocol):
    confirm_within_minutes: int
    confirm_before_start_minutes: int
    late_cancel_hours: int
    tier_delay_permille: int
    tier_delay_min_seconds: int
    tier_delay_max_seconds: int
    reliability_half_life_days: int
    reliability_review_points: int


@dataclass(frozen=True)
class Settings:
    """A CBO's settings as plain values (the defaults unless given)."""

    confirm_within_minutes: int = DEFAULTS["confirm_within_minutes"]
    confirm_before_start_minutes: int = DEFAULTS["confirm_before_start_minutes"]
    late_cancel_hours: int = DEFAULTS["late_cancel_hours"]
    tier_delay_permille: int = DEFAULTS["tier_delay_permille"]
    tier_delay_min_seconds: int = DEFAULTS["tier_delay_min_seconds"]
    tier_delay_max_seconds: int = DEFAULTS["tier_delay_max_seconds"]
    reliability_half_life_days: int = DEFAULTS["reliability_half_life_days"]
    reliability_review_points: int = DEFAULTS["reliability_review_points"]


def out_of_bounds(values: dict[str, int]) -> dict[str, list[str]]:
    """The fields of `values` outside their bounds, and those that disagree with each other
    (the shortest tier delay above the longest), with a message for each."""
    problems: dict[str, list[str]] = {}
    for name, value in values.items():
        low, high = BOUNDS[name]
        if not low <= value <= high:
            problems[name] = [f"Must be between {low} and {high}."]
    low_delay = values.get("tier_delay_min_seconds")
    high_delay = values.get("tier_delay_max_seconds")
    if (
        low_delay is not None
        and high_delay is not None
        and low_delay > high_delay
        and "tier_delay_min_seconds" not in problems
    ):
        problems["tier_delay_min_seconds"] = [
            "Must not be more than tier_delay_max_seconds "
            f"({high_delay}); change both together if needed."
        ]
    return problems


def confirmation_deadline(
    *, sent_at: datetime, starts_at: datetime, settings: SettingsLike
) -> datetime:
    """When an offer sent at `sent_at` for a shift starting at `starts_at` must be confirmed.

    With time to spare, the worker gets `confirm_within_minutes` but must confirm at least
    `confirm_before_start_minutes` before the start. With a shorter lead time the window
    scales down to the larger of (lead time - confirm_before_start) and half the lead time,
    so it shrinks smoothly as the shift comes closer; it is never under MIN_CONFIRM_WINDOW
    and never after the shift starts. A shift already started gives `sent_at` itself.
    """
    lead = starts_at - sent_at
    if lead <= timedelta(0):
        return sent_at
    within = timedelta(minutes=settings.confirm_within_minutes)
    before_start = timedelta(minutes=settings.confirm_before_start_minutes)
    window = min(within, max(lead - before_start, lead / 2))
    window = max(window, min(MIN_CONFIRM_WINDOW, lead))
    window = min(window, lead)
    # Whole seconds: a deadline a person reads, and one a timer keeps exactly.
    return sent_at + timedelta(seconds=int(window.total_seconds()))


def tier_delay(*, now: datetime, starts_at: datetime, settings: SettingsLike) -> timedelta:
    """How long an open shift's tier waits before the next tier is released: a share
    (`tier_delay_permille`) of the time left before the shift, within the CBO's shortest and
    longest delay (whole seconds). A shift close to its start (or past it) waits the
    shortest."""
    left = max((starts_at - now).total_seconds(), 0.0)
    seconds = int(left * settings.tier_delay_permille // 1000)
    low, high = settings.tier_delay_min_seconds, settings.tier_delay_max_seconds
    return timedelta(seconds=min(max(seconds, low), max(high, low)))


def is_late_cancellation(
    *, cancelled_at: datetime, starts_at: datetime, settings: SettingsLike
) -> bool:
    """A cancellation less than `late_cancel_hours` before the start (exactly that long before
    is still in time); with 0 hours nothing is late before the start."""
    return starts_at - cancelled_at < timedelta(hours=settings.late_cancel_hours)
