"""Reporting's read model, built only from other services' events (never their tables).

The same mechanism as booking's read model of workers (services/booking/workers/domain.py):
every event goes through `receive`, which keeps it in `received_events` (the replay log, one
row per event id, so a redelivered event changes nothing) and applies it through the one
function `APPLY` names for its type, in the same transaction. `rebuild` empties the model and
applies the whole log again, in the order it was applied, through the same functions: the
same events give the same numbers.

What an event adds goes straight into the rollups (INSERT ... ON CONFLICT DO UPDATE adding
to the figures): one row per CBO day, job type, worker source and client (`daily_rollups`),
one per CBO day (`daily_totals`, what a dashboard sums) and one per worker, week or month and
job type (`worker_periods`: active job seekers, the earnings profile). A shift's facts count
on the shift's own day in its CBO's time zone.

Order: events of one shift come on several queues. A fact about a shift reporting has not
heard of yet (its `booking.created` is still on its way) is logged and parked
(`parked_events`, under that shift) without changing anything; the booking's arrival applies
the parked facts, in the order they were logged. A replay goes through the same steps in the
same order, so it parks and releases them alike.
Corrections (a completed place marked a no-show, or back) take the figures back from the
bucket they went to (the place keeps its outcome, source and minutes).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from marshmallow import Schema
from sqlalchemy import Table, TextClause, delete, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert

from chassis.audit import audit
from chassis.context import Caller
from chassis.contracts.events import CATALOGUE, Event
from chassis.db import UnitOfWork, insert_rows
from services.reporting.base import Base
from services.reporting.records import rules
from services.reporting.records.models import (
    ActiveCount,
    ActivityEntry,
    CboRecord,
    ClientRecord,
    DailyRollup,
    DailyTotal,
    JobTypeRecord,
    ParkedEvent,
    PartnershipRecord,
    PlaceRecord,
    ReceivedEvent,
    ShiftRecord,
    SourceRecord,
    VisitRecord,
    WorkerActivity,
    WorkerPeriod,
    WorkerRecord,
)

COMPLETED, NO_SHOW = "completed", "no_show"
REBUILD_BATCH = 1000


class ShiftNotYetKnown(RuntimeError):
    """A fact about a shift whose booking has not reached reporting yet: parked until it
    does. Raised before the apply function changes anything."""

    def __init__(self, shift_id: str) -> None:
        super().__init__(f"shift {shift_id} is not known to reporting yet")
        self.shift_id = shift_id


@dataclass(frozen=True)
class Received:
    """An event as the read model keeps it: its data as JSON (dates as ISO strings)."""

    event_id: str
    event_type: str
    tenant_id: str | None
    occurred_at: datetime
    data: dict[str, Any]


Apply = Callable[[UnitOfWork, Received], None]


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


def receive(uow: UnitOfWork, *, event: Received) -> bool:
    """Keep the event in the replay log and apply it; False if it was received before (a
    redelivery, or the same event through another handler) or concerns no CBO."""
    return receive_many(uow, events=[event]) == 1


def receive_many(uow: UnitOfWork, *, events: Sequence[Received]) -> int:
    """`receive` for a batch of events in the order given: the new ones kept in the replay log
    in one statement, then each applied in turn; how many were applied."""
    wanted = [e for e in events if e.event_type in APPLY and _concerns_a_cbo(e)]
    if not wanted:
        return 0
    logged = set(
        insert_rows(
            uow,
            ReceivedEvent,
            [
                {
                    "event_id": e.event_id,
                    "event_type": e.event_type,
                    "tenant_id": e.tenant_id,
                    "occurred_at": e.occurred_at,
                    "data": e.data,
                }
                for e in wanted
            ],
            returning="event_id",
        )
    )
    applied = 0
    with _applying(uow, [e for e in wanted if e.event_id in logged]):
        for event in wanted:
            if event.event_id in logged:
                logged.discard(event.event_id)  # once, even if the batch has it twice
                _apply(uow, event)
                applied += 1
    return applied


# Session.info keys of what a batch being applied holds until its end (`_applying`): the
# records its events name, the figures it adds up, the activity it keeps.
_HELD = "reporting.held"
_PENDING_FIGURES = "reporting.pending_figures"
_PENDING_ACTIVITY = "reporting.pending_activity"

_Record = ShiftRecord | WorkerRecord | VisitRecord
_Held = dict[tuple[type, str], "_Record | None"]


@contextmanager
def _applying(uow: UnitOfWork, events: Sequence[Received]) -> Iterator[None]:
    """Within it, a batch of events is applied with one statement for each kind of write, not
    one per event: the shifts, workers and visits the events name are read first in one query
    each and held (found, or known to be missing: a new visit is not looked for again);
    `bump` adds the figures up in memory and `_activity` keeps the entries, and both are
    written when it ends (one upsert per bucket and per CBO day however many events counted
    in it, in the rows' order, so that two batches never wait on each other's rows in a
    circle; the entries in one statement). Nothing is written if it raises."""
    info = uow.session.info
    figures: dict[tuple, Counter[str]] = {}
    activity: list[dict[str, Any]] = []
    info[_HELD] = _preload(uow, events)
    info[_PENDING_FIGURES] = figures
    info[_PENDING_ACTIVITY] = activity
    try:
        yield
    finally:
        for key in (_HELD, _PENDING_FIGURES, _PENDING_ACTIVITY):
            del info[key]
    # The batch's records first, then its figures: as every handler that flushes a record
    # before its figures (an exception's visit), so two batches never lock them in a circle.
    uow.session.flush()
    _write_figures(uow, figures)
    _write_activity(uow, activity)


def _preload(uow: UnitOfWork, events: Sequence[Received]) -> _Held:
    """The shifts, workers and visits a batch's events name, read in one query each."""
    held: _Held = {}
    if len(events) < 2:
        return held
    kinds: tuple[tuple[type[_Record], str], ...] = (
        (ShiftRecord, "shift_id"),
        (WorkerRecord, "worker_id"),
        (VisitRecord, "visit_id"),
    )
    for model, key in kinds:
        ids = {e.data[key] for e in events if isinstance(e.data.get(key), str)}
        if ids:
            query = select(model).where(model.id.in_(sorted(ids)))
            rows: list[_Record] = list(uow.session.execute(query).scalars())  # type: ignore[arg-type]
            found = {r.id: r for r in rows}
            held.update({(model, id_): found.get(id_) for id_ in ids})
    return held


