"""Weekly timesheets: a line per verified visit on the worker's timesheet for that client and
pay week; EVV approves it itself where it may (rules.approved_by_evv), otherwise the worker and
the client answer, and staff resolve a dispute. Each approval is a `timesheet.approved` event
for billing."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from chassis.audit import audit
from chassis.context import CLIENT, JOBSEEKER, Caller
from chassis.db import UnitOfWork
from chassis.errors import Conflict, Forbidden, NotFound
from services.evv.base import new_id
from services.evv.records import domain as records
from services.evv.timesheets import rules
from services.evv.timesheets.models import Timesheet, TimesheetLine

if TYPE_CHECKING:
    from services.evv.visits.models import Visit


def _visit_model():
    from services.evv.visits.models import Visit

    return Visit


def line_approved(uow: UnitOfWork, *, visit_id: str) -> bool:
    line = uow.session.get(TimesheetLine, visit_id)
    return line is not None and line.status == rules.APPROVED


def correct_minutes(uow: UnitOfWork, *, visit_id: str, worked_minutes: int) -> None:
    line = uow.session.get(TimesheetLine, visit_id, with_for_update=True)
    if line is not None and line.status != rules.APPROVED:
        line.worked_minutes = worked_minutes


def _line_event(line: TimesheetLine, sheet: Timesheet, visit: Visit) -> dict[str, Any]:
    return {
        "timesheet_id": sheet.id,
        "visit_id": visit.id,
        "shift_id": visit.shift_id,
        "worker_id": visit.worker_id,
        "worker_tenant_id": visit.worker_tenant_id,
        "client_id": visit.client_id,
        "week_start": sheet.week_start,
        "scheduled_minutes": line.scheduled_minutes,
        "worked_minutes": line.worked_minutes,
    }


def add_line(uow: UnitOfWork, *, visit: Visit, worked_minutes: int, open_exceptions: int) -> None:
    """Put a verified visit on its timesheet (made, with an event, for the week's first)."""
    week = rules.pay_week(visit.starts_at, records.cbo_timezone(uow, tenant_id=visit.tenant_id))
    made = uow.session.execute(
        insert(Timesheet)
        .values(
            id=new_id(),
            tenant_id=visit.tenant_id,
            worker_id=visit.worker_id,
            worker_tenant_id=visit.worker_tenant_id,
            client_id=visit.client_id,
            week_start=week,
        )
        .on_conflict_do_nothing(
            index_elements=["tenant_id", "worker_id", "client_id", "week_start"]
        )
        .returning(Timesheet.id)
    ).scalar_one_or_none()
    sheet = uow.session.execute(
        select(Timesheet).where(
            Timesheet.tenant_id == visit.tenant_id,
            Timesheet.worker_id == visit.worker_id,
            Timesheet.client_id == visit.client_id,
            Timesheet.week_start == week,
        )
    ).scalar_one()
    if made is not None:
        uow.emit(
            "timesheet.generated",
            {
                "timesheet_id": sheet.id,
                "worker_id": sheet.worker_id,
                "client_id": sheet.client_id,
                "week_start": week,
            },
            tenant_id=visit.tenant_id,
        )
    uow.session.execute(
        insert(TimesheetLine)
        .values(
            visit_id=visit.id,
            timesheet_id=sheet.id,
            tenant_id=visit.tenant_id,
            scheduled_minutes=max(0, int((visit.ends_at - visit.starts_at).total_seconds() // 60)),
            worked_minutes=worked_minutes,
        )
        .on_conflict_do_nothing(index_elements=["visit_id"])
    )
    reconsider(uow, visit=visit, open_exceptions=open_exceptions)


def reconsider(uow: UnitOfWork, *, visit: Visit, open_exceptions: int) -> None:
    """Approve a pending line with no human step where EVV may."""
    line = uow.session.get(TimesheetLine, visit.id, with_for_update=True)
    if line is None or line.status != rules.PENDING:
        return
    from services.evv.visits import domain as visits

    on = visit.starts_at.astimezone(_zone(uow, visit.tenant_id)).date()
    if not rules.approved_by_evv(
        licensed=records.licensed(uow, tenant_id=visit.tenant_id, on=on),
        client_chose_evv=visits.client_chose_evv(
            uow, tenant_id=visit.tenant_id, client_id=visit.client_id
        ),
        verified=visit.status == "verified",
        open_exceptions=open_exceptions,
    ):
        return
    _approve(uow, line, visit, "evv")


def _zone(uow: UnitOfWork, tenant_id: str) -> ZoneInfo:
    return ZoneInfo(records.cbo_timezone(uow, tenant_id=tenant_id))


def _approve(uow: UnitOfWork, line: TimesheetLine, visit: Visit, by: str) -> None:
    sheet = uow.session.get(Timesheet, line.timesheet_id)
    assert sheet is not None
    line.status = rules.APPROVED
    line.approved_by = by
    uow.session.flush()
    uow.emit(
        "timesheet.approved",
        {**_line_event(line, sheet, visit), "approved_by": by},
        tenant_id=visit.tenant_id,
    )


def line_for(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, visit_id: str
) -> tuple[TimesheetLine, Visit]:
    Visit = _visit_model()
    query = select(TimesheetLine, Visit).join(Visit, Visit.id == TimesheetLine.visit_id)
    query = query.where(TimesheetLine.visit_id == visit_id)
    if caller.kind == JOBSEEKER:
        query = query.where(Visit.worker_id == caller.user_id, Visit.worker_tenant_id == tenant_id)
    else:
        query = query.where(TimesheetLine.tenant_id == tenant_id)
        if caller.kind == CLIENT:
            query = query.where(Visit.client_id == caller.client_id)
    found = uow.session.execute(query.with_for_update(of=TimesheetLine)).first()
    if found is None:
        raise NotFound("There is no such timesheet line.")
    return found[0], found[1]


def answer_line(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    visit_id: str,
    answer: str,
    reason: str | None = None,
) -> dict[str, Any]:
    """The worker (their own line) or the client's user (their client's) approves or disputes a
    line."""
    line, visit = line_for(uow, caller=caller, tenant_id=tenant_id, visit_id=visit_id)
    if caller.kind not in (JOBSEEKER, CLIENT):
        raise Forbidden("Only the worker and the client answer a timesheet line.")
    if line.status == rules.APPROVED:
        raise Conflict("This line is already approved.")
    side = "worker" if caller.kind == JOBSEEKER else "client"
    setattr(line, f"{side}_answer", answer)
    status = rules.line_status(line.worker_answer, line.client_answer)
    sheet = uow.session.get(Timesheet, line.timesheet_id)
    assert sheet is not None
    if status == rules.DISPUTED and answer == rules.DISPUTED:
        line.status = status
        line.dispute_reason = reason
        uow.session.flush()
        uow.emit(
            "timesheet.disputed",
            {**_line_event(line, sheet, visit), "disputed_by": side, "reason": reason or ""},
            tenant_id=visit.tenant_id,
        )
    elif status == rules.APPROVED:
        _approve(uow, line, visit, "people")
    else:
        line.status = status
    uow.session.flush()
    return line_view(line, visit)


def resolve_line(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, visit_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Staff settle a disputed line: approved with the minutes they found (and why)."""
    line, visit = line_for(uow, caller=caller, tenant_id=tenant_id, visit_id=visit_id)
    if line.status != rules.DISPUTED:
        raise Conflict("Only a disputed line is resolved by staff.")
    before = {"status": line.status, "worked_minutes": line.worked_minutes}
    if data.get("worked_minutes") is not None:
        line.worked_minutes = data["worked_minutes"]
    line.resolution = data["comment"]
    _approve(uow, line, visit, "staff")
    audit(
        uow,
        caller,
        action="timesheet_line.resolve",
        entity_type="timesheet_line",
        entity_id=visit.id,
        before=before,
        after={
            "status": line.status,
            "worked_minutes": line.worked_minutes,
            "comment": line.resolution,
        },
        tenant_id=tenant_id,
    )
    return line_view(line, visit)


def amend_line(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, visit_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Staff correct the minutes of an approved line (found wrong after it was paid, say):
    it is approved again with them, and billing pays the difference in its next run (what
    was paid is never edited)."""
    line, visit = line_for(uow, caller=caller, tenant_id=tenant_id, visit_id=visit_id)
    if line.status != rules.APPROVED:
        raise Conflict("Only an approved line is amended; answer or resolve this one.")
    if data["worked_minutes"] == line.worked_minutes:
        raise Conflict("The line already has these minutes.")
    before = {"worked_minutes": line.worked_minutes, "approved_by": line.approved_by}
    line.worked_minutes = data["worked_minutes"]
    line.resolution = data["comment"]
    _approve(uow, line, visit, "staff")
    audit(
        uow,
        caller,
        action="timesheet_line.amend",
        entity_type="timesheet_line",
        entity_id=visit.id,
        before=before,
        after={"worked_minutes": line.worked_minutes, "comment": line.resolution},
        tenant_id=tenant_id,
    )
    return line_view(line, visit)


def line_view(line: TimesheetLine, visit: Visit) -> dict[str, Any]:
    return {
        "visit_id": visit.id,
        "shift_id": visit.shift_id,
        "starts_at": visit.starts_at,
        "ends_at": visit.ends_at,
        "clock_in_at": visit.clock_in_at,
        "clock_out_at": visit.clock_out_at,
        "scheduled_minutes": line.scheduled_minutes,
        "worked_minutes": line.worked_minutes,
        "worker_answer": line.worker_answer,
        "client_answer": line.client_answer,
        "status": line.status,
        "approved_by": line.approved_by,
        "dispute_reason": line.dispute_reason,
        "resolution": line.resolution,
    }


def list_timesheets(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    page: int,
    per_page: int,
    week_start: date | None = None,
    worker_id: str | None = None,
    client_id: str | None = None,
) -> dict[str, Any]:
    query = select(Timesheet)
    if caller.kind == JOBSEEKER:
        query = query.where(
            Timesheet.worker_id == caller.user_id, Timesheet.worker_tenant_id == tenant_id
        )
    else:
        query = query.where(Timesheet.tenant_id == tenant_id)
        if caller.kind == CLIENT:
            query = query.where(Timesheet.client_id == caller.client_id)
    if week_start:
        query = query.where(Timesheet.week_start == week_start)
    if worker_id:
        query = query.where(Timesheet.worker_id == worker_id)
    if client_id:
        query = query.where(Timesheet.client_id == client_id)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    sheets = uow.session.scalars(
        query.order_by(Timesheet.week_start.desc(), Timesheet.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    Visit = _visit_model()
    items = []
    for sheet in sheets:
        rows = uow.session.execute(
            select(TimesheetLine, Visit)
            .join(Visit, Visit.id == TimesheetLine.visit_id)
            .where(TimesheetLine.timesheet_id == sheet.id)
            .order_by(Visit.starts_at)
        ).all()
        lines = [line_view(line, visit) for line, visit in rows]
        items.append(
            {
                "id": sheet.id,
                "worker_id": sheet.worker_id,
                "client_id": sheet.client_id,
                "week_start": sheet.week_start,
                "scheduled_minutes": sum(x["scheduled_minutes"] for x in lines),
                "worked_minutes": sum(x["worked_minutes"] for x in lines),
                "approved": bool(lines) and all(x["status"] == rules.APPROVED for x in lines),
                "lines": lines,
            }
        )
    return {"items": items, "total": total, "page": page, "per_page": per_page}
