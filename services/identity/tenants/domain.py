"""Identity's projections of tenancy's facts: CBOs, their client organisations and worker
sources, kept from tenancy's events. Identity never reads tenancy's database; what it needs to
decide (is this CBO active? does this client belong to it?) it keeps here.

An event reaches identity a moment after tenancy's change commits. So that a person who just
created a client or a worker source can use it in their very next request, `ensure_client` and
`ensure_source` fill a missing record from tenancy's own answer (`ask`) first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork
from services.identity.tenants.models import ClientRef, SourceRef, Tenant

ACTIVE = "active"
SUSPENDED = "suspended"


def tenant_by_slug(uow: UnitOfWork, *, slug: str) -> Tenant | None:
    return uow.session.execute(
        select(Tenant).where(Tenant.slug == slug.strip().lower())
    ).scalar_one_or_none()


def tenant_by_id(uow: UnitOfWork, *, tenant_id: str) -> Tenant | None:
    return uow.session.get(Tenant, tenant_id)


def is_active(uow: UnitOfWork, *, tenant_id: str | None) -> bool:
    """Whether a CBO's users may sign in; the operator (no tenant) always may."""
    if tenant_id is None:
        return True
    tenant = tenant_by_id(uow, tenant_id=tenant_id)
    return tenant is not None and tenant.status == ACTIVE


def apply_tenant(
    uow: UnitOfWork, *, tenant_id: str, slug: str, name: str, status: str, occurred_at: datetime
) -> bool:
    """Record a CBO's status from one of tenancy's events; True if it changed anything.

    Events may arrive out of order (retries, replays): one older than what is kept is ignored.
    """
    tenant = uow.session.get(Tenant, tenant_id, with_for_update=True)
    if tenant is None:
        uow.session.add(
            Tenant(
                tenant_id=tenant_id,
                slug=slug.lower(),
                name=name,
                status=status,
                changed_at=occurred_at,
            )
        )
        uow.session.flush()
        return True
    if tenant.changed_at > occurred_at:
        return False
    tenant.slug, tenant.name, tenant.status, tenant.changed_at = (
        slug.lower(),
        name,
        status,
        occurred_at,
    )
    return True


def record_client(
    uow: UnitOfWork, *, client_id: str, tenant_id: str, name: str, active: bool = True
) -> None:
    """Keep a client organisation from client.registered or client.updated."""
    client = uow.session.get(ClientRef, client_id)
    if client is None:
        uow.session.add(
            ClientRef(client_id=client_id, tenant_id=tenant_id, name=name, active=active)
        )
    elif client.tenant_id == tenant_id:
        client.name, client.active = name, active


def client_of(uow: UnitOfWork, *, tenant_id: str, client_id: str) -> ClientRef | None:
    """The client organisation, if it belongs to this CBO."""
    client = uow.session.get(ClientRef, client_id)
    return client if client is not None and client.tenant_id == tenant_id else None


def record_source(
    uow: UnitOfWork,
    *,
    source_id: str,
    tenant_id: str,
    name: str,
    weekly_hour_cap: float | None,
    active: bool = True,
) -> None:
    """Keep a worker source from source.created or source.updated."""
    source = uow.session.get(SourceRef, source_id)
    if source is None:
        uow.session.add(
            SourceRef(
                source_id=source_id,
                tenant_id=tenant_id,
                name=name,
                weekly_hour_cap=weekly_hour_cap,
                active=active,
            )
        )
    elif source.tenant_id == tenant_id:
        source.name, source.weekly_hour_cap, source.active = name, weekly_hour_cap, active


def source_of(uow: UnitOfWork, *, tenant_id: str, source_id: str) -> SourceRef | None:
    """The worker source, if it belongs to this CBO."""
    source = uow.session.get(SourceRef, source_id)
    return source if source is not None and source.tenant_id == tenant_id else None


# What tenancy answers about one record of the caller's CBO; None if it has no such record.
Ask = Callable[[], dict | None]


def ensure_client(uow: UnitOfWork, *, tenant_id: str, client_id: str, ask: Ask) -> ClientRef | None:
    """The CBO's client organisation, asking tenancy (`ask`) if the projection does not have
    it yet; None if neither knows it as this CBO's."""
    found = client_of(uow, tenant_id=tenant_id, client_id=client_id)
    if found is not None:
        return found
    record = ask()
    if record is None or record["client_id"] != client_id:
        return None
    # The event may land at the same moment: whichever writes first, the row is the same.
    uow.session.execute(
        insert(ClientRef)
        .values(
            client_id=client_id, tenant_id=tenant_id, name=record["name"], active=record["active"]
        )
        .on_conflict_do_nothing(index_elements=["client_id"])
    )
    return client_of(uow, tenant_id=tenant_id, client_id=client_id)


def ensure_source(uow: UnitOfWork, *, tenant_id: str, source_id: str, ask: Ask) -> SourceRef | None:
    """The CBO's worker source, asking tenancy (`ask`) if the projection does not have it
    yet; None if neither knows it as this CBO's."""
    found = source_of(uow, tenant_id=tenant_id, source_id=source_id)
    if found is not None:
        return found
    record = ask()
    if record is None or record["source_id"] != source_id:
        return None
    uow.session.execute(
        insert(SourceRef)
        .values(
            source_id=source_id,
            tenant_id=tenant_id,
            name=record["name"],
            weekly_hour_cap=record["weekly_hour_cap"],
            active=record["active"],
        )
        .on_conflict_do_nothing(index_elements=["source_id"])
    )
    return source_of(uow, tenant_id=tenant_id, source_id=source_id)
