"""Payroll runs: preview a pay week, then complete it (lock the week, record what was paid,
make the providers' files, publish payroll.completed). Both are resumable background jobs
(chassis.jobs) working through the week's workers a batch at a time.

What a run pays: every approved timesheet line of its week (billing's read model) and the late
client cancellations of shifts in it (reporting time), per worker with all the CBO's clients
together (payrules.rules.week_pay). Besides, for each earlier week already run, a line approved
since (or approved again, corrected) makes its worker's week be worked out again, and the
difference from what was paid for it is an adjustment line of this run: what was paid is never
edited. A week is completed once (a unique index on the completed run of each week), and its
items (lines at their version, cancellations) are recorded as paid, so running a week again pays
nobody twice.

What blocks a run: timesheet lines of the week not approved (pending or disputed), visits with
a must-fix EVV exception, workers without a payroll id, lines billing cannot price yet (their
shift's event has not arrived). The preview lists them; completing refuses while there are any.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal, or_, select, text, union, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from chassis import jobs
from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork, insert_rows
from chassis.errors import Conflict, NotFound, ValidationFailed
from chassis.jobs import Job, JobFailed, JobKind, StepResult
from services.billing.lines import domain as lines
from services.billing.lines import models as read
from services.billing.payroll import rules
from services.billing.payroll.models import (
    ADJUSTMENT,
    COMPLETED,
    COMPLETING,
    PREVIEWED,
    PREVIEWING,
    SUPERSEDED,
    WEEK,
    PaidItem,
    PaidWeek,
    PayrollBonus,
    PayrollExport,
    PayrollLine,
    PayrollRun,
    PayrollRunItem,
)
from services.billing.payrules import rules as pay
from services.billing.rates import domain as rates
from services.billing.settings import domain as settings

# Workers per preview step: a few seconds at most (the lease is two minutes), and few steps
# (each repeats the queries that find the next workers): 10,000 workers in two (PERFORMANCE.md).
BATCH = 5000
# The blockers a run keeps word for word (it counts them all).
MAX_BLOCKERS_SHOWN = 500

UNAPPROVED = "unapproved_line"
EVV_EXCEPTION = "evv_exception"
MISSING_PAYROLL_ID = "missing_payroll_id"
UNPRICED = "unpriced_line"


# -- starting and completing -------------------------------------------------------------------


def _run_for(uow: UnitOfWork, *, tenant_id: str, run_id: str, lock: bool = False) -> PayrollRun:
    query = select(PayrollRun).where(PayrollRun.id == run_id, PayrollRun.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    found = uow.session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound("There is no such payroll run.")
    return found


def week_locked(uow: UnitOfWork, *, tenant_id: str, week_start: date) -> PayrollRun | None:
    return uow.session.execute(
        select(PayrollRun).where(
            PayrollRun.tenant_id == tenant_id,
            PayrollRun.week_start == week_start,
            PayrollRun.status.in_((COMPLETING, COMPLETED)),
        )
    ).scalar_one_or_none()


def start_run(
    uow: UnitOfWork,
    *,
    caller: Caller | None,
    tenant_id: str,
    week_start: date,
) -> tuple[PayrollRun, str]:
    """Preview a pay week (its Monday): a new run, any earlier preview of the week superseded.
    A week still under way may be previewed (how it is going); only an ended one completes.
    Returns the run and its preview job's id (to start once the transaction commits). 409
    once the week has been run."""
    if week_start.weekday() != 0:
        raise ValidationFailed(fields={"week_start": ["A pay week starts on a Monday."]})
    locked = week_locked(uow, tenant_id=tenant_id, week_start=week_start)
    if locked is not None:
        raise Conflict(f"The week of {week_start.isoformat()} was run already (run {locked.id}).")
    uow.session.execute(
        update(PayrollRun)
        .where(
            PayrollRun.tenant_id == tenant_id,
            PayrollRun.week_start == week_start,
            PayrollRun.status.in_((PREVIEWING, PREVIEWED)),
        )
        .values(status=SUPERSEDED)
    )
    run = PayrollRun(
        tenant_id=tenant_id,
        week_start=week_start,
        status=PREVIEWING,
        started_by_kind="staff" if caller is not None else "schedule",
        created_by=caller.user_id if caller is not None else None,
        blockers=[],
        blocker_count=0,
        workers=0,
        gross_cents=0,
    )
    uow.session.add(run)
    uow.session.flush()
    job_id = jobs.enqueue(
        uow,
        PREVIEW,
        tenant_id=tenant_id,
        params={"run_id": run.id},
        created_by=run.created_by,
    )
    run.preview_job_id = job_id
    if caller is not None:
        audit(
            uow,
            caller,
            action="payroll.preview",
            entity_type="payroll_run",
            entity_id=run.id,
            after={"week_start": week_start.isoformat()},
            tenant_id=tenant_id,
        )
    return run, job_id


def complete_run(
    uow: UnitOfWork,
    *,
    caller: Caller | None,
    tenant_id: str,
    run_id: str,
    now: datetime | None = None,
) -> tuple[PayrollRun, str | None]:
    """Lock a previewed week that has ended and pay it (its job makes the files and publishes
    the event). A run already completing or completed is answered as it is (nothing is paid
    twice)."""
    run = _run_for(uow, tenant_id=tenant_id, run_id=run_id, lock=True)
    if run.status in (COMPLETING, COMPLETED):
        return run, None
    zone = lines.cbo_timezone(uow, tenant_id=tenant_id)
    if not rules.week_ended(run.week_start, now or datetime.now(UTC), zone):
        raise Conflict("This pay week has not ended yet: preview it, complete it once it has.")
    if run.status != PREVIEWED:
        word = "was superseded by a newer preview" if run.status == SUPERSEDED else "is not ready"
        raise Conflict(f"This preview {word}.")
    if run.blocker_count:
        raise Conflict(
            f"{run.blocker_count} problem(s) block this run; fix them and preview the week again."
        )
    run.status = COMPLETING
    run.completed_by = caller.user_id if caller is not None else None
    try:
        with uow.session.begin_nested():
            uow.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"The week of {run.week_start.isoformat()} was run already.") from exc
    job_id = jobs.enqueue(
        uow, COMPLETE, tenant_id=tenant_id, params={"run_id": run.id}, created_by=run.completed_by
    )
    run.complete_job_id = job_id
    if caller is not None:
        audit(
            uow,
            caller,
            action="payroll.complete",
            entity_type="payroll_run",
            entity_id=run.id,
            after={"week_start": run.week_start.isoformat(), "gross_cents": run.gross_cents},
            tenant_id=tenant_id,
        )
    return run, job_id


def start_scheduled_runs(uow: UnitOfWork, *, now: datetime | None = None) -> list[str]:
    """The Tuesday run: for each CBO billing knows whose Tuesday run is due, preview the week
    just ended unless a run of it exists. Safe on several instances (each CBO's row is taken
    with SKIP LOCKED). Returns the preview jobs' ids."""
    now = now or datetime.now(UTC)
    started = []
    cbos = uow.session.execute(select(read.CboRecord).with_for_update(skip_locked=True)).scalars()
    for cbo in list(cbos):
        own = settings.settings_of(uow, tenant_id=cbo.tenant_id)
        if not rules.scheduled_run_due(now, cbo.timezone, own["run_hour"]):
            continue
        week = rules.week_just_ended(now, cbo.timezone)
        exists = uow.session.execute(
            select(PayrollRun.id)
            .where(PayrollRun.tenant_id == cbo.tenant_id, PayrollRun.week_start == week)
            .limit(1)
        ).first()
        if exists is not None or not _has_work(uow, tenant_id=cbo.tenant_id, week_start=week):
            continue
        _run, job_id = start_run(uow, caller=None, tenant_id=cbo.tenant_id, week_start=week)
        started.append(job_id)
    return started


