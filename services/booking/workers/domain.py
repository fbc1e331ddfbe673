"""Booking's read model of workers, built only from identity's and tenancy's events, so that a
search is one query in booking's own database.

Every event the model is made of goes through `receive`: it is kept in `received_events` (the
replay log) and applied by the one function `APPLY` names for its type, in the same
transaction. `rebuild` empties the model and applies the whole log again, in the order it
arrived, through the same functions, so a rebuilt model is the one the events built. The apply
functions reach rows through a `Store`: the database, row by row, for an arriving event; memory
during a rebuild, written in bulk at its end.

Events arrive at least once and not in order (each type has its own queue; a failed one is
retried later), so each apply function is idempotent and order-tolerant:
- a record an event names is created when it is missing (an approval may come before the
  registration);
- each record keeps when the newest event applied to each of its parts happened
  (`*_event_at`); an older event arriving later changes nothing there;
- what only ever grows (a worker's approval, approvals per job type) is added, never removed.

Other areas read the model through `worker_of`, `client_of`, `source_of`, `cbo_timezone` and
`partners_of`; before they use a client a caller just named, `common.ensure_client` (on
`ensure_client` here) fills it from tenancy's own answer if its event has not arrived yet.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar, cast

from marshmallow import Schema
from sqlalchemy import Table, delete, func, insert, or_, select, text
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


# What one event does to the model, wherever its rows are kept (see Store).
Apply = Callable[["Store", Received], None]


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
    apply(uow, event=event)
    return True


# -- applying events ----------------------------------------------------------------------------


class Store(Protocol):
    """Where apply functions find and change the model's rows: the database, row by row, as
    events arrive (`_Live`), or memory during a rebuild, written at its end (`_Rebuilt`). The
    apply functions are the same for both."""

    def row(self, model: type[Row], key: str, new: dict[str, Any]) -> Row:
        """The row of `model` with primary key `key`, made of `new` (every column) if
        missing."""
        ...

    def replace_days(self, worker: WorkerRecord, days: dict[date, rules.Ranges]) -> None:
        """The worker's exception dates, all of them, replacing those kept."""
        ...


