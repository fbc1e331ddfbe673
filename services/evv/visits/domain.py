"""Visits: punches from the worker's phone, exceptions, staff corrections and resolutions,
verification (the six Cures Act elements) and the sweep for no-shows and missing clock-outs.

Who may see a visit: the CBO's staff (its tenant), the client's own users (its client) and the
worker (their own visits, even a partner CBO's shift). Anyone else finds nothing (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, bindparam, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm.attributes import set_committed_value

from chassis.audit import audit
from chassis.context import CLIENT, JOBSEEKER, Caller
from chassis.db import UnitOfWork
from chassis.errors import Conflict, DomainError, NotFound, ValidationFailed
from services.evv.records import domain as records
from services.evv.records.models import ShiftRecord, SiteRecord
from services.evv.timesheets import domain as timesheets
from services.evv.visits import rules
from services.evv.visits.models import ClientEvvChoice, EvvSettings, Visit, VisitException
from services.evv.visits.models import VisitRecord as Record

OPEN_STATUSES = ("scheduled", "in_progress")


# -- settings and the client's choice ------------------------------------------------------------


def settings_for(uow: UnitOfWork, *, tenant_id: str, lock: bool = False) -> EvvSettings:
    query = select(EvvSettings).where(EvvSettings.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    found = uow.session.execute(query).scalar_one_or_none()
    if found is not None:
        return found
    uow.session.execute(
        insert(EvvSettings)
        .values(tenant_id=tenant_id, **rules.DEFAULTS)
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    return uow.session.execute(query).scalar_one()


def settings_dict(settings: EvvSettings) -> dict[str, int]:
    return {name: getattr(settings, name) for name in rules.DEFAULTS}


def update_settings(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, int]
) -> EvvSettings:
    settings = settings_for(uow, tenant_id=tenant_id, lock=True)
    problems = rules.out_of_bounds(data)
    if problems:
        raise ValidationFailed(fields=problems)
    changed = [k for k, v in data.items() if getattr(settings, k) != v]
    if changed:
        before = {k: getattr(settings, k) for k in changed}
        for name in changed:
            setattr(settings, name, data[name])
        settings.updated_by = caller.user_id
        uow.session.flush()
        audit(
            uow,
            caller,
            action="evv_settings.update",
            entity_type="evv_settings",
            entity_id=tenant_id,
            before=before,
            after={k: data[k] for k in changed},
            tenant_id=tenant_id,
        )
    return settings


def client_chose_evv(uow: UnitOfWork, *, tenant_id: str, client_id: str) -> bool:
    found = uow.session.get(ClientEvvChoice, (tenant_id, client_id))
    return found is not None and found.evv


def set_client_choice(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, client_id: str, evv: bool
) -> dict[str, Any]:
    found = uow.session.get(ClientEvvChoice, (tenant_id, client_id), with_for_update=True)
    before = None if found is None else found.evv
    if found is None:
        uow.session.add(ClientEvvChoice(client_id=client_id, tenant_id=tenant_id, evv=evv))
    else:
        found.evv = evv
    uow.session.flush()
    if before != evv:
        audit(
            uow,
            caller,
            action="client_evv.set",
            entity_type="client",
            entity_id=client_id,
            before={"evv": before},
            after={"evv": evv},
            tenant_id=tenant_id,
        )
    return {"client_id": client_id, "evv": evv}


# -- reading -------------------------------------------------------------------------------------


def _scoped(query, caller: Caller, tenant_id: str):
    """Visits the caller may see: their own (a worker), their client's (a client user), their
    CBO's (staff)."""
    if caller.kind == JOBSEEKER:
        return query.where(Visit.worker_id == caller.user_id, Visit.worker_tenant_id == tenant_id)
    query = query.where(Visit.tenant_id == tenant_id)
    if caller.kind == CLIENT:
        query = query.where(Visit.client_id == caller.client_id)
    return query


def visit_for(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, visit_id: str, lock: bool = False
) -> Visit:
    query = _scoped(select(Visit).where(Visit.id == visit_id), caller, tenant_id)
    if lock:
        query = query.with_for_update()
    found = uow.session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound("There is no such visit.")
    return found