def _get(uow: UnitOfWork, model: type[_Record], id_: str) -> Any:
    """The record the batch holds, or None if it is known to be missing; else the session's."""
    held: _Held | None = uow.session.info.get(_HELD)
    if held is not None and (model, id_) in held:
        return held[(model, id_)]
    return uow.session.get(model, id_)


def _add_record(uow: UnitOfWork, record: _Record) -> None:
    """A new shift, worker or visit, held by the batch from now on."""
    uow.session.add(record)
    held: _Held | None = uow.session.info.get(_HELD)
    if held is not None:
        held[(type(record), record.id)] = record


def _apply(uow: UnitOfWork, event: Received) -> None:
    """Apply one logged event, or park it under the shift it waits for."""
    try:
        APPLY[event.event_type](uow, event)
    except ShiftNotYetKnown as waiting:
        uow.session.execute(
            pg_insert(ParkedEvent)
            .values(event_id=event.event_id, shift_id=waiting.shift_id)
            .on_conflict_do_update(index_elements=["event_id"], set_={"shift_id": waiting.shift_id})
        )


def _release_parked(uow: UnitOfWork, shift_ids: list[str]) -> None:
    """Apply the facts that waited for these shifts, in the order they were logged."""
    waiting = (
        uow.session.execute(
            delete(ParkedEvent)
            .where(ParkedEvent.shift_id.in_(shift_ids))
            .returning(ParkedEvent.event_id)
        )
        .scalars()
        .all()
    )
    if not waiting:
        return
    logged = (
        uow.session.execute(
            select(ReceivedEvent)
            .where(ReceivedEvent.event_id.in_(waiting))
            .order_by(ReceivedEvent.seq)
        )
        .scalars()
        .all()
    )
    for entry in logged:
        _apply(
            uow,
            Received(
                event_id=entry.event_id,
                event_type=entry.event_type,
                tenant_id=entry.tenant_id,
                occurred_at=entry.occurred_at,
                data=entry.data,
            ),
        )


def _concerns_a_cbo(event: Received) -> bool:
    # Partnerships and CBO approvals name their CBOs in the data; everything else is one
    # CBO's fact, carried by the envelope.
    if event.event_type.startswith(("partnership.", "tenant.")):
        return True
    return event.tenant_id is not None


