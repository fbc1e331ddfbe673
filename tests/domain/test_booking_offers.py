"""Offers on booking's real database: each fill mode, the first confirmation winning, a full
shift withdrawing the other offers, answers refused with a clear 409, a suspension landing
between the offer and its confirmation, expiry by rebooking, staff offering and withdrawing,
the job seeker's and the shift's lists, twenty confirmations at once, and the tier sweep
with two sweepers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from chassis.errors import Conflict, NotFound, ValidationFailed
from services.booking.bookings import cancellations
from services.booking.bookings.models import Shift
from services.booking.offers import domain as offers
from services.booking.offers.models import Assignment, Offer
from services.booking.settings import rules as settings_rules
from services.booking.settings.domain import settings_for
from services.booking.workers.models import WorkerRecord
from tests.domain.outbox import Outbox
from tests.factories import staff_caller
from tests.market.offers import (
    a_committed_market,
    a_market,
    a_market_shift,
    a_worker,
    another_client,
    committed,
    in_days,
    jobseeker,
    make_due,
    offered_to,
    offers_of,
    set_settings,
)
from tests.market.recheck import everyone
from tests.market.search import an_assignment

SERVICE = "booking"

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def market(uow):
    return a_market(uow)


def start(uow, market, *shifts, now=NOW):
    return offers.start_filling(
        uow,
        eligible_now=everyone,
        caller=staff_caller(market.tenant_id),
        shifts=list(shifts),
        now=now,
    )


def confirm(uow, worker, offer, now=NOW):
    return offers.confirm_offer(
        uow,
        eligible_now=everyone,
        tenant_id=worker.tenant_id,
        worker_id=worker.id,
        offer_id=offer.id,
        now=now,
    )


def decline(uow, worker, offer, reason=None, now=NOW):
    return offers.decline_offer(
        uow,
        eligible_now=everyone,
        tenant_id=worker.tenant_id,
        worker_id=worker.id,
        offer_id=offer.id,
        reason=reason,
        now=now,
    )


def offer_of(uow, shift, worker) -> Offer:
    (found,) = [o for o in offers_of(uow, shift) if o.worker_id == worker.id]
    return found


def fresh(uow, shift) -> Shift:
    return uow.session.execute(
        select(Shift).where(Shift.id == shift.id).execution_options(populate_existing=True)
    ).scalar_one()


# -- named ---------------------------------------------------------------------------------------


def test_a_named_booking_offers_the_named_worker_with_the_settings_deadline(uow, market):
    ana = a_worker(uow, market, name="Ana")
    a_worker(uow, market, favourite=True)  # nobody else is offered a named shift
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id)
    sent = Outbox(uow)

    (offer,) = start(uow, market, shift)

    assert (offer.worker_id, offer.channel, offer.status) == (ana.id, "named", "sent")
    settings = settings_for(uow, tenant_id=market.tenant_id)
    assert offer.deadline_at == settings_rules.confirmation_deadline(
        sent_at=NOW, starts_at=shift.starts_at, settings=settings
    )
    event = sent.one("offer.sent")
    assert event["data"]["worker_id"] == ana.id
    assert event["data"]["channel"] == "named"
    assert event["data"]["booking_id"] == shift.booking_id
    assert event["tenant_id"] == market.tenant_id


def test_a_named_worker_who_cannot_work_the_shift_fails_the_booking_with_the_reasons(uow, market):
    bo = a_worker(uow, market, name="Bo", suspended=True)
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=bo.id)
    sent = Outbox(uow)

    with pytest.raises(Conflict) as refused:
        start(uow, market, shift)

    assert refused.value.message.startswith("Bo cannot be offered this shift: ")
    assert "suspended" in refused.value.message
    assert refused.value.fields["named_worker_id"]
    assert sent.events("offer.sent") == []


def test_a_named_worker_busy_on_one_of_several_shifts_fails_them_all_naming_that_one(uow, market):
    cy = a_worker(uow, market, name="Cy")
    first = a_market_shift(uow, market, fill_mode="named", named_worker_id=cy.id)
    second = a_market_shift(
        uow, market, fill_mode="named", named_worker_id=cy.id, starts_at=in_days(4)
    )
    busy = a_market_shift(
        uow, another_client(uow, market), fill_mode="open", starts_at=second.starts_at
    )
    an_assignment(uow, shift=busy, worker_id=cy.id)
    sent = Outbox(uow)

    with pytest.raises(Conflict) as refused:
        start(uow, market, first, second)

    assert (
        refused.value.message
        == "Cy cannot be offered this shift: "
        + "; ".join(refused.value.fields["named_worker_id"])
        + "."
    )
    assert sent.events("offer.sent") == []


def test_a_named_worker_booking_does_not_know_is_a_422(uow, market):
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id="nobody")
    with pytest.raises(ValidationFailed) as refused:
        start(uow, market, shift)
    assert refused.value.fields == {"named_worker_id": ["There is no such job seeker."]}


def test_a_declined_named_offer_tells_staff_and_offers_nobody_else(uow, market):
    ana = a_worker(uow, market)
    a_worker(uow, market, favourite=True)
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id)
    (offer,) = start(uow, market, shift)
    sent = Outbox(uow)

    decline(uow, ana, offer, reason="  I am away that week ")

    assert sent.types() == ["offer.declined"]
    assert sent.one("offer.declined")["data"]["reason"] == "  I am away that week "
    assert offered_to(uow, shift) == set()


# -- favourites ----------------------------------------------------------------------------------


def test_favourites_mode_offers_one_favourite_per_position_then_the_next_on_each_no(uow, market):
    fay = a_worker(uow, market, favourite=True, score=95)
    fin = a_worker(uow, market, favourite=True, score=90)
    flo = a_worker(uow, market, favourite=True, score=85)
    rae = a_worker(uow, market, score=99)
    shift = a_market_shift(uow, market, fill_mode="favourites", positions=2)

    sent = start(uow, market, shift)
    assert [(o.worker_id, o.channel) for o in sent] == [
        (fay.id, "favourites"),
        (fin.id, "favourites"),
    ]

    decline(uow, fay, offer_of(uow, shift, fay))
    assert offered_to(uow, shift) == {fin.id, flo.id}

    # Expired by rebooking after its deadline: the ranking comes after the favourites.
    late = offer_of(uow, shift, flo).deadline_at + timedelta(seconds=1)
    offers.expire_offer(
        uow,
        eligible_now=everyone,
        scope=market.tenant_id,
        offer_id=offer_of(uow, shift, flo).id,
        idempotency_key="k-flo",
        now=late,
    )
    (ranked,) = [o for o in offers_of(uow, shift, status="sent") if o.worker_id == rae.id]
    assert ranked.channel == "ranking"
    assert offered_to(uow, shift) == {fin.id, rae.id}


def test_favourites_mode_holds_one_live_offer_per_open_position_as_it_fills(uow, market):
    fay = a_worker(uow, market, favourite=True, score=95)
    fin = a_worker(uow, market, favourite=True, score=90)
    a_worker(uow, market, favourite=True, score=85)
    shift = a_market_shift(uow, market, fill_mode="favourites", positions=2)
    start(uow, market, shift)

    confirm(uow, fay, offer_of(uow, shift, fay))
    # One position left and one live offer for it: nobody new.
    assert offered_to(uow, shift) == {fin.id}


def test_favourites_mode_with_nobody_left_marks_the_shift_exhausted(uow, market):
    fay = a_worker(uow, market, favourite=True)
    shift = a_market_shift(uow, market, fill_mode="favourites")
    (offer,) = start(uow, market, shift)
    decline(uow, fay, offer)
    assert offered_to(uow, shift) == set()
    assert "exhausted_at" in fresh(uow, shift).fill_state


# -- open: tiers ---------------------------------------------------------------------------------


def test_an_open_shift_goes_to_the_favourites_first_then_after_the_delay_to_the_reliable(
    uow, market
):
    fay = a_worker(uow, market, favourite=True, score=70)
    rae = a_worker(uow, market, score=95)
    rex = a_worker(uow, market, score=85)
    eli = a_worker(uow, market, score=50)
    shift = a_market_shift(uow, market, fill_mode="open", positions=2)
    settings = settings_for(uow, tenant_id=market.tenant_id)
    delay = settings_rules.tier_delay(now=NOW, starts_at=shift.starts_at, settings=settings)

    start(uow, market, shift)
    shift = fresh(uow, shift)
    assert offered_to(uow, shift) == {fay.id}
    assert (shift.tier, shift.next_tier_at) == (0, NOW + delay)
    assert offer_of(uow, shift, fay).channel == "tier:favourites"

    # Not due yet: the sweep leaves it.
    assert (
        offers.release_due_tiers(uow, eligible_now=everyone, now=NOW + delay - timedelta(seconds=1))
        == 0
    )
    assert offered_to(uow, shift) == {fay.id}

    due = NOW + delay
    sent = Outbox(uow)
    assert offers.release_due_tiers(uow, eligible_now=everyone, now=due) == 1
    shift = fresh(uow, shift)
    assert offered_to(uow, shift) == {fay.id, rae.id, rex.id}
    assert [o.worker_id for o in offers_of(uow, shift) if o.channel == "tier:reliable"] == [
        rae.id,
        rex.id,
    ]
    assert len(sent.events("offer.sent")) == 2
    later = settings_rules.tier_delay(now=due, starts_at=shift.starts_at, settings=settings)
    assert (shift.tier, shift.next_tier_at) == (1, due + later)

    make_due(uow, shift, at=due)
    offers.release_due_tiers(uow, eligible_now=everyone, now=due + timedelta(seconds=1))
    assert eli.id in offered_to(uow, fresh(uow, shift))
    assert fresh(uow, shift).tier == 2


def test_the_cbos_tier_delay_sets_when_the_next_tier_is_due(uow, market):
    set_settings(
        uow, tenant_id=market.tenant_id, tier_delay_min_seconds=2, tier_delay_max_seconds=2
    )
    a_worker(uow, market, favourite=True)
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift)
    assert fresh(uow, shift).next_tier_at == NOW + timedelta(seconds=2)


def test_an_offer_for_a_shift_starting_soon_must_be_answered_before_it_starts(uow, market):
    set_settings(uow, tenant_id=market.tenant_id, confirm_before_start_minutes=0)
    ana = a_worker(uow, market)
    soon = NOW + timedelta(minutes=10)
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id, starts_at=soon)
    (offer,) = start(uow, market, shift)
    assert NOW < offer.deadline_at <= shift.starts_at


def test_empty_tiers_are_skipped_at_once(uow, market):
    eli = a_worker(uow, market, score=50)
    eve = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift)
    shift = fresh(uow, shift)
    # No favourites, nobody reliable: everyone eligible at once.
    assert shift.tier == 2
    assert offered_to(uow, shift) == {eli.id, eve.id}
    assert {o.channel for o in offers_of(uow, shift)} == {"tier:eligible"}
    assert shift.next_tier_at is not None  # partners are still to come

    make_due(uow, shift, at=NOW)
    offers.release_due_tiers(uow, eligible_now=everyone, now=NOW + timedelta(seconds=1))
    shift = fresh(uow, shift)
    # No partner shares the job type: the shift has gone through every tier.
    assert (shift.tier, shift.next_tier_at) == (3, None)
    assert "exhausted_at" in shift.fill_state


def test_a_started_shift_gets_no_more_tiers(uow, market):
    a_worker(uow, market, favourite=True)
    a_worker(uow, market, score=95)
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift)
    make_due(uow, shift, at=NOW)
    offers.release_due_tiers(uow, eligible_now=everyone, now=shift.starts_at + timedelta(minutes=1))
    shift = fresh(uow, shift)
    assert (shift.tier, shift.next_tier_at) == (0, None)
    assert len(offers_of(uow, shift)) == 1


# -- a position open again -----------------------------------------------------------------------


def cancel_place(uow, worker, assignment):
    """The worker gives their place up (the bookings area's cancellation)."""
    cancellations.cancel_assignment(
        uow,
        eligible_now=everyone,
        caller=jobseeker(worker),
        tenant_id=worker.tenant_id,
        assignment_id=assignment.id,
        reason="my car broke down",
    )


def test_an_open_shift_open_again_goes_through_its_tiers_again_without_who_gave_it_up(uow, market):
    ana, bo = a_worker(uow, market), a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift)
    place = confirm(uow, ana, offer_of(uow, shift, ana))
    assert offered_to(uow, shift) == set()  # Bo's offer was withdrawn: the shift filled
    sent = Outbox(uow)
    cancel_place(uow, ana, place)  # the cancellation resumes filling
    shift = fresh(uow, shift)
    assert (shift.status, shift.filled) == ("open", 0)
    assert offered_to(uow, shift) == {bo.id}
    assert sent.one("offer.sent")["data"]["worker_id"] == bo.id


