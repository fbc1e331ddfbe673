"""The audit trail: every staff action of every service (audit.recorded events), kept here and
read, filtered, by permitted staff of the same CBO only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.paging import order_by, page_rows
from services.identity.audit.models import AuditEntry


def record(uow: UnitOfWork, *, event: Event) -> None:
    data = event.data
    # The event id is unique: a replayed event from a dead letter adds nothing.
    uow.session.execute(
        insert(AuditEntry)
        .values(
            event_id=event.event_id,
            tenant_id=event.tenant_id,
            source=event.source,
            actor_id=data.get("actor_id"),
            actor_kind=data["actor_kind"],
            action=data["action"],
            entity_type=data["entity_type"],
            entity_id=data["entity_id"],
            before=data.get("before"),
            after=data.get("after"),
            occurred_at=event.occurred_at,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )


def _view(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "occurred_at": entry.occurred_at.isoformat(),
        "source": entry.source,
        "actor_id": entry.actor_id,
        "actor_kind": entry.actor_kind,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
    }


def search(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    actor_id: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: str = "-occurred_at",
    page: int = 1,
    per_page: int = 50,
) -> dict:
    """One CBO's entries, newest first unless sorted otherwise; `since` inclusive, `until`
    exclusive."""
    query = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    for column, value in (
        (AuditEntry.actor_id, actor_id),
        (AuditEntry.entity_type, entity_type),
        (AuditEntry.entity_id, entity_id),
        (AuditEntry.action, action),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEntry.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEntry.occurred_at < until)
    # Entries of one moment keep the order they were recorded in, either way.
    tiebreak = AuditEntry.id.desc() if sort.startswith("-") else AuditEntry.id.asc()
    ordered = order_by(query, sort, {"occurred_at": AuditEntry.occurred_at}, tiebreak)
    return page_rows(uow.session, ordered, page=page, per_page=per_page, view=_view)