# -- small helpers --------------------------------------------------------------------------------


def _when(value: str | datetime) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _day(value: str | date) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _timezone(uow: UnitOfWork, tenant_id: str) -> str:
    found = uow.session.get(CboRecord, tenant_id)
    return found.timezone if found is not None else rules.DEFAULT_TIMEZONE


def _upsert(uow: UnitOfWork, model: type[Base], keys: dict[str, Any], **values: Any) -> None:
    """Insert the row with `values`, or set them on the one with these keys."""
    statement = pg_insert(model).values(**keys, **values)
    if values:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={k: statement.excluded[k] for k in values}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    uow.session.execute(statement)


def _add(uow: UnitOfWork, table: Table, keys: dict[str, Any], deltas: Mapping[str, int]) -> None:
    """Add `deltas` to the row with these keys (made at zero if missing)."""
    deltas = {name: value for name, value in deltas.items() if value}
    if not deltas:
        return
    uow.session.execute(_adding(table, tuple(keys), tuple(deltas)), {**keys, **deltas})


@functools.lru_cache(maxsize=256)
def _adding(table: Table, keys: tuple[str, ...], deltas: tuple[str, ...]) -> TextClause:
    """`_add`'s upsert as text, made once per shape: SQLAlchemy compiles a PostgreSQL
    `INSERT … ON CONFLICT` anew at every execution (it caches none), and every batch's
    figures are a few of them."""
    columns = ", ".join(f'"{name}"' for name in (*keys, *deltas))
    values = ", ".join(f":{name}" for name in (*keys, *deltas))
    unique = ", ".join(f'"{name}"' for name in keys)
    name = postgresql.dialect().identifier_preparer.format_table(table)
    additions = ", ".join(f'"{d}" = {name}."{d}" + excluded."{d}"' for d in deltas)
    return text(
        f"INSERT INTO {name} ({columns}) VALUES ({values}) "
        f"ON CONFLICT ({unique}) DO UPDATE SET {additions}"
    )


_ROLLUP_KEYS = ("tenant_id", "day", "job_type_id", "source_id", "client_id")
_TOTAL_KEYS = ("tenant_id", "day")


def bump(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    day: date,
    job_type_id: str = "",
    source_id: str = "",
    client_id: str = "",
    **deltas: int,
) -> None:
    """Add figures (rules.METRICS) to a CBO day: its bucket and its total (at once, or at the
    end of the batch being applied: `_applying`)."""
    deltas = {name: value for name, value in deltas.items() if value}
    if not deltas:
        return
    unknown = set(deltas) - set(rules.METRICS)
    if unknown:
        raise ValueError(f"not figures of a day: {sorted(unknown)}")
    rollup = (tenant_id, day, job_type_id, source_id, client_id)
    pending = uow.session.info.get(_PENDING_FIGURES)
    if pending is None:
        _write_figures(uow, {rollup: Counter(deltas)})
        return
    pending.setdefault(rollup, Counter()).update(deltas)


def _write_figures(uow: UnitOfWork, figures: dict[tuple, Counter[str]]) -> None:
    totals: dict[tuple, Counter[str]] = {}
    for rollup, deltas in sorted(figures.items()):
        _add(uow, DailyRollup.__table__, dict(zip(_ROLLUP_KEYS, rollup, strict=True)), deltas)  # type: ignore[arg-type]
        totals.setdefault(rollup[:2], Counter()).update(deltas)
    for total, deltas in sorted(totals.items()):
        _add(uow, DailyTotal.__table__, dict(zip(_TOTAL_KEYS, total, strict=True)), deltas)  # type: ignore[arg-type]


def _bump_worker(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    worker_id: str,
    job_type_id: str,
    source_id: str,
    starts: tuple[tuple[str, date], ...],
    **deltas: int,
) -> None:
    """Add a worker's shifts, minutes or pay to the week and month they fall in."""
    for period, starts_on in starts:
        keys = {
            "tenant_id": tenant_id,
            "period": period,
            "starts_on": starts_on,
            "worker_id": worker_id,
            "job_type_id": job_type_id,
        }
        statement = pg_insert(WorkerPeriod).values(**keys, source_id=source_id, **deltas)
        table = WorkerPeriod.__table__
        uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=list(keys),
                set_={name: table.c[name] + statement.excluded[name] for name in deltas},
            )
        )
        if deltas.get("shifts"):
            _count_active(
                uow,
                tenant_id=tenant_id,
                period=period,
                starts_on=starts_on,
                worker_id=worker_id,
                shifts=deltas["shifts"],
            )