def test_a_favourites_shift_open_again_offers_the_next_favourite(uow, market):
    fay = a_worker(uow, market, favourite=True, score=95)
    fin = a_worker(uow, market, favourite=True, score=90)
    shift = a_market_shift(uow, market, fill_mode="favourites")
    (offer,) = start(uow, market, shift)
    place = confirm(uow, fay, offer)
    cancel_place(uow, fay, place)  # the cancellation resumes filling
    assert offered_to(uow, shift) == {fin.id}


# -- confirming ----------------------------------------------------------------------------------


def test_the_first_confirmations_fill_the_shift_and_the_other_offers_are_withdrawn(uow, market):
    ana, bo, cy = (a_worker(uow, market, score=90) for _ in range(3))
    shift = a_market_shift(uow, market, fill_mode="open", positions=2)
    start(uow, market, shift)
    assert offered_to(uow, shift) == {ana.id, bo.id, cy.id}

    sent = Outbox(uow)
    first = confirm(uow, ana, offer_of(uow, shift, ana))
    assert sent.types() == ["offer.confirmed"]
    assert sent.one("offer.confirmed")["data"]["assignment_id"] == first.id
    assert fresh(uow, shift).filled == 1

    sent = Outbox(uow)
    second = confirm(uow, cy, offer_of(uow, shift, cy))
    shift = fresh(uow, shift)
    assert (shift.status, shift.filled, shift.next_tier_at) == ("filled", 2, None)
    assert sent.types() == ["offer.confirmed", "offer.withdrawn", "shift.filled"]
    withdrawn = sent.one("offer.withdrawn")["data"]
    assert (withdrawn["worker_id"], withdrawn["reason"]) == (bo.id, "shift filled")
    assert sorted(sent.one("shift.filled")["data"]["worker_ids"]) == sorted([ana.id, cy.id])
    assert offer_of(uow, shift, bo).status == "withdrawn"
    assignment = uow.session.get(Assignment, second.id)
    assert (assignment.worker_id, assignment.status, assignment.client_id) == (
        cy.id,
        "booked",
        market.client.id,
    )

    with pytest.raises(Conflict) as refused:
        confirm(uow, bo, offer_of(uow, shift, bo))
    assert refused.value.message == (
        "This offer was withdrawn (shift filled); it can no longer be confirmed."
    )


