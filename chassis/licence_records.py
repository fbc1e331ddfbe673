"""A service's read model of tenancy's feature licences, learnt the same way wherever one is
kept (billing charges their days; rebooking runs cascades only while one holds).

Each service declares its own `licence_records` table in its own database (licence_id,
tenant_id, feature, starts_on, ends_on, event_at) and learns licence.granted and
licence.revoked through `learn_licence_event`: the newest event about a licence wins, since
events of different types arrive in any order (each type has its own queue)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chassis.contracts.events import Event
from chassis.db import UnitOfWork


def is_newer(event_at: datetime, held_at: datetime | None) -> bool:
    """An event applies when the record has none yet or an older one."""
    return held_at is None or event_at >= held_at


def event_day(value: str | date | None) -> date | None:
    """A date of an event's data (loaded by its schema; ISO text if not)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def learn_licence(
    uow: UnitOfWork,
    *,
    model: Any,
    tenant_id: str,
    licence_id: str,
    feature: str,
    starts_on: date,
    ends_on: date | None,
    event_at: datetime,
) -> None:
    """Keep a licence as its event says (granted, or revoked: its last day moved earlier),
    unless a newer event about it applied already. `model` is the service's table."""
    record = uow.session.get(model, licence_id, with_for_update=True)
    if record is None:
        uow.session.add(
            model(
                licence_id=licence_id,
                tenant_id=tenant_id,
                feature=feature,
                starts_on=starts_on,
                ends_on=ends_on,
                event_at=event_at,
            )
        )
    elif record.tenant_id == tenant_id and is_newer(event_at, record.event_at):
        record.starts_on, record.ends_on, record.event_at = starts_on, ends_on, event_at
    uow.session.flush()


def learn_licence_event(uow: UnitOfWork, *, model: Any, event: Event) -> None:
    """licence.granted or licence.revoked, kept in `model` (a licence always has a CBO)."""
    if event.tenant_id is None:
        return
    starts_on = event_day(event.data["starts_on"])
    assert starts_on is not None  # required by the contract
    learn_licence(
        uow,
        model=model,
        tenant_id=event.tenant_id,
        licence_id=event.data["licence_id"],
        feature=event.data["feature"],
        starts_on=starts_on,
        ends_on=event_day(event.data.get("ends_on")),
        event_at=event.occurred_at,
    )
