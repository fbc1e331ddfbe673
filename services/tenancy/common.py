"""Helpers the tenancy domain modules share: who may act, finding a CBO, paging, files."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import Select, func, select

from chassis.context import OPERATOR, STAFF, Caller
from chassis.db import UnitOfWork
from chassis.errors import Forbidden, NotFound, Unauthenticated
from services.tenancy.models import Tenant


def staff_tenant(caller: Caller) -> str:
    """The tenant of a CBO staff caller; others (job seekers, clients, the city) are refused."""
    tenant_id = caller.require_tenant()
    if caller.kind != STAFF and not caller.is_system:
        raise Forbidden("Only the CBO's staff can do this.")
    return tenant_id


def service_scope(caller: Caller) -> str | None:
    """For RPCs other services call: the tenant the caller is bound to, or None for callers
    that act across CBOs (the system without a tenant, the platform operator)."""
    if not caller.authenticated:
        raise Unauthenticated("Sign in first.")
    if caller.tenant_id:
        return caller.tenant_id
    if caller.is_system or caller.kind == OPERATOR:
        return None
    raise Forbidden("This needs a CBO or the platform.")


def tenant_by_id(uow: UnitOfWork, tenant_id: str, *, lock: bool = False) -> Tenant:
    tenant = uow.session.get(Tenant, tenant_id, with_for_update=lock) if tenant_id else None
    if tenant is None:
        raise NotFound("There is no such CBO.")
    return tenant


def tenant_by_slug(uow: UnitOfWork, slug: str) -> Tenant | None:
    return uow.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()


def approved_tenant_by_slug(uow: UnitOfWork, slug: str) -> Tenant:
    """An approved (and not suspended) CBO; 404 for anything else, so that nothing leaks."""
    tenant = tenant_by_slug(uow, slug)
    if tenant is None or tenant.status != "approved":
        raise NotFound("There is no such CBO.")
    return tenant


def page(uow: UnitOfWork, query: Select, *, page: int, per_page: int) -> dict[str, Any]:
    """One page of `query`'s rows with the total count: {items, total, page, per_page}."""
    total = uow.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = uow.session.execute(query.limit(per_page).offset((page - 1) * per_page)).scalars()
    return {"items": list(rows), "total": total, "page": page, "per_page": per_page}


def like_pattern(text: str) -> str:
    """`text` as a case-insensitive substring pattern, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.strip()}%"


def file_payload(filename: str, content_type: str, data: bytes) -> dict[str, str]:
    """A file as the gateway's download routes expect it."""
    return {
        "filename": filename,
        "content_type": content_type,
        "data": base64.b64encode(data).decode("ascii"),
    }


def active_tenant(uow: UnitOfWork, tenant_id: str, *, lock: bool = False) -> Tenant:
    """The caller's CBO for a change: it must be approved (a suspended CBO changes nothing,
    even with a token issued before the suspension)."""
    tenant = tenant_by_id(uow, tenant_id, lock=lock)
    if tenant.status != "approved":
        raise Forbidden(f"Your CBO is {tenant.status}; it cannot change anything now.")
    return tenant