def _count_active(
    uow: UnitOfWork, *, tenant_id: str, period: str, starts_on: date, worker_id: str, shifts: int
) -> None:
    """Keep the period's count of active job seekers: a worker's first shift in it adds one,
    a correction taking back their last one removes them (so a dashboard reads one row)."""
    keys = {"tenant_id": tenant_id, "period": period, "starts_on": starts_on}
    statement = pg_insert(WorkerActivity).values(**keys, worker_id=worker_id, shifts=shifts)
    now = uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[*keys, "worker_id"],
            set_={"shifts": WorkerActivity.shifts + statement.excluded.shifts},
        ).returning(WorkerActivity.shifts)
    ).scalar_one()
    before = now - shifts
    change = (now > 0) - (before > 0)
    if change:
        counted = pg_insert(ActiveCount).values(**keys, active=change)
        uow.session.execute(
            counted.on_conflict_do_update(
                index_elements=list(keys),
                set_={"active": ActiveCount.active + counted.excluded.active},
            )
        )


def _worker_source(uow: UnitOfWork, worker_id: str) -> str:
    found = _get(uow, WorkerRecord, worker_id)
    return found.source_id if found is not None else ""


def _shift(uow: UnitOfWork, tenant_id: str, shift_id: str) -> ShiftRecord:
    # Asked again before the event is parked: the batch's preload may be older than the
    # booking that committed since (parking is rare, the question cheap).
    found = _get(uow, ShiftRecord, shift_id) or uow.session.get(ShiftRecord, shift_id)
    if found is None or found.tenant_id != tenant_id:
        raise ShiftNotYetKnown(shift_id)
    return found


def _activity(
    uow: UnitOfWork,
    event: Received,
    *,
    actor_id: str | None,
    actor_kind: str,
    action: str,
    entity_type: str,
    entity_id: str,
) -> None:
    if not actor_id or event.tenant_id is None:
        return
    entry = {
        "event_id": event.event_id,
        "tenant_id": event.tenant_id,
        "at": event.occurred_at,
        "actor_id": actor_id,
        "actor_kind": actor_kind[:20],
        "action": action[:100],
        "entity_type": entity_type[:60],
        "entity_id": entity_id[:100],
    }
    pending = uow.session.info.get(_PENDING_ACTIVITY)
    if pending is None:
        _write_activity(uow, [entry])
    else:
        pending.append(entry)


def _write_activity(uow: UnitOfWork, entries: list[dict[str, Any]]) -> None:
    """Activity entries in one statement (an event's again is nothing), in their ids' order."""
    insert_rows(uow, ActivityEntry, sorted(entries, key=lambda entry: entry["event_id"]))


# -- CBOs, partnerships, clients, job types, sources ----------------------------------------------


def _tenant_approved(uow: UnitOfWork, event: Received) -> None:
    data = event.data
    _upsert(
        uow,
        CboRecord,
        {"tenant_id": data["tenant_id"]},
        name=data["name"],
        slug=data["slug"],
        timezone=data.get("timezone") or rules.DEFAULT_TIMEZONE,
    )


def _branding_updated(uow: UnitOfWork, event: Received) -> None:
    timezone = event.data.get("timezone")
    if not timezone or event.tenant_id is None:
        return
    found = uow.session.get(CboRecord, event.tenant_id)
    if found is None:
        uow.session.add(CboRecord(tenant_id=event.tenant_id, timezone=timezone))
    else:
        found.timezone = timezone
    uow.session.flush()


def _partnership(active: bool) -> Apply:
    def apply(uow: UnitOfWork, event: Received) -> None:
        data = event.data
        _upsert(
            uow,
            PartnershipRecord,
            {"id": data["partnership_id"]},
            proposer_id=data["proposer_id"],
            partner_id=data["partner_id"],
            shares=list(data.get("shares") or []),
            active=active,
        )

    return apply