def _has_work(uow: UnitOfWork, *, tenant_id: str, week_start: date) -> bool:
    return (
        uow.session.execute(
            select(read.LineRecord.visit_id)
            .where(read.LineRecord.tenant_id == tenant_id, read.LineRecord.week_start == week_start)
            .limit(1)
        ).first()
        is not None
    )


# -- reading -------------------------------------------------------------------------------------


def run_view(uow: UnitOfWork, *, run: PayrollRun) -> dict[str, Any]:
    def job(job_id: str | None) -> dict[str, Any] | None:
        if job_id is None:
            return None
        return jobs.progress(uow, job_id=job_id, tenant_id=run.tenant_id)

    return {
        "id": run.id,
        "week_start": run.week_start,
        "status": run.status,
        "started_by_kind": run.started_by_kind,
        "workers": run.workers,
        "gross_cents": run.gross_cents,
        "blocker_count": run.blocker_count,
        "blockers": run.blockers,
        "completed_at": run.completed_at,
        "preview_job": job(run.preview_job_id),
        "complete_job": job(run.complete_job_id),
        "exports": list(rules.LAYOUTS) if run.status == COMPLETED else [],
    }


def read_run(uow: UnitOfWork, *, tenant_id: str, run_id: str) -> dict[str, Any]:
    return run_view(uow, run=_run_for(uow, tenant_id=tenant_id, run_id=run_id))