class _Live:
    """The database as events arrive: each row locked for the rest of the transaction
    (another event about the same record waits), inserted when missing."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def row(self, model: type[Row], key: str, new: dict[str, Any]) -> Row:
        session = self.uow.session
        found = session.get(model, key, with_for_update=True)
        if found is None:
            # Another event about the same record may insert it at the same moment.
            session.execute(pg_insert(model).values(**new).on_conflict_do_nothing())
            found = session.get(model, key, with_for_update=True)
        assert found is not None
        return found

    def replace_days(self, worker: WorkerRecord, days: dict[date, rules.Ranges]) -> None:
        session = self.uow.session
        session.execute(delete(WorkerDay).where(WorkerDay.worker_id == worker.id))
        if days:
            session.execute(insert(WorkerDay), _day_rows(worker, days))


def _day_rows(worker: WorkerRecord, days: dict[date, rules.Ranges]) -> list[dict[str, Any]]:
    return [
        {"worker_id": worker.id, "on_date": on_date, "tenant_id": worker.tenant_id, "minutes": m}
        for on_date, m in sorted(days.items())
    ]


def _newer(kept: datetime | None, occurred_at: datetime) -> bool:
    """Whether an event that happened at `occurred_at` is at least as new as the newest one
    applied (`kept`; None: none yet)."""
    return kept is None or occurred_at >= kept


def _cbo(store: Store, tenant_id: str) -> CboRecord:
    return store.row(
        CboRecord,
        tenant_id,
        {
            "tenant_id": tenant_id,
            "slug": "",
            "name": "",
            "timezone": DEFAULT_TIMEZONE,
            "status": ACTIVE,
            "status_event_at": None,
            "timezone_event_at": None,
        },
    )


def _set_timezone(cbo: CboRecord, timezone: str | None, occurred_at: datetime) -> None:
    if timezone and _newer(cbo.timezone_event_at, occurred_at):
        cbo.timezone, cbo.timezone_event_at = timezone, occurred_at


def _tenant_status(status: str) -> Apply:
    def apply(store: Store, event: Received) -> None:
        data = event.data
        cbo = _cbo(store, data["tenant_id"])
        if _newer(cbo.status_event_at, event.occurred_at):
            cbo.slug, cbo.name, cbo.status = data["slug"], data["name"], status
            cbo.status_event_at = event.occurred_at
        _set_timezone(cbo, data.get("timezone"), event.occurred_at)

    return apply


def _branding_updated(store: Store, event: Received) -> None:
    if event.data.get("timezone"):
        cbo = _cbo(store, event.data["tenant_id"])
        _set_timezone(cbo, event.data["timezone"], event.occurred_at)


def _client(store: Store, event: Received) -> None:
    data, tenant_id = event.data, event.tenant_id
    client = store.row(
        ClientRecord,
        data["client_id"],
        {
            "id": data["client_id"],
            "tenant_id": tenant_id,
            "name": data["name"],
            "active": True,
            "event_at": None,
        },
    )
    if client.tenant_id == tenant_id and _newer(client.event_at, event.occurred_at):
        client.name, client.active = data["name"], data.get("active", True)
        client.event_at = event.occurred_at


def _source(store: Store, event: Received) -> None:
    data, tenant_id = event.data, event.tenant_id
    source = store.row(
        SourceRecord,
        data["source_id"],
        {
            "id": data["source_id"],
            "tenant_id": tenant_id,
            "name": data["name"],
            "weekly_cap_minutes": None,
            "terms": [],
            "active": True,
            "event_at": None,
        },
    )
    if source.tenant_id == tenant_id and _newer(source.event_at, event.occurred_at):
        source.name = data["name"]
        source.weekly_cap_minutes = rules.cap_minutes(data.get("weekly_hour_cap"))
        source.terms = list(data.get("terms") or [])
        source.active = data.get("active", True)
        source.event_at = event.occurred_at


def _partnership(active: bool) -> Apply:
    def apply(store: Store, event: Received) -> None:
        data = event.data
        partnership = store.row(
            PartnershipRecord,
            data["partnership_id"],
            {
                "id": data["partnership_id"],
                "proposer_id": data["proposer_id"],
                "partner_id": data["partner_id"],
                "shares": list(data["shares"]),
                "active": False,
                "event_at": None,
            },
        )
        if _newer(partnership.event_at, event.occurred_at):
            partnership.shares = list(data["shares"])
            partnership.active = active
            partnership.event_at = event.occurred_at

    return apply


def _worker(store: Store, event: Received, worker_id: str) -> WorkerRecord | None:
    """The worker the event names, created when missing; None if the record belongs to
    another CBO than the event (never expected: ids are identity's)."""
    worker = store.row(
        WorkerRecord,
        worker_id,
        {
            "id": worker_id,
            "tenant_id": event.tenant_id,
            "name": "",
            "approved": False,
            "suspended": False,
            "active": True,
            "job_types": [],
            "skills": [],
            "languages": [],
            "home_zip": None,
            "latitude": None,
            "longitude": None,
            "source_id": None,
            "weekly_minutes": [],
            "profile_event_at": None,
            "status_event_at": None,
            "active_event_at": None,
        },
    )
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


def _registered(store: Store, event: Received) -> None:
    worker = _worker(store, event, event.data["jobseeker_id"])
    if worker is not None and worker.profile_event_at is None:
        # Until the profile itself arrives (emitted with it), the source is all we know.
        worker.source_id = event.data.get("source_id")


def _profile_changed(store: Store, event: Received) -> None:
    data = event.data
    worker = _worker(store, event, data["jobseeker_id"])
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
        worker.weekly_minutes = rules.weekly_minutes(availability)
        worker.profile_event_at = event.occurred_at
        store.replace_days(worker, rules.day_minutes(availability))
    _set_status(worker, data["status"], event.occurred_at)


def _approved(store: Store, event: Received) -> None:
    worker = _worker(store, event, event.data["jobseeker_id"])
    if worker is not None:
        _set_status(worker, APPROVED, event.occurred_at)


def _jobtype_approved(store: Store, event: Received) -> None:
    worker = _worker(store, event, event.data["jobseeker_id"])
    job_type = event.data["job_type"]
    if worker is not None and job_type not in (worker.job_types or []):
        worker.job_types = sorted({*(worker.job_types or []), job_type})


def _suspension(suspended: bool) -> Apply:
    def apply(store: Store, event: Received) -> None:
        worker = _worker(store, event, event.data["jobseeker_id"])
        if worker is not None:
            _set_suspended(worker, suspended, event.occurred_at)

    return apply


def _account(active: bool) -> Apply:
    def apply(store: Store, event: Received) -> None:
        worker = _worker(store, event, event.data["account_id"])
        if worker is not None and _newer(worker.active_event_at, event.occurred_at):
            worker.active, worker.active_event_at = active, event.occurred_at

    return apply


# The events the model is made of, and what each does to it.
APPLY: dict[str, Apply] = {
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


def apply(uow: UnitOfWork, *, event: Received) -> None:
    """Apply one event to the model in the database (without logging it: `receive` does)."""
    APPLY[event.event_type](_Live(uow), event)


# -- rebuilding -------------------------------------------------------------------------------

# The model's tables, emptied by a rebuild (the replay log stays), in the order it writes them.
READ_MODEL: tuple[type[Base], ...] = (
    CboRecord,
    ClientRecord,
    SourceRecord,
    PartnershipRecord,
    WorkerRecord,
    WorkerDay,
)


class _Rebuilt:
    """The model as a rebuild makes it: rows in memory (nobody else writes the model while the
    replay log is locked), written in bulk at the end."""

    def __init__(self) -> None:
        self.rows: dict[tuple[type[Base], str], Any] = {}
        self.days: dict[str, tuple[WorkerRecord, dict[date, rules.Ranges]]] = {}

    def row(self, model: type[Row], key: str, new: dict[str, Any]) -> Row:
        found = self.rows.get((model, key))
        if found is None:
            found = self.rows[(model, key)] = model(**new)
        return cast(Row, found)

    def replace_days(self, worker: WorkerRecord, days: dict[date, rules.Ranges]) -> None:
        self.days[worker.id] = (worker, days)

    def write(self, uow: UnitOfWork, *, batch: int) -> None:
        by_model: dict[type[Base], list[dict[str, Any]]] = {model: [] for model in READ_MODEL}
        for (model, _), row in self.rows.items():
            columns = cast(Table, model.__table__).columns
            by_model[model].append(
                {c.key: getattr(row, c.key) for c in columns if c.server_default is None}
            )
        by_model[WorkerDay] = [
            day for worker, days in self.days.values() for day in _day_rows(worker, days)
        ]
        for model in READ_MODEL:
            rows = by_model[model]
            for start in range(0, len(rows), batch):
                uow.session.execute(
                    insert(cast(Table, model.__table__)), rows[start : start + batch]
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
    for model in reversed(READ_MODEL):
        uow.session.execute(delete(model))
    uow.session.expunge_all()
    store = _Rebuilt()
    last = 0
    while True:
        logged = uow.session.execute(
            select(
                ReceivedEvent.seq,
                ReceivedEvent.event_id,
                ReceivedEvent.event_type,
                ReceivedEvent.tenant_id,
                ReceivedEvent.occurred_at,
                ReceivedEvent.data,
            )
            .where(ReceivedEvent.seq > last)
            .order_by(ReceivedEvent.seq)
            .limit(REBUILD_BATCH)
        ).all()
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
                APPLY[event.event_type](store, event)
        last = logged[-1].seq
    store.write(uow, batch=REBUILD_BATCH)
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
