"""What happens to an event whose receiving failed (chassis.entrypoints.redelivery): a handler's
failure spends an attempt; the infrastructure's does not, and waits longer each time."""

import pytest

from chassis.entrypoints import (
    ATTEMPT_HEADER,
    DEFER_SECONDS,
    Failed,
    Redelivery,
    header_count,
    redelivery,
)

DELAYS = (1.0, 5.0, 30.0, 120.0)


def test_a_failing_handler_spends_an_attempt_per_delay_then_is_dead_lettered():
    plans = [
        redelivery(Failed.HANDLER, attempt=attempt, deferrals=0, retry_delays=DELAYS)
        for attempt in range(5)
    ]
    assert plans == [
        Redelivery(1, 1.0, attempt=1, deferrals=0),
        Redelivery(2, 5.0, attempt=2, deferrals=0),
        Redelivery(3, 30.0, attempt=3, deferrals=0),
        Redelivery(4, 120.0, attempt=4, deferrals=0),
        None,
    ]


def test_a_handler_failure_starts_the_deferrals_over():
    plan = redelivery(Failed.HANDLER, attempt=1, deferrals=7, retry_delays=DELAYS)
    assert plan == Redelivery(2, 5.0, attempt=2, deferrals=0)


def test_an_infrastructure_failure_keeps_the_attempt_and_waits_longer_each_time():
    plans = []
    deferrals = 0
    for _ in range(6):
        plan = redelivery(Failed.DELIVERY, attempt=2, deferrals=deferrals, retry_delays=DELAYS)
        assert plan is not None
        plans.append((plan.queue, plan.seconds, plan.attempt))
        deferrals = plan.deferrals
    assert plans == [
        (1, 1.0, 2),
        (2, 5.0, 2),
        (3, 30.0, 2),
        (4, 120.0, 2),
        (4, 120.0, 2),
        (4, 120.0, 2),
    ]
    assert deferrals == 6


@pytest.mark.parametrize("attempt", [0, 4, 9])
def test_an_infrastructure_failure_never_dead_letters(attempt):
    plan = redelivery(Failed.DELIVERY, attempt=attempt, deferrals=0, retry_delays=DELAYS)
    assert plan == Redelivery(1, 1.0, attempt=attempt, deferrals=1)


def test_a_dead_letter_the_database_refused_waits_in_the_last_retry_queue():
    plan = redelivery(Failed.DEAD_LETTER, attempt=4, deferrals=0, retry_delays=DELAYS)
    assert plan == Redelivery(4, 120.0, attempt=4, deferrals=1)


def test_without_retry_delays_a_handler_failure_is_dead_lettered_and_the_rest_waits():
    assert redelivery(Failed.HANDLER, attempt=0, deferrals=0, retry_delays=()) is None
    for failed in (Failed.DELIVERY, Failed.DEAD_LETTER):
        plan = redelivery(failed, attempt=0, deferrals=3, retry_delays=())
        assert plan == Redelivery(1, DEFER_SECONDS, attempt=0, deferrals=4)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (None, 0),
        ({}, 0),
        ({ATTEMPT_HEADER: 3}, 3),
        ({ATTEMPT_HEADER: "2"}, 2),
        ({ATTEMPT_HEADER: None}, 0),
        ({ATTEMPT_HEADER: "many"}, 0),
        ({ATTEMPT_HEADER: -4}, 0),
        ({ATTEMPT_HEADER: [1]}, 0),
    ],
)
def test_a_count_header_that_is_missing_or_garbled_counts_as_zero(headers, expected):
    assert header_count(headers, ATTEMPT_HEADER) == expected
