"""Billing's read model of approved timesheet lines, kept from events only (no RPC to another
service), and the priced view of it that payroll and invoices read.

Every `learn_*` function is idempotent (the chassis also skips a redelivered event) and
order-tolerant: each record keeps the occurred-at time of the newest event applied, and an
older one arriving later changes nothing. A line may be approved before billing has heard of
its shift: the priced view shows it unpriced (`priced` False) and payroll lists it as a
blocker until the shift's event arrives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork, insert_rows
from chassis.errors import NotFound
from services.billing.base import as_day, as_time
from services.billing.lines import models as m
from services.billing.rates import domain as rates
from services.billing.rates.rules import Rates

# Until billing hears of a CBO's time zone (tenancy's default for Long Beach).
DEFAULT_TIMEZONE = "America/Los_Angeles"


# -- what the events say -------------------------------------------------------------------------


def _upsert(uow: UnitOfWork, model: Any, key: list[str], values: dict[str, Any], at: datetime):
    """Insert the record, or update it when this event is not older than the one it holds."""
    stmt = insert(model).values(**values, event_at=at)
    updates = {k: stmt.excluded[k] for k in values if k not in key}
    updates["event_at"] = stmt.excluded.event_at
    uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=key, set_=updates, where=model.__table__.c.event_at <= at
        )
    )


def learn_timezone(uow: UnitOfWork, *, tenant_id: str, timezone: str, at: datetime) -> None:
    _upsert(uow, m.CboRecord, ["tenant_id"], {"tenant_id": tenant_id, "timezone": timezone}, at)


def cbo_timezone(uow: UnitOfWork, *, tenant_id: str) -> str:
    found = uow.session.get(m.CboRecord, tenant_id)
    return found.timezone if found is not None else DEFAULT_TIMEZONE


def learn_worker(uow: UnitOfWork, *, tenant_id: str, worker_id: str, name: str, at: datetime):
    stmt = insert(m.WorkerRecord).values(
        worker_id=worker_id, tenant_id=tenant_id, name=name, event_at=at
    )
    uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["worker_id"],
            set_={"name": name, "event_at": at},
            where=(m.WorkerRecord.event_at.is_(None)) | (m.WorkerRecord.event_at <= at),
        )
    )


def learn_client(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any], at: datetime) -> None:
    values = {
        "client_id": data["client_id"],
        "tenant_id": tenant_id,
        "name": data["name"],
        "kind": data["kind"],
    }
    _upsert(uow, m.ClientRecord, ["client_id"], values, at)


def learn_job_type(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any], at: datetime) -> None:
    values = {
        "job_type_id": data["job_type_id"],
        "tenant_id": tenant_id,
        "key": data["key"],
        "name": data["name"],
        "client_id": data.get("client_id"),
        "pay_rate_cents": data["pay_rate_cents"],
        "bill_rate_cents": data["bill_rate_cents"],
    }
    _upsert(uow, m.JobTypeRecord, ["job_type_id"], values, at)


def learn_booking(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any]) -> None:
    """Keep each shift of a new booking (a booking's shifts never change their terms)."""
    rows = [
        {
            "shift_id": shift["shift_id"],
            "tenant_id": tenant_id,
            "booking_id": data["booking_id"],
            "client_id": data["client_id"],
            "site_id": data["site_id"],
            "job_type_id": data["job_type_id"],
            "starts_at": as_time(shift["starts_at"]),
            "ends_at": as_time(shift["ends_at"]),
            "pay_rate_cents": data["pay_rate_cents"],
            "bill_rate_cents": data["bill_rate_cents"],
            "pay_rate_given": bool(data.get("pay_rate_given", False)),
            "bill_rate_given": bool(data.get("bill_rate_given", False)),
        }
        for shift in data["shifts"]
    ]
    if rows:
        uow.session.execute(
            insert(m.ShiftRecord).values(rows).on_conflict_do_nothing(index_elements=["shift_id"])
        )


def _visit_values(tenant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "visit_id": data["visit_id"],
        "tenant_id": tenant_id,
        "shift_id": data["shift_id"],
        "client_id": data["client_id"],
        "worker_id": data["worker_id"],
        "worker_tenant_id": data["worker_tenant_id"],
        "starts_at": as_time(data["starts_at"]),
        "ends_at": as_time(data["ends_at"]),
    }


def _visit(uow: UnitOfWork, tenant_id: str, data: dict[str, Any], at: datetime) -> m.VisitRecord:
    """The visit's record, made from the event's common fields if it is new (locked)."""
    uow.session.execute(
        insert(m.VisitRecord)
        .values(**_visit_values(tenant_id, data), event_at=at, verified=False, must_fix_open=0)
        .on_conflict_do_nothing(index_elements=["visit_id"])
    )
    found = uow.session.get(m.VisitRecord, data["visit_id"], with_for_update=True)
    assert found is not None
    return found


def learn_punch(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any], at: datetime) -> None:
    """visit.started / visit.ended: the punches as the worker made them, unless a
    verification (or a later event) set them already."""
    learn_punches(uow, punches=[(tenant_id, data, at)])