@pytest.mark.parametrize(
    ("ending", "message"),
    [
        ("confirm", "You have already confirmed this offer."),
        ("decline", "You declined this offer; it can no longer be confirmed."),
        ("expire", "expired at"),
        ("withdraw", "This offer was withdrawn (the client changed plans); it can no longer"),
    ],
)
def test_confirming_an_offer_that_has_ended_is_a_409_saying_why(uow, market, ending, message):
    ana = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="open", positions=2)
    start(uow, market, shift)
    offer = offer_of(uow, shift, ana)
    if ending == "confirm":
        confirm(uow, ana, offer)
    elif ending == "decline":
        decline(uow, ana, offer)
    elif ending == "expire":
        offers.expire_offer(
            uow,
            eligible_now=everyone,
            scope=None,
            offer_id=offer.id,
            idempotency_key=f"k-{offer.id}",
            now=offer.deadline_at,
        )
    else:
        offers.withdraw_offer(
            uow,
            eligible_now=everyone,
            caller=staff_caller(market.tenant_id),
            tenant_id=market.tenant_id,
            offer_id=offer.id,
            reason="the client changed plans",
        )
    with pytest.raises(Conflict) as refused:
        confirm(uow, ana, offer)
    assert message in refused.value.message


def test_an_offer_past_its_deadline_cannot_be_confirmed_nor_declined(uow, market):
    ana = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift)
    offer = offer_of(uow, shift, ana)
    with pytest.raises(Conflict, match="The time to answer this offer ended at"):
        confirm(uow, ana, offer, now=offer.deadline_at)
    with pytest.raises(Conflict, match="The time to answer this offer ended at"):
        decline(uow, ana, offer, now=offer.deadline_at + timedelta(hours=1))


