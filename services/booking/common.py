"""What booking's areas share: who may act and for which client.

Three kinds of caller reach booking's API: the CBO's staff (any client of their CBO), a client
user (their own organisation only: every other client's bookings, sites, exclusive job types
and ratings do not exist for them, 404) and a job seeker (their own offers and shifts only).
"""

from __future__ import annotations

from chassis.context import CLIENT, JOBSEEKER, STAFF, Caller
from chassis.errors import Forbidden, NotFound


def staff_tenant(caller: Caller) -> str:
    """The tenant of a CBO staff caller (or booking's own system); others are refused."""
    tenant_id = caller.require_tenant()
    if caller.kind != STAFF and not caller.is_system:
        raise Forbidden("Only the CBO's staff can do this.")
    return tenant_id


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