# What a punch changes of a visit billing knows already: its punches and when, unless it is
# verified or a later event has been kept (as SQL: insert_rows' statement is compiled once).
_PUNCHED = {
    punched: "(visit_id) DO UPDATE SET "
    + ", ".join(f'"{name}" = excluded."{name}"' for name in (*punched, "event_at"))
    + " WHERE visit_records.verified IS FALSE AND visit_records.event_at <= excluded.event_at"
    for punched in (("clock_in_at",), ("clock_in_at", "clock_out_at"))
}


def learn_punches(uow: UnitOfWork, *, punches: Sequence[tuple[str, dict[str, Any], datetime]]):
    """Many visit.started / visit.ended events at once, each (tenant id, data, occurred at),
    as `learn_punch` keeps one: one statement for those with a clock-out and one for those
    without (every clock-in and clock-out of the platform passes here). A visit twice in
    the batch is kept as its latest event says."""
    latest: dict[str, tuple[str, dict[str, Any], datetime]] = {}
    for tenant_id, data, at in punches:
        known = latest.get(data["visit_id"])
        if known is None or known[2] <= at:
            latest[data["visit_id"]] = (tenant_id, data, at)
    for with_clock_out in (False, True):
        rows = [
            {
                **_visit_values(tenant_id, data),
                "clock_in_at": as_time(data["clock_in_at"]),
                **({"clock_out_at": as_time(data["clock_out_at"])} if with_clock_out else {}),
                "event_at": at,
                "verified": False,
                "must_fix_open": 0,
            }
            # In the visits' order: two batches (clock-ins, clock-outs) never wait in a circle.
            for _, (tenant_id, data, at) in sorted(latest.items())
            if bool(data.get("clock_out_at")) is with_clock_out
        ]
        if not rows:
            continue
        punched = ("clock_in_at", "clock_out_at") if with_clock_out else ("clock_in_at",)
        insert_rows(uow, m.VisitRecord, rows, on_conflict=_PUNCHED[punched])


def learn_correction(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any], at: datetime):
    """visit.corrected: staff set one punch (the verification that follows confirms both)."""
    visit = _visit(uow, tenant_id, data, at)
    if visit.event_at > at:
        return
    if data["kind"] == "clock_in":
        visit.clock_in_at = as_time(data["corrected_at"])
    else:
        visit.clock_out_at = as_time(data["corrected_at"])
    visit.event_at = at


def learn_exception(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any], at: datetime):
    """visit.exception_raised: a must-fix one blocks the visit from payroll until it is
    verified."""
    visit = _visit(uow, tenant_id, data, at)
    if data["severity"] == "must_fix" and not (visit.verified and visit.event_at > at):
        visit.must_fix_open += 1
        visit.verified = False


def learn_verified(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any], at: datetime) -> None:
    """visit.verified: both punches, the six elements, no open must-fix exception."""
    visit = _visit(uow, tenant_id, data, at)
    if visit.verified and visit.event_at > at:
        return
    elements = dict(data["elements"])
    for key in ("begins_at", "ends_at"):
        elements[key] = as_time(elements[key]).isoformat()
    elements["service_date"] = as_day(elements["service_date"]).isoformat()
    visit.elements = elements
    visit.clock_in_at = as_time(elements["begins_at"])
    visit.clock_out_at = as_time(elements["ends_at"])
    visit.verified = True
    visit.must_fix_open = 0
    visit.event_at = max(visit.event_at, at)


def learn_line(
    uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any], status: str, at: datetime
) -> None:
    """timesheet.approved / timesheet.disputed: the line as evv says it now. An approval
    after an earlier one (a correction) counts a new version."""
    values = {
        "visit_id": data["visit_id"],
        "tenant_id": tenant_id,
        "timesheet_id": data["timesheet_id"],
        "shift_id": data["shift_id"],
        "worker_id": data["worker_id"],
        "worker_tenant_id": data["worker_tenant_id"],
        "client_id": data["client_id"],
        "week_start": as_day(data["week_start"]),
        "scheduled_minutes": data["scheduled_minutes"],
        "worked_minutes": data["worked_minutes"],
        "status": status,
        "approved_by": data.get("approved_by"),
    }
    approvals = 1 if status == m.APPROVED else 0
    stmt = insert(m.LineRecord).values(**values, version=approvals, event_at=at)
    updates: dict[str, Any] = {k: stmt.excluded[k] for k in values if k != "visit_id"}
    updates["event_at"] = stmt.excluded.event_at
    updates["version"] = m.LineRecord.version + approvals
    uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["visit_id"], set_=updates, where=m.LineRecord.event_at <= at
        )
    )