def test_a_suspension_between_the_offer_and_the_confirmation_refuses_it_with_the_reason(
    uow, market
):
    ana = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift)
    offer = offer_of(uow, shift, ana)
    uow.session.get(WorkerRecord, ana.id).suspended = True  # identity's event landed
    uow.session.flush()
    sent = Outbox(uow)

    with pytest.raises(Conflict) as refused:
        confirm(uow, ana, offer)

    assert refused.value.message.startswith("You can no longer take this shift: ")
    assert any("suspended" in r for r in refused.value.fields["reasons"])
    assert sent.events() == []
    assert (
        uow.session.execute(select(Assignment).where(Assignment.shift_id == shift.id)).all() == []
    )


def test_a_new_overlapping_shift_between_the_offer_and_the_confirmation_refuses_it(uow, market):
    ana = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift)
    other = a_market_shift(
        uow, another_client(uow, market), fill_mode="open", starts_at=shift.starts_at
    )
    an_assignment(uow, shift=other, worker_id=ana.id)
    with pytest.raises(Conflict) as refused:
        confirm(uow, ana, offer_of(uow, shift, ana))
    assert refused.value.fields["reasons"]


def test_a_worker_answers_only_their_own_offers(uow, market):
    ana = a_worker(uow, market)
    bo = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id)
    (offer,) = start(uow, market, shift)
    with pytest.raises(NotFound):
        confirm(uow, bo, offer)
    with pytest.raises(NotFound):
        decline(uow, bo, offer)
    # The same worker id in another CBO is somebody else.
    with pytest.raises(NotFound):
        offers.confirm_offer(
            uow, eligible_now=everyone, tenant_id="another-cbo", worker_id=ana.id, offer_id=offer.id
        )
    assert offer_of(uow, shift, ana).status == "sent"


