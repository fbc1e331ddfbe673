"""What booking's areas share: who may act and for which client.

Three kinds of caller reach booking's API: the CBO's staff (any client of their CBO), a client
user (their own organisation only: every other client's bookings, sites, exclusive job types
and ratings do not exist for them, 404) and a job seeker (their own offers and shifts only).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chassis.context import CLIENT, JOBSEEKER, STAFF, Caller
from chassis.context import staff_tenant as staff_tenant  # the areas import it from here
from chassis.contracts.tenancy_rpc import TenancyClient
from chassis.errors import Forbidden, NotFound
from services.booking.workers import domain as workers
from services.booking.workers.models import ClientRecord


def market_tenant(caller: Caller) -> str:
    """The tenant of a caller who books: CBO staff or a client user (with their client)."""
    tenant_id = caller.require_tenant()
    if caller.kind == CLIENT and not caller.client_id:
        raise Forbidden("This account belongs to no client organisation.")
    if caller.kind not in (STAFF, CLIENT) and not caller.is_system:
        raise Forbidden("Only the CBO's staff and its clients can do this.")
    return tenant_id


def worker_of(caller: Caller) -> tuple[str, str]:
    """(tenant id, worker id) of a job seeker acting on their own offers and shifts."""
    tenant_id = caller.require_tenant()
    if caller.kind != JOBSEEKER or not caller.user_id:
        raise Forbidden("Only a job seeker can do this, for their own work.")
    return tenant_id, caller.user_id


def client_scope(caller: Caller) -> str | None:
    """The one client a client user may see; None for staff (every client of their CBO)."""
    return caller.client_id if caller.kind == CLIENT else None


def check_client(caller: Caller, client_id: str | None) -> None:
    """Refuse, as if it did not exist, a client (or a row of one) outside the caller's scope."""
    scope = client_scope(caller)
    if scope is not None and client_id != scope:
        raise NotFound("There is no such client.")


def ensure_client(entrypoints: Any, client_id: str | None) -> ClientRecord | None:
    """The client a request names, in booking's read model: asked of tenancy (with the
    entrypoints' `services`) when its event has not arrived yet, so a client registered a moment
    ago can be booked at once. None when none is named or it is no client of the caller's CBO."""
    if not client_id:
        return None

    def ask() -> dict | None:
        try:
            record = TenancyClient(entrypoints.services).client_record(client_id=client_id)
        except NotFound:
            return None
        return asdict(record)

    return workers.ensure_client(
        entrypoints.db,
        tenant_id=entrypoints.caller.require_tenant(),
        client_id=client_id,
        ask=ask,
    )
