"""Test data of booking's catalogue (job types and sites) made through the real domain
functions, and the callers who act on it: staff, and a client organisation's users."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from chassis.context import Caller
from chassis.contracts.permissions import BUILTIN_ROLES
from chassis.db import UnitOfWork
from services.booking.jobtypes import domain as jobtypes
from services.booking.jobtypes.models import JobType
from services.booking.jobtypes.schemas import JobTypeInputSchema
from services.booking.sites import domain as sites
from services.booking.sites.models import Site
from services.booking.sites.schemas import SiteInputSchema
from tests.factories import staff_caller


def client_caller(
    tenant_id: str, client_id: str | None, *, permissions: Iterable[str] | None = None
) -> Caller:
    """A user of client organisation `client_id` of the CBO, with the client role's
    permissions (self.book, bookings.read) unless `permissions` are given."""
    return Caller(
        kind="client",
        user_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        roles=("client",),
        permissions=BUILTIN_ROLES["client"] if permissions is None else frozenset(permissions),
        client_id=client_id,
    )


def job_type_body(name: str | None = None, **overrides: Any) -> dict[str, Any]:
    return {
        "name": name or f"Role {uuid.uuid4().hex[:8]}",
        "pay_rate_cents": 2000,
        "bill_rate_cents": 2800,
        **overrides,
    }


def site_body(client_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Harbor Cafe",
        "address_line1": "1 Pine Ave",
        "city": "Long Beach",
        "state": "CA",
        "zip": "90802",
        **overrides,
    }
    if client_id is not None:
        body["client_id"] = client_id
    return body


def made_job_type(
    uow: UnitOfWork, *, tenant_id: str, caller: Caller | None = None, **fields: Any
) -> JobType:
    """A job type created as staff would create it (events and audit entry included)."""
    return jobtypes.create_job_type(
        uow,
        caller=caller or staff_caller(tenant_id),
        tenant_id=tenant_id,
        data=JobTypeInputSchema().load(job_type_body(**fields)),
    )


def made_site(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    client_id: str | None = None,
    caller: Caller | None = None,
    **fields: Any,
) -> Site:
    """A site created as staff (or `caller`) would create it."""
    return sites.create_site(
        uow,
        caller=caller or staff_caller(tenant_id),
        tenant_id=tenant_id,
        data=SiteInputSchema().load(site_body(client_id, **fields)),
    )
