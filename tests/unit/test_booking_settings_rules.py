"""A CBO's booking settings as pure rules: defaults and bounds, an offer's confirmation deadline
scaled to the lead time, the delay between open-shift tiers, and late cancellations."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest

from services.booking.settings.rules import (
    BOUNDS,
    DEFAULTS,
    MIN_CONFIRM_WINDOW,
    Settings,
    confirmation_deadline,
    is_late_cancellation,
    out_of_bounds,
    tier_delay,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DEFAULT = Settings()
H = timedelta(hours=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)


# -- defaults and bounds -----------------------------------------------------------------------


def test_the_defaults_bounds_and_settings_name_the_same_fields():
    assert {f.name for f in fields(Settings)} == set(DEFAULTS) == set(BOUNDS)
    assert {f.name: getattr(DEFAULT, f.name) for f in fields(Settings)} == DEFAULTS


def test_the_defaults_follow_the_house_rules():
    assert DEFAULTS["confirm_within_minutes"] == 24 * 60
    assert DEFAULTS["confirm_before_start_minutes"] == 16 * 60
    assert DEFAULTS["late_cancel_hours"] == 24
    assert DEFAULTS["reliability_half_life_days"] == 90
    assert DEFAULTS["tier_delay_min_seconds"] <= DEFAULTS["tier_delay_max_seconds"]


def test_every_default_is_within_its_bounds():
    assert out_of_bounds(DEFAULTS) == {}


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_each_bound_is_inclusive_and_a_step_outside_is_refused(name):
    low, high = BOUNDS[name]
    values = dict(DEFAULTS, tier_delay_min_seconds=1, tier_delay_max_seconds=7 * 24 * 3600)
    for inside in (low, high):
        assert name not in out_of_bounds({**values, name: inside})
    for outside in (low - 1, high + 1, 10**30, -(10**30)):
        assert out_of_bounds({**values, name: outside})[name] == [
            f"Must be between {low} and {high}."
        ]


def test_tier_delays_of_a_second_are_allowed_for_tests_that_watch_tiers():
    assert out_of_bounds({"tier_delay_min_seconds": 1, "tier_delay_max_seconds": 1}) == {}
    assert out_of_bounds({"tier_delay_min_seconds": 1, "tier_delay_max_seconds": 2}) == {}
    assert "tier_delay_min_seconds" in out_of_bounds({"tier_delay_min_seconds": 0})


def test_the_shortest_tier_delay_may_not_exceed_the_longest():
    problems = out_of_bounds({"tier_delay_min_seconds": 61, "tier_delay_max_seconds": 60})
    assert list(problems) == ["tier_delay_min_seconds"]
    assert "tier_delay_max_seconds (60)" in problems["tier_delay_min_seconds"][0]
    assert out_of_bounds({"tier_delay_min_seconds": 60, "tier_delay_max_seconds": 60}) == {}
    # One of them alone is checked against its bounds only.
    assert out_of_bounds({"tier_delay_min_seconds": 600}) == {}


def test_a_value_out_of_bounds_is_named_once_not_twice():
    problems = out_of_bounds({"tier_delay_min_seconds": 10**9, "tier_delay_max_seconds": 60})
    assert problems == {"tier_delay_min_seconds": ["Must be between 1 and 86400."]}


# -- confirmation deadline ---------------------------------------------------------------------


def deadline(lead: timedelta, settings: Settings = DEFAULT) -> timedelta:
    """The window the worker gets, for a shift starting `lead` after the offer."""
    return confirmation_deadline(sent_at=NOW, starts_at=NOW + lead, settings=settings) - NOW


@pytest.mark.parametrize(
    ("lead", "window", "why"),
    [
        (30 * 24 * H, 24 * H, "far ahead: the full day to confirm"),
        (72 * H, 24 * H, "three days ahead: still the full day"),
        (40 * H, 24 * H, "40 h ahead: a day, and then 16 h remain"),
        (36 * H, 20 * H, "36 h ahead: 16 h before the start comes first"),
        (32 * H, 16 * H, "32 h: where the two rules meet"),
        (20 * H, 10 * H, "20 h: half the lead time"),
        (2 * H, 1 * H, "2 h: half the lead time"),
        (40 * M, 20 * M, "40 min: half"),
        (20 * M, 15 * M, "20 min: at least the minimum window"),
        (10 * M, 10 * M, "10 min: never after the start"),
        (1 * S, 1 * S, "a second: at the start, not after"),
    ],
)
def test_the_deadline_scales_to_the_lead_time(lead, window, why):
    assert deadline(lead) == window, why


def test_the_deadline_is_never_after_the_start_nor_before_the_offer():
    for minutes in [*range(0, 3000, 7), 10_000, 100_000]:
        lead = timedelta(minutes=minutes, seconds=13)
        window = deadline(lead)
        assert timedelta(0) <= window <= lead
        assert window >= min(MIN_CONFIRM_WINDOW, lead)


def test_the_deadline_grows_with_the_lead_time():
    windows = [deadline(timedelta(minutes=m)) for m in range(1, 5000, 11)]
    assert windows == sorted(windows)


def test_the_deadline_is_in_whole_seconds():
    found = confirmation_deadline(
        sent_at=NOW, starts_at=NOW + timedelta(hours=3, microseconds=777), settings=DEFAULT
    )
    assert found.microsecond == 0 and found - NOW == timedelta(hours=1, minutes=30)


def test_an_offer_for_a_shift_already_started_is_due_at_once():
    assert deadline(timedelta(0)) == timedelta(0)
    assert deadline(-H) == timedelta(0)


def test_the_deadline_follows_the_cbos_settings():
    quick = replace(DEFAULT, confirm_within_minutes=60, confirm_before_start_minutes=0)
    assert deadline(48 * H, quick) == H
    assert deadline(30 * M, quick) == 30 * M
    strict = replace(
        DEFAULT, confirm_within_minutes=7 * 24 * 60, confirm_before_start_minutes=48 * 60
    )
    assert deadline(10 * 24 * H, strict) == 7 * 24 * H
    assert deadline(8 * 24 * H, strict) == 6 * 24 * H
    assert deadline(72 * H, strict) == 36 * H


def test_the_deadline_keeps_the_offers_time_zone():
    sent = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    found = confirmation_deadline(sent_at=sent, starts_at=sent + 3 * 24 * H, settings=DEFAULT)
    assert found == datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


# -- tier delays -------------------------------------------------------------------------------


def delay(left: timedelta, settings: Settings = DEFAULT) -> timedelta:
    return tier_delay(now=NOW, starts_at=NOW + left, settings=settings)


@pytest.mark.parametrize(
    ("left", "wait"),
    [
        (30 * 24 * H, H),  # 5 % of 30 days is 36 h: the longest, an hour
        (20 * H, H),  # exactly an hour
        (10 * H, 30 * M),  # 5 % of 10 h
        (2 * H, 6 * M),
        (20 * M, M),  # 1 min: the shortest
        (M, M),
        (timedelta(0), M),
        (-H, M),  # started already: the shortest
    ],
)
def test_a_tier_waits_a_share_of_the_time_left_within_the_bounds(left, wait):
    assert delay(left) == wait


def test_tier_delays_follow_the_cbos_settings():
    fast = replace(
        DEFAULT, tier_delay_permille=0, tier_delay_min_seconds=1, tier_delay_max_seconds=2
    )
    assert delay(30 * 24 * H, fast) == S
    share = replace(
        DEFAULT, tier_delay_permille=1000, tier_delay_min_seconds=1, tier_delay_max_seconds=10**6
    )
    assert delay(3 * H, share) == 3 * H
    assert delay(timedelta(seconds=3, microseconds=900_000), share) == 3 * S


def test_a_tier_delay_is_whole_seconds_and_never_below_the_shortest():
    for seconds in range(0, 200_000, 997):
        found = delay(timedelta(seconds=seconds, microseconds=123))
        assert found.microseconds == 0
        assert timedelta(seconds=60) <= found <= timedelta(seconds=3600)


def test_a_shortest_delay_above_the_longest_still_waits_the_shortest():
    odd = replace(DEFAULT, tier_delay_min_seconds=120, tier_delay_max_seconds=60)
    assert delay(30 * 24 * H, odd) == 2 * M


# -- late cancellations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "late"),
    [
        (72 * H, False),
        (24 * H + S, False),
        (24 * H, False),  # exactly the window: in time
        (24 * H - S, True),
        (H, True),
        (timedelta(0), True),
        (-H, True),
    ],
)
def test_a_cancellation_inside_the_late_window_is_late(before, late):
    assert is_late_cancellation(cancelled_at=NOW, starts_at=NOW + before, settings=DEFAULT) is late


def test_the_late_window_follows_the_cbos_settings():
    six = replace(DEFAULT, late_cancel_hours=6)
    assert not is_late_cancellation(cancelled_at=NOW, starts_at=NOW + 7 * H, settings=six)
    assert is_late_cancellation(cancelled_at=NOW, starts_at=NOW + 5 * H, settings=six)
    never = replace(DEFAULT, late_cancel_hours=0)
    assert not is_late_cancellation(cancelled_at=NOW, starts_at=NOW + S, settings=never)