def _client(uow: UnitOfWork, event: Received) -> None:
    data = event.data
    _upsert(
        uow,
        ClientRecord,
        {"id": data["client_id"]},
        tenant_id=event.tenant_id,
        name=data["name"],
        kind=data.get("kind") or "",
    )


def _job_type(uow: UnitOfWork, event: Received) -> None:
    data = event.data
    _upsert(
        uow,
        JobTypeRecord,
        {"id": data["job_type_id"]},
        tenant_id=event.tenant_id,
        key=data["key"],
        name=data["name"],
        skills=list(data.get("required_skills") or []),
    )


def _source(uow: UnitOfWork, event: Received) -> None:
    data = event.data
    _upsert(
        uow, SourceRecord, {"id": data["source_id"]}, tenant_id=event.tenant_id, name=data["name"]
    )


# -- job seekers ----------------------------------------------------------------------------------


def _worker(uow: UnitOfWork, tenant_id: str, worker_id: str) -> WorkerRecord:
    found = _get(uow, WorkerRecord, worker_id)
    if found is None:
        found = WorkerRecord(
            id=worker_id,
            tenant_id=tenant_id,
            name="",
            source_id="",
            skills=[],
            registered=False,
            approved=False,
            status="pending",
        )
        _add_record(uow, found)
    return found


def _registered(uow: UnitOfWork, event: Received) -> None:
    assert event.tenant_id is not None
    data = event.data
    worker = _worker(uow, event.tenant_id, data["jobseeker_id"])
    if worker.registered:
        return
    worker.registered = True
    if data.get("source_id") and not worker.source_id:
        worker.source_id = data["source_id"]
    uow.session.flush()
    day = rules.local_day(event.occurred_at, _timezone(uow, event.tenant_id))
    bump(uow, tenant_id=event.tenant_id, day=day, source_id=worker.source_id, registered=1)
    if data.get("channel") == "self":
        _activity(
            uow,
            event,
            actor_id=data["jobseeker_id"],
            actor_kind="jobseeker",
            action="jobseeker.registered",
            entity_type="jobseeker",
            entity_id=data["jobseeker_id"],
        )


def _profile_changed(uow: UnitOfWork, event: Received) -> None:
    assert event.tenant_id is not None
    data = event.data
    worker = _worker(uow, event.tenant_id, data["jobseeker_id"])
    worker.name = (data.get("name") or "")[:200]
    worker.skills = [str(skill)[:60] for skill in data.get("skills") or []]
    worker.source_id = data.get("source_id") or ""
    worker.status = data.get("status") or worker.status
    uow.session.flush()


def _approved(uow: UnitOfWork, event: Received) -> None:
    assert event.tenant_id is not None
    worker = _worker(uow, event.tenant_id, event.data["jobseeker_id"])
    if worker.approved:
        return
    worker.approved = True
    uow.session.flush()
    day = rules.local_day(event.occurred_at, _timezone(uow, event.tenant_id))
    bump(uow, tenant_id=event.tenant_id, day=day, source_id=worker.source_id, approved=1)


# -- shifts ---------------------------------------------------------------------------------------


def _booking_created(uow: UnitOfWork, event: Received) -> None:
    assert event.tenant_id is not None
    data = event.data
    timezone = _timezone(uow, event.tenant_id)
    for shift in data["shifts"]:
        if _get(uow, ShiftRecord, shift["shift_id"]) is not None:
            continue
        starts_at, ends_at = _when(shift["starts_at"]), _when(shift["ends_at"])
        record = ShiftRecord(
            id=shift["shift_id"],
            tenant_id=event.tenant_id,
            booking_id=data["booking_id"],
            client_id=data["client_id"],
            job_type_id=data["job_type_id"],
            day=rules.local_day(starts_at, timezone),
            minutes=rules.minutes_between(starts_at, ends_at),
            positions=data["positions"],
            booked_at=event.occurred_at,
            filled_at=None,
            cancelled=False,
        )
        _add_record(uow, record)
        uow.session.flush()
        bump(
            uow,
            **_dims(record),
            shifts_booked=1,
            minutes_booked=record.minutes * record.positions,
        )
    _release_parked(uow, [shift["shift_id"] for shift in data["shifts"]])


def _dims(shift: ShiftRecord) -> dict[str, Any]:
    return {
        "tenant_id": shift.tenant_id,
        "day": shift.day,
        "job_type_id": shift.job_type_id,
        "client_id": shift.client_id,
    }


