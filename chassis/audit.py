"""The audit trail: every staff action that changes something says who, what, before, after.

Any service records it with `audit(...)` in the same unit of work as the change; the event
reaches identity, which keeps the trail and serves it (filtered) to permitted staff.
"""

from __future__ import annotations

from typing import Any

from chassis.context import Caller
from chassis.db import UnitOfWork


def audit(
    uow: UnitOfWork,
    caller: Caller,
    *,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    tenant_id: str | None = None,
) -> None:
    uow.emit(
        "audit.recorded",
        {
            "actor_id": caller.user_id,
            "actor_kind": caller.kind,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "before": before,
            "after": after,
        },
        tenant_id=tenant_id if tenant_id is not None else caller.tenant_id,
    )
