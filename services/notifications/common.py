"""What several areas share: who may act, and the sealer of channel secrets."""

from __future__ import annotations

from chassis.config import Settings
from chassis.context import STAFF, Caller
from chassis.errors import Forbidden, Unauthenticated
from services.notifications.channels.sealing import Sealer


def staff_tenant(caller: Caller) -> str:
    """The tenant of a CBO staff caller (or the service's own system); others are refused."""
    tenant_id = caller.require_tenant()
    if caller.kind != STAFF and not caller.is_system:
        raise Forbidden("Only the CBO's staff can do this.")
    return tenant_id


def person(caller: Caller) -> tuple[str, str]:
    """(tenant id, account id) of a signed-in person of a CBO: their own inbox."""
    tenant_id = caller.require_tenant()
    if not caller.user_id or caller.is_system:
        raise Unauthenticated("Sign in first.")
    return tenant_id, caller.user_id


def sealer_of(settings: Settings) -> Sealer:
    return Sealer(settings.notifications_key)
