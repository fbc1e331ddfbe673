"""Market watch's pure rules: its windows in the CBO's time zone, and cascade states."""

from datetime import UTC, datetime, timedelta

import pytest

from services.booking.watch import rules


def test_today_is_the_cbos_local_day_even_across_midnight_utc():
    # 05:30 UTC on 1 December is 21:30 on 30 November in Long Beach.
    now = datetime(2026, 12, 1, 5, 30, tzinfo=UTC)
    w = rules.windows(
        now=now, timezone="America/Los_Angeles", horizon_hours=12, deadline_minutes=30
    )
    assert w.today_starts == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert w.today_ends == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert w.starts_by == now + timedelta(hours=12)
    assert w.deadline_by == now + timedelta(minutes=30)
    assert w.expired_since == now - rules.EXPIRED_LOOKBACK
    assert w.falling_since == now - rules.FALLING_WINDOW


def test_a_day_of_the_clock_change_has_its_own_length():
    # 14 March 2027: Long Beach springs forward, the local day lasts 23 hours.
    now = datetime(2027, 3, 14, 20, 0, tzinfo=UTC)
    w = rules.windows(now=now, timezone="America/Los_Angeles", horizon_hours=1, deadline_minutes=1)
    assert w.today_ends - w.today_starts == timedelta(hours=23)


@pytest.mark.parametrize(
    ("current", "incoming", "expected"),
    [
        (None, rules.RUNNING, rules.RUNNING),
        (rules.RUNNING, rules.RUNNING, rules.RUNNING),
        (rules.RUNNING, rules.EXHAUSTED, rules.EXHAUSTED),
        (rules.RUNNING, rules.COMPLETED, rules.COMPLETED),
        # An ended cascade stays ended when a late event arrives out of order.
        (rules.EXHAUSTED, rules.RUNNING, rules.EXHAUSTED),
        (rules.COMPLETED, rules.RUNNING, rules.COMPLETED),
        (rules.COMPLETED, rules.EXHAUSTED, rules.COMPLETED),
    ],
)
def test_cascade_states_only_move_forward(current, incoming, expected):
    assert rules.next_state(current, incoming) == expected