def _shift_filled(uow: UnitOfWork, event: Received) -> None:
    assert event.tenant_id is not None
    shift = _shift(uow, event.tenant_id, event.data["shift_id"])
    if shift.filled_at is not None:
        return
    shift.filled_at = event.occurred_at
    uow.session.flush()
    waited = rules.minutes_between(shift.booked_at, event.occurred_at)
    bump(uow, **_dims(shift), shifts_filled=1, fill_minutes=waited)


def _booking_cancelled(uow: UnitOfWork, event: Received) -> None:
    assert event.tenant_id is not None
    data = event.data
    late = set(data.get("late_shift_ids") or [])
    # Every shift known before anything changes (else the event waits, unchanged).
    shifts = [_shift(uow, event.tenant_id, shift_id) for shift_id in data["shift_ids"]]
    for shift_id, shift in zip(data["shift_ids"], shifts, strict=True):
        if shift.cancelled:
            continue
        shift.cancelled = True
        uow.session.flush()
        bump(
            uow,
            **_dims(shift),
            shifts_cancelled=1,
            late_cancellations=1 if shift_id in late else 0,
        )


def _assignment_cancelled(uow: UnitOfWork, event: Received) -> None:
    assert event.tenant_id is not None
    data = event.data
    shift = _shift(uow, event.tenant_id, data["shift_id"])
    if data.get("late"):
        source_id = _worker_source(uow, data["worker_id"])
        bump(uow, **_dims(shift), source_id=source_id, late_cancellations=1)
    if data.get("cancelled_by_kind") == "worker":
        _activity(
            uow,
            event,
            actor_id=data["worker_id"],
            actor_kind="jobseeker",
            action="assignment.cancelled",
            entity_type="shift",
            entity_id=data["shift_id"],
        )


def _place_figures(uow: UnitOfWork, shift: ShiftRecord, place: PlaceRecord, sign: int) -> None:
    """Add (sign 1) or take back (sign -1) what a place's outcome counted."""
    if place.outcome == NO_SHOW:
        bump(uow, **_dims(shift), source_id=place.source_id, no_shows=sign)
        return
    bump(
        uow,
        **_dims(shift),
        source_id=place.source_id,
        places_completed=sign,
        minutes_worked=sign * place.minutes,
    )
    _bump_worker(
        uow,
        tenant_id=shift.tenant_id,
        worker_id=place.worker_id,
        job_type_id=shift.job_type_id,
        source_id=place.source_id,
        starts=rules.period_starts(shift.day),
        shifts=sign,
        minutes=sign * place.minutes,
    )


def _attendance(outcome: str) -> Apply:
    def apply(uow: UnitOfWork, event: Received) -> None:
        assert event.tenant_id is not None
        data = event.data
        shift = _shift(uow, event.tenant_id, data["shift_id"])
        place = uow.session.get(PlaceRecord, data["assignment_id"])
        if place is not None and place.outcome == outcome:
            return
        if place is not None:
            _place_figures(uow, shift, place, -1)
            place.outcome = outcome
        else:
            place = PlaceRecord(
                assignment_id=data["assignment_id"],
                tenant_id=event.tenant_id,
                shift_id=shift.id,
                worker_id=data["worker_id"],
                source_id=_worker_source(uow, data["worker_id"]),
                outcome=outcome,
                minutes=rules.minutes_between(_when(data["starts_at"]), _when(data["ends_at"])),
            )
            uow.session.add(place)
        uow.session.flush()
        _place_figures(uow, shift, place, 1)

    return apply


# -- offers, cascades, visits ---------------------------------------------------------------------


def _offer_answered(action: str) -> Apply:
    def apply(uow: UnitOfWork, event: Received) -> None:
        data = event.data
        _activity(
            uow,
            event,
            actor_id=data["worker_id"],
            actor_kind="jobseeker",
            action=action,
            entity_type="offer",
            entity_id=data["offer_id"],
        )

    return apply


def _cascade(figure: str) -> Apply:
    def apply(uow: UnitOfWork, event: Received) -> None:
        assert event.tenant_id is not None
        shift = _shift(uow, event.tenant_id, event.data["shift_id"])
        figures: dict[str, Any] = {figure: 1}
        bump(uow, **_dims(shift), **figures)

    return apply