def list_runs(
    uow: UnitOfWork, *, tenant_id: str, week_start: date | None, page: int, per_page: int
) -> dict[str, Any]:
    query = select(PayrollRun).where(PayrollRun.tenant_id == tenant_id)
    if week_start is not None:
        query = query.where(PayrollRun.week_start == week_start)
    total = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    found = uow.session.scalars(
        query.order_by(PayrollRun.created_at.desc(), PayrollRun.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return {
        "items": [run_view(uow, run=run) for run in found],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def line_dict(line: PayrollLine) -> dict[str, Any]:
    return {
        "worker_id": line.worker_id,
        "worker_tenant_id": line.worker_tenant_id,
        "for_week": line.for_week,
        "kind": line.kind,
        "name": line.name,
        "payroll_id": line.payroll_id,
        "regular_rate": line.regular_rate,
        "clients": line.clients,
        **{name: getattr(line, name) for name in rules.FIGURES},
    }


def run_lines(
    uow: UnitOfWork, *, tenant_id: str, run_id: str, page: int, per_page: int
) -> dict[str, Any]:
    _run_for(uow, tenant_id=tenant_id, run_id=run_id)
    query = select(PayrollLine).where(
        PayrollLine.tenant_id == tenant_id, PayrollLine.run_id == run_id
    )
    total = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    found = uow.session.scalars(
        query.order_by(PayrollLine.worker_id, PayrollLine.for_week)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return {
        "items": [line_dict(line) for line in found],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def export_file(uow: UnitOfWork, *, tenant_id: str, run_id: str, layout: str) -> PayrollExport:
    run = _run_for(uow, tenant_id=tenant_id, run_id=run_id)
    if layout not in rules.LAYOUTS:
        raise NotFound(f"There is no {layout!r} export; there are {', '.join(rules.LAYOUTS)}.")
    if run.status != COMPLETED:
        raise Conflict("The files are made when the run completes.")
    found = uow.session.get(PayrollExport, (run_id, layout))
    if found is None:
        raise NotFound("There is no such file.")
    return found


def set_bonus(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Finance staff award (or, 0, withdraw) a worker's non-discretionary bonus for a week not
    yet run."""
    week = data["week_start"]
    if week_locked(uow, tenant_id=tenant_id, week_start=week) is not None:
        raise Conflict("That week was run already; a bonus for it goes on a later week.")
    known = uow.session.get(read.WorkerRecord, data["worker_id"])
    if known is None or known.tenant_id != tenant_id:
        raise NotFound("There is no such worker.")
    stmt = insert(PayrollBonus).values(
        tenant_id=tenant_id,
        worker_id=data["worker_id"],
        week_start=week,
        cents=data["cents"],
        reason=data["reason"],
    )
    uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id", "worker_id", "week_start"],
            set_={"cents": stmt.excluded.cents, "reason": stmt.excluded.reason},
        )
    )
    audit(
        uow,
        caller,
        action="payroll.bonus",
        entity_type="worker",
        entity_id=data["worker_id"],
        after={"week_start": week.isoformat(), "cents": data["cents"], "reason": data["reason"]},
        tenant_id=tenant_id,
    )
    return data


# -- working a week out --------------------------------------------------------------------------


@dataclass
class WorkerWeek:
    """What one worker's week is made of."""

    worker_id: str
    week_start: date
    works: list[pay.Work] = field(default_factory=list)
    cancelled: list[pay.Cancelled] = field(default_factory=list)
    items: dict[str, int] = field(default_factory=dict)  # item id -> version
    shift_ids: set[str] = field(default_factory=set)
    unpriced: list[str] = field(default_factory=list)
    name: str | None = None
    payroll_id: str | None = None
    worker_tenant_id: str | None = None
    bonus_cents: int = 0


def worker_weeks(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    pairs: Iterable[tuple[str, date]],
) -> dict[tuple[str, date], WorkerWeek]:
    """The approved lines, late cancellations and bonuses of each (worker, week), priced."""
    wanted = set(pairs)
    if not wanted:
        return {}
    zone_name = lines.cbo_timezone(uow, tenant_id=tenant_id)
    zone = ZoneInfo(zone_name)
    workers = sorted({w for w, _ in wanted})
    weeks = sorted({d for _, d in wanted})
    found = {pair: WorkerWeek(worker_id=pair[0], week_start=pair[1]) for pair in wanted}
    for row, applied in lines.line_rows(
        uow, tenant_id=tenant_id, week_starts=weeks, worker_ids=workers, with_elements=False
    ):
        week = found.get((row.worker_id, row.week_start))
        if week is None:
            continue
        week.items[row.visit_id] = row.version
        week.shift_ids.add(row.shift_id)
        week.name, week.payroll_id = row.worker_name, row.payroll_id
        week.worker_tenant_id = row.worker_tenant_id
        if applied is None:
            week.unpriced.append(row.visit_id)
            continue
        # Neither punches nor the shift known yet: the week's first minute.
        begins = (
            row.clock_in_at
            or row.starts_at
            or datetime.combine(row.week_start, datetime.min.time(), zone)
        )
        week.works.append(
            pay.Work(
                key=row.visit_id,
                starts_at=begins,
                minutes=row.worked_minutes,
                pay_rate_cents=applied.pay_rate_cents,
                bill_rate_cents=applied.bill_rate_cents,
                scheduled_minutes=row.scheduled_minutes,
                client_id=row.client_id,
                job_type_id=row.job_type_id,
            )
        )
    for week in found.values():
        week.works.sort(key=lambda w: (w.starts_at, w.key))
    first, _ = lines.week_bounds(weeks[0], zone_name)
    _, last = lines.week_bounds(weeks[-1], zone_name)
    cancelled = uow.session.execute(
        select(read.CancellationRecord, read.ShiftRecord)
        .join(read.ShiftRecord, read.ShiftRecord.shift_id == read.CancellationRecord.shift_id)
        .where(
            read.CancellationRecord.tenant_id == tenant_id,
            read.CancellationRecord.worker_id.in_(workers),
            read.ShiftRecord.starts_at >= first,
            read.ShiftRecord.starts_at < last,
        )
    ).all()
    terms = {
        shift.shift_id: rates.ShiftTerms(
            client_id=shift.client_id,
            job_type_id=shift.job_type_id,
            booking_pay=shift.pay_rate_cents if shift.pay_rate_given else None,
            booking_bill=shift.bill_rate_cents if shift.bill_rate_given else None,
        )
        for _, shift in cancelled
    }
    priced = rates.rates_for(uow, tenant_id=tenant_id, shifts=terms.values())
    for cancel, shift in cancelled:
        week = found.get((cancel.worker_id, pay.pay_week(shift.starts_at, zone)))
        if week is None:
            continue
        week.items[cancel.assignment_id] = 1
        week.worker_tenant_id = week.worker_tenant_id or cancel.worker_tenant_id
        applied = priced.get(terms[shift.shift_id])
        if applied is None:
            week.unpriced.append(cancel.assignment_id)
            continue
        week.cancelled.append(
            pay.Cancelled(
                key=cancel.assignment_id,
                starts_at=shift.starts_at,
                scheduled_minutes=int((shift.ends_at - shift.starts_at).total_seconds() // 60),
                pay_rate_cents=applied.pay_rate_cents,
                bill_rate_cents=applied.bill_rate_cents,
                client_id=shift.client_id,
                job_type_id=shift.job_type_id,
            )
        )
    for bonus in uow.session.scalars(
        select(PayrollBonus).where(
            PayrollBonus.tenant_id == tenant_id,
            PayrollBonus.worker_id.in_(workers),
            PayrollBonus.week_start.in_(weeks),
        )
    ):
        week = found.get((bonus.worker_id, bonus.week_start))
        if week is not None:
            week.bonus_cents = bonus.cents
    missing = [w for w in found.values() if w.name is None or w.worker_tenant_id is None]
    if missing:
        known = {
            r.worker_id: r
            for r in uow.session.scalars(
                select(read.WorkerRecord).where(
                    read.WorkerRecord.worker_id.in_({w.worker_id for w in missing})
                )
            )
        }
        for week in missing:
            record = known.get(week.worker_id)
            if record is not None:
                week.name = week.name or record.name
                week.payroll_id = week.payroll_id or record.payroll_id
            week.worker_tenant_id = week.worker_tenant_id or tenant_id
    return found


def figures_of(result: pay.WeekPay) -> dict[str, int]:
    return {
        "regular_minutes": result.minutes[pay.REGULAR],
        "overtime_minutes": result.minutes[pay.OVERTIME],
        "double_time_minutes": result.minutes[pay.DOUBLE_TIME],
        "reporting_minutes": result.reporting_minutes,
        "meal_premiums": result.meal_premiums,
        "rest_premiums": result.rest_premiums,
        "straight_cents": result.straight_cents,
        "overtime_premium_cents": result.overtime_premium_cents,
        "period_premium_cents": result.period_premium_cents,
        "reporting_cents": result.reporting_cents,
        "bonus_cents": result.bonus_cents,
        "gross_cents": result.gross_cents,
    }


def clients_of(result: pay.WeekPay) -> list[dict[str, Any]]:
    grouped: dict[tuple[str | None, str | None], dict[str, int]] = defaultdict(
        lambda: {"minutes": 0, "gross_cents": 0}
    )
    for item in result.works:
        entry = grouped[(item.client_id, item.job_type_id)]
        entry["minutes"] += sum(item.minutes.values())
        entry["gross_cents"] += item.pay_cents
    return [
        {"client_id": client, "job_type_id": job_type, **entry}
        for (client, job_type), entry in sorted(grouped.items(), key=lambda x: str(x[0]))
    ]


def compute(week: WorkerWeek, *, zone: ZoneInfo, rules_of_cbo: pay.PayRules) -> pay.WeekPay:
    return pay.week_pay(
        week.works,
        week_start=week.week_start,
        zone=zone,
        cancelled=week.cancelled,
        bonus_cents=week.bonus_cents,
        rules=rules_of_cbo,
    )


# -- the preview job -----------------------------------------------------------------------------


def _adjustment_candidates(tenant_id: str, week_start: date):
    """(worker_id, week_start) of lines in weeks already run that were approved (or approved
    again) since they were paid."""
    locked = select(PayrollRun.week_start).where(
        PayrollRun.tenant_id == tenant_id, PayrollRun.status == COMPLETED
    )
    return (
        select(read.LineRecord.worker_id, read.LineRecord.week_start)
        .outerjoin(PaidItem, PaidItem.item_id == read.LineRecord.visit_id)
        .where(
            read.LineRecord.tenant_id == tenant_id,
            read.LineRecord.status == read.APPROVED,
            read.LineRecord.week_start < week_start,
            read.LineRecord.week_start.in_(locked),
            or_(PaidItem.item_id.is_(None), PaidItem.version < read.LineRecord.version),
        )
    )


def _workers_after(uow: UnitOfWork, *, run: PayrollRun, after: str, limit: int) -> list[str]:
    """The next workers of the run (by id): with approved lines or late cancellations in its
    week, or an adjustment to make."""
    zone = lines.cbo_timezone(uow, tenant_id=run.tenant_id)
    start, end = lines.week_bounds(run.week_start, zone)
    own = select(read.LineRecord.worker_id.label("worker_id")).where(
        read.LineRecord.tenant_id == run.tenant_id,
        read.LineRecord.week_start == run.week_start,
        read.LineRecord.status == read.APPROVED,
    )
    cancelled = (
        select(read.CancellationRecord.worker_id.label("worker_id"))
        .join(read.ShiftRecord, read.ShiftRecord.shift_id == read.CancellationRecord.shift_id)
        .where(
            read.CancellationRecord.tenant_id == run.tenant_id,
            read.ShiftRecord.starts_at >= start,
            read.ShiftRecord.starts_at < end,
        )
    )
    adjusted = _adjustment_candidates(run.tenant_id, run.week_start).with_only_columns(
        read.LineRecord.worker_id.label("worker_id")
    )
    every = union(own, cancelled, adjusted).subquery()
    return list(
        uow.session.scalars(
            select(every.c.worker_id)
            .where(every.c.worker_id > after)
            .order_by(every.c.worker_id)
            .limit(limit)
        )
    )


def _week_blockers(uow: UnitOfWork, *, run: PayrollRun) -> list[dict[str, Any]]:
    """Lines of the week not approved, and visits with a must-fix EVV exception."""
    zone = lines.cbo_timezone(uow, tenant_id=run.tenant_id)
    start, end = lines.week_bounds(run.week_start, zone)
    found = []
    for line in uow.session.scalars(
        select(read.LineRecord).where(
            read.LineRecord.tenant_id == run.tenant_id,
            read.LineRecord.week_start == run.week_start,
            read.LineRecord.status != read.APPROVED,
        )
    ):
        found.append(
            {
                "code": UNAPPROVED,
                "message": f"A timesheet line is {line.status}, not approved.",
                "worker_id": line.worker_id,
                "visit_id": line.visit_id,
            }
        )
    pending = (
        select(read.VisitRecord)
        .outerjoin(read.LineRecord, read.LineRecord.visit_id == read.VisitRecord.visit_id)
        .where(
            read.VisitRecord.tenant_id == run.tenant_id,
            read.VisitRecord.starts_at >= start,
            read.VisitRecord.starts_at < end,
            or_(
                read.VisitRecord.must_fix_open > 0,
                and_(read.VisitRecord.verified.is_(True), read.LineRecord.visit_id.is_(None)),
            ),
        )
    )
    for visit in uow.session.scalars(pending):
        if visit.must_fix_open > 0:
            found.append(
                {
                    "code": EVV_EXCEPTION,
                    "message": "The visit has a must-fix EVV exception.",
                    "worker_id": visit.worker_id,
                    "visit_id": visit.visit_id,
                }
            )
        else:
            found.append(
                {
                    "code": UNAPPROVED,
                    "message": "A verified visit's timesheet line is not approved yet.",
                    "worker_id": visit.worker_id,
                    "visit_id": visit.visit_id,
                }
            )
    return found


def _add_blockers(run: PayrollRun, found: list[dict[str, Any]]) -> None:
    if not found:
        return
    room = MAX_BLOCKERS_SHOWN - len(run.blockers or [])
    if room > 0:
        run.blockers = [*(run.blockers or []), *found[:room]]
    run.blocker_count += len(found)


def preview_step(uow: UnitOfWork, *, job: Job, run_id: str) -> StepResult:
    """One batch of the run's workers: their lines for the week and any adjustments, their
    blockers, the items paid; the last step publishes payroll.previewed."""
    run = uow.session.get(PayrollRun, run_id, with_for_update=True)
    if run is None or run.status != PREVIEWING:
        raise JobFailed("This preview was superseded by a newer one.")
    checkpoint = job.checkpoint or {"after": "", "done": 0}
    if job.checkpoint is None:
        _add_blockers(run, _week_blockers(uow, run=run))
    batch = _workers_after(uow, run=run, after=checkpoint["after"], limit=BATCH)
    if batch:
        _preview_batch(uow, run=run, workers=batch)
        done = checkpoint["done"] + len(batch)
        return StepResult(done=done, total=None, checkpoint={"after": batch[-1], "done": done})
    run.status = PREVIEWED
    uow.emit(
        "payroll.previewed",
        {
            "run_id": run.id,
            "week_start": run.week_start,
            "workers": run.workers,
            "gross_cents": run.gross_cents,
            "blockers": run.blocker_count,
        },
        tenant_id=run.tenant_id,
    )
    scheduled = run.started_by_kind == "schedule" and not run.blocker_count
    if scheduled and settings.settings_of(uow, tenant_id=run.tenant_id)["auto_complete"]:
        complete_run(uow, caller=None, tenant_id=run.tenant_id, run_id=run.id)
    done = checkpoint["done"]
    return StepResult(done=done, total=done, checkpoint=checkpoint, finished=True)


def _preview_batch(uow: UnitOfWork, *, run: PayrollRun, workers: list[str]) -> None:
    tenant_id = run.tenant_id
    zone = ZoneInfo(lines.cbo_timezone(uow, tenant_id=tenant_id))
    rules_of_cbo = settings.pay_rules_for(uow, tenant_id=tenant_id)
    adjust = {
        (row.worker_id, row.week_start)
        for row in uow.session.execute(
            _adjustment_candidates(tenant_id, run.week_start).where(
                read.LineRecord.worker_id.in_(workers)
            )
        )
    }
    pairs = {(w, run.week_start) for w in workers} | adjust
    weeks = worker_weeks(uow, tenant_id=tenant_id, pairs=pairs)
    paid = _paid_weeks(uow, tenant_id=tenant_id, pairs=adjust)
    new_lines: list[dict[str, Any]] = []
    items: list[tuple[str, int, date]] = []
    blockers: list[dict[str, Any]] = []
    paid_workers: set[str] = set()
    for (worker_id, week_start), week in sorted(weeks.items()):
        for visit_id in week.unpriced:
            blockers.append(
                {
                    "code": UNPRICED,
                    "message": "Billing has not heard of this line's shift yet.",
                    "worker_id": worker_id,
                    "visit_id": visit_id,
                }
            )
        result = compute(week, zone=zone, rules_of_cbo=rules_of_cbo)
        figures = figures_of(result)
        if week_start == run.week_start:
            kind = WEEK
            if not week.works and not week.cancelled and not week.bonus_cents:
                continue
        else:
            kind = ADJUSTMENT
            figures = rules.difference(figures, paid.get((worker_id, week_start)))
        items.extend((item_id, version, week_start) for item_id, version in week.items.items())
        if kind == ADJUSTMENT and rules.is_nothing(figures):
            continue
        paid_workers.add(worker_id)
        new_lines.append(
            {
                "run_id": run.id,
                "worker_id": worker_id,
                "for_week": week_start,
                "tenant_id": tenant_id,
                "kind": kind,
                "worker_tenant_id": week.worker_tenant_id or tenant_id,
                "name": week.name,
                "payroll_id": week.payroll_id,
                "regular_rate": str(_rate(result.regular_rate)),
                # An adjustment's difference is not cut by client (only the week's own is).
                "clients": clients_of(result) if kind == WEEK else [],
                **figures,
            }
        )
    names = {line["worker_id"]: line["payroll_id"] for line in new_lines}
    for worker_id in sorted(paid_workers):
        if not names.get(worker_id):
            blockers.append(
                {
                    "code": MISSING_PAYROLL_ID,
                    "message": "The worker has no payroll id.",
                    "worker_id": worker_id,
                }
            )
    insert_rows(uow, PayrollLine, new_lines)
    if items:
        # Tens of thousands of (id, version, week): three arrays, one statement.
        uow.session.execute(
            text(
                "INSERT INTO payroll_run_items (run_id, item_id, tenant_id, version, week_start) "
                "SELECT :run, i, :tenant, v, w FROM unnest("
                "CAST(:ids AS text[]), CAST(:versions AS int[]), CAST(:weeks AS date[])) "
                "AS x(i, v, w) ON CONFLICT DO NOTHING"
            ),
            {
                "run": run.id,
                "tenant": tenant_id,
                "ids": [item[0] for item in items],
                "versions": [item[1] for item in items],
                "weeks": [item[2] for item in items],
            },
        )
    _add_blockers(run, blockers)
    run.workers += len(paid_workers)
    run.gross_cents += sum(line["gross_cents"] for line in new_lines)


def _rate(value: Any) -> Decimal:
    """A regular rate (an exact fraction of cents an hour) to four decimals."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.0001"))


def _paid_weeks(
    uow: UnitOfWork, *, tenant_id: str, pairs: set[tuple[str, date]]
) -> dict[tuple[str, date], dict[str, int]]:
    if not pairs:
        return {}
    found = uow.session.scalars(
        select(PaidWeek).where(
            PaidWeek.tenant_id == tenant_id,
            PaidWeek.worker_id.in_({w for w, _ in pairs}),
            PaidWeek.week_start.in_({d for _, d in pairs}),
        )
    )
    return {
        (row.worker_id, row.week_start): {name: getattr(row, name) for name in rules.FIGURES}
        for row in found
    }


# -- the complete job ----------------------------------------------------------------------------


def complete_step(uow: UnitOfWork, *, job: Job, run_id: str) -> StepResult:
    """First step: record what the run pays (items at their versions, each worker's weeks).
    Second: the export files, the run completed, payroll.completed."""
    run = uow.session.get(PayrollRun, run_id, with_for_update=True)
    if run is None or run.status not in (COMPLETING, COMPLETED):
        raise JobFailed("This run is not being completed.")
    if run.status == COMPLETED:
        return StepResult(done=2, total=2, checkpoint={"step": 2}, finished=True)
    if job.checkpoint is None:
        _record_paid(uow, run=run)
        return StepResult(done=1, total=2, checkpoint={"step": 1})
    _finish(uow, run=run)
    return StepResult(done=2, total=2, checkpoint={"step": 2}, finished=True)


def _record_paid(uow: UnitOfWork, *, run: PayrollRun) -> None:
    items = select(
        PayrollRunItem.item_id,
        PayrollRunItem.tenant_id,
        PayrollRunItem.week_start,
        PayrollRunItem.version,
        literal(run.id).label("run_id"),
    ).where(PayrollRunItem.run_id == run.id, PayrollRunItem.tenant_id == run.tenant_id)
    stmt = insert(PaidItem).from_select(
        ["item_id", "tenant_id", "week_start", "version", "run_id"], items
    )
    uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["item_id"],
            set_={"version": stmt.excluded.version, "run_id": stmt.excluded.run_id},
        )
    )
    columns = ["tenant_id", "worker_id", "week_start", *rules.FIGURES, "run_id"]
    paid_lines = select(
        PayrollLine.tenant_id,
        PayrollLine.worker_id,
        PayrollLine.for_week,
        *(getattr(PayrollLine, name) for name in rules.FIGURES),
        literal(run.id),
    ).where(PayrollLine.run_id == run.id, PayrollLine.tenant_id == run.tenant_id)
    weeks = insert(PaidWeek).from_select(columns, paid_lines)
    uow.session.execute(
        weeks.on_conflict_do_update(
            index_elements=["tenant_id", "worker_id", "week_start"],
            set_={
                **{
                    name: getattr(PaidWeek, name) + getattr(weeks.excluded, name)
                    for name in rules.FIGURES
                },
                "run_id": weeks.excluded.run_id,
            },
        )
    )


def _finish(uow: UnitOfWork, *, run: PayrollRun) -> None:
    # Plain rows (the same keys as line_dict), not an object per worker.
    table = PayrollLine.__table__
    found = [
        dict(row)
        for row in uow.session.execute(
            select(table).where(table.c.run_id == run.id, table.c.tenant_id == run.tenant_id)
        ).mappings()
    ]
    own = settings.settings_of(uow, tenant_id=run.tenant_id)
    bonuses: dict[str, int] = defaultdict(int)
    for line in found:
        bonuses[line["worker_id"]] += line["bonus_cents"]
    totals = rules.worker_totals(found, run.week_start)
    files = [
        rules.adp(
            totals,
            company_code=own["company_code"],
            batch_id=run.week_start.strftime("%y%m%d"),
        ),
        rules.paychex(totals, company_code=own["company_code"], week_start=run.week_start),
        rules.gusto(totals, bonuses=bonuses, week_start=run.week_start),
        rules.plain(found, week_start=run.week_start),
    ]
    uow.session.execute(
        insert(PayrollExport)
        .values(
            [
                {
                    "run_id": run.id,
                    "layout": f.layout,
                    "tenant_id": run.tenant_id,
                    "filename": f.filename,
                    "content_type": f.content_type,
                    "data": f.data,
                }
                for f in files
            ]
        )
        .on_conflict_do_nothing()
    )
    now = datetime.now(UTC)
    run.status = COMPLETED
    run.completed_at = now
    uow.emit(
        "payroll.completed",
        {
            "run_id": run.id,
            "week_start": run.week_start,
            "completed_at": now,
            "gross_cents": run.gross_cents,
            "lines": completed_lines(found),
        },
        tenant_id=run.tenant_id,
    )


def completed_lines(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """payroll.completed's lines: one per worker, the week's and its adjustments summed."""
    by_worker: dict[str, dict[str, Any]] = {}
    for line in sorted(found, key=lambda x: (x["worker_id"], x["for_week"])):
        entry = by_worker.setdefault(
            line["worker_id"],
            {
                "worker_id": line["worker_id"],
                "worker_tenant_id": line["worker_tenant_id"],
                "regular_minutes": 0,
                "overtime_minutes": 0,
                "double_time_minutes": 0,
                "premium_cents": 0,
                "gross_cents": 0,
                "clients": [],
            },
        )
        for name in ("regular_minutes", "overtime_minutes", "double_time_minutes", "gross_cents"):
            entry[name] += line[name]
        entry["premium_cents"] += (
            line["period_premium_cents"] + line["reporting_cents"] + line["bonus_cents"]
        )
        entry["clients"].extend(line["clients"])
    return list(by_worker.values())


PREVIEW = JobKind("payroll.preview", preview_step, lease=timedelta(seconds=120))
COMPLETE = JobKind("payroll.complete", complete_step, lease=timedelta(seconds=120))
