"""What tenancy's areas share: who may act, finding a CBO, the answers for files and audit
entries, and the pieces their schemas and routes have in common."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import Schema, validate
from sqlalchemy import select

from chassis.context import staff_tenant as staff_tenant  # the areas import it from here
from chassis.db import UnitOfWork
from chassis.errors import Forbidden, NotFound
from services.tenancy.tenants.models import Tenant
from services.tenancy.tenants.rules import APPROVED

# -- Who may act -------------------------------------------------------------------------------


# -- Finding a CBO -----------------------------------------------------------------------------


def tenant_by_id(uow: UnitOfWork, *, tenant_id: str, lock: bool = False) -> Tenant:
    tenant = uow.session.get(Tenant, tenant_id, with_for_update=lock) if tenant_id else None
    if tenant is None:
        raise NotFound("There is no such CBO.")
    return tenant


def tenant_by_slug(uow: UnitOfWork, *, slug: str) -> Tenant | None:
    return uow.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()


def approved_tenant_by_slug(uow: UnitOfWork, *, slug: str) -> Tenant:
    """An approved (and not suspended) CBO; 404 for anything else, so that nothing leaks."""
    tenant = tenant_by_slug(uow, slug=slug)
    if tenant is None or tenant.status != APPROVED:
        raise NotFound("There is no such CBO.")
    return tenant


def active_tenant(uow: UnitOfWork, *, tenant_id: str, lock: bool = False) -> Tenant:
    """The caller's CBO for a change: it must be approved (a suspended CBO changes nothing,
    even with a token issued before the suspension)."""
    tenant = tenant_by_id(uow, tenant_id=tenant_id, lock=lock)
    if tenant.status != APPROVED:
        raise Forbidden(f"Your CBO is {tenant.status}; it cannot change anything now.")
    return tenant


# -- Answers -----------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """`value` as an event payload holds it: dates as ISO text, amounts as numbers."""
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def snapshot(row: object, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The named attributes of `row`, as an audit entry's before or after records them."""
    return {name: jsonable(getattr(row, name)) for name in names}


# -- Schemas -----------------------------------------------------------------------------------

NAME = validate.Length(min=1, max=200)


class PartialUpdate(Schema):
    """Mixed in before an input schema: a PATCH may send any subset of its top-level fields.

    Only the top level is partial: `partial=True` would reach into nested schemas too, and
    let a term without `starts_on` through to code that needs it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=tuple(self._declared_fields), **kwargs)


# -- Routes ------------------------------------------------------------------------------------

# Paths under PLATFORM_PATH are the city's (the operator's); paths under CBO_PATH, and a CBO's
# own collections, act on the caller's CBO, which comes from the token, never the path.
PLATFORM_PATH = "/api/v1/platform/cbos"
CBO_PATH = "/api/v1/cbo"
PLATFORM_TAG = "CBOs (platform operator)"
SETTINGS_TAG = "CBO settings"
PUBLIC_TAG = "Public CBO pages"