def _visit(uow: UnitOfWork, tenant_id: str, visit_id: str) -> VisitRecord:
    found = _get(uow, VisitRecord, visit_id)
    if found is None:
        found = VisitRecord(id=visit_id, tenant_id=tenant_id, started=False, excepted=False)
        _add_record(uow, found)
    return found


def _count_visit(uow: UnitOfWork, event: Received) -> None:
    """The visit counts once (the exception rate's base), on its shift's day."""
    assert event.tenant_id is not None
    data = event.data
    shift = _shift(uow, event.tenant_id, data["shift_id"])
    visit = _visit(uow, event.tenant_id, data["visit_id"])
    if visit.started:
        return
    visit.started = True
    bump(uow, **_dims(shift), source_id=_worker_source(uow, data["worker_id"]), visits=1)


def _visit_started(uow: UnitOfWork, event: Received) -> None:
    data = event.data
    _count_visit(uow, event)
    _activity(
        uow,
        event,
        actor_id=data["worker_id"],
        actor_kind="jobseeker",
        action="visit.clocked_in",
        entity_type="visit",
        entity_id=data["visit_id"],
    )


def _visit_corrected(uow: UnitOfWork, event: Received) -> None:
    """A clock-in staff entered (the worker forgot, or had no phone) is a visit too; staff's
    side of it is activity through the audit trail."""
    if event.data.get("kind") == "clock_in":
        _count_visit(uow, event)


def _visit_ended(uow: UnitOfWork, event: Received) -> None:
    data = event.data
    _activity(
        uow,
        event,
        actor_id=data["worker_id"],
        actor_kind="jobseeker",
        action="visit.clocked_out",
        entity_type="visit",
        entity_id=data["visit_id"],
    )


def _visit_exception(uow: UnitOfWork, event: Received) -> None:
    assert event.tenant_id is not None
    data = event.data
    shift = _shift(uow, event.tenant_id, data["shift_id"])
    visit = _visit(uow, event.tenant_id, data["visit_id"])
    if visit.excepted:
        return
    visit.excepted = True
    uow.session.flush()
    source_id = _worker_source(uow, data["worker_id"])
    bump(uow, **_dims(shift), source_id=source_id, visits_with_exceptions=1)


# -- pay and the audit trail ----------------------------------------------------------------------


def _payroll_completed(uow: UnitOfWork, event: Received) -> None:
    """Each worker's gross pay counts on the pay week's Monday, cut by client and job type as
    billing's lines give it (what no client line explains, premiums say, goes uncut)."""
    assert event.tenant_id is not None
    week = _day(event.data["week_start"])
    starts = (("week", week), ("month", rules.month_start(week)))
    for line in event.data["lines"]:
        worker_id = line["worker_id"]
        source_id = _worker_source(uow, worker_id)
        parts = [
            (
                str(part.get("client_id") or ""),
                str(part.get("job_type_id") or ""),
                int(part.get("gross_cents") or 0),
            )
            for part in line.get("clients") or []
        ]
        rest = int(line["gross_cents"]) - sum(cents for _, _, cents in parts)
        if rest:
            parts.append(("", "", rest))
        for client_id, job_type_id, cents in parts:
            bump(
                uow,
                tenant_id=event.tenant_id,
                day=week,
                job_type_id=job_type_id,
                source_id=source_id,
                client_id=client_id,
                gross_cents=cents,
            )
            _bump_worker(
                uow,
                tenant_id=event.tenant_id,
                worker_id=worker_id,
                job_type_id=job_type_id,
                source_id=source_id,
                starts=starts,
                gross_cents=cents,
            )


def _audit_recorded(uow: UnitOfWork, event: Received) -> None:
    data = event.data
    _activity(
        uow,
        event,
        actor_id=data.get("actor_id"),
        actor_kind=data["actor_kind"],
        action=data["action"],
        entity_type=data["entity_type"],
        entity_id=data["entity_id"],
    )