@dataclass
class VisitView:
    visit: Visit
    records: list[Record]
    exceptions: list[VisitException]
    site: Any
    job_type: Any


def view_of(uow: UnitOfWork, *, visit: Visit) -> VisitView:
    found = list(
        uow.session.scalars(
            select(Record)
            .where(Record.visit_id == visit.id, Record.tenant_id == visit.tenant_id)
            .order_by(Record.server_time, Record.id)
        )
    )
    exceptions = list(
        uow.session.scalars(
            select(VisitException)
            .where(VisitException.visit_id == visit.id, VisitException.tenant_id == visit.tenant_id)
            .order_by(VisitException.created_at, VisitException.code)
        )
    )
    site, job_type = records.where_and_what(uow, tenant_id=visit.tenant_id, shift_id=visit.shift_id)
    return VisitView(visit, found, exceptions, site, job_type)


def read_visit(uow: UnitOfWork, *, caller: Caller, tenant_id: str, visit_id: str) -> VisitView:
    return view_of(uow, visit=visit_for(uow, caller=caller, tenant_id=tenant_id, visit_id=visit_id))


def list_visits(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    page: int,
    per_page: int,
    status: str | None = None,
    worker_id: str | None = None,
    client_id: str | None = None,
    exceptions: str | None = None,
) -> dict[str, Any]:
    query = _scoped(select(Visit), caller, tenant_id)
    if status:
        query = query.where(Visit.status == status)
    if worker_id:
        query = query.where(Visit.worker_id == worker_id)
    if client_id:
        query = query.where(Visit.client_id == client_id)
    if exceptions == "open":
        query = query.where(
            select(VisitException.id)
            .where(VisitException.visit_id == Visit.id, VisitException.status == "open")
            .exists()
        )
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(Visit.starts_at.desc(), Visit.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return {
        "items": [view_of(uow, visit=visit) for visit in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


# -- exceptions ----------------------------------------------------------------------------------


def visit_event(visit: Visit) -> dict[str, Any]:
    return {
        "visit_id": visit.id,
        "shift_id": visit.shift_id,
        "client_id": visit.client_id,
        "worker_id": visit.worker_id,
        "worker_tenant_id": visit.worker_tenant_id,
        "starts_at": visit.starts_at,
        "ends_at": visit.ends_at,
    }


def raise_exceptions(
    uow: UnitOfWork, *, visit: Visit, found: list[rules.Found], record_id: str | None
) -> list[str]:
    """Record the exceptions not raised for this visit before; each new one is an event."""
    raised = []
    for item in found:
        new_id = uow.session.execute(
            insert(VisitException)
            .values(
                id=records_new_id(),
                tenant_id=visit.tenant_id,
                visit_id=visit.id,
                record_id=record_id,
                code=item.code,
                severity=item.severity,
                detail=item.detail[:500],
                status="open",
            )
            .on_conflict_do_nothing(constraint="uq_visit_exceptions_code")
            .returning(VisitException.id)
        ).scalar_one_or_none()
        if new_id is None:
            continue
        raised.append(item.code)
        uow.emit(
            "visit.exception_raised",
            {
                **visit_event(visit),
                "exception_id": new_id,
                "code": item.code,
                "severity": item.severity,
                "detail": item.detail[:500],
            },
            tenant_id=visit.tenant_id,
        )
    return raised


def records_new_id() -> str:
    from services.evv.base import new_id

    return new_id()


def open_exceptions(uow: UnitOfWork, *, visit: Visit, severity: str | None = None) -> int:
    query = select(func.count()).where(
        VisitException.visit_id == visit.id,
        VisitException.tenant_id == visit.tenant_id,
        VisitException.status == "open",
    )
    if severity:
        query = query.where(VisitException.severity == severity)
    return uow.session.scalar(query) or 0


def exception_for(
    uow: UnitOfWork, *, tenant_id: str, exception_id: str, lock: bool = False
) -> VisitException:
    query = select(VisitException).where(
        VisitException.id == exception_id, VisitException.tenant_id == tenant_id
    )
    if lock:
        query = query.with_for_update()
    found = uow.session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound("There is no such exception.")
    return found


def resolve_exception(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, exception_id: str, data: dict[str, Any]
) -> VisitView:
    found = exception_for(uow, tenant_id=tenant_id, exception_id=exception_id, lock=True)
    if found.status != "open":
        raise Conflict("This exception was already resolved.")
    _check_codes(data)
    found.status = "resolved"
    found.reason_code = data["reason_code"]
    found.action_code = data["action_code"]
    found.comment = data.get("comment")
    found.resolved_by = caller.user_id
    found.resolved_at = datetime.now(UTC)
    uow.session.flush()
    audit(
        uow,
        caller,
        action="visit_exception.resolve",
        entity_type="visit_exception",
        entity_id=found.id,
        before={"status": "open", "code": found.code},
        after={
            "status": "resolved",
            "reason_code": found.reason_code,
            "action_code": found.action_code,
            "comment": found.comment,
        },
        tenant_id=tenant_id,
    )
    visit = uow.session.execute(
        select(Visit).where(Visit.id == found.visit_id).with_for_update()
    ).scalar_one()
    settle(uow, visit=visit)
    return view_of(uow, visit=visit)


def _check_codes(data: dict[str, Any]) -> None:
    problems: dict[str, list[str]] = {}
    if data["reason_code"] not in rules.REASON_CODES:
        problems["reason_code"] = [f"One of {', '.join(rules.REASON_CODES)}."]
    if data["action_code"] not in rules.ACTION_CODES:
        problems["action_code"] = [f"One of {', '.join(rules.ACTION_CODES)}."]
    missing = rules.comment_problem(data["reason_code"], data.get("comment"))
    if missing:
        problems["comment"] = [missing]
    if problems:
        raise ValidationFailed(fields=problems)


# -- punches -------------------------------------------------------------------------------------


@dataclass
class PunchAnswer:
    record: Record
    visit: Visit
    exceptions: list[str]


def _site(site: Any, settings: EvvSettings) -> rules.Site | None:
    if site is None:
        return None
    return rules.Site(
        site.latitude, site.longitude, site.geofence_radius_m or settings.geofence_default_m
    )


def _answer(uow: UnitOfWork, record: Record) -> PunchAnswer:
    visit = uow.session.get(Visit, record.visit_id)
    assert visit is not None
    codes = uow.session.scalars(
        select(VisitException.code)
        .where(VisitException.visit_id == visit.id, VisitException.record_id == record.id)
        .order_by(VisitException.code)
    )
    return PunchAnswer(record, visit, list(codes))


def _locked_for_punch(
    uow: UnitOfWork, *, visit_id: str, worker_id: str, tenant_id: str
) -> tuple[Visit, Any, EvvSettings | None] | None:
    """The worker's visit, locked, with its site and its CBO's settings: one round trip (a punch
    is the busiest call of the service). The site and settings are read as of the statement,
    as they were when read one by one."""
    row = uow.session.execute(
        _LOCKED_FOR_PUNCH, {"visit_id": visit_id, "worker_id": worker_id, "tenant_id": tenant_id}
    ).first()
    return None if row is None else (row[0], row[1], row[2])


# Built once: making the statement anew cost a punch more CPU than running it.
_LOCKED_FOR_PUNCH = (
    select(Visit, SiteRecord, EvvSettings)
    .outerjoin(
        ShiftRecord,
        and_(ShiftRecord.shift_id == Visit.shift_id, ShiftRecord.tenant_id == Visit.tenant_id),
    )
    .outerjoin(
        SiteRecord,
        and_(SiteRecord.site_id == ShiftRecord.site_id, SiteRecord.tenant_id == Visit.tenant_id),
    )
    .outerjoin(EvvSettings, EvvSettings.tenant_id == Visit.tenant_id)
    .where(
        Visit.id == bindparam("visit_id"),
        Visit.worker_id == bindparam("worker_id"),
        Visit.worker_tenant_id == bindparam("tenant_id"),
    )
    .with_for_update(of=Visit)
)


def _punch_refused(visit: Visit, data: dict[str, Any], now: datetime) -> DomainError | None:
    """Why this punch cannot be recorded on this visit, if it cannot."""
    problem = rules.device_time_problem(data["device_time"], now)
    if problem:
        return ValidationFailed(fields={"device_time": [problem]})
    if visit.status == "cancelled":
        return Conflict("This shift was cancelled.")
    if data["kind"] == "clock_in":
        if visit.clock_in_at is not None:
            return Conflict("You already clocked in for this shift.")
        return None
    if visit.clock_in_at is None:
        return ValidationFailed(fields={"kind": ["Clock in before you clock out."]})
    if visit.clock_out_at is not None:
        return Conflict("You already clocked out of this shift.")
    if data["device_time"] <= visit.clock_in_at:
        return ValidationFailed(
            fields={"device_time": ["A clock-out must come after the clock-in."]}
        )
    return None


def record_punch(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    data: dict[str, Any],
    now: datetime | None = None,
) -> PunchAnswer:
    """The worker's own clock-in or clock-out. The device's id makes it idempotent: sent again
    (or queued offline and sent later), the same punch is answered and nothing is recorded
    twice. Judged by the device's time; the delay to the server is kept.

    A first punch costs four statements and the commit: the visit locked with its site and
    settings, the record, its event, the visit's update. A copy is found by the record's
    unique key (worker, device id) when it would be refused or its insert does nothing."""
    now = now or datetime.now(UTC)
    worker_id = caller.user_id
    assert worker_id is not None

    def earlier() -> Record | None:
        return uow.session.execute(
            select(Record).where(
                Record.worker_id == worker_id, Record.device_punch_id == data["id"]
            )
        ).scalar_one_or_none()

    # The visit's row lock orders a worker's punches of one visit (and copies of one punch):
    # a copy sent at the same moment waits here, and then its insert finds the first one.
    found = _locked_for_punch(
        uow, visit_id=data["assignment_id"], worker_id=worker_id, tenant_id=tenant_id
    )
    if found is None:
        first = earlier()
        if first is not None:  # sent again naming another assignment: the first one stands
            return _answer(uow, first)
        raise NotFound("You have no such confirmed shift.")
    visit, site_row, settings = found
    refused = _punch_refused(visit, data, now)
    if refused is not None:
        # A copy of a punch already recorded is answered, never refused (its visit has moved
        # on, or its device time has grown old while it waited offline).
        first = earlier()
        if first is not None:
            return _answer(uow, first)
        raise refused
    if settings is None:  # the CBO's first punch: its settings are made with the defaults
        settings = settings_for(uow, tenant_id=visit.tenant_id)
    site = _site(site_row, settings)
    kind = data["kind"]
    punch = rules.Punch(
        kind=kind,
        device_time=data["device_time"],
        server_time=now,
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        mocked=data.get("mocked", False),
    )
    distance = rules.distance_to(site, punch)
    record = Record(
        id=records_new_id(),
        tenant_id=visit.tenant_id,
        visit_id=visit.id,
        worker_id=worker_id,
        record_type="punch",
        kind=kind,
        device_punch_id=data["id"],
        method="mobile_gps",
        device_time=data["device_time"],
        server_time=now,
        delay_seconds=max(0, int((now - data["device_time"]).total_seconds())),
        latitude=punch.latitude,
        longitude=punch.longitude,
        accuracy_m=data.get("accuracy_m"),
        mocked=punch.mocked,
        distance_m=None if distance is None else round(distance, 1),
    )
    # A Core statement on the session's connection: the ORM's bulk-insert path costs more CPU
    # than the round trip itself.
    inserted = (
        uow.session.connection()
        .execute(
            _INSERT_PUNCH,
            {c.key: getattr(record, c.key) for c in _PUNCH_COLUMNS},
        )
        .scalar_one_or_none()
    )
    if inserted is None:
        # The same device id on another of the worker's visits, recorded first: it stands.
        first = earlier()
        assert first is not None
        return _answer(uow, first)
    found_exceptions = rules.judge_punch(
        punch,
        site=site,
        starts_at=visit.starts_at,
        ends_at=visit.ends_at,
        settings=settings_dict(settings),
    )
    inside = None if distance is None or site is None else distance <= site.radius_m
    if kind == "clock_in":
        _punched(visit, clock_in_at=punch.device_time, status="in_progress")
        uow.emit(
            "visit.started",
            {
                **visit_event(visit),
                "record_id": record.id,
                "clock_in_at": visit.clock_in_at,
                "delay_seconds": record.delay_seconds,
                "inside_geofence": inside,
            },
            tenant_id=visit.tenant_id,
        )
    else:
        _punched(visit, clock_out_at=punch.device_time, status="completed")
        uow.emit(
            "visit.ended",
            {
                **visit_event(visit),
                "record_id": record.id,
                "clock_in_at": visit.clock_in_at,
                "clock_out_at": visit.clock_out_at,
                "delay_seconds": record.delay_seconds,
                "inside_geofence": inside,
            },
            tenant_id=visit.tenant_id,
        )
        assert visit.clock_in_at is not None
        found_exceptions += rules.judge_length(
            clock_in_at=visit.clock_in_at,
            clock_out_at=punch.device_time,
            starts_at=visit.starts_at,
            ends_at=visit.ends_at,
            settings=settings_dict(settings),
        )
    uow.session.connection().execute(
        _UPDATE_PUNCHED,
        {
            "visit_id": visit.id,
            "status": visit.status,
            "clock_in_at": visit.clock_in_at,
            "clock_out_at": visit.clock_out_at,
        },
    )
    raised = raise_exceptions(uow, visit=visit, found=found_exceptions, record_id=record.id)
    settle(uow, visit=visit)
    return PunchAnswer(record, visit, sorted(raised))


def _punched(visit: Visit, **changes: Any) -> None:
    """Set what a punch changes on the loaded visit without the ORM's change tracking: the
    punch writes it with _UPDATE_PUNCHED (a flush of the ORM's own was a tenth of its CPU)."""
    for name, value in changes.items():
        set_committed_value(visit, name, value)


_VISITS = cast(Table, Visit.__table__)
_UPDATE_PUNCHED = (
    update(_VISITS)
    .where(_VISITS.c.id == bindparam("visit_id"))
    .values(
        status=bindparam("status"),
        clock_in_at=bindparam("clock_in_at"),
        clock_out_at=bindparam("clock_out_at"),
        updated_at=func.now(),
    )
)

# What a punch writes (the chain's columns are the sealer's), once: nothing if the device's id
# was recorded for the worker before.
_PUNCH_COLUMNS = [c for c in Record.__table__.columns if c.key not in ("seq", "prev_hash", "hash")]
# Text, not an insert() construct: SQLAlchemy cannot cache the compiled form of an
# ON CONFLICT clause, and compiling it was a tenth of a punch's CPU.
_INSERT_PUNCH = text(
    f"INSERT INTO {Record.__tablename__} ({', '.join(c.name for c in _PUNCH_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c.key for c in _PUNCH_COLUMNS)}) "
    "ON CONFLICT ON CONSTRAINT uq_visit_records_device_punch DO NOTHING RETURNING id"
).bindparams(*(bindparam(c.key, type_=c.type) for c in _PUNCH_COLUMNS))


# -- corrections ---------------------------------------------------------------------------------


def correct_visit(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    visit_id: str,
    data: dict[str, Any],
    now: datetime | None = None,
) -> VisitView:
    """Staff set a visit's clock-in or clock-out time (a missing punch, a wrong one): the
    correction is appended as a record of its own, the original punch is kept, and it is
    audited."""
    now = now or datetime.now(UTC)
    visit = visit_for(uow, caller=caller, tenant_id=tenant_id, visit_id=visit_id, lock=True)
    _check_codes(data)
    if visit.status == "cancelled":
        raise Conflict("This shift was cancelled.")
    if timesheets.line_approved(uow, visit_id=visit.id):
        raise Conflict("The visit's timesheet line is approved; it can no longer change.")
    kind, at = data["kind"], data["time"]
    problem = rules.device_time_problem(at, now) if at > now else None
    if problem:
        raise ValidationFailed(fields={"time": [problem]})
    clock_in = at if kind == "clock_in" else visit.clock_in_at
    clock_out = at if kind == "clock_out" else visit.clock_out_at
    if kind == "clock_out" and clock_in is None:
        raise ValidationFailed(fields={"kind": ["Set the clock-in first."]})
    if clock_in is not None and clock_out is not None and clock_out <= clock_in:
        raise ValidationFailed(fields={"time": ["The clock-out must come after the clock-in."]})
    latest = uow.session.execute(
        select(Record.id)
        .where(Record.visit_id == visit.id, Record.kind == kind)
        .order_by(Record.server_time.desc(), Record.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    before = {"clock_in_at": visit.clock_in_at, "clock_out_at": visit.clock_out_at}
    record = Record(
        id=records_new_id(),
        tenant_id=visit.tenant_id,
        visit_id=visit.id,
        worker_id=visit.worker_id,
        record_type="correction",
        kind=kind,
        method="manual",
        device_time=at,
        server_time=now,
        delay_seconds=0,
        mocked=False,
        corrects_record_id=latest,
        reason_code=data["reason_code"],
        action_code=data["action_code"],
        comment=data.get("comment"),
        entered_by=caller.user_id,
    )
    uow.session.add(record)
    visit.clock_in_at, visit.clock_out_at = clock_in, clock_out
    if clock_out is not None and visit.status in OPEN_STATUSES:
        visit.status = "completed"
    elif visit.status == "scheduled":
        visit.status = "in_progress"
    uow.session.flush()
    if kind == "clock_out":
        # The missing clock-out it supplies is resolved by the correction itself.
        for found in uow.session.scalars(
            select(VisitException).where(
                VisitException.visit_id == visit.id,
                VisitException.code == "missing_clock_out",
                VisitException.status == "open",
            )
        ):
            found.status = "resolved"
            found.reason_code = data["reason_code"]
            found.action_code = data["action_code"]
            found.comment = data.get("comment")
            found.resolved_by = caller.user_id
            found.resolved_at = now
    uow.emit(
        "visit.corrected",
        {
            **visit_event(visit),
            "record_id": record.id,
            "kind": kind,
            "corrected_at": at,
            "reason_code": data["reason_code"],
            "action_code": data["action_code"],
        },
        tenant_id=visit.tenant_id,
    )
    audit(
        uow,
        caller,
        action="visit.correct",
        entity_type="visit",
        entity_id=visit.id,
        before={k: v.isoformat() if v else None for k, v in before.items()},
        after={
            "kind": kind,
            "time": at.isoformat(),
            "reason_code": data["reason_code"],
            "action_code": data["action_code"],
            "comment": data.get("comment"),
            "record_id": record.id,
        },
        tenant_id=tenant_id,
    )
    if visit.status == "verified" and clock_in is not None and clock_out is not None:
        # Its line (not approved: checked above) shows the corrected minutes.
        timesheets.correct_minutes(
            uow, visit_id=visit.id, worked_minutes=rules.minutes_between(clock_in, clock_out)
        )
    if clock_in is not None and clock_out is not None:
        raise_exceptions(
            uow,
            visit=visit,
            found=rules.judge_length(
                clock_in_at=clock_in,
                clock_out_at=clock_out,
                starts_at=visit.starts_at,
                ends_at=visit.ends_at,
                settings=settings_dict(settings_for(uow, tenant_id=visit.tenant_id)),
            ),
            record_id=record.id,
        )
    settle(uow, visit=visit)
    return view_of(uow, visit=visit)


# -- verification --------------------------------------------------------------------------------


def cures_elements(uow: UnitOfWork, *, visit: Visit) -> dict[str, Any] | None:
    """The six Cures Act elements of a clocked visit; None while one is unknown."""
    site, job_type = records.where_and_what(uow, tenant_id=visit.tenant_id, shift_id=visit.shift_id)
    if site is None or job_type is None or visit.clock_in_at is None or visit.clock_out_at is None:
        return None
    zone = ZoneInfo(records.cbo_timezone(uow, tenant_id=visit.tenant_id))
    return {
        "service_type": job_type.key,
        "recipient_id": visit.client_id,
        "service_date": visit.clock_in_at.astimezone(zone).date(),
        "latitude": site.latitude,
        "longitude": site.longitude,
        "provider_id": visit.worker_id,
        "begins_at": visit.clock_in_at,
        "ends_at": visit.clock_out_at,
    }


def settle(uow: UnitOfWork, *, visit: Visit) -> None:
    """Verify a completed visit with its six elements and no open must-fix exception (and put
    it on its timesheet); reconsider the approval of one already verified."""
    if visit.status == "verified":
        timesheets.reconsider(uow, visit=visit, open_exceptions=open_exceptions(uow, visit=visit))
        return
    if visit.status != "completed" or open_exceptions(uow, visit=visit, severity=rules.MUST_FIX):
        return
    elements = cures_elements(uow, visit=visit)
    if elements is None:
        return
    assert visit.clock_in_at is not None and visit.clock_out_at is not None
    worked = rules.minutes_between(visit.clock_in_at, visit.clock_out_at)
    visit.status = "verified"
    visit.verified_at = datetime.now(UTC)
    uow.session.flush()
    uow.emit(
        "visit.verified",
        {**visit_event(visit), "elements": elements, "worked_minutes": worked},
        tenant_id=visit.tenant_id,
    )
    timesheets.add_line(
        uow,
        visit=visit,
        worked_minutes=worked,
        open_exceptions=open_exceptions(uow, visit=visit),
    )


# -- the sweep -----------------------------------------------------------------------------------


def sweep(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Possible no-shows (no clock-in a while after the start), missing clock-outs (none a while
    after the end), and completed visits whose missing facts have arrived since. Safe on
    several instances at once (rows taken with SKIP LOCKED)."""
    now = now or datetime.now(UTC)
    done = {"no_shows": 0, "missing_clock_outs": 0, "settled": 0}
    cache: dict[str, dict[str, int]] = {}

    def settings(tenant_id: str) -> dict[str, int]:
        if tenant_id not in cache:
            cache[tenant_id] = settings_dict(settings_for(uow, tenant_id=tenant_id))
        return cache[tenant_id]

    # The shortest windows a CBO may set: nothing younger can be due.
    soonest = now - timedelta(minutes=5)
    missing_raised = (
        select(VisitException.id)
        .where(VisitException.visit_id == Visit.id, VisitException.code == "missing_clock_out")
        .exists()
    )
    must_fix_open = (
        select(VisitException.id)
        .where(
            VisitException.visit_id == Visit.id,
            VisitException.status == "open",
            VisitException.severity == rules.MUST_FIX,
        )
        .exists()
    )
    due = uow.session.scalars(
        select(Visit)
        .where(
            or_(
                and_(
                    Visit.status == "scheduled",
                    Visit.no_show_suspected.is_(False),
                    Visit.starts_at <= soonest,
                ),
                and_(Visit.status == "in_progress", Visit.ends_at <= soonest, ~missing_raised),
                and_(Visit.status == "completed", ~must_fix_open),
            )
        )
        .order_by(Visit.starts_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for visit in due:
        rules_of = settings(visit.tenant_id)
        if visit.status == "scheduled":
            if not visit.no_show_suspected and rules.no_show_due(
                starts_at=visit.starts_at, now=now, settings=rules_of
            ):
                visit.no_show_suspected = True
                uow.emit(
                    "visit.no_show_suspected",
                    {
                        **visit_event(visit),
                        "minutes_after_start": rules.minutes_between(visit.starts_at, now),
                    },
                    tenant_id=visit.tenant_id,
                )
                done["no_shows"] += 1
        elif visit.status == "in_progress":
            if rules.clock_out_missing(ends_at=visit.ends_at, now=now, settings=rules_of):
                done["missing_clock_outs"] += len(
                    raise_exceptions(
                        uow,
                        visit=visit,
                        found=[
                            rules.Found("missing_clock_out", "No clock-out after the shift ended.")
                        ],
                        record_id=None,
                    )
                )
        else:
            settle(uow, visit=visit)
            done["settled"] += visit.status == "verified"
    return done