# -- expiry --------------------------------------------------------------------------------------


def test_expiry_before_the_deadline_is_a_409_and_after_it_ends_the_offer_once_per_key(uow, market):
    ana = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id)
    (offer,) = start(uow, market, shift)

    with pytest.raises(Conflict, match="has not expired yet"):
        offers.expire_offer(
            uow,
            eligible_now=everyone,
            scope=market.tenant_id,
            offer_id=offer.id,
            idempotency_key="k1",
            now=offer.deadline_at - timedelta(seconds=1),
        )

    sent = Outbox(uow)
    first = offers.expire_offer(
        uow,
        eligible_now=everyone,
        scope=market.tenant_id,
        offer_id=offer.id,
        idempotency_key="k1",
        now=offer.deadline_at,
    )
    assert first == {"offer_id": offer.id, "status": "expired", "expired": True}
    assert sent.types() == ["offer.expired"]
    assert sent.one("offer.expired")["data"]["worker_id"] == ana.id

    sent = Outbox(uow)
    again = offers.expire_offer(
        uow,
        eligible_now=everyone,
        scope=market.tenant_id,
        offer_id=offer.id,
        idempotency_key="k1",
        now=offer.deadline_at + timedelta(hours=1),
    )
    assert again == first
    other_key = offers.expire_offer(
        uow,
        eligible_now=everyone,
        scope=market.tenant_id,
        offer_id=offer.id,
        idempotency_key="k2",
        now=offer.deadline_at + timedelta(hours=1),
    )
    assert other_key == {"offer_id": offer.id, "status": "expired", "expired": False}
    assert sent.events() == []


def test_expiring_a_confirmed_offer_is_a_no_op_and_a_key_serves_one_offer(uow, market):
    ana, bo = a_worker(uow, market), a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="open", positions=2)
    start(uow, market, shift)
    confirm(uow, ana, offer_of(uow, shift, ana))
    answer = offers.expire_offer(
        uow,
        eligible_now=everyone,
        scope=None,
        offer_id=offer_of(uow, shift, ana).id,
        idempotency_key="kk",
        now=in_days(10),
    )
    assert answer["status"] == "confirmed" and answer["expired"] is False
    with pytest.raises(Conflict, match="idempotency key"):
        offers.expire_offer(
            uow,
            eligible_now=everyone,
            scope=None,
            offer_id=offer_of(uow, shift, bo).id,
            idempotency_key="kk",
            now=in_days(10),
        )


def test_expiry_is_scoped_to_the_callers_cbo(uow, market):
    ana = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id)
    (offer,) = start(uow, market, shift)
    with pytest.raises(NotFound):
        offers.expire_offer(
            uow,
            eligible_now=everyone,
            scope="another-cbo",
            offer_id=offer.id,
            idempotency_key="k",
            now=in_days(10),
        )


# -- staff ---------------------------------------------------------------------------------------