APPLY: dict[str, Apply] = {
    "tenant.approved": _tenant_approved,
    "branding.updated": _branding_updated,
    "partnership.formed": _partnership(True),
    "partnership.ended": _partnership(False),
    "client.registered": _client,
    "client.updated": _client,
    "jobtype.created": _job_type,
    "jobtype.updated": _job_type,
    "source.created": _source,
    "source.updated": _source,
    "jobseeker.registered": _registered,
    "jobseeker.profile_changed": _profile_changed,
    "jobseeker.approved": _approved,
    "booking.created": _booking_created,
    "shift.filled": _shift_filled,
    "booking.cancelled": _booking_cancelled,
    "assignment.cancelled": _assignment_cancelled,
    "shift.completed": _attendance(COMPLETED),
    "worker.no_show": _attendance(NO_SHOW),
    "offer.confirmed": _offer_answered("offer.confirmed"),
    "offer.declined": _offer_answered("offer.declined"),
    "cascade.started": _cascade("cascades_started"),
    "cascade.completed": _cascade("cascades_completed"),
    "rebooking.exhausted": _cascade("cascades_exhausted"),
    "visit.started": _visit_started,
    "visit.corrected": _visit_corrected,
    "visit.ended": _visit_ended,
    "visit.exception_raised": _visit_exception,
    "payroll.completed": _payroll_completed,
    "audit.recorded": _audit_recorded,
}


# -- rebuilding -----------------------------------------------------------------------------------

# The model's tables, emptied by a rebuild (the replay log stays).
READ_MODEL: tuple[type[Base], ...] = (
    CboRecord,
    PartnershipRecord,
    ClientRecord,
    JobTypeRecord,
    SourceRecord,
    WorkerRecord,
    ShiftRecord,
    PlaceRecord,
    VisitRecord,
    DailyRollup,
    DailyTotal,
    WorkerPeriod,
    WorkerActivity,
    ActiveCount,
    ActivityEntry,
    ParkedEvent,
)


def counts(uow: UnitOfWork) -> dict[str, int]:
    """How many rows the model and its replay log hold."""

    def rows(model: type[Base]) -> int:
        return uow.session.execute(select(func.count()).select_from(model)).scalar_one()

    return {
        "events": rows(ReceivedEvent),
        "shifts": rows(ShiftRecord),
        "workers": rows(WorkerRecord),
        "daily_rollups": rows(DailyRollup),
        "daily_totals": rows(DailyTotal),
        "worker_periods": rows(WorkerPeriod),
        "activity_entries": rows(ActivityEntry),
    }


def rebuild(uow: UnitOfWork, *, caller: Caller | None = None) -> dict[str, int]:
    """Empty the model and apply every logged event again, in the order they were applied,
    through the same functions: the model (and every figure) the events make. Events arriving
    meanwhile wait (the replay log is locked until the rebuild commits)."""
    uow.session.flush()
    uow.session.execute(
        text(f"LOCK TABLE {ReceivedEvent.__tablename__} IN SHARE ROW EXCLUSIVE MODE")
    )
    for model in reversed(READ_MODEL):
        uow.session.execute(delete(model))
    uow.session.expunge_all()
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
        events = [
            Received(
                event_id=entry.event_id,
                event_type=entry.event_type,
                tenant_id=entry.tenant_id,
                occurred_at=entry.occurred_at,
                data=entry.data,
            )
            for entry in logged
        ]
        with _applying(uow, events):
            for event in events:
                _apply(uow, event)
        uow.session.flush()
        uow.session.expunge_all()
        last = logged[-1].seq
    found = counts(uow)
    if caller is not None:
        audit(
            uow,
            caller,
            action="reporting.read_model_rebuilt",
            entity_type="read_model",
            entity_id="reporting",
            after=found,
        )
    return found


# -- reading --------------------------------------------------------------------------------------


def cbo_timezone(uow: UnitOfWork, *, tenant_id: str) -> str:
    return _timezone(uow, tenant_id)


def cbos(uow: UnitOfWork) -> list[CboRecord]:
    return list(uow.session.execute(select(CboRecord).order_by(CboRecord.name)).scalars())


def shares_reports_with(uow: UnitOfWork, *, tenant_id: str, other_id: str) -> bool:
    """Whether the two CBOs are partners now and share their reports."""
    found = uow.session.execute(
        select(PartnershipRecord.id).where(
            PartnershipRecord.active.is_(True),
            PartnershipRecord.shares.contains(["reports"]),
            (
                (PartnershipRecord.proposer_id == tenant_id)
                & (PartnershipRecord.partner_id == other_id)
            )
            | (
                (PartnershipRecord.proposer_id == other_id)
                & (PartnershipRecord.partner_id == tenant_id)
            ),
        )
    ).first()
    return found is not None
