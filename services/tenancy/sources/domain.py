"""Worker sources and their rules: a weekly hour cap that applies in term time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork, owned_row
from chassis.errors import Conflict, NotFound
from chassis.paging import order_by, page_rows, text_search
from services.tenancy.branding.rules import today_in
from services.tenancy.common import active_tenant, tenant_by_id
from services.tenancy.sources import rules
from services.tenancy.sources.models import WorkerSource

EDITABLE = ("name", "weekly_hour_cap", "terms", "active")


def _recorded(source: WorkerSource, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The named fields as the API shows them, for the audit trail."""
    shown = {
        "id": source.id,
        "name": source.name,
        "weekly_hour_cap": source.cap,
        "terms": [dict(t) for t in source.terms],
        "active": source.active,
        "created_at": source.created_at.isoformat(),
        "updated_at": source.updated_at.isoformat(),
    }
    return {name: shown[name] for name in names}


def _stored(data: dict[str, Any]) -> dict[str, Any]:
    """Loaded fields as columns: terms sorted with ISO dates, the cap as a Decimal."""
    stored = dict(data)
    if "name" in stored:
        stored["name"] = stored["name"].strip()
    if "terms" in stored:
        stored["terms"] = [
            {"starts_on": s.isoformat(), "ends_on": e.isoformat()}
            for s, e in rules.parse_terms(stored["terms"])
        ]
    if stored.get("weekly_hour_cap") is not None:
        stored["weekly_hour_cap"] = Decimal(str(round(stored["weekly_hour_cap"], 2)))
    return stored


def _event(source: WorkerSource) -> dict[str, Any]:
    """What source.created and source.updated say of a source: its rule as it is now."""
    return {
        "source_id": source.id,
        "name": source.name,
        "weekly_hour_cap": source.cap,
        "terms": source.term_dates,
        "active": source.active,
    }


def _name_taken(uow: UnitOfWork, tenant_id: str, name: str, other_than: str | None = None) -> bool:
    query = select(WorkerSource.id).where(
        WorkerSource.tenant_id == tenant_id, func.lower(WorkerSource.name) == name.lower()
    )
    if other_than:
        query = query.where(WorkerSource.id != other_than)
    return uow.session.execute(query).first() is not None


def _taken() -> Conflict:
    return Conflict("A worker source with that name exists.", {"name": ["Already in use."]})


def create_source(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any]
) -> WorkerSource:
    active_tenant(uow, tenant_id=tenant_id)
    stored = _stored(data)
    if _name_taken(uow, tenant_id, stored["name"]):
        raise _taken()
    source = WorkerSource(tenant_id=tenant_id, **{k: stored[k] for k in EDITABLE})
    uow.session.add(source)
    uow.session.flush()
    uow.session.refresh(source)
    uow.emit("source.created", _event(source), tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="source.create",
        entity_type="source",
        entity_id=source.id,
        after=_recorded(source, ("id", *EDITABLE, "created_at", "updated_at")),
    )
    return source


def get_source(
    uow: UnitOfWork, *, tenant_id: str, source_id: str, lock: bool = False
) -> WorkerSource:
    return owned_row(
        uow, WorkerSource, tenant_id=tenant_id, row_id=source_id, what="worker source", lock=lock
    )


def update_source(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, source_id: str, data: dict[str, Any]
) -> WorkerSource:
    active_tenant(uow, tenant_id=tenant_id)
    source = get_source(uow, tenant_id=tenant_id, source_id=source_id, lock=True)
    stored = _stored(data)
    changed = [k for k in EDITABLE if k in stored and stored[k] != getattr(source, k)]
    if not changed:
        return source
    if "name" in changed and _name_taken(uow, tenant_id, stored["name"], other_than=source.id):
        raise _taken()
    before = _recorded(source, changed)
    for key in changed:
        setattr(source, key, stored[key])
    uow.session.flush()
    uow.session.refresh(source)
    uow.emit("source.updated", {**_event(source), "changed": changed}, tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="source.update",
        entity_type="source",
        entity_id=source.id,
        before=before,
        after=_recorded(source, changed),
    )
    return source


def list_sources(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    page: int,
    per_page: int,
    sort: str,
    q: str | None = None,
    active: bool | None = None,
) -> dict[str, Any]:
    """A page of the CBO's worker sources ({items, total, page, per_page}); `q` searches
    their names."""
    statement = select(WorkerSource).where(WorkerSource.tenant_id == tenant_id)
    if q:
        statement = statement.where(text_search(q, WorkerSource.name))
    if active is not None:
        statement = statement.where(WorkerSource.active.is_(active))
    columns = {
        "name": func.lower(WorkerSource.name),
        "created_at": WorkerSource.created_at,
        "updated_at": WorkerSource.updated_at,
    }
    statement = order_by(statement, sort, columns, WorkerSource.id)
    return page_rows(uow.session, statement, page=page, per_page=per_page)


def source_rules(
    uow: UnitOfWork, *, scope: str | None, source_id: str, on_date: date | None
) -> dict[str, Any]:
    """The cap and whether it applies on `on_date` (default: today in the CBO's time zone).

    `scope` is the caller's tenant; None only for callers acting across CBOs."""
    query = select(WorkerSource).where(WorkerSource.id == source_id)
    if scope is not None:
        query = query.where(WorkerSource.tenant_id == scope)
    source = uow.session.execute(query).scalar_one_or_none()
    if source is None:
        raise NotFound("There is no such worker source.")
    day = on_date or today_in(tenant_by_id(uow, tenant_id=source.tenant_id).timezone)
    term = rules.term_containing(source.terms, day)
    return {
        "source_id": source.id,
        "name": source.name,
        "active": source.active,
        "weekly_hour_cap": source.cap,
        "on_date": day,
        "in_term": term is not None,
        "cap_applies": rules.cap_applies(source.cap, source.terms, day),
        "term": {
            "starts_on": date.fromisoformat(term["starts_on"]),
            "ends_on": date.fromisoformat(term["ends_on"]),
        }
        if term
        else None,
    }
