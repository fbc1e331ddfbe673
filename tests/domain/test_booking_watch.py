"""Market watch on booking's database: each section, its limits, another CBO's rows never
shown, and rebooking's cascade events learnt in any order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.booking.offers.models import EXPIRED, NO_SHOW
from services.booking.reliability.models import ReliabilityEntry, ReviewItem
from services.booking.watch import domain, rules
from services.booking.watch.models import CascadeRecord
from tests.market.bookings import an_assignment, an_offer
from tests.market.offers import a_market, a_market_shift, a_worker

SERVICE = "booking"
NOW = datetime.now(UTC).replace(microsecond=0)


def cascade_event(shift, *, cascade_id: str, attempts: int, **more) -> dict:
    return {
        "cascade_id": cascade_id,
        "shift_id": shift.id,
        "booking_id": shift.booking_id,
        "client_id": shift.client_id,
        "starts_at": shift.starts_at,
        "attempts": attempts,
        "max_attempts": 5,
        **more,
    }


def test_each_section_shows_what_staff_should_look_at(uow):
    market = a_market(uow)
    ana, ben, cy = (a_worker(uow, market, name=n) for n in ("Ana", "Ben", "Cy"))
    # An offer whose deadline is in 10 minutes, on a shift in 3 hours.
    soon = a_market_shift(uow, market, fill_mode="named", starts_at=NOW + timedelta(hours=3))
    near = an_offer(uow, shift=soon, worker=ana)
    near.deadline_at = NOW + timedelta(minutes=10)
    # An offer that expired an hour ago on a shift tomorrow, nobody offered since.
    later = a_market_shift(uow, market, fill_mode="named", starts_at=NOW + timedelta(hours=30))
    lapsed = an_offer(uow, shift=later, worker=ben, status=EXPIRED)
    lapsed.deadline_at = lapsed.responded_at = NOW - timedelta(hours=1)
    # A shift of this morning whose worker did not come.
    today = rules.windows(
        now=NOW, timezone="America/Los_Angeles", horizon_hours=1, deadline_minutes=1
    )
    this_morning = today.today_starts + (NOW - today.today_starts) / 2  # local today, past
    gone = a_market_shift(uow, market, fill_mode="named", starts_at=this_morning)
    place = an_assignment(uow, shift=gone, worker=cy)
    place.status, place.outcome_at = NO_SHOW, NOW
    # Cy's record: a no-show (3 points) this week.
    uow.session.add(
        ReliabilityEntry(
            tenant_id=market.tenant_id,
            worker_id=cy.id,
            kind="no_show",
            points=3,
            occurred_at=NOW - timedelta(hours=2),
            shift_id=gone.id,
            dedupe_key=f"no_show:{cy.id}:{gone.id}",
        )
    )
    # Ben is up for review.
    review = ReviewItem(tenant_id=market.tenant_id, worker_id=ben.id, active_points=9.0)
    uow.session.add(review)
    uow.session.flush()

    found = domain.market_watch(uow, tenant_id=market.tenant_id, now=NOW)

    [item] = found["offers_near_deadline"]["items"]
    assert (item["offer_id"], item["worker"]["name"], item["minutes_left"]) == (near.id, "Ana", 10)
    assert item["action"]["href"] == f"/api/v1/offers/{near.id}/withdraw"
    assert found["shifts_without_workers"]["total"] == 1  # `later` starts beyond 12 hours
    [unfilled] = found["shifts_without_workers"]["items"]
    assert (unfilled["shift_id"], unfilled["missing"], unfilled["pending_offers"]) == (
        soon.id,
        1,
        1,
    )
    assert unfilled["action"] == {
        "label": "Offer the shift to another worker",
        "method": "POST",
        "href": f"/api/v1/shifts/{soon.id}/offers",
    }
    [expired] = found["expired_offers"]["items"]
    assert (expired["offer_id"], expired["worker"]["name"], expired["pending_offers"]) == (
        lapsed.id,
        "Ben",
        0,
    )
    [no_show] = found["no_shows_today"]["items"]
    assert (no_show["assignment_id"], no_show["worker"]["name"]) == (place.id, "Cy")
    falling = {f["worker"]["name"]: f for f in found["reliability_falling"]["items"]}
    assert set(falling) == {"Ben", "Cy"}
    assert falling["Cy"]["recent_points"] == 3 and falling["Cy"]["review_id"] is None
    assert falling["Ben"]["review_id"] == review.id
    assert falling["Ben"]["action"]["href"] == f"/api/v1/reliability/reviews/{review.id}/close"

    # A wider horizon takes in tomorrow's shift; another CBO sees none of it.
    wider = domain.market_watch(uow, tenant_id=market.tenant_id, now=NOW, horizon_hours=48)
    assert {i["shift_id"] for i in wider["shifts_without_workers"]["items"]} == {
        soon.id,
        later.id,
    }
    other = a_market(uow)
    nothing = domain.market_watch(uow, tenant_id=other.tenant_id, now=NOW, horizon_hours=168)
    assert all(
        nothing[section]["total"] == 0 and nothing[section]["items"] == []
        for section in (
            "offers_near_deadline",
            "shifts_without_workers",
            "expired_offers",
            "no_shows_today",
            "cascades_running",
            "cascades_exhausted",
            "reliability_falling",
        )
    )


def test_a_section_gives_its_first_items_and_its_total(uow):
    market = a_market(uow)
    for hours in (5, 2, 3):
        a_market_shift(uow, market, fill_mode="open", starts_at=NOW + timedelta(hours=hours))
    found = domain.market_watch(uow, tenant_id=market.tenant_id, now=NOW, limit=2)
    section = found["shifts_without_workers"]
    assert section["total"] == 3
    assert [i["starts_at"] for i in section["items"]] == [
        NOW + timedelta(hours=2),
        NOW + timedelta(hours=3),
    ]


def test_cascades_are_learnt_in_any_order_and_ended_ones_stay_ended(uow):
    market = a_market(uow)
    shift = a_market_shift(uow, market, fill_mode="named", starts_at=NOW + timedelta(hours=6))
    ana = a_worker(uow, market, name="Ana")
    cascade_id = str(uuid.uuid4())
    t0 = NOW - timedelta(minutes=5)

    def learn(event_type: str, at: datetime, **data) -> CascadeRecord:
        return domain.learn_cascade(
            uow,
            tenant_id=market.tenant_id,
            event_type=event_type,
            data=cascade_event(shift, cascade_id=cascade_id, **data),
            occurred_at=at,
        )

    learn("cascade.started", t0, attempts=0, trigger="offer.expired", worker_id=ana.id)
    learn(
        "cascade.advanced",
        t0 + timedelta(minutes=1),
        attempts=1,
        offer_id=str(uuid.uuid4()),
        worker_id=ana.id,
        deadline_at=NOW + timedelta(minutes=20),
        source="ranking",
    )
    running = domain.market_watch(uow, tenant_id=market.tenant_id, now=NOW)["cascades_running"]
    [item] = running["items"]
    assert (item["cascade_id"], item["attempts"], item["offered"]["name"]) == (
        cascade_id,
        1,
        "Ana",
    )
    assert item["trigger"] == "offer.expired"
    # Exhausted, then a late `advanced` (sent earlier, delivered later): still exhausted.
    learn("rebooking.exhausted", t0 + timedelta(minutes=3), attempts=2, reason="attempts_used")
    record = learn(
        "cascade.advanced",
        t0 + timedelta(minutes=2),
        attempts=2,
        offer_id=str(uuid.uuid4()),
        worker_id=ana.id,
        deadline_at=NOW,
        source="ranking",
    )
    assert (record.state, record.attempts, record.reason) == ("exhausted", 2, "attempts_used")
    found = domain.market_watch(uow, tenant_id=market.tenant_id, now=NOW)
    assert found["cascades_running"]["total"] == 0
    [exhausted] = found["cascades_exhausted"]["items"]
    assert exhausted["reason"] == "attempts_used"
    assert exhausted["action"]["href"] == f"/api/v1/shifts/{shift.id}/offers"
    # Once the shift is filled, it leaves market watch.
    shift.filled, shift.status = shift.positions, "filled"
    uow.session.flush()
    after = domain.market_watch(uow, tenant_id=market.tenant_id, now=NOW)
    assert after["cascades_exhausted"]["total"] == 0
