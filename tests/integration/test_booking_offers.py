"""Booking's offers on the real service: rebooking expires an offer through booking's typed
client (errors crossing RPC as themselves, another service's system refused, the answer the
same for the same key), and the service's own timer releases an open shift's tier once it is
due, to the workers the real identity service clears (re-checked at the moment of the offer)
and not to one identity has suspended since."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from chassis.context import Caller, context_data_for
from chassis.contracts.booking_rpc import BookingClient, ExpiredOffer
from chassis.db import UnitOfWork, make_engine
from chassis.errors import Conflict, Forbidden, NotFound
from chassis.tables import outbox
from deploy.catalogue import SERVICE_CLASSES, load_class
from deploy.migrate import migrate
from services.booking.bookings.models import Shift
from services.booking.offers import domain as offers
from services.booking.offers.models import Offer
from services.identity.jobseekers import domain as jobseekers
from tests.factories import a_jobseeker, a_projected_cbo, staff_caller
from tests.integration.test_rpc_contracts import StandaloneServices, empty
from tests.market.offers import a_market, a_market_shift, a_worker, offers_of
from tests.market.recheck import a_worker_known_as, everyone
from tests.waiting import wait_for


@pytest.fixture(scope="module")
def engine(settings):
    migrate(settings, ["booking"], quiet=True)
    engine = make_engine(settings.database_url("booking"))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def identity_engine(settings):
    migrate(settings, ["identity"], quiet=True)
    engine = make_engine(settings.database_url("identity"))
    yield engine
    engine.dispose()


@pytest.fixture
def booking(container_factory, service_config, settings, engine):
    """The booking service (its tier sweep every 0.1 s); `with booking(caller) as services:`
    calls it as `caller`."""
    empty(engine)
    config = service_config(tier_sweep_seconds=0.1)
    container_factory(load_class(SERVICE_CLASSES["booking"]), config).start()

    @contextmanager
    def open_as(caller: Caller) -> Iterator[StandaloneServices]:
        data = context_data_for(caller, settings.context_secret)
        with ClusterRpcProxy(config, context_data=data, timeout=30) as proxy:
            yield StandaloneServices(proxy)

    return open_as


@contextmanager
def unit(engine, source: str = "booking") -> Iterator[UnitOfWork]:
    work = UnitOfWork(Session(engine, expire_on_commit=False), source=source)
    try:
        yield work
        work.commit()
    finally:
        work.close()


def test_rebooking_expires_an_offer_through_bookings_client(booking, engine):
    with unit(engine) as uow:
        market = a_market(uow)
        ana = a_worker(uow, market)
        shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=ana.id)
        (offer,) = offers.start_filling(
            uow, eligible_now=everyone, caller=staff_caller(market.tenant_id), shifts=[shift]
        )
    rebooking = Caller.system(service="rebooking", tenant_id=market.tenant_id)

    with booking(rebooking) as services:
        client = BookingClient(services)
        with pytest.raises(Conflict, match="has not expired yet"):
            client.expire_offer(offer_id=offer.id, idempotency_key="rb-1")
        with engine.begin() as conn:
            past = datetime.now(UTC) - timedelta(minutes=1)
            conn.execute(update(Offer).where(Offer.id == offer.id).values(deadline_at=past))
        expired = client.expire_offer(offer_id=offer.id, idempotency_key="rb-1")
        assert expired == ExpiredOffer(offer_id=offer.id, status="expired", expired=True)
        assert client.expire_offer(offer_id=offer.id, idempotency_key="rb-1") == expired
        assert client.expire_offer(offer_id=offer.id, idempotency_key="rb-2") == ExpiredOffer(
            offer_id=offer.id, status="expired", expired=False
        )
        with pytest.raises(NotFound):
            client.expire_offer(offer_id="no-such-offer", idempotency_key="rb-3")

    refused = (
        (Caller.system(service="rebooking", tenant_id="another-cbo"), NotFound),
        (Caller.system(service="evv", tenant_id=market.tenant_id), Forbidden),
        (staff_caller(market.tenant_id, permissions=["bookings.read"]), Forbidden),
    )
    for number, (caller, error) in enumerate(refused):
        with booking(caller) as services, pytest.raises(error):
            BookingClient(services).expire_offer(offer_id=offer.id, idempotency_key=f"x-{number}")


def test_rebooking_expires_a_batch_with_next_steps_through_bookings_client(booking, engine):
    """expire_offers on the real service: each offer expired, the next step taken where asked
    (nobody preferred and no ranking here: why, not an offer), an unknown offer answered as
    such without failing the others, the same keys the same answers, other callers refused."""
    with unit(engine) as uow:
        market = a_market(uow)
        ana = a_worker(uow, market)
        made = [
            offers.start_filling(
                uow,
                eligible_now=everyone,
                caller=staff_caller(market.tenant_id),
                shifts=[
                    a_market_shift(
                        uow,
                        market,
                        fill_mode="named",
                        named_worker_id=ana.id,
                        starts_at=datetime.now(UTC) + timedelta(days=day),
                    )
                ],
            )[0]
            for day in (3, 4)
        ]
    with engine.begin() as conn:
        past = datetime.now(UTC) - timedelta(minutes=1)
        ids = [offer.id for offer in made]
        conn.execute(update(Offer).where(Offer.id.in_(ids)).values(deadline_at=past))
    step = {"idempotency_key": "next-0", "preferred_worker_ids": [], "use_ranking": False}
    items = [
        {"offer_id": made[0].id, "idempotency_key": "e-0", "next": step},
        {"offer_id": "no-such-offer", "idempotency_key": "e-1", "next": None},
        {"offer_id": made[1].id, "idempotency_key": "e-2", "next": None},
    ]
    rebooking = Caller.system(service="rebooking")
    with booking(rebooking) as services:
        client = BookingClient(services)
        first, missing, second = client.expire_offers(items=items, timeout=30)
        assert (first.status, first.expired, first.error, first.next_error) == (
            "expired",
            True,
            None,
            None,
        )
        assert first.next is not None and (first.next.offered, first.next.why) == (
            False,
            "no_candidates",
        )
        assert missing.error == {"kind": "not_found", "message": "There is no such offer."}
        assert (second.status, second.expired, second.next) == ("expired", True, None)
        assert client.expire_offers(items=items) == [first, missing, second]
    for number, caller in enumerate(
        (
            Caller.system(service="evv"),
            staff_caller(market.tenant_id, permissions=["bookings.manage"]),
        )
    ):
        with booking(caller) as services, pytest.raises(Forbidden):
            BookingClient(services).expire_offers(
                items=[{"offer_id": made[0].id, "idempotency_key": f"x-{number}"}]
            )


def test_the_timer_releases_an_open_shifts_next_tier_once_it_is_due(
    booking, engine, identity_engine, container_factory, service_config, smtp
):
    empty(identity_engine)
    tenant_id = str(uuid.uuid4())
    with unit(identity_engine, "identity") as people:
        a_projected_cbo(people, tenant_id=tenant_id)
        fay, rae, rex, sid = (
            a_jobseeker(people, tenant_id=tenant_id, status="approved") for _ in range(4)
        )
        jobseekers.suspend(
            people,
            caller=staff_caller(tenant_id),
            tenant_id=tenant_id,
            jobseeker_id=sid.id,
            reason="Fake documents",
        )
        # Booking's read model is made by hand below (its last word on Sid: not suspended);
        # identity's events about them stay unpublished.
        people.session.execute(delete(outbox))
    container_factory(
        load_class(SERVICE_CLASSES["identity"]), service_config(smtp_port=smtp.port)
    ).start()
    with unit(engine) as uow:
        market = a_market(uow, tenant_id=tenant_id)
        a_worker_known_as(uow, market, fay.id, favourite=True)
        reliable = {a_worker_known_as(uow, market, w.id, score=95).id for w in (rae, rex)}
        a_worker_known_as(uow, market, sid.id, score=99)
        shift = a_market_shift(uow, market, fill_mode="open")
        offers.start_filling(
            uow, eligible_now=everyone, caller=staff_caller(market.tenant_id), shifts=[shift]
        )
        assert len(offers_of(uow, shift)) == 1

    # Not due for an hour: the sweep, running every 0.1 s, leaves it.
    with engine.connect() as conn:
        due = conn.execute(select(Shift.next_tier_at).where(Shift.id == shift.id)).scalar_one()
    assert due > datetime.now(UTC) + timedelta(minutes=1)

    def offered() -> set[str]:
        with engine.connect() as conn:
            query = select(Offer.worker_id).where(Offer.shift_id == shift.id)
            return set(conn.execute(query).scalars())

    with engine.begin() as conn:
        conn.execute(
            update(Shift)
            .where(Shift.id == shift.id)
            .values(next_tier_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    wait_for(lambda: reliable <= offered(), what="the reliable tier to be released")
    with engine.connect() as conn:
        tier = conn.execute(select(Shift.tier).where(Shift.id == shift.id)).scalar_one()
    assert tier == 1
    # Sid, suspended in identity, was never offered it, though booking still ranked them first.
    assert offered() == {fay.id, *reliable}


def test_rebooking_asks_for_the_next_offer_through_bookings_client(
    booking, engine, identity_engine, container_factory, service_config, smtp
):
    """offer_next on the real service: the preferred worker identity clears (not the one it
    has suspended since), one answer per key, a covered shift, other callers refused."""
    empty(identity_engine)
    tenant_id = str(uuid.uuid4())
    with unit(identity_engine, "identity") as people:
        a_projected_cbo(people, tenant_id=tenant_id)
        zed, sid, ana = (
            a_jobseeker(people, tenant_id=tenant_id, status="approved") for _ in range(3)
        )
        jobseekers.suspend(
            people,
            caller=staff_caller(tenant_id),
            tenant_id=tenant_id,
            jobseeker_id=sid.id,
            reason="Fake documents",
        )
        people.session.execute(delete(outbox))
    container_factory(
        load_class(SERVICE_CLASSES["identity"]), service_config(smtp_port=smtp.port)
    ).start()
    with unit(engine) as uow:
        market = a_market(uow, tenant_id=tenant_id)
        for person in (zed, sid, ana):
            a_worker_known_as(uow, market, person.id)
        shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=zed.id)
        (first,) = offers.start_filling(
            uow, eligible_now=everyone, caller=staff_caller(tenant_id), shifts=[shift]
        )
    rebooking = Caller.system(service="rebooking", tenant_id=tenant_id)
    with booking(rebooking) as services:
        client = BookingClient(services)
        covered = client.offer_next(shift_id=shift.id, idempotency_key="n-1")
        assert (covered.offered, covered.why) == (False, "covered")
        with engine.begin() as conn:
            conn.execute(update(Offer).where(Offer.id == first.id).values(status="declined"))
        made = client.offer_next(
            shift_id=shift.id,
            idempotency_key="n-2",
            preferred_worker_ids=[sid.id, ana.id],
            use_ranking=False,
            window_seconds=600,
        )
        assert (made.offered, made.worker_id, made.source) == (True, ana.id, "preferred")
        assert made.deadline_at is not None and made.starts_at == shift.starts_at
        assert client.offer_next(shift_id=shift.id, idempotency_key="n-2") == made
        with pytest.raises(NotFound):
            client.offer_next(shift_id="no-such-shift", idempotency_key="n-3")
    for number, caller in enumerate(
        (
            Caller.system(service="evv", tenant_id=tenant_id),
            staff_caller(tenant_id, permissions=["bookings.read"]),
        )
    ):
        with booking(caller) as services, pytest.raises(Forbidden):
            BookingClient(services).offer_next(shift_id=shift.id, idempotency_key=f"x-{number}")
    with engine.connect() as conn:
        query = select(Offer.worker_id, Offer.channel).where(Offer.shift_id == shift.id)
        assert sorted(conn.execute(query).all()) == sorted(
            [(zed.id, "named"), (ana.id, "rebooking")]
        )
