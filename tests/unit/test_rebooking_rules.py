"""Rebooking's pure rules, table-driven: licence days, deadline retries, cascade triggers and
what booking's answer makes of a cascade, preference checks; and booking's rules for
replacement offers (offers/rules.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chassis.licence_records import is_newer
from services.booking.offers import rules as offer_rules
from services.rebooking.cascades import rules as cascade_rules
from services.rebooking.deadlines import rules as deadline_rules
from services.rebooking.licences import rules as licence_rules
from services.rebooking.preferences import rules as preference_rules

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
D = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "day", "covered"),
    [
        (D, None, D, True),
        (D, D, D, True),
        (D, None, D - timedelta(days=1), False),
        (D - timedelta(days=5), D - timedelta(days=1), D, False),
        (D - timedelta(days=5), D + timedelta(days=1), D, True),
    ],
)
def test_a_licence_covers_its_days(starts_on, ends_on, day, covered):
    assert licence_rules.covers(starts_on=starts_on, ends_on=ends_on, day=day) is covered


def test_the_newest_event_wins():
    assert is_newer(NOW, None)
    assert is_newer(NOW, NOW)
    assert not is_newer(NOW - timedelta(seconds=1), NOW)


@pytest.mark.parametrize(
    ("outcome", "tries", "done", "delay"),
    [
        (deadline_rules.EXPIRED, 1, True, None),
        (deadline_rules.ENDED, 1, True, None),
        (deadline_rules.MISSING, 1, True, None),
        (deadline_rules.TOO_EARLY, 1, False, 1),
        (deadline_rules.FAILED, 1, False, 1),
        (deadline_rules.FAILED, 3, False, 4),
        (deadline_rules.FAILED, 30, False, 60),
    ],
)
def test_what_a_try_makes_of_a_timer(outcome, tries, done, delay):
    decision = deadline_rules.after_try(outcome, tries=tries, now=NOW)
    assert decision.done is done
    if delay is not None:
        assert decision.due_at == NOW + timedelta(seconds=delay)


def test_one_key_per_offer_and_per_triggering_event():
    assert deadline_rules.expiry_key("o1") == deadline_rules.expiry_key("o1") != "o1"
    assert cascade_rules.step_key("e1") != cascade_rules.step_key("e2")
    assert len(cascade_rules.step_key("x" * 36)) <= 100


@pytest.mark.parametrize(
    ("event_type", "kind", "trigger"),
    [
        ("offer.expired", None, True),
        ("offer.declined", None, True),
        ("assignment.cancelled", "worker", True),
        ("assignment.cancelled", "client", False),
        ("assignment.cancelled", "staff", False),
        ("offer.withdrawn", None, False),
    ],
)
def test_what_starts_a_cascade(event_type, kind, trigger):
    assert cascade_rules.is_trigger(event_type, cancelled_by_kind=kind) is trigger


@pytest.mark.parametrize(
    ("offered", "why", "action", "reason"),
    [
        (True, None, cascade_rules.OFFERED, None),
        (False, "no_candidates", cascade_rules.EXHAUST, "no_candidates"),
        (False, "too_close", cascade_rules.EXHAUST, "too_close"),
        (False, "started", cascade_rules.EXHAUST, "too_close"),
        (False, "covered", cascade_rules.WAIT, None),
        (False, "filled", cascade_rules.CLOSE, "filled"),
        (False, "cancelled", cascade_rules.CLOSE, "cancelled"),
    ],
)
def test_what_bookings_answer_makes_of_a_cascade(offered, why, action, reason):
    step = cascade_rules.after_answer(offered=offered, why=why)
    assert (step.action, step.reason) == (action, reason)


def test_attempts_run_out_at_the_maximum():
    assert not cascade_rules.out_of_attempts(attempts=2, max_attempts=3)
    assert cascade_rules.out_of_attempts(attempts=3, max_attempts=3)


@pytest.mark.parametrize(
    ("ids", "problems"),
    [
        ([], 0),
        (["a", "b"], 1 - 1),
        (["a", "a"], 1),
        ([str(i) for i in range(51)], 1),
    ],
)
def test_preferred_workers_are_each_listed_once_and_not_too_many(ids, problems):
    assert len(preference_rules.preferred_problems(ids)) == problems


H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("status", "starts_in", "min_lead", "filled", "live", "why"),
    [
        ("open", 10 * H, 2 * H, 0, 0, None),
        ("filled", 10 * H, 2 * H, 1, 0, "filled"),
        ("cancelled", 10 * H, 2 * H, 0, 0, "cancelled"),
        ("completed", -H, 2 * H, 1, 0, "started"),
        ("open", -H, 2 * H, 0, 0, "started"),
        ("open", H, 2 * H, 0, 0, "too_close"),
        ("open", 10 * H, 2 * H, 0, 1, "covered"),
        ("open", 10 * H, timedelta(0), 0, 0, None),
    ],
)
def test_when_a_shift_takes_a_replacement_offer(status, starts_in, min_lead, filled, live, why):
    assert (
        offer_rules.replacement_refusal(
            shift_status=status,
            starts_at=NOW + starts_in,
            now=NOW,
            min_lead=min_lead,
            positions=1,
            filled=filled,
            live_offers=live,
        )
        == why
    )


def test_a_replacement_deadline_is_the_clients_window_never_after_the_start():
    usual = NOW + 5 * H
    assert (
        offer_rules.replacement_deadline(
            computed=usual, now=NOW, starts_at=NOW + 10 * H, window=None
        )
        == usual
    )
    assert offer_rules.replacement_deadline(
        computed=usual, now=NOW, starts_at=NOW + 10 * H, window=timedelta(minutes=2)
    ) == NOW + timedelta(minutes=2)
    assert offer_rules.replacement_deadline(
        computed=usual, now=NOW, starts_at=NOW + timedelta(minutes=1), window=timedelta(minutes=2)
    ) == NOW + timedelta(minutes=1)
