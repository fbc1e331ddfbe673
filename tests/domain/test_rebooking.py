"""Rebooking's domain on its real database: the licence read model, clients' preferences, the
deadline timers (recorded, settled, fired, retried) and cascades (started, advanced, completed,
exhausted for each reason, closed, stopped without the licence), with a stand-in for booking's
offer_next that answers as booking does (one answer per idempotency key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from chassis.contracts.booking_rpc import NextOffer
from chassis.errors import ServiceUnavailable, ValidationFailed
from services.rebooking.cascades import domain as cascades
from services.rebooking.cascades.models import CascadeStep, PendingStep
from services.rebooking.deadlines import domain as deadlines
from services.rebooking.deadlines import rules as deadline_rules
from services.rebooking.deadlines.models import OfferDeadline
from services.rebooking.licences import domain as licences
from services.rebooking.preferences import domain as preferences
from tests.domain.outbox import Outbox
from tests.factories import staff_caller

SERVICE = "rebooking"

NOW = datetime.now(UTC).replace(microsecond=0)
STARTS = NOW + timedelta(days=2)


@dataclass
class Booking:
    """Booking's offer_next as rebooking sees it: offers `candidates` in order (never one
    excluded), then answers `why`; the same key gets the same answer."""

    candidates: list[str]
    why: str = "no_candidates"
    shift_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    answers: dict[str, NextOffer] = field(default_factory=dict)
    calls: list[dict] = field(default_factory=list)

    def __call__(self, **arguments) -> NextOffer:
        self.calls.append(arguments)
        key = arguments["idempotency_key"]
        if key not in self.answers:
            left = [w for w in self.candidates if w not in arguments["exclude_worker_ids"]]
            base = {
                "shift_id": arguments["shift_id"],
                "booking_id": "booking-1",
                "client_id": "client-1",
                "starts_at": STARTS,
            }
            if left and self.why in ("no_candidates",):
                self.candidates.remove(left[0])
                deadline = NOW + timedelta(seconds=arguments["window_seconds"])
                answer = NextOffer(
                    **base,
                    offered=True,
                    offer_id=str(uuid.uuid4()),
                    worker_id=left[0],
                    deadline_at=deadline,
                    source="preferred"
                    if left[0] in arguments["preferred_worker_ids"]
                    else "ranking",
                    why=None,
                )
            else:
                answer = NextOffer(
                    **base,
                    offered=False,
                    offer_id=None,
                    worker_id=None,
                    deadline_at=None,
                    source=None,
                    why=self.why,
                )
            self.answers[key] = answer
        return self.answers[key]


def licensed(uow, tenant_id, *, starts_on=None, ends_on=None, licence_id="lic-1", at=NOW):
    licences.learn_licence(
        uow,
        tenant_id=tenant_id,
        licence_id=licence_id,
        feature="rebooking",
        starts_on=starts_on or NOW.date() - timedelta(days=30),
        ends_on=ends_on,
        event_at=at,
    )


def lose(
    uow, tenant_id, booking, *, worker="zed", trigger="offer.declined", offer_id=None, event_id=None
):
    return cascades.offer_lost(
        uow,
        tenant_id=tenant_id,
        event_id=event_id or str(uuid.uuid4()),
        trigger=trigger,
        shift_id=booking.shift_id,
        client_id="client-1",
        worker_id=worker,
        offer_id=offer_id,
        offer_next=booking,
        now=NOW,
    )


@pytest.fixture
def tenant_id():
    return str(uuid.uuid4())


# -- licences ------------------------------------------------------------------------------------


def test_a_licence_holds_on_its_days_in_the_cbos_calendar_and_the_newest_event_wins(uow, tenant_id):
    assert not licences.holds_rebooking(uow, tenant_id=tenant_id, now=NOW)
    licensed(uow, tenant_id, starts_on=date(2026, 1, 1), ends_on=date(2026, 11, 30))
    licences.learn_timezone(uow, tenant_id=tenant_id, timezone="Asia/Phnom_Penh", event_at=NOW)
    # 20:00 UTC on 30 Nov is already 1 Dec in Phnom Penh: past the last day.
    evening = datetime(2026, 11, 30, 20, tzinfo=UTC)
    assert not licences.holds_rebooking(uow, tenant_id=tenant_id, now=evening)
    assert licences.holds_rebooking(uow, tenant_id=tenant_id, now=evening - timedelta(hours=8))
    # Revoked (its last day moved earlier), then the older grant arrives late: still revoked.
    licensed(uow, tenant_id, starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 1), at=NOW)
    licensed(
        uow, tenant_id, starts_on=date(2026, 1, 1), ends_on=None, at=NOW - timedelta(minutes=5)
    )
    assert not licences.holds_rebooking(uow, tenant_id=tenant_id, now=evening - timedelta(hours=8))


# -- preferences ---------------------------------------------------------------------------------


def test_preferences_are_the_defaults_until_changed_and_every_change_is_audited(uow, tenant_id):
    found = preferences.preferences_for(uow, tenant_id=tenant_id, client_id="c1")
    assert found["is_default"] and found["use_ranking"] and found["max_attempts"] == 5
    sent = Outbox(uow)
    changed = preferences.update_preferences(
        uow,
        caller=staff_caller(tenant_id),
        tenant_id=tenant_id,
        client_id="c1",
        data={"preferred_worker_ids": ["b", "a"], "max_attempts": 3},
    )
    assert changed["preferred_worker_ids"] == ["b", "a"] and changed["max_attempts"] == 3
    assert not changed["is_default"] and changed["min_lead_minutes"] == 120
    (entry,) = sent.audit()
    assert entry["action"] == "rebooking_preferences.update"
    # Another CBO's client of the same id keeps its defaults.
    assert preferences.preferences_for(uow, tenant_id="other", client_id="c1")["is_default"]
    with pytest.raises(ValidationFailed) as refused:
        preferences.update_preferences(
            uow,
            caller=staff_caller(tenant_id),
            tenant_id=tenant_id,
            client_id="c1",
            data={"preferred_worker_ids": ["a", "a"]},
        )
    assert "preferred_worker_ids" in refused.value.fields


# -- deadlines -----------------------------------------------------------------------------------


def a_deadline(
    uow,
    tenant_id,
    *,
    at=NOW - timedelta(seconds=1),
    offer_id=None,
    shift_id="s",
    worker_id="w",
    client_id=None,
):
    offer_id = offer_id or str(uuid.uuid4())
    deadlines.record_deadline(
        uow,
        tenant_id=tenant_id,
        offer_id=offer_id,
        shift_id=shift_id,
        worker_id=worker_id,
        deadline_at=at,
        client_id=client_id,
    )
    return offer_id


def row(uow, offer_id) -> OfferDeadline:
    return uow.session.execute(
        select(OfferDeadline)
        .where(OfferDeadline.offer_id == offer_id)
        .execution_options(populate_existing=True)
    ).scalar_one()


def test_due_deadlines_fire_once_with_the_offers_key_and_later_ones_wait(uow, tenant_id):
    due, later = a_deadline(uow, tenant_id), a_deadline(uow, tenant_id, at=NOW + timedelta(hours=1))
    a_deadline(uow, tenant_id, offer_id=due)  # offer.sent redelivered: nothing changes
    asked = []

    def expire(items):
        asked.extend(items)
        return {offer_id: (deadline_rules.EXPIRED, None, None) for offer_id, _, _ in items}

    assert deadlines.fire_due(uow, expire=expire, now=NOW) == {due: "expired"}
    assert asked == [(due, f"rebooking:expire:{due}", None)]
    assert row(uow, due).status == "fired" and row(uow, later).status == "pending"
    assert deadlines.fire_due(uow, expire=expire, now=NOW) == {}


def test_a_failed_try_is_tried_again_later_and_an_ended_offer_settles_its_timer(uow, tenant_id):
    failing, confirmed = a_deadline(uow, tenant_id), a_deadline(uow, tenant_id)
    deadlines.settle(
        uow,
        tenant_id=tenant_id,
        offer_id=confirmed,
        shift_id="s",
        worker_id="w",
        outcome="confirmed",
    )
    outcomes = deadlines.fire_due(
        uow,
        expire=lambda items: {o: (deadline_rules.FAILED, "down", None) for o, _, _ in items},
        now=NOW,
    )
    assert outcomes == {failing: "failed"}
    timer = row(uow, failing)
    assert timer.status == "pending" and timer.due_at > NOW and timer.last_error == "down"
    assert row(uow, confirmed).status == "settled"


def test_an_ending_seen_before_its_offer_sent_keeps_the_timer_settled(uow, tenant_id):
    offer_id = str(uuid.uuid4())
    deadlines.settle(
        uow, tenant_id=tenant_id, offer_id=offer_id, shift_id="s", worker_id="w", outcome="declined"
    )
    a_deadline(uow, tenant_id, offer_id=offer_id)
    assert row(uow, offer_id).status == "settled"


# -- cascades ------------------------------------------------------------------------------------


def test_without_the_licence_nothing_is_offered(uow, tenant_id):
    booking = Booking(["ana"])
    sent = Outbox(uow)
    assert lose(uow, tenant_id, booking) is None
    assert booking.calls == [] and sent.types() == []


def test_a_cascade_starts_advances_and_completes_when_its_worker_confirms(uow, tenant_id):
    licensed(uow, tenant_id)
    preferences.update_preferences(
        uow,
        caller=staff_caller(tenant_id),
        tenant_id=tenant_id,
        client_id="client-1",
        data={"preferred_worker_ids": ["bo"], "confirmation_window_minutes": 2},
    )
    booking = Booking(["bo", "cy"])
    sent = Outbox(uow)
    cascade = lose(uow, tenant_id, booking, worker="zed")
    assert cascade is not None and cascade.status == "active" and cascade.attempts == 1
    assert sent.types() == ["cascade.started", "cascade.advanced"]
    advanced = sent.one("cascade.advanced")["data"]
    assert (advanced["worker_id"], advanced["source"]) == ("bo", "preferred")
    (call,) = booking.calls
    assert call["exclude_worker_ids"] == ["zed"] and call["window_seconds"] == 120
    assert call["preferred_worker_ids"] == ["bo"] and call["min_lead_minutes"] == 120
    # Bo's deadline is a timer already.
    assert row(uow, advanced["offer_id"]).status == "pending"

    sent = Outbox(uow)
    lose(
        uow, tenant_id, booking, worker="bo", trigger="offer.expired", offer_id=advanced["offer_id"]
    )
    assert sent.types() == ["cascade.advanced"]
    assert booking.calls[-1]["exclude_worker_ids"] == ["bo", "zed"]
    cy = sent.one("cascade.advanced")["data"]
    assert cy["worker_id"] == "cy" and cy["attempts"] == 2

    sent = Outbox(uow)
    done = cascades.offer_confirmed(
        uow, tenant_id=tenant_id, shift_id=booking.shift_id, offer_id=cy["offer_id"], worker_id="cy"
    )
    assert done is not None and done.status == "completed"
    assert sent.one("cascade.completed")["data"]["worker_id"] == "cy"
    outcomes = uow.session.execute(
        select(CascadeStep.worker_id, CascadeStep.outcome).order_by(CascadeStep.attempt)
    ).all()
    assert [tuple(r) for r in outcomes] == [("bo", "expired"), ("cy", "confirmed")]


def test_a_redelivered_event_gets_bookings_first_answer_and_no_second_offer(uow, tenant_id):
    licensed(uow, tenant_id)
    booking = Booking(["bo", "cy"])
    lose(uow, tenant_id, booking, event_id="evt-1")
    sent = Outbox(uow)
    cascade = lose(uow, tenant_id, booking, event_id="evt-1")
    assert cascade is not None and cascade.attempts == 1 and sent.types() == []
    assert {c["idempotency_key"] for c in booking.calls} == {"rebooking:next:evt-1"}


@pytest.mark.parametrize(
    ("why", "reason"), [("no_candidates", "no_candidates"), ("too_close", "too_close")]
)
def test_nobody_left_or_too_close_exhausts_the_cascade(uow, tenant_id, why, reason):
    licensed(uow, tenant_id)
    booking = Booking([], why=why)
    sent = Outbox(uow)
    cascade = lose(uow, tenant_id, booking)
    assert cascade is not None and cascade.status == "exhausted"
    assert sent.types() == ["cascade.started", "rebooking.exhausted"]
    assert sent.one("rebooking.exhausted")["data"]["reason"] == reason


def test_the_attempts_running_out_exhausts_the_cascade(uow, tenant_id):
    licensed(uow, tenant_id)
    preferences.update_preferences(
        uow,
        caller=staff_caller(tenant_id),
        tenant_id=tenant_id,
        client_id="client-1",
        data={"max_attempts": 2},
    )
    booking = Booking(["a", "b", "c"])
    lose(uow, tenant_id, booking, worker="zed")
    lose(uow, tenant_id, booking, worker="a")
    sent = Outbox(uow)
    cascade = lose(uow, tenant_id, booking, worker="b")
    assert cascade is not None and cascade.status == "exhausted" and cascade.attempts == 2
    assert sent.one("rebooking.exhausted")["data"]["reason"] == "attempts_used"
    assert len(booking.calls) == 2


def test_covered_filled_or_cancelled_shifts_start_nothing_and_close_a_cascade(uow, tenant_id):
    licensed(uow, tenant_id)
    sent = Outbox(uow)
    assert lose(uow, tenant_id, Booking([], why="covered")) is None
    assert lose(uow, tenant_id, Booking([], why="filled")) is None
    assert sent.types() == []
    booking = Booking(["bo"])
    cascade = lose(uow, tenant_id, booking)
    cascades.shift_settled(uow, tenant_id=tenant_id, shift_id=booking.shift_id, reason="filled")
    uow.session.refresh(cascade)
    assert (cascade.status, cascade.end_reason) == ("closed", "filled")


def test_a_revoked_licence_stops_the_active_cascade(uow, tenant_id):
    licensed(uow, tenant_id)
    booking = Booking(["bo", "cy"])
    cascade = lose(uow, tenant_id, booking)
    licensed(uow, tenant_id, ends_on=NOW.date() - timedelta(days=2), at=NOW + timedelta(seconds=1))
    sent = Outbox(uow)
    assert lose(uow, tenant_id, booking, worker="bo", trigger="offer.expired") is None
    uow.session.refresh(cascade)
    assert (cascade.status, cascade.end_reason) == ("stopped", "licence")
    assert sent.types() == [] and len(booking.calls) == 1


def test_shift_filled_by_the_cascades_worker_before_their_confirmation_completes_it(uow, tenant_id):
    licensed(uow, tenant_id)
    booking = Booking(["bo"])
    cascade = lose(uow, tenant_id, booking)
    (step,) = uow.session.execute(select(CascadeStep)).scalars()
    sent = Outbox(uow)
    cascades.shift_settled(
        uow, tenant_id=tenant_id, shift_id=booking.shift_id, reason="filled", worker_ids=["bo"]
    )
    assert (
        cascades.offer_confirmed(
            uow,
            tenant_id=tenant_id,
            shift_id=booking.shift_id,
            offer_id=step.offer_id,
            worker_id="bo",
        )
        is None
    )
    uow.session.refresh(cascade)
    assert cascade.status == "completed"
    assert sent.one("cascade.completed")["data"]["offer_id"] == step.offer_id


def test_a_step_booking_cannot_take_is_kept_and_tried_again_with_the_same_key(uow, tenant_id):
    licensed(uow, tenant_id)
    booking = Booking(["bo"])
    calls = []

    def down(**arguments):
        calls.append(arguments["idempotency_key"])
        raise ServiceUnavailable("The booking service did not answer within 10 s.")

    assert lose(uow, tenant_id, Booking([]), event_id="evt-9") is not None  # (exhausted)
    cascades.offer_lost(
        uow,
        tenant_id=tenant_id,
        event_id="evt-10",
        trigger="offer.declined",
        shift_id=booking.shift_id,
        client_id="client-1",
        worker_id="zed",
        offer_id=None,
        offer_next=down,
        now=NOW,
    )
    (kept,) = uow.session.execute(select(PendingStep)).scalars()
    assert kept.due_at == NOW + timedelta(seconds=1) and "did not answer" in kept.last_error
    assert cascades.retry_pending_steps(uow, offer_next=down, now=NOW) == 0  # not due yet
    later = NOW + timedelta(seconds=1)
    assert cascades.retry_pending_steps(uow, offer_next=down, now=later) == 1
    (kept,) = uow.session.execute(select(PendingStep)).scalars()
    assert kept.tries == 2 and kept.due_at == later + timedelta(seconds=2)
    sent = Outbox(uow)
    assert cascades.retry_pending_steps(uow, offer_next=booking, now=later + timedelta(seconds=2))
    assert sent.types() == ["cascade.started", "cascade.advanced"]
    assert uow.session.execute(select(PendingStep)).first() is None
    assert calls == ["rebooking:next:evt-10"] * 2
    assert booking.calls[0]["idempotency_key"] == "rebooking:next:evt-10"


# -- the sweep takes the expiry's step -----------------------------------------------------------


def sweep_with(booking, *, fails=()):
    """booking's expire_offers as the sweep sees it: every offer expired, each step asked for
    answered by `booking` (offer_next), but those of the offers in `fails` (not taken)."""
    asked = []

    def expire(items):
        asked.extend(items)
        answers = {}
        for offer_id, _key, step in items:
            answer = None
            if step is not None and offer_id not in fails:
                answer = booking(**step)
            answers[offer_id] = (deadline_rules.EXPIRED, None, answer)
        return answers

    return expire, asked


def test_the_sweep_takes_the_expirys_step_and_offer_expired_then_takes_none(uow, tenant_id):
    licensed(uow, tenant_id)
    booking = Booking(["ana", "bo"])
    zed = a_deadline(
        uow, tenant_id, shift_id=booking.shift_id, worker_id="zed", client_id="client-1"
    )
    expire, asked = sweep_with(booking)
    sent = Outbox(uow)
    steps = cascades.ExpirySteps(uow)
    assert deadlines.fire_due(uow, expire=expire, steps=steps, now=NOW) == {zed: "expired"}
    ((_, _, step),) = asked
    assert step["idempotency_key"] == f"rebooking:next:expired:{zed}"
    assert step["exclude_worker_ids"] == ["zed"] and step["shift_id"] == booking.shift_id
    assert sent.types() == ["cascade.started", "cascade.advanced"]
    ana = sent.one("cascade.advanced")["data"]
    assert ana["worker_id"] == "ana" and row(uow, zed).stepped_at is not None
    # Ana's deadline is a timer that knows its client, so the sweep takes her step too.
    assert row(uow, ana["offer_id"]).client_id == "client-1"

    # offer.expired of Zed's offer comes: the step is taken; booking is not asked again.
    sent = Outbox(uow)
    lose(uow, tenant_id, booking, worker="zed", trigger="offer.expired", offer_id=zed)
    assert sent.types() == [] and len(booking.calls) == 1

    # Ana's deadline passes too: the sweep moves the cascade on to Bo.
    uow.session.execute(
        OfferDeadline.__table__.update()
        .where(OfferDeadline.offer_id == ana["offer_id"])
        .values(due_at=NOW - timedelta(seconds=1))
    )
    sent = Outbox(uow)
    deadlines.fire_due(uow, expire=expire, steps=steps, now=NOW)
    bo = sent.one("cascade.advanced")["data"]
    assert (bo["worker_id"], bo["attempts"]) == ("bo", 2)
    assert booking.calls[-1]["exclude_worker_ids"] == ["ana", "zed"]
    outcomes = uow.session.execute(
        select(CascadeStep.worker_id, CascadeStep.outcome).order_by(CascadeStep.attempt)
    ).all()
    assert [tuple(r) for r in outcomes] == [("ana", "expired"), ("bo", "sent")]


def test_a_step_the_sweep_could_not_take_is_taken_after_offer_expired_with_its_key(uow, tenant_id):
    licensed(uow, tenant_id)
    booking = Booking(["ana"])
    zed = a_deadline(
        uow, tenant_id, shift_id=booking.shift_id, worker_id="zed", client_id="client-1"
    )
    expire, _ = sweep_with(booking, fails={zed})
    sent = Outbox(uow)
    deadlines.fire_due(uow, expire=expire, steps=cascades.ExpirySteps(uow), now=NOW)
    assert row(uow, zed).status == "fired" and row(uow, zed).stepped_at is None
    assert sent.types() == []
    lose(uow, tenant_id, booking, worker="zed", trigger="offer.expired", offer_id=zed)
    assert sent.types() == ["cascade.started", "cascade.advanced"]
    assert [c["idempotency_key"] for c in booking.calls] == [f"rebooking:next:expired:{zed}"]


def test_the_sweep_asks_nothing_without_the_licence_nor_while_a_step_holds_the_shift(
    uow, tenant_id, domain_engine
):
    booking = Booking(["ana"])
    unlicensed = a_deadline(
        uow, tenant_id, shift_id=booking.shift_id, worker_id="zed", client_id="client-1"
    )
    before = a_deadline(uow, tenant_id, shift_id="s2", worker_id="zed")  # no client recorded
    expire, asked = sweep_with(booking)
    steps = cascades.ExpirySteps(uow)
    deadlines.fire_due(uow, expire=expire, steps=steps, now=NOW)
    assert {offer_id: step for offer_id, _, step in asked} == {unlicensed: None, before: None}
    assert row(uow, unlicensed).stepped_at is not None  # nothing to do, and done
    assert row(uow, before).stepped_at is None  # left to offer.expired's handler

    licensed(uow, tenant_id)
    held = a_deadline(uow, tenant_id, shift_id="s3", worker_id="zed", client_id="client-1")
    with domain_engine(SERVICE).connect() as other:
        other.execute(text("SELECT pg_advisory_lock(hashtextextended('s3', 0))"))
        asked.clear()
        deadlines.fire_due(uow, expire=expire, steps=steps, now=NOW)
        other.execute(text("SELECT pg_advisory_unlock(hashtextextended('s3', 0))"))
    assert asked == [(held, f"rebooking:expire:{held}", None)]
    assert row(uow, held).stepped_at is None and booking.calls == []
