"""What several areas share: who may act, and the sealer of channel secrets."""

from __future__ import annotations

from chassis.config import Settings
from chassis.context import Caller
from chassis.context import staff_tenant as staff_tenant  # the areas import it from here
from chassis.errors import Unauthenticated
from services.notifications.channels.sealing import Sealer


def person(caller: Caller) -> tuple[str, str]:
    """(tenant id, account id) of a signed-in person of a CBO: their own inbox."""
    tenant_id = caller.require_tenant()
    if not caller.user_id or caller.is_system:
        raise Unauthenticated("Sign in first.")
    return tenant_id, caller.user_id


def sealer_of(settings: Settings) -> Sealer:
    return Sealer(settings.notifications_key)
