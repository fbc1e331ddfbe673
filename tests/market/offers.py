"""What the offers area's tests need besides tests/market/builders.py: a CBO's market (a client,
its site, a job type), shifts of a fill mode, workers who may work them (favourites of the
client, reliable ones), job seekers' callers, and committed data for tests that need several
connections at once (concurrent confirmations, two sweepers), cleaned away afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from chassis.context import Caller
from chassis.contracts.permissions import BUILTIN_ROLES
from chassis.db import UnitOfWork
from chassis.tables import outbox
from services.booking.base import metadata
from services.booking.bookings.models import Booking, Shift
from services.booking.jobtypes.models import JobType
from services.booking.offers.models import Offer
from services.booking.settings import domain as booking_settings
from services.booking.sites.models import Site
from services.booking.workers.models import ClientRecord, WorkerRecord
from tests.market.builders import (
    a_cbo_record,
    a_client_record,
    a_job_type,
    a_shift,
    a_site,
    a_worker_record,
)
from tests.market.search import a_rating, a_score


@dataclass
class Market:
    """One CBO with a client, its site and a job type."""

    tenant_id: str
    client: ClientRecord
    site: Site
    job_type: JobType


def a_market(uow: UnitOfWork, *, tenant_id: str | None = None) -> Market:
    cbo = a_cbo_record(uow, tenant_id=tenant_id)
    client = a_client_record(uow, tenant_id=cbo.tenant_id)
    site = a_site(uow, tenant_id=cbo.tenant_id, client_id=client.id)
    job_type = a_job_type(uow, tenant_id=cbo.tenant_id)
    return Market(cbo.tenant_id, client, site, job_type)


def another_client(uow: UnitOfWork, market: Market) -> Market:
    """The same CBO's other client, with a site of its own."""
    client = a_client_record(uow, tenant_id=market.tenant_id)
    site = a_site(uow, tenant_id=market.tenant_id, client_id=client.id)
    return Market(market.tenant_id, client, site, market.job_type)


def in_days(days: float, *, at: datetime | None = None) -> datetime:
    """A whole hour `days` from now (or from `at`), in UTC."""
    moment = (at or datetime.now(UTC)) + timedelta(days=days)
    return moment.replace(minute=0, second=0, microsecond=0)


def a_market_shift(
    uow: UnitOfWork,
    market: Market,
    *,
    fill_mode: str,
    positions: int = 1,
    starts_at: datetime | None = None,
    hours: float = 4,
    named_worker_id: str | None = None,
) -> Shift:
    """A new shift of `fill_mode`, not filled yet (three days ahead unless told)."""
    shift = a_shift(
        uow,
        job_type=market.job_type,
        site=market.site,
        starts_at=starts_at or in_days(3),
        hours=hours,
        positions=positions,
        fill_mode=fill_mode,
    )
    if named_worker_id is not None:
        booking = uow.session.get(Booking, shift.booking_id)
        assert booking is not None
        booking.named_worker_id = named_worker_id
    shift.filled = 0
    shift.status = "open"
    shift.fill_state = {}
    uow.session.flush()
    return shift


def a_worker(
    uow: UnitOfWork,
    market: Market,
    *,
    favourite: bool = False,
    score: float | None = None,
    name: str | None = None,
    **fields: Any,
) -> WorkerRecord:
    """An approved worker available at all hours, the client's favourite or with a reliability
    score if asked."""
    worker = a_worker_record(uow, tenant_id=market.tenant_id, name=name, **fields)
    if favourite:
        a_rating(
            uow,
            tenant_id=market.tenant_id,
            client_id=market.client.id,
            worker_id=worker.id,
            rating="favourite",
        )
    if score is not None:
        a_score(uow, tenant_id=market.tenant_id, worker_id=worker.id, score=score)
    return worker


def set_settings(uow: UnitOfWork, *, tenant_id: str, **values: int) -> None:
    """The CBO's booking settings with `values` changed (the rest the defaults)."""
    settings = booking_settings.settings_for(uow, tenant_id=tenant_id)
    for name, value in values.items():
        setattr(settings, name, value)
    uow.session.flush()


def jobseeker(worker: WorkerRecord) -> Caller:
    return Caller(
        kind="jobseeker",
        user_id=worker.id,
        tenant_id=worker.tenant_id,
        roles=("jobseeker",),
        permissions=BUILTIN_ROLES["jobseeker"],
    )


def offers_of(uow: UnitOfWork, shift: Shift, *, status: str | None = None) -> list[Offer]:
    query = (
        select(Offer)
        .where(Offer.shift_id == shift.id)
        .order_by(Offer.created_at, Offer.rank, Offer.id)
        .execution_options(populate_existing=True)
    )
    if status is not None:
        query = query.where(Offer.status == status)
    return list(uow.session.execute(query).scalars())


def offered_to(uow: UnitOfWork, shift: Shift, *, status: str | None = "sent") -> set[str]:
    return {o.worker_id for o in offers_of(uow, shift, status=status)}


def make_due(uow: UnitOfWork, shift: Shift, *, at: datetime) -> None:
    """The shift's next tier due at `at` (as if its delay had passed)."""
    uow.session.execute(update(Shift).where(Shift.id == shift.id).values(next_tier_at=at))
    uow.session.flush()


# -- committed data ------------------------------------------------------------------------------


# The CBOs made with each committed unit (so its clean-up touches nobody else's rows).
_COMMITTED: dict[int, set[str]] = {}


@contextmanager
def committed(engine: Engine) -> Iterator[UnitOfWork]:
    """A unit of work on its own connection, for tests that need several connections at once
    (its data must be committed: `uow.commit()`). When it ends, every row of the CBOs made
    with `a_committed_market(unit)` is deleted, in every booking table and the outbox."""
    unit = UnitOfWork(Session(engine, expire_on_commit=False), source="booking")
    _COMMITTED[id(unit)] = set()
    try:
        yield unit
    finally:
        unit.close()
        made = sorted(_COMMITTED.pop(id(unit)))
        if made:
            with Session(engine) as cleaner, cleaner.begin():
                for table in [*reversed(metadata.sorted_tables), outbox]:
                    if "tenant_id" in table.c:
                        cleaner.execute(delete(table).where(table.c.tenant_id.in_(made)))


def a_committed_market(uow: UnitOfWork) -> Market:
    """A market whose rows `committed` deletes when `uow` ends."""
    tenant_id = str(uuid.uuid4())
    _COMMITTED[id(uow)].add(tenant_id)
    return a_market(uow, tenant_id=tenant_id)
