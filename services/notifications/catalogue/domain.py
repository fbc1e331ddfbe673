"""Keeping booking's names (newest event wins) and reading what and where a booking is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork
from services.notifications.catalogue.models import KnownBooking, KnownJobType, KnownSite


def learn_site(
    uow: UnitOfWork, *, tenant_id: str, site_id: str, name: str, event_at: datetime
) -> None:
    statement = insert(KnownSite).values(
        site_id=site_id, tenant_id=tenant_id, name=name, event_at=event_at
    )
    uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["site_id"],
            set_={"name": statement.excluded.name, "event_at": statement.excluded.event_at},
            where=KnownSite.event_at < statement.excluded.event_at,
        )
    )


def learn_job_type(
    uow: UnitOfWork, *, tenant_id: str, job_type_id: str, name: str, event_at: datetime
) -> None:
    statement = insert(KnownJobType).values(
        job_type_id=job_type_id, tenant_id=tenant_id, name=name, event_at=event_at
    )
    uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["job_type_id"],
            set_={"name": statement.excluded.name, "event_at": statement.excluded.event_at},
            where=KnownJobType.event_at < statement.excluded.event_at,
        )
    )


def learn_booking(
    uow: UnitOfWork, *, tenant_id: str, booking_id: str, site_id: str, job_type_id: str
) -> None:
    uow.session.execute(
        insert(KnownBooking)
        .values(
            booking_id=booking_id, tenant_id=tenant_id, site_id=site_id, job_type_id=job_type_id
        )
        .on_conflict_do_nothing(index_elements=["booking_id"])
    )


def work_of(uow: UnitOfWork, *, booking_id: str | None) -> tuple[str | None, str | None]:
    """(job type name, site name) of a booking, each None while unknown. Not filtered by
    tenant: a partner CBO's worker is told of the owning CBO's site (ids are unguessable UUIDs
    that only booking's own events bring here)."""
    if not booking_id:
        return None, None
    found = uow.session.execute(
        select(KnownJobType.name, KnownSite.name)
        .select_from(KnownBooking)
        .outerjoin(KnownJobType, KnownJobType.job_type_id == KnownBooking.job_type_id)
        .outerjoin(KnownSite, KnownSite.site_id == KnownBooking.site_id)
        .where(KnownBooking.booking_id == booking_id)
    ).first()
    if found is None:
        return None, None
    return found[0], found[1]
