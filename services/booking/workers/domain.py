"""Booking's read model of workers, built only from identity's and tenancy's events, so that a
search is one query in booking's own database.

Every event the model is made of goes through `receive`: it is kept in `received_events` (the
replay log) and applied by the one function `APPLY` names for its type, in the same
transaction. `rebuild` empties the model and applies the whole log again, in the order it
arrived, through the same functions, so a rebuilt model is the one the events built.

Events arrive at least once and not in order (each type has its own queue; a failed one is
retried later), so each apply function is idempotent and order-tolerant:
- a record an event names is created when it is missing (an approval may come before the
  registration);
- each record keeps when the newest event applied to each of its parts happened
  (`*_event_at`); an older event arriving later changes nothing there;
- what only ever grows (a worker's approval, approvals per job type) is added, never removed.

Other areas read the model through `worker_of`, `client_of`, `source_of`, `cbo_timezone` and
`partners_of`; before they use a client or worker source a caller just named, the entrypoints'
`_ensure_client` / `_ensure_source` (`ensure_client` / `ensure_source` here) fill it from
tenancy's own answer if its event has not arrived yet.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from marshmallow import Schema
from sqlalchemy import delete, func, insert, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from chassis.audit import audit
from chassis.context import Caller
from chassis.contracts.events import CATALOGUE, Event
from chassis.db import UnitOfWork
from services.booking.base import Base
from services.booking.workers import rules
from services.booking.workers.models import (
    CboRecord,
    ClientRecord,
    PartnershipRecord,
    ReceivedEvent,
    SourceRecord,
    WorkerDay,
    WorkerRecord,
)

DEFAULT_TIMEZONE = "America/Los_Angeles"
ACTIVE = "active"
SUSPENDED = "suspended"
# A job seeker's status in identity (jobseeker.profile_changed).
PENDING, APPROVED = "pending", "approved"
JOBSEEKER = "jobseeker"

# How many logged events a rebuild reads and applies at a time.
REBUILD_BATCH = 1000

Row = TypeVar("Row", bound=Base)


@dataclass(frozen=True)
class Received:
    """An event as the read model keeps it: its data as JSON (dates as ISO strings)."""

    event_id: str
    event_type: str
    tenant_id: str | None
    occurred_at: datetime
    data: dict[str, Any]


@functools.cache
def _schema(event_type: str) -> Schema:
    return CATALOGUE[event_type].schema()


def received(event: Event) -> Received:
    """A delivered event (its data loaded by its contract) as the replay log keeps it."""
    return Received(
        event_id=event.event_id,
        event_type=event.event_type,
        tenant_id=event.tenant_id,
        occurred_at=event.occurred_at,
        data=_schema(event.event_type).dump(event.data),
    )


def _concerns_the_model(event: Received) -> bool:
    if event.event_type not in APPLY:
        return False
    if event.event_type.startswith("account."):
        # Only job seekers' accounts are workers; staff and client users are not kept.
        return event.data.get("kind") == JOBSEEKER and event.tenant_id is not None
    if event.event_type.split(".")[0] in ("jobseeker", "client", "source"):
        # Records of one CBO: the event's tenant is theirs.
        return event.tenant_id is not None
    return True


def receive(uow: UnitOfWork, *, event: Received) -> bool:
    """Keep the event in the replay log and apply it to the model; False if it was received
    before (a redelivery) or is not one the model is made of (a staff account's)."""
    if not _concerns_the_model(event):
        return False
    logged = uow.session.execute(
        pg_insert(ReceivedEvent)
        .values(
            event_id=event.event_id,
            event_type=event.event_type,
            tenant_id=event.tenant_id,
            occurred_at=event.occurred_at,
            data=event.data,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(ReceivedEvent.seq)
    ).scalar_one_or_none()
    if logged is None:
        return False
    APPLY[event.event_type](uow, event)
    return True


# -- applying events ----------------------------------------------------------------------------


def _newer(kept: datetime | None, occurred_at: datetime) -> bool:
    """Whether an event that happened at `occurred_at` is at least as new as the newest one
    applied (`kept`; None: none yet)."""
    return kept is None or occurred_at >= kept


def _upsert(uow: UnitOfWork, model: type[Row], key: str, values: dict[str, Any]) -> Row:
    """The row of `model` with primary key `key`, locked; inserted with `values` first when
    missing (another event of the same record may insert it at the same moment)."""
    row = uow.session.get(model, key, with_for_update=True)
    if row is None:
        uow.session.execute(pg_insert(model).values(**values).on_conflict_do_nothing())
        row = uow.session.get(model, key, with_for_update=True)
    assert row is not None
    return row


def _cbo(uow: UnitOfWork, tenant_id: str) -> CboRecord:
    return _upsert(
        uow,
        CboRecord,
        tenant_id,
        {
            "tenant_id": tenant_id,
            "slug": "",
            "name": "",
            "timezone": DEFAULT_TIMEZONE,
            "status": ACTIVE,
        },
    )


def _set_timezone(cbo: CboRecord, timezone: str | None, occurred_at: datetime) -> None:
    if timezone and _newer(cbo.timezone_event_at, occurred_at):
        cbo.timezone, cbo.timezone_event_at = timezone, occurred_at


def _tenant_status(status: str) -> Callable[[UnitOfWork, Received], None]:
    def apply(uow: UnitOfWork, event: Received) -> None:
        data = event.data
        cbo = _cbo(uow, data["tenant_id"])
        if _newer(cbo.status_event_at, event.occurred_at):
            cbo.slug, cbo.name, cbo.status = data["slug"], data["name"], status
            cbo.status_event_at = event.occurred_at
        _set_timezone(cbo, data.get("timezone"), event.occurred_at)

    return apply


def _branding_updated(uow: UnitOfWork, event: Received) -> None:
    if event.data.get("timezone"):
        cbo = _cbo(uow, event.data["tenant_id"])
        _set_timezone(cbo, event.data["timezone"], event.occurred_at)


def _client(uow: UnitOfWork, event: Received) -> None:
    data, tenant_id = event.data, event.tenant_id
    client = _upsert(
        uow,
        ClientRecord,
        data["client_id"],
        {"id": data["client_id"], "tenant_id": tenant_id, "name": data["name"], "active": True},
    )
    if client.tenant_id == tenant_id and _newer(client.event_at, event.occurred_at):
        client.name, client.active = data["name"], data.get("active", True)
        client.event_at = event.occurred_at


def _source(uow: UnitOfWork, event: Received) -> None:
    data, tenant_id = event.data, event.tenant_id
    source = _upsert(
        uow,
        SourceRecord,
        data["source_id"],
        {"id": data["source_id"], "tenant_id": tenant_id, "name": data["name"]},
    )
    if source.tenant_id == tenant_id and _newer(source.event_at, event.occurred_at):
        source.name = data["name"]
        source.weekly_cap_minutes = rules.cap_minutes(data.get("weekly_hour_cap"))
        source.terms = list(data.get("terms") or [])
        source.active = data.get("active", True)
        source.event_at = event.occurred_at


def _partnership(active: bool) -> Callable[[UnitOfWork, Received], None]:
    def apply(uow: UnitOfWork, event: Received) -> None:
        data = event.data
        partnership = _upsert(
            uow,
            PartnershipRecord,
            data["partnership_id"],
            {
                "id": data["partnership_id"],
                "proposer_id": data["proposer_id"],
                "partner_id": data["partner_id"],
                "shares": data["shares"],
                "active": False,
            },
        )
        if _newer(partnership.event_at, event.occurred_at):
            partnership.shares = list(data["shares"])
            partnership.active = active
            partnership.event_at = event.occurred_at

    return apply


def _worker(uow: UnitOfWork, event: Received, worker_id: str) -> WorkerRecord | None:
    """The worker the event names, created when missing; None if the record belongs to
    another CBO than the event (never expected: ids are identity's)."""
    worker = _upsert(uow, WorkerRecord, worker_id, {"id": worker_id, "tenant_id": event.tenant_id})
    return worker if worker.tenant_id == event.tenant_id else None


def _set_suspended(worker: WorkerRecord, suspended: bool, occurred_at: datetime) -> None:
    if _newer(worker.status_event_at, occurred_at):
        worker.suspended, worker.status_event_at = suspended, occurred_at


def _set_status(worker: WorkerRecord, status: str, occurred_at: datetime) -> None:
    """Identity's status as of `occurred_at`: approved, pending or suspended. An approval is
    never withdrawn in identity (a reinstated job seeker is approved again if they ever were),
    so `approved` only ever turns on, whatever the order events come in."""
    if status == APPROVED:
        worker.approved = True
    if status in (APPROVED, PENDING, SUSPENDED):
        _set_suspended(worker, status == SUSPENDED, occurred_at)


def _replace_days(uow: UnitOfWork, worker: WorkerRecord, availability: dict[str, Any]) -> None:
    uow.session.execute(delete(WorkerDay).where(WorkerDay.worker_id == worker.id))
    days = rules.day_minutes(availability)
    if days:
        uow.session.execute(
            insert(WorkerDay),
            [
                {
                    "worker_id": worker.id,
                    "on_date": on_date,
                    "tenant_id": worker.tenant_id,
                    "minutes": minutes,
                }
                for on_date, minutes in sorted(days.items())
            ],
        )


def _registered(uow: UnitOfWork, event: Received) -> None:
    worker = _worker(uow, event, event.data["jobseeker_id"])
    if worker is not None and worker.profile_event_at is None:
        # Until the profile itself arrives (emitted with it), the source is all we know.
        worker.source_id = event.data.get("source_id")


def _profile_changed(uow: UnitOfWork, event: Received) -> None:
    data = event.data
    worker = _worker(uow, event, data["jobseeker_id"])
    if worker is None:
        return
    if _newer(worker.profile_event_at, event.occurred_at):
        availability = data.get("availability") or {"weekly": {}, "exceptions": []}
        home = rules.zip_coordinates(data.get("home_area"))
        worker.name = data["name"]
        worker.skills = list(data.get("skills") or [])
        worker.languages = list(data.get("languages") or [])
        worker.home_zip = data.get("home_area")
        worker.latitude, worker.longitude = home if home else (None, None)
        worker.source_id = data.get("source_id")
        worker.availability = availability
        worker.weekly_minutes = rules.weekly_minutes(availability)
        worker.profile_event_at = event.occurred_at
        _replace_days(uow, worker, availability)
    _set_status(worker, data["status"], event.occurred_at)


def _approved(uow: UnitOfWork, event: Received) -> None:
    worker = _worker(uow, event, event.data["jobseeker_id"])
    if worker is not None:
        _set_status(worker, APPROVED, event.occurred_at)


def _jobtype_approved(uow: UnitOfWork, event: Received) -> None:
    worker = _worker(uow, event, event.data["jobseeker_id"])
    job_type = event.data["job_type"]
    if worker is not None and job_type not in (worker.job_types or []):
        worker.job_types = sorted({*(worker.job_types or []), job_type})


def _suspension(suspended: bool) -> Callable[[UnitOfWork, Received], None]:
    def apply(uow: UnitOfWork, event: Received) -> None:
        worker = _worker(uow, event, event.data["jobseeker_id"])
        if worker is not None:
            _set_suspended(worker, suspended, event.occurred_at)

    return apply


def _account(active: bool) -> Callable[[UnitOfWork, Received], None]:
    def apply(uow: UnitOfWork, event: Received) -> None:
        worker = _worker(uow, event, event.data["account_id"])
        if worker is not None and _newer(worker.active_event_at, event.occurred_at):
            worker.active, worker.active_event_at = active, event.occurred_at

    return apply


# The events the model is made of, and what each does to it.
APPLY: dict[str, Callable[[UnitOfWork, Received], None]] = {
    "tenant.approved": _tenant_status(ACTIVE),
    "tenant.suspended": _tenant_status(SUSPENDED),
    "tenant.reinstated": _tenant_status(ACTIVE),
    "branding.updated": _branding_updated,
    "client.registered": _client,
    "client.updated": _client,
    "source.created": _source,
    "source.updated": _source,
    "partnership.formed": _partnership(True),
    "partnership.ended": _partnership(False),
    "partnership.cancelled": _partnership(False),
    "jobseeker.registered": _registered,
    "jobseeker.profile_changed": _profile_changed,
    "jobseeker.approved": _approved,
    "jobseeker.jobtype_approved": _jobtype_approved,
    "jobseeker.suspended": _suspension(True),
    "jobseeker.reinstated": _suspension(False),
    "account.deactivated": _account(False),
    "account.reactivated": _account(True),
}


# -- rebuilding -------------------------------------------------------------------------------

# The model's tables, emptied by a rebuild (the replay log stays).
READ_MODEL: tuple[type[Base], ...] = (
    WorkerDay,
    WorkerRecord,
    SourceRecord,
    ClientRecord,
    PartnershipRecord,
    CboRecord,
)


def counts(uow: UnitOfWork) -> dict[str, int]:
    """How many rows the model and its replay log hold."""

    def rows(model: type[Base]) -> int:
        return uow.session.execute(select(func.count()).select_from(model)).scalar_one()

    return {
        "events": rows(ReceivedEvent),
        "cbos": rows(CboRecord),
        "clients": rows(ClientRecord),
        "sources": rows(SourceRecord),
        "partnerships": rows(PartnershipRecord),
        "workers": rows(WorkerRecord),
        "worker_days": rows(WorkerDay),
    }


def rebuild(uow: UnitOfWork, *, caller: Caller | None = None) -> dict[str, int]:
    """Empty the model and apply every received event again, in the order they arrived, through
    the same functions that applied them: the model the events make. Events arriving
    meanwhile wait for it (the replay log is locked until the rebuild commits). Returns the
    counts; with a `caller`, the rebuild is written to the (platform's) audit trail.

    A client or worker source filled from tenancy's answer (`ensure_client`) whose event has
    not arrived yet is not in the log: it is gone until its event arrives."""
    uow.session.flush()
    uow.session.execute(
        text(f"LOCK TABLE {ReceivedEvent.__tablename__} IN SHARE ROW EXCLUSIVE MODE")
    )
    for model in READ_MODEL:
        uow.session.execute(delete(model))
    uow.session.expunge_all()
    last = 0
    while True:
        batch = uow.session.execute(
            select(ReceivedEvent)
            .where(ReceivedEvent.seq > last)
            .order_by(ReceivedEvent.seq)
            .limit(REBUILD_BATCH)
        ).scalars()
        logged = list(batch)
        if not logged:
            break
        for entry in logged:
            event = Received(
                event_id=entry.event_id,
                event_type=entry.event_type,
                tenant_id=entry.tenant_id,
                occurred_at=entry.occurred_at,
                data=entry.data,
            )
            if _concerns_the_model(event):
                APPLY[event.event_type](uow, event)
        last = logged[-1].seq
        uow.session.flush()
        # What is written is not needed again: keep the session small.
        uow.session.expunge_all()
    found = counts(uow)
    if caller is not None:
        audit(
            uow,
            caller,
            action="booking.worker_model_rebuilt",
            entity_type="worker_model",
            entity_id="booking",
            after=found,
        )
    return found


# -- reading ----------------------------------------------------------------------------------


def worker_of(uow: UnitOfWork, *, tenant_id: str, worker_id: str) -> WorkerRecord | None:
    """The worker as booking knows them, if they belong to this CBO."""
    worker = uow.session.get(WorkerRecord, worker_id)
    return worker if worker is not None and worker.tenant_id == tenant_id else None


def client_of(uow: UnitOfWork, *, tenant_id: str, client_id: str) -> ClientRecord | None:
    """The client organisation, if it belongs to this CBO (active or not: see `.active`)."""
    client = uow.session.get(ClientRecord, client_id)
    return client if client is not None and client.tenant_id == tenant_id else None


def source_of(uow: UnitOfWork, *, tenant_id: str, source_id: str) -> SourceRecord | None:
    """The worker source and its rule, if it belongs to this CBO."""
    source = uow.session.get(SourceRecord, source_id)
    return source if source is not None and source.tenant_id == tenant_id else None


def cbo_of(uow: UnitOfWork, *, tenant_id: str) -> CboRecord | None:
    return uow.session.get(CboRecord, tenant_id)


def cbo_timezone(uow: UnitOfWork, *, tenant_id: str) -> str:
    """The CBO's time zone (its shifts and its workers' availability are in it); Long Beach's
    until booking has heard of the CBO."""
    cbo = cbo_of(uow, tenant_id=tenant_id)
    return cbo.timezone if cbo is not None and cbo.timezone else DEFAULT_TIMEZONE


def partners_of(uow: UnitOfWork, *, tenant_id: str, share: str | None = None) -> list[str]:
    """The CBOs this one is partnered with now (sharing `share`, when named), sorted."""
    query = select(PartnershipRecord).where(
        PartnershipRecord.active.is_(True),
        or_(PartnershipRecord.proposer_id == tenant_id, PartnershipRecord.partner_id == tenant_id),
    )
    if share is not None:
        query = query.where(PartnershipRecord.shares.contains([share]))
    found = {
        p.partner_id if p.proposer_id == tenant_id else p.proposer_id
        for p in uow.session.execute(query).scalars()
    }
    return sorted(found)


# -- records a caller names before their event arrives ------------------------------------------

# What tenancy answers about one record of the caller's CBO (client_record, source_record, as
# a dict); None if it has no such record.
Ask = Callable[[], dict | None]


def ensure_client(
    uow: UnitOfWork, *, tenant_id: str, client_id: str, ask: Ask
) -> ClientRecord | None:
    """The CBO's client organisation, asking tenancy (`ask`) if the model does not have it
    yet; None if neither knows it as this CBO's."""
    found = client_of(uow, tenant_id=tenant_id, client_id=client_id)
    if found is not None:
        return found
    record = ask()
    if record is None or record["client_id"] != client_id:
        return None
    # Its event may land at the same moment: whichever writes first, the row is the same, and
    # the event (event_at None here) still applies when it comes.
    uow.session.execute(
        pg_insert(ClientRecord)
        .values(id=client_id, tenant_id=tenant_id, name=record["name"], active=record["active"])
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return client_of(uow, tenant_id=tenant_id, client_id=client_id)


def ensure_source(
    uow: UnitOfWork, *, tenant_id: str, source_id: str, ask: Ask
) -> SourceRecord | None:
    """The CBO's worker source and its rule, asking tenancy (`ask`) if the model does not have
    it yet; None if neither knows it as this CBO's."""
    found = source_of(uow, tenant_id=tenant_id, source_id=source_id)
    if found is not None:
        return found
    record = ask()
    if record is None or record["source_id"] != source_id:
        return None
    uow.session.execute(
        pg_insert(SourceRecord)
        .values(
            id=source_id,
            tenant_id=tenant_id,
            name=record["name"],
            weekly_cap_minutes=rules.cap_minutes(record["weekly_hour_cap"]),
            terms=[
                {"starts_on": str(term["starts_on"]), "ends_on": str(term["ends_on"])}
                for term in record.get("terms") or []
            ],
            active=record["active"],
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return source_of(uow, tenant_id=tenant_id, source_id=source_id)
