"""Identity's re-check at the moment of an offer, on booking's real database, with a stand-in
for identity (the port's test double, tests/market/recheck.py): booking's read model still has
the worker as eligible, identity no longer does (a suspension landing between the search and
the offer). A named worker identity refuses fails the booking with the reason; staff cannot
offer them a shift; favourites and tier candidates it refuses are skipped; their confirmation
is a 409; when identity cannot be reached nothing is sent. And a worker identity suspended or
whose account it closed is stood down: live offers withdrawn, places on shifts still to come
cancelled, the positions filled again; once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from chassis.errors import Conflict, ServiceUnavailable
from services.booking.bookings import cancellations
from services.booking.offers import domain as offers
from services.booking.offers import rules
from services.booking.offers.models import Assignment, Offer
from services.booking.workers.models import WorkerRecord
from tests.domain.outbox import Outbox
from tests.factories import staff_caller, system_caller
from tests.market.offers import a_market, a_market_shift, a_worker, in_days, make_due, offers_of
from tests.market.recheck import Identity, everyone, unreachable
from tests.market.search import an_assignment

SERVICE = "booking"

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def market(uow):
    return a_market(uow)


def start(uow, market, *shifts, identity):
    return offers.start_filling(
        uow,
        caller=staff_caller(market.tenant_id),
        shifts=list(shifts),
        eligible_now=identity,
        now=NOW,
    )


def fresh(uow, row):
    model = type(row)
    query = select(model).where(model.id == row.id).execution_options(populate_existing=True)
    return uow.session.execute(query).scalar_one()


def live(uow, shift) -> set[str]:
    return {o.worker_id for o in offers_of(uow, shift, status="sent")}


def offer_of(uow, shift, worker) -> Offer:
    (found,) = [o for o in offers_of(uow, shift) if o.worker_id == worker.id]
    return found


# -- named -----------------------------------------------------------------------------------------


def test_a_named_worker_identity_refuses_fails_the_booking_with_the_reason(uow, market):
    bo = a_worker(uow, market, name="Bo")  # booking's read model: eligible
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=bo.id)
    identity = Identity(bo.id)
    sent = Outbox(uow)

    with pytest.raises(Conflict) as refused:
        start(uow, market, shift, identity=identity)

    assert refused.value.message == f"Bo cannot be offered this shift: {rules.RECHECK_REFUSED}."
    assert refused.value.fields["named_worker_id"] == [rules.RECHECK_REFUSED]
    assert sent.events("offer.sent") == []
    assert identity.asked == [(market.job_type.key, market.tenant_id, [bo.id])]


def test_a_named_worker_identity_refuses_fails_every_shift_of_a_repeating_booking(uow, market):
    bo = a_worker(uow, market, name="Bo")
    shifts = [
        a_market_shift(uow, market, fill_mode="named", named_worker_id=bo.id, starts_at=in_days(d))
        for d in (3, 4, 5)
    ]
    sent = Outbox(uow)
    with pytest.raises(Conflict) as refused:
        start(uow, market, *shifts, identity=Identity(bo.id))
    assert refused.value.message == "Bo cannot be offered 3 of these shifts."
    assert all(rules.RECHECK_REFUSED in line for line in refused.value.fields["named_worker_id"])
    assert sent.events() == []


def test_the_read_models_reasons_come_first_and_identity_is_not_asked_then(uow, market):
    bo = a_worker(uow, market, name="Bo", suspended=True)
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=bo.id)
    identity = Identity()
    with pytest.raises(Conflict, match="suspended"):
        start(uow, market, shift, identity=identity)
    assert identity.asked == []


def test_a_named_worker_identity_clears_is_offered(uow, market):
    ana = a_worker(uow, market, name="Ana")
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id)
    (offer,) = start(uow, market, shift, identity=Identity())
    assert (offer.worker_id, offer.status) == (ana.id, "sent")


def test_when_identity_cannot_be_reached_nothing_is_sent(uow, market):
    ana = a_worker(uow, market, favourite=True)
    named = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id)
    favourites = a_market_shift(uow, market, fill_mode="favourites", starts_at=in_days(4))
    sent = Outbox(uow)
    for shift in (named, favourites):
        with pytest.raises(ServiceUnavailable):
            start(uow, market, shift, identity=unreachable)
    assert sent.events("offer.sent") == []


def test_staff_cannot_offer_a_shift_to_a_worker_identity_refuses(uow, market):
    bo = a_worker(uow, market, name="Bo")
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift, identity=Identity(bo.id))
    assert live(uow, shift) == set()  # the only candidate was refused: no tier sent
    sent = Outbox(uow)

    with pytest.raises(Conflict) as refused:
        offers.offer_shift(
            uow,
            caller=staff_caller(market.tenant_id),
            tenant_id=market.tenant_id,
            shift_id=shift.id,
            worker_id=bo.id,
            eligible_now=Identity(bo.id),
        )

    assert refused.value.fields["jobseeker_id"] == [rules.RECHECK_REFUSED]
    assert sent.events() == []


# -- favourites and tiers ---------------------------------------------------------------------


def test_favourites_mode_skips_a_favourite_identity_refuses(uow, market):
    fay = a_worker(uow, market, favourite=True, score=95)
    fin = a_worker(uow, market, favourite=True, score=90)
    rae = a_worker(uow, market, score=99)
    shift = a_market_shift(uow, market, fill_mode="favourites", positions=2)

    sent = start(uow, market, shift, identity=Identity(fay.id))

    assert [(o.worker_id, o.channel) for o in sent] == [
        (fin.id, "favourites"),
        (rae.id, "ranking"),
    ]


def test_favourites_mode_reads_further_when_the_recheck_refuses_a_whole_page(uow, market):
    refused = [a_worker(uow, market, score=99 - n) for n in range(2)]
    next_one = a_worker(uow, market, score=50)
    shift = a_market_shift(uow, market, fill_mode="favourites", positions=2)
    identity = Identity(*(w.id for w in refused))

    sent = start(uow, market, shift, identity=identity)

    assert [o.worker_id for o in sent] == [next_one.id]
    assert {w.id for w in refused} | {next_one.id} <= identity.asked_about()


def test_an_open_shift_skips_a_tier_identity_refuses_everyone_of(uow, market):
    fay = a_worker(uow, market, favourite=True, score=70)
    rae = a_worker(uow, market, score=95)
    rex = a_worker(uow, market, score=92)
    shift = a_market_shift(uow, market, fill_mode="open")

    start(uow, market, shift, identity=Identity(fay.id, rex.id))

    shift = fresh(uow, shift)
    # The favourites' tier had nobody identity clears: the reliable tier went out at once,
    # without Rex.
    assert shift.tier == 1
    assert live(uow, shift) == {rae.id}
    assert {o.channel for o in offers_of(uow, shift)} == {"tier:reliable"}


def test_the_sweep_asks_identity_before_a_due_tier_goes_out(uow, market):
    fay = a_worker(uow, market, favourite=True, score=70)
    rae = a_worker(uow, market, score=95)
    eli = a_worker(uow, market, score=50)
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift, identity=everyone)
    make_due(uow, shift, at=NOW)
    identity = Identity(rae.id)

    assert offers.release_due_tiers(uow, eligible_now=identity, now=NOW + timedelta(seconds=1))

    shift = fresh(uow, shift)
    # Rae, the only reliable worker, is refused: the eligible tier goes out instead.
    assert shift.tier == 2
    assert live(uow, shift) == {fay.id, eli.id}
    assert rae.id in identity.asked_about()


# -- confirming ---------------------------------------------------------------------------------


def test_a_confirmation_identity_refuses_is_a_409_and_nothing_is_booked(uow, market):
    bo = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=bo.id)
    (offer,) = start(uow, market, shift, identity=everyone)
    sent = Outbox(uow)

    with pytest.raises(Conflict) as refused:
        offers.confirm_offer(
            uow,
            tenant_id=bo.tenant_id,
            worker_id=bo.id,
            offer_id=offer.id,
            eligible_now=Identity(bo.id),
            now=NOW,
        )

    assert refused.value.message == f"You can no longer be booked: {rules.RECHECK_REFUSED_YOU}."
    assert refused.value.fields == {"reasons": [rules.RECHECK_REFUSED_YOU]}
    assert sent.events() == []
    assert fresh(uow, offer).status == "sent"
    assert (
        uow.session.execute(select(Assignment).where(Assignment.shift_id == shift.id)).all() == []
    )


def test_a_confirmation_identity_cannot_check_is_a_503(uow, market):
    ana = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id)
    (offer,) = start(uow, market, shift, identity=everyone)
    with pytest.raises(ServiceUnavailable):
        offers.confirm_offer(
            uow,
            tenant_id=ana.tenant_id,
            worker_id=ana.id,
            offer_id=offer.id,
            eligible_now=unreachable,
            now=NOW,
        )
    assert fresh(uow, offer).status == "sent"


def test_an_ended_offer_is_refused_for_what_it_is_without_asking_identity(uow, market):
    ana = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id)
    (offer,) = start(uow, market, shift, identity=everyone)
    offer.status = "withdrawn"
    uow.session.flush()
    with pytest.raises(Conflict, match="withdrawn"):
        offers.confirm_offer(
            uow,
            tenant_id=ana.tenant_id,
            worker_id=ana.id,
            offer_id=offer.id,
            eligible_now=unreachable,
            now=NOW,
        )


# -- standing a worker down ---------------------------------------------------------------------


def stand_down(uow, worker, reason=cancellations.WORKER_SUSPENDED, occurred_at=None, **kw):
    return cancellations.stand_down_worker(
        uow,
        caller=system_caller(service="booking", tenant_id=worker.tenant_id),
        tenant_id=worker.tenant_id,
        worker_id=worker.id,
        reason=reason,
        occurred_at=occurred_at or datetime.now(UTC),
        eligible_now=kw.pop("eligible_now", everyone),
        **kw,
    )


def suspend_in_read_model(uow, worker, at=None):
    worker.suspended, worker.status_event_at = True, at or datetime.now(UTC)
    uow.session.flush()


def test_a_suspended_worker_is_stood_down_and_the_positions_filled_again(uow, market):
    bo = a_worker(uow, market, favourite=True, score=99)
    cy = a_worker(uow, market, favourite=True, score=60)
    # Bo holds an offer of a favourites shift, a place on an open one, and worked yesterday.
    offered = a_market_shift(uow, market, fill_mode="favourites")
    start(uow, market, offered, identity=everyone)
    assert live(uow, offered) == {bo.id}
    booked = a_market_shift(uow, market, fill_mode="open", starts_at=in_days(5))
    start(uow, market, booked, identity=everyone)
    place = offers.confirm_offer(
        uow,
        tenant_id=bo.tenant_id,
        worker_id=bo.id,
        offer_id=offer_of(uow, booked, bo).id,
        eligible_now=everyone,
        now=NOW,
    )
    assert fresh(uow, booked).status == "filled"
    worked = a_market_shift(uow, market, fill_mode="open", starts_at=in_days(-1))
    past = an_assignment(uow, shift=worked, worker_id=bo.id)
    suspend_in_read_model(uow, bo)  # the workers area's handler may run before or after
    sent = Outbox(uow)

    done = stand_down(uow, bo, now=NOW)

    assert [o.shift_id for o in done.offers] == [offered.id]
    assert [a.id for a in done.assignments] == [place.id]
    assert offer_of(uow, offered, bo).status == "withdrawn"
    assert offer_of(uow, offered, bo).end_reason == "worker suspended"
    place = fresh(uow, place)
    assert (place.status, place.cancelled_by_kind, place.cancel_reason, place.late) == (
        "cancelled",
        "staff",
        "worker suspended",
        False,
    )
    assert fresh(uow, past).status == "booked"  # a shift already worked is left as it was
    booked = fresh(uow, booked)
    assert (booked.status, booked.filled) == ("open", 0)
    # Both positions are offered again, to Cy (never to Bo again).
    assert live(uow, offered) == {cy.id}
    assert live(uow, booked) == {cy.id}
    withdrawn = sent.one("offer.withdrawn")["data"]
    assert (withdrawn["worker_id"], withdrawn["reason"]) == (bo.id, "worker suspended")
    cancelled = sent.one("assignment.cancelled")
    assert cancelled["data"]["assignment_id"] == place.id
    assert cancelled["data"]["cancelled_by_kind"] == "staff"
    assert cancelled["data"]["reason"] == "worker suspended"
    assert cancelled["data"]["late"] is False
    assert cancelled["tenant_id"] == market.tenant_id
    assert {e["data"]["worker_id"] for e in sent.events("offer.sent")} == {cy.id}

    # The same event again (a redelivery): nothing left to end, nothing sent.
    again = Outbox(uow)
    redone = stand_down(uow, bo, now=NOW)
    assert (redone.offers, redone.assignments) == ([], [])
    assert again.events() == []


def test_a_closed_account_is_stood_down_too(uow, market):
    bo = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift, identity=everyone)
    sent = Outbox(uow)

    done = stand_down(uow, bo, reason=cancellations.ACCOUNT_CLOSED, now=NOW)

    assert [o.worker_id for o in done.offers] == [bo.id]
    assert sent.one("offer.withdrawn")["data"]["reason"] == "account closed"


def test_a_suspension_older_than_a_reinstatement_stands_nobody_down(uow, market):
    bo = a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="open")
    start(uow, market, shift, identity=everyone)
    suspended_at = datetime.now(UTC) - timedelta(minutes=5)
    # The reinstatement, a minute after the suspension, reached the read model first.
    record = uow.session.get(WorkerRecord, bo.id)
    record.suspended, record.status_event_at = False, suspended_at + timedelta(minutes=1)
    uow.session.flush()
    sent = Outbox(uow)

    done = stand_down(uow, bo, occurred_at=suspended_at, now=NOW)

    assert (done.offers, done.assignments) == ([], [])
    assert live(uow, shift) == {bo.id}
    assert sent.events() == []


def test_standing_down_touches_only_that_worker(uow, market):
    bo, cy = a_worker(uow, market), a_worker(uow, market)
    shift = a_market_shift(uow, market, fill_mode="open", positions=2)
    start(uow, market, shift, identity=everyone)
    other_cbo = a_market(uow)
    same_id_elsewhere = a_market_shift(uow, other_cbo, fill_mode="open")
    an_assignment(uow, shift=same_id_elsewhere, worker_id=bo.id)  # another CBO's worker id

    done = stand_down(uow, bo, now=NOW)

    assert [o.worker_id for o in done.offers] == [bo.id]
    assert done.assignments == []
    assert live(uow, shift) == {cy.id}
    assert fresh(uow, same_id_elsewhere).status == "open"


def test_standing_down_does_not_wait_for_the_read_model(uow, market):
    bo = a_worker(uow, market, favourite=True, score=99)
    cy = a_worker(uow, market, favourite=True, score=60)
    shift = a_market_shift(uow, market, fill_mode="favourites")
    start(uow, market, shift, identity=everyone)
    # The workers area has not applied the suspension yet; identity has it.

    done = stand_down(uow, bo, eligible_now=Identity(bo.id), now=NOW)

    assert [o.worker_id for o in done.offers] == [bo.id]
    assert live(uow, shift) == {cy.id}


def test_a_worker_is_stood_down_only_as_suspended_or_closed(uow, market):
    bo = a_worker(uow, market)
    with pytest.raises(ValueError):
        stand_down(uow, bo, reason="felt like it", now=NOW)