def learn_late_cancellations(
    uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any], at: datetime
) -> None:
    """booking.cancelled / assignment.cancelled: the confirmed places a client cancelled inside
    the late window (reporting time is paid for them)."""
    if data.get("cancelled_by_kind") != "client" or not data.get("late"):
        return
    if "assignments" in data:
        late = set(data.get("late_shift_ids") or [])
        places = [p for p in data["assignments"] if p["shift_id"] in late]
    else:
        places = [data]
    rows = [
        {
            "assignment_id": place["assignment_id"],
            "tenant_id": tenant_id,
            "shift_id": place["shift_id"],
            "client_id": data["client_id"],
            "worker_id": place["worker_id"],
            "worker_tenant_id": place.get("worker_tenant_id") or tenant_id,
            "minutes_before_start": data["minutes_before_start"],
            "event_at": at,
        }
        for place in places
    ]
    if rows:
        uow.session.execute(
            insert(m.CancellationRecord)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["assignment_id"])
        )


# -- payroll ids (billing's own) -----------------------------------------------------------------


def set_payroll_id(
    uow: UnitOfWork, *, tenant_id: str, worker_id: str, payroll_id: str | None
) -> dict[str, Any]:
    """Finance staff give a worker of their CBO the payroll provider's employee number."""
    worker = uow.session.get(m.WorkerRecord, worker_id, with_for_update=True)
    if worker is None:
        known = uow.session.execute(
            select(m.LineRecord.visit_id)
            .where(m.LineRecord.tenant_id == tenant_id, m.LineRecord.worker_id == worker_id)
            .limit(1)
        ).first()
        if known is None:
            raise NotFound("There is no such worker.")
        worker = m.WorkerRecord(worker_id=worker_id, tenant_id=tenant_id)
        uow.session.add(worker)
    elif worker.tenant_id != tenant_id:
        raise NotFound("There is no such worker.")
    worker.payroll_id = payroll_id
    uow.session.flush()
    return {"worker_id": worker_id, "name": worker.name, "payroll_id": payroll_id}


# -- the priced view -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PricedLine:
    """One timesheet line with everything payroll and invoices need: who, for whom, what,
    when (scheduled and punched, in UTC; `service_date` in the CBO's zone), minutes, the rates
    that apply and where they came from, and the six Cures Act elements."""

    visit_id: str
    tenant_id: str
    timesheet_id: str
    shift_id: str
    booking_id: str | None
    worker_id: str
    worker_tenant_id: str
    worker_name: str | None
    payroll_id: str | None
    client_id: str
    client_name: str | None
    job_type_id: str | None
    job_type_key: str | None
    job_type_name: str | None
    week_start: date
    service_date: date
    starts_at: datetime | None
    ends_at: datetime | None
    clock_in_at: datetime | None
    clock_out_at: datetime | None
    scheduled_minutes: int
    worked_minutes: int
    status: str
    approved_by: str | None
    version: int
    rates: Rates | None
    elements: dict[str, Any] | None

    @property
    def priced(self) -> bool:
        return self.rates is not None

    @property
    def pay_rate_cents(self) -> int:
        return self.rates.pay_rate_cents if self.rates is not None else 0

    @property
    def bill_rate_cents(self) -> int:
        return self.rates.bill_rate_cents if self.rates is not None else 0


