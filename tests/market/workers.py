"""Events for booking's read model of workers, as identity and tenancy send them.

Each event goes through its real contract (built as its publisher builds it, parsed as a
handler receives it, and turned into what the replay log keeps), so a test feeds the workers
area exactly what it gets from the broker. `EventStream` hands out events a second apart; `at=`
sets an event's time, to send one late (out of order).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from chassis.contracts.events import CATALOGUE, build_envelope, parse_envelope
from chassis.db import UnitOfWork
from services.booking.workers import domain
from services.booking.workers.domain import Received
from services.booking.workers.models import (
    CboRecord,
    ClientRecord,
    PartnershipRecord,
    ReceivedEvent,
    SourceRecord,
    WorkerDay,
    WorkerRecord,
)

LONG_BEACH = "America/Los_Angeles"


def new_id() -> str:
    return str(uuid.uuid4())


def an_event(
    event_type: str, data: dict[str, Any], *, tenant_id: str | None, occurred_at: datetime
) -> Received:
    """The event as a booking handler receives it, then as the replay log keeps it."""
    contract = CATALOGUE[event_type]
    envelope = build_envelope(event_type, data, source=contract.publisher, tenant_id=tenant_id)
    envelope["occurred_at"] = occurred_at.isoformat()
    return domain.received(parse_envelope(envelope))


class EventStream:
    """Events of one story, each a second after the one before (unless `at=` says when)."""

    def __init__(self, start: datetime = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        tenant_id: str | None,
        at: datetime | None = None,
    ) -> Received:
        if at is None:
            self.now += timedelta(seconds=1)
            at = self.now
        return an_event(event_type, data, tenant_id=tenant_id, occurred_at=at)

    def earlier(self, seconds: float = 30) -> datetime:
        """A moment before the latest event (for one that arrives late)."""
        return self.now - timedelta(seconds=seconds)


def receive(uow: UnitOfWork, *events: Received) -> list[bool]:
    """Each event handed to the workers area as its handler does; what `receive` answered."""
    return [domain.receive(uow, event=event) for event in events]


# -- payloads ---------------------------------------------------------------------------------


def tenant_data(tenant_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "slug": f"cbo-{tenant_id[:8]}",
        "name": f"CBO {tenant_id[:8]}",
        **overrides,
    }


def approved_tenant(tenant_id: str, timezone: str = LONG_BEACH) -> dict[str, Any]:
    return tenant_data(
        tenant_id,
        owner_email=f"owner@{tenant_id[:8]}.example.org",
        owner_name="Olga Owner",
        timezone=timezone,
    )


def branding(tenant_id: str, timezone: str) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "changed": ["timezone"],
        "timezone": timezone,
        "default_language": "en",
        "languages": ["en", "es"],
    }


def client(client_id: str, name: str = "Port Cafe", **overrides: Any) -> dict[str, Any]:
    return {"client_id": client_id, "name": name, "kind": "business", **overrides}


def source(
    source_id: str,
    *,
    name: str = "LB City College",
    cap: float | None = 14,
    terms: list[dict[str, str]] | None = None,
    active: bool = True,
    changed: list[str] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source_id": source_id,
        "name": name,
        "weekly_hour_cap": cap,
        # As tenancy sends them: dates (the contract writes them as ISO dates).
        "terms": [
            {
                "starts_on": date.fromisoformat(t["starts_on"]),
                "ends_on": date.fromisoformat(t["ends_on"]),
            }
            for t in terms or []
        ],
        "active": active,
    }
    if changed is not None:
        data["changed"] = changed
    return data


def partnership(
    partnership_id: str, proposer_id: str, partner_id: str, shares: list[str] | None = None
) -> dict[str, Any]:
    return {
        "partnership_id": partnership_id,
        "proposer_id": proposer_id,
        "partner_id": partner_id,
        "shares": shares if shares is not None else ["job_types"],
    }


def profile(
    jobseeker_id: str,
    *,
    name: str = "Maria Lopez",
    skills: list[str] | None = None,
    languages: list[str] | None = None,
    home_area: str | None = "90802",
    source_id: str | None = None,
    weekly: dict[str, list[dict[str, str]]] | None = None,
    exceptions: list[dict[str, Any]] | None = None,
    status: str = "pending",
) -> dict[str, Any]:
    """jobseeker.profile_changed's data: the whole profile, as identity sends it."""
    return {
        "jobseeker_id": jobseeker_id,
        "name": name,
        "skills": skills if skills is not None else ["home care"],
        "languages": languages if languages is not None else ["en", "es"],
        "home_area": home_area,
        "source_id": source_id,
        "availability": {"weekly": weekly or {}, "exceptions": exceptions or []},
        "status": status,
    }


def slot(start: str, end: str) -> dict[str, str]:
    return {"start": start, "end": end}


# -- reading the model back -------------------------------------------------------------------

# The model's tables in a fixed order, each with the columns that identify a row.
MODEL_TABLES = (
    (CboRecord, ("tenant_id",)),
    (ClientRecord, ("id",)),
    (SourceRecord, ("id",)),
    (PartnershipRecord, ("id",)),
    (WorkerRecord, ("id",)),
    (WorkerDay, ("worker_id", "on_date")),
)


def snapshot(uow: UnitOfWork) -> dict[str, list[dict[str, Any]]]:
    """Every row of every read-model table, as plain values, in key order (what a rebuild must
    give back). `updated_at` is the database's clock, not the events': left out."""
    uow.session.flush()
    found: dict[str, list[dict[str, Any]]] = {}
    for model, keys in MODEL_TABLES:
        table = model.__table__
        columns = [c for c in table.columns if c.name != "updated_at"]
        rows = uow.session.execute(
            select(*columns).order_by(*(table.c[k] for k in keys))
        ).mappings()
        found[table.name] = [dict(row) for row in rows]
    return found


def logged(uow: UnitOfWork) -> list[tuple[str, str]]:
    """The replay log: (event type, event id) in arrival order."""
    return [
        (row.event_type, row.event_id)
        for row in uow.session.execute(
            select(ReceivedEvent.event_type, ReceivedEvent.event_id).order_by(ReceivedEvent.seq)
        )
    ]