def test_staff_withdraw_an_offer_with_a_reason_and_the_favourites_move_on(uow, market):
    fay = a_worker(uow, market, favourite=True, score=95)
    fin = a_worker(uow, market, favourite=True, score=90)
    shift = a_market_shift(uow, market, fill_mode="favourites")
    (offer,) = start(uow, market, shift)
    assert offer.worker_id == fay.id
    sent = Outbox(uow)
    staff = staff_caller(market.tenant_id)

    offers.withdraw_offer(
        uow,
        eligible_now=everyone,
        caller=staff,
        tenant_id=market.tenant_id,
        offer_id=offer.id,
        reason="double-booked",
    )

    assert sent.types() == ["offer.withdrawn", "audit.recorded", "offer.sent"]
    assert sent.one("offer.withdrawn")["data"]["reason"] == "double-booked"
    (entry,) = sent.audit()
    assert (entry["action"], entry["entity_id"], entry["actor_id"]) == (
        "offer.withdraw",
        offer.id,
        staff.user_id,
    )
    assert offered_to(uow, shift) == {fin.id}
    with pytest.raises(Conflict, match="already withdrawn"):
        offers.withdraw_offer(
            uow,
            eligible_now=everyone,
            caller=staff,
            tenant_id=market.tenant_id,
            offer_id=offer.id,
            reason="again",
        )
    with pytest.raises(NotFound):
        offers.withdraw_offer(
            uow,
            eligible_now=everyone,
            caller=staff,
            tenant_id="another-cbo",
            offer_id=offer.id,
            reason="x",
        )


def test_staff_offer_an_open_shift_to_a_named_worker_rechecked_by_the_search(uow, market):
    ana = a_worker(uow, market)
    bo = a_worker(uow, market, suspended=True, name="Bo")
    shift = a_market_shift(uow, market, fill_mode="open")
    staff = staff_caller(market.tenant_id)
    sent = Outbox(uow)

    offer = offers.offer_shift(
        uow,
        eligible_now=everyone,
        caller=staff,
        tenant_id=market.tenant_id,
        shift_id=shift.id,
        worker_id=ana.id,
    )
    assert (offer.worker_id, offer.channel, offer.status) == (ana.id, "named", "sent")
    assert sent.types() == ["offer.sent", "audit.recorded"]

    with pytest.raises(Conflict, match="already has an offer for this shift"):
        offers.offer_shift(
            uow,
            eligible_now=everyone,
            caller=staff,
            tenant_id=market.tenant_id,
            shift_id=shift.id,
            worker_id=ana.id,
        )
    with pytest.raises(Conflict) as refused:
        offers.offer_shift(
            uow,
            eligible_now=everyone,
            caller=staff,
            tenant_id=market.tenant_id,
            shift_id=shift.id,
            worker_id=bo.id,
        )
    assert refused.value.message.startswith("Bo cannot be offered this shift: ")
    assert refused.value.fields["jobseeker_id"]
    with pytest.raises(ValidationFailed):
        offers.offer_shift(
            uow,
            eligible_now=everyone,
            caller=staff,
            tenant_id=market.tenant_id,
            shift_id=shift.id,
            worker_id="nobody",
        )
    with pytest.raises(NotFound):
        offers.offer_shift(
            uow,
            eligible_now=everyone,
            caller=staff,
            tenant_id="another-cbo",
            shift_id=shift.id,
            worker_id=ana.id,
        )


def test_a_worker_of_another_cbo_does_not_exist_for_a_staff_offer(uow, market):
    other = a_market(uow)
    stranger = a_worker(uow, other)
    shift = a_market_shift(uow, market, fill_mode="open")
    with pytest.raises(ValidationFailed) as refused:
        offers.offer_shift(
            uow,
            eligible_now=everyone,
            caller=staff_caller(market.tenant_id),
            tenant_id=market.tenant_id,
            shift_id=shift.id,
            worker_id=stranger.id,
        )
    assert refused.value.fields == {"jobseeker_id": ["There is no such job seeker."]}


def test_a_filled_shift_takes_no_more_offers(uow, market):
    ana, bo = a_worker(uow, market), a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id)
    (offer,) = start(uow, market, shift)
    confirm(uow, ana, offer)
    with pytest.raises(Conflict, match="This shift is filled"):
        offers.offer_shift(
            uow,
            eligible_now=everyone,
            caller=staff_caller(market.tenant_id),
            tenant_id=market.tenant_id,
            shift_id=shift.id,
            worker_id=bo.id,
        )


# -- reading -------------------------------------------------------------------------------------