def week_bounds(week_start: date, timezone: str) -> tuple[datetime, datetime]:
    """The pay week (Monday 00:00 to the next Monday 00:00 in the CBO's zone) in UTC."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(week_start, datetime.min.time(), zone)
    end = datetime.combine(week_start + timedelta(days=7), datetime.min.time(), zone)
    return start, end


def line_rows(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    week_starts: list[date] | None = None,
    visit_ids: list[str] | None = None,
    client_id: str | None = None,
    worker_ids: list[str] | None = None,
    status: str | None = m.APPROVED,
    with_elements: bool = True,
) -> list[tuple[Any, Rates | None]]:
    """The lines as plain rows (each with its line's, shift's, visit's, worker's and client's
    columns; `known_shift` None where billing has not heard of the shift) and the rates that
    apply to each: what priced_lines is made of, and what payroll reads a big week with (no
    object per line)."""
    line, shift, visit = m.LineRecord, m.ShiftRecord, m.VisitRecord
    worker, client = m.WorkerRecord, m.ClientRecord
    columns = [
        line.visit_id,
        line.tenant_id,
        line.timesheet_id,
        line.shift_id,
        line.worker_id,
        line.worker_tenant_id,
        line.client_id,
        line.week_start,
        line.scheduled_minutes,
        line.worked_minutes,
        line.status,
        line.approved_by,
        line.version,
        shift.shift_id.label("known_shift"),
        shift.booking_id,
        shift.job_type_id,
        shift.starts_at,
        shift.ends_at,
        shift.pay_rate_cents,
        shift.bill_rate_cents,
        shift.pay_rate_given,
        shift.bill_rate_given,
        visit.clock_in_at,
        visit.clock_out_at,
        worker.name.label("worker_name"),
        worker.payroll_id,
        client.name.label("client_name"),
    ]
    if with_elements:
        columns.append(visit.elements)
    query = (
        select(*columns)
        .outerjoin(shift, and_(shift.shift_id == line.shift_id, shift.tenant_id == line.tenant_id))
        .outerjoin(visit, visit.visit_id == line.visit_id)
        .outerjoin(worker, worker.worker_id == line.worker_id)
        .outerjoin(client, client.client_id == line.client_id)
        .where(line.tenant_id == tenant_id)
    )
    if week_starts is not None:
        query = query.where(line.week_start.in_(week_starts))
    if visit_ids is not None:
        query = query.where(line.visit_id.in_(visit_ids))
    if client_id is not None:
        query = query.where(line.client_id == client_id)
    if worker_ids is not None:
        query = query.where(line.worker_id.in_(worker_ids))
    if status is not None:
        query = query.where(line.status == status)
    rows = uow.session.execute(query).all()
    keys = [
        (
            r.client_id,
            r.job_type_id,
            r.pay_rate_cents if r.pay_rate_given else None,
            r.bill_rate_cents if r.bill_rate_given else None,
        )
        if r.known_shift
        else None
        for r in rows
    ]
    terms = {key: rates.ShiftTerms(*key) for key in set(keys) if key is not None}
    priced = rates.rates_for(uow, tenant_id=tenant_id, shifts=terms.values())
    return [
        (row, priced.get(terms[key]) if key is not None else None)
        for row, key in zip(rows, keys, strict=True)
    ]


def priced_lines(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    week_starts: list[date] | None = None,
    visit_ids: list[str] | None = None,
    client_id: str | None = None,
    worker_ids: list[str] | None = None,
    status: str | None = m.APPROVED,
    with_elements: bool = True,
) -> list[PricedLine]:
    """The CBO's timesheet lines of the given pay weeks (or visits), priced, in the order of
    worker, start. `status` None takes disputed ones too; `with_elements` False leaves the six
    elements out."""
    rows = line_rows(
        uow,
        tenant_id=tenant_id,
        week_starts=week_starts,
        visit_ids=visit_ids,
        client_id=client_id,
        worker_ids=worker_ids,
        status=status,
        with_elements=with_elements,
    )
    job_types = _job_types(uow, tenant_id, {r.job_type_id for r, _ in rows if r.known_shift})
    zone = ZoneInfo(cbo_timezone(uow, tenant_id=tenant_id))
    found = []
    for r, applied in rows:
        job_type = job_types.get(r.job_type_id) if r.known_shift else None
        began = r.clock_in_at or r.starts_at
        found.append(
            PricedLine(
                visit_id=r.visit_id,
                tenant_id=r.tenant_id,
                timesheet_id=r.timesheet_id,
                shift_id=r.shift_id,
                booking_id=r.booking_id,
                worker_id=r.worker_id,
                worker_tenant_id=r.worker_tenant_id,
                worker_name=r.worker_name,
                payroll_id=r.payroll_id,
                client_id=r.client_id,
                client_name=r.client_name,
                job_type_id=r.job_type_id if r.known_shift else None,
                job_type_key=job_type.key if job_type is not None else None,
                job_type_name=job_type.name if job_type is not None else None,
                week_start=r.week_start,
                service_date=began.astimezone(zone).date() if began else r.week_start,
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                clock_in_at=r.clock_in_at,
                clock_out_at=r.clock_out_at,
                scheduled_minutes=r.scheduled_minutes,
                worked_minutes=r.worked_minutes,
                status=r.status,
                approved_by=r.approved_by,
                version=r.version,
                rates=applied,
                elements=r.elements if with_elements else None,
            )
        )
    found.sort(key=_order)
    return found


def _order(line: PricedLine) -> tuple[str, float, str]:
    began = line.clock_in_at or line.starts_at
    return line.worker_id, began.timestamp() if began is not None else 0.0, line.visit_id


def _job_types(uow: UnitOfWork, tenant_id: str, ids: set[str]) -> dict[str, m.JobTypeRecord]:
    if not ids:
        return {}
    return {
        row.job_type_id: row
        for row in uow.session.scalars(
            select(m.JobTypeRecord).where(
                m.JobTypeRecord.tenant_id == tenant_id, m.JobTypeRecord.job_type_id.in_(ids)
            )
        )
    }
