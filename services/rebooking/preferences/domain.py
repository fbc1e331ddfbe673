"""A client's rebooking preferences: read (the defaults when none are set) and changed by the
CBO's staff or the client's own users; every change is audited."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select, tuple_

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.errors import ValidationFailed
from services.rebooking.preferences import rules
from services.rebooking.preferences.models import RebookingPreferences

FIELDS = tuple(rules.DEFAULTS)


def _view(tenant_id: str, client_id: str, row: RebookingPreferences | None) -> dict[str, Any]:
    values = (
        {name: getattr(row, name) for name in FIELDS} if row is not None else dict(rules.DEFAULTS)
    )
    return {
        "client_id": client_id,
        **values,
        "preferred_worker_ids": list(values["preferred_worker_ids"]),
        "is_default": row is None,
        "updated_at": row.updated_at if row is not None else None,
        "updated_by": row.updated_by if row is not None else None,
    }


def preferences_for(uow: UnitOfWork, *, tenant_id: str, client_id: str) -> dict[str, Any]:
    """The client's preferences as they apply now (the defaults until set)."""
    row = uow.session.get(RebookingPreferences, (tenant_id, client_id))
    return _view(tenant_id, client_id, row)


def preferences_of(
    uow: UnitOfWork, *, clients: Collection[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """`preferences_for` of each (CBO, client) of `clients`, in one statement (the deadline
    sweep's chunk asks for all its clients at once)."""
    if not clients:
        return {}
    query = select(RebookingPreferences).where(
        tuple_(RebookingPreferences.tenant_id, RebookingPreferences.client_id).in_(list(clients))
    )
    found = {(r.tenant_id, r.client_id): r for r in uow.session.execute(query).scalars()}
    return {(t, c): _view(t, c, found.get((t, c))) for t, c in clients}


def update_preferences(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, client_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Change some of the client's preferences (the others stay as they are); 422 per field."""
    problems = rules.preferred_problems(data.get("preferred_worker_ids", []))
    if problems:
        raise ValidationFailed(fields={"preferred_worker_ids": problems})
    row = uow.session.get(RebookingPreferences, (tenant_id, client_id), with_for_update=True)
    before = _view(tenant_id, client_id, row)
    if row is None:
        row = RebookingPreferences(
            tenant_id=tenant_id,
            client_id=client_id,
            **{
                **rules.DEFAULTS,
                "preferred_worker_ids": list(rules.DEFAULTS["preferred_worker_ids"]),
            },
        )
        uow.session.add(row)
    for name, value in data.items():
        setattr(row, name, value)
    row.updated_by = caller.user_id
    uow.session.flush()
    uow.session.refresh(row)
    audit(
        uow,
        caller,
        action="rebooking_preferences.update",
        entity_type="client",
        entity_id=client_id,
        before={name: before[name] for name in data},
        after=dict(data),
        tenant_id=tenant_id,
    )
    return _view(tenant_id, client_id, row)