def test_a_job_seeker_lists_their_own_offers_and_shifts_with_the_shift_details(uow, market):
    ana, bo = a_worker(uow, market), a_worker(uow, market)
    one = a_market_shift(uow, market, fill_mode="open")
    two = a_market_shift(uow, market, fill_mode="open", starts_at=in_days(5))
    start(uow, market, one, two)
    confirm(uow, ana, offer_of(uow, one, ana))

    page = offers.list_my_offers(
        uow, tenant_id=market.tenant_id, worker_id=ana.id, page=1, per_page=50, sort="starts_at"
    )
    assert page["total"] == 2
    first, second = page["items"]
    assert (first["status"], second["status"]) == ("confirmed", "sent")
    assert first["assignment_id"] is not None and second["assignment_id"] is None
    details = first["shift"]
    assert details["id"] == one.id
    assert details["site"].id == market.site.id
    assert details["job_type"].name == market.job_type.name
    assert details["client"] == {"id": market.client.id, "name": market.client.name}
    assert details["pay_rate_cents"] == market.job_type.pay_rate_cents
    assert details["timezone"] == market.site.timezone

    sent_only = offers.list_my_offers(
        uow,
        tenant_id=market.tenant_id,
        worker_id=ana.id,
        page=1,
        per_page=50,
        sort="-created_at",
        status="sent",
    )
    assert [o["id"] for o in sent_only["items"]] == [offer_of(uow, two, ana).id]

    shifts = offers.list_my_shifts(
        uow, tenant_id=market.tenant_id, worker_id=ana.id, page=1, per_page=50, sort="starts_at"
    )
    assert [s["shift"]["id"] for s in shifts["items"]] == [one.id]
    nothing = offers.list_my_shifts(
        uow, tenant_id=market.tenant_id, worker_id=bo.id, page=1, per_page=50, sort="starts_at"
    )
    assert nothing["total"] == 0
    with pytest.raises(NotFound):
        offers.my_offer(
            uow, tenant_id=market.tenant_id, worker_id=bo.id, offer_id=offer_of(uow, one, ana).id
        )


def test_staff_and_the_shifts_client_list_its_offers_and_another_client_gets_404(uow, market):
    ana = a_worker(uow, market, name="Ana")
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift)
    for client_id in (None, market.client.id):
        page = offers.list_shift_offers(
            uow,
            tenant_id=market.tenant_id,
            client_id=client_id,
            shift_id=shift.id,
            page=1,
            per_page=50,
            sort="created_at",
        )
        assert [(o["worker"], o["status"]) for o in page["items"]] == [
            ({"id": ana.id, "name": "Ana"}, "sent")
        ]
    other = another_client(uow, market)
    with pytest.raises(NotFound):
        offers.list_shift_offers(
            uow,
            tenant_id=market.tenant_id,
            client_id=other.client.id,
            shift_id=shift.id,
            page=1,
            per_page=50,
            sort="created_at",
        )
    with pytest.raises(NotFound):
        offers.list_shift_offers(
            uow,
            tenant_id="another-cbo",
            client_id=None,
            shift_id=shift.id,
            page=1,
            per_page=50,
            sort="created_at",
        )


# -- at the same instant -------------------------------------------------------------------------


def test_twenty_workers_confirming_the_last_position_at_once_give_one_winner(domain_engine):
    engine = domain_engine("booking")
    with committed(engine) as uow:
        market = a_committed_market(uow)
        workers = [a_worker(uow, market, score=90) for _ in range(20)]
        shift = a_market_shift(uow, market, fill_mode="open")
        start(uow, market, shift)
        offer_ids = {o.worker_id: o.id for o in offers_of(uow, shift)}
        assert len(offer_ids) == 20
        uow.commit()

        ready = threading.Barrier(20)
        outcomes: dict[str, str] = {}

        def confirm_alone(worker) -> None:
            with committed(engine) as mine:
                ready.wait()
                try:
                    offers.confirm_offer(
                        mine,
                        eligible_now=everyone,
                        tenant_id=worker.tenant_id,
                        worker_id=worker.id,
                        offer_id=offer_ids[worker.id],
                    )
                    mine.commit()
                    outcomes[worker.id] = "won"
                except Conflict as refused:
                    outcomes[worker.id] = refused.message

        threads = [threading.Thread(target=confirm_alone, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert len(outcomes) == 20
        winners = [w for w, outcome in outcomes.items() if outcome == "won"]
        assert len(winners) == 1
        assert set(outcomes.values()) == {
            "won",
            "This offer was withdrawn (shift filled); it can no longer be confirmed.",
        }
        shift = uow.session.execute(
            select(Shift).where(Shift.id == shift.id).execution_options(populate_existing=True)
        ).scalar_one()
        assert (shift.filled, shift.status) == (1, "filled")
        places = (
            uow.session.execute(select(Assignment.worker_id).where(Assignment.shift_id == shift.id))
            .scalars()
            .all()
        )
        assert places == winners
        assert {o.status for o in offers_of(uow, shift)} == {"confirmed", "withdrawn"}


def test_two_sweepers_release_a_due_tier_once(domain_engine):
    engine = domain_engine("booking")
    with committed(engine) as uow:
        market = a_committed_market(uow)
        a_worker(uow, market, favourite=True)
        reliable = [a_worker(uow, market, score=95) for _ in range(3)]
        shift = a_market_shift(uow, market, fill_mode="open")
        start(uow, market, shift)
        make_due(uow, shift, at=NOW)
        uow.commit()

        with committed(engine) as first, committed(engine) as second:
            assert (
                offers.release_due_tiers(
                    first, eligible_now=everyone, now=NOW + timedelta(seconds=1)
                )
                == 1
            )
            # The first holds the shift: the second skips it instead of waiting for it.
            assert (
                offers.release_due_tiers(
                    second, eligible_now=everyone, now=NOW + timedelta(seconds=1)
                )
                == 0
            )
            first.commit()
            second.rollback()
            # Once the first has committed, the tier is no longer due.
            assert (
                offers.release_due_tiers(
                    second, eligible_now=everyone, now=NOW + timedelta(seconds=2)
                )
                == 0
            )
            second.rollback()

        tiers = [o.channel for o in offers_of(uow, shift)]
        assert sorted(tiers) == ["tier:favourites", *["tier:reliable"] * len(reliable)]


def test_a_client_user_never_sees_why_a_worker_declined_or_was_stood_down(uow, market):
    # A decline reason is the worker's own words (and "worker suspended" is identity's word on
    # them): the shift's staff see it, its client's users see only that the offer ended.
    ana = a_worker(uow, market, name="Ana")
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift)
    decline(uow, ana, offer_of(uow, shift, ana), reason="My child is ill")

    def reasons(client_id):
        page = offers.list_shift_offers(
            uow,
            tenant_id=market.tenant_id,
            client_id=client_id,
            shift_id=shift.id,
            page=1,
            per_page=50,
            sort="created_at",
        )
        return [(o["status"], o["end_reason"]) for o in page["items"]]

    assert reasons(None) == [("declined", "My child is ill")]
    assert reasons(market.client.id) == [("declined", None)]


def test_staff_expiring_an_offer_leave_an_audit_entry_and_rebooking_does_not(uow, market):
    ana, bo = a_worker(uow, market), a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="open", positions=2)
    start(uow, market, shift)
    owner = staff_caller(market.tenant_id)
    for worker, caller, key in ((ana, owner, "k-staff"), (bo, None, "k-rebooking")):
        offer = offer_of(uow, shift, worker)
        sent = Outbox(uow)
        offers.expire_offer(
            uow,
            eligible_now=everyone,
            scope=market.tenant_id,
            offer_id=offer.id,
            idempotency_key=key,
            now=offer.deadline_at,
            caller=caller,
        )
        if caller is None:
            assert "audit.recorded" not in sent.types()
            continue
        (entry,) = sent.audit()
        assert (entry["action"], entry["entity_id"], entry["actor_id"]) == (
            "offer.expire",
            offer.id,
            owner.user_id,
        )
        assert (entry["before"], entry["after"]) == ({"status": "sent"}, {"status": "expired"})
    # The same key again answers as before and records nothing more.
    sent = Outbox(uow)
    offers.expire_offer(
        uow,
        eligible_now=everyone,
        scope=market.tenant_id,
        offer_id=offer_of(uow, shift, ana).id,
        idempotency_key="k-staff",
        now=NOW + timedelta(days=1),
        caller=owner,
    )
    assert sent.events() == []


def test_an_idempotency_key_is_its_cbos_alone(uow, market):
    """Another CBO using the same key on its own offer neither blocks nor answers for this
    CBO's command."""
    other = a_market(uow)
    ours = a_market_shift(uow, market, fill_mode="named", named_worker_id=a_worker(uow, market).id)
    theirs = a_market_shift(uow, other, fill_mode="named", named_worker_id=a_worker(uow, other).id)
    (our_offer,) = start(uow, market, ours)
    (their_offer,) = start(uow, other, theirs)
    for scope, offer in ((other.tenant_id, their_offer), (market.tenant_id, our_offer)):
        answer = offers.expire_offer(
            uow,
            eligible_now=everyone,
            scope=scope,
            offer_id=offer.id,
            idempotency_key="shared-key",
            now=offer.deadline_at,
        )
        assert answer == {"offer_id": offer.id, "status": "expired", "expired": True}
