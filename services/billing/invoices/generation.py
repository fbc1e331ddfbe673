"""Making invoices from approved timesheet lines: a draft per client per period (the client's
setting: the pay week, or the month), a line per shift at the bill rate that applies
(lines.priced_lines: booking, client, job type or markup), premiums billed where the client
is billed them, and the six EVV elements where the client's invoices carry them.

It runs as a resumable background job (chassis.jobs) over the period's clients, a few clients
per step: each step's drafts commit with the checkpoint, so a run that dies resumes with the
next client and drafts nobody twice. Generating a period again makes its drafts again from the
newest lines and rates; lines already on an issued (or paid) invoice are left out, so a late
approval lands on a new draft of its own and nothing is ever billed twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from chassis import jobs
from chassis.db import UnitOfWork
from chassis.errors import NotFound, ValidationFailed
from chassis.jobs import Job, JobKind, StepResult
from chassis.tables import background_jobs
from services.billing.invoices import domain, rules
from services.billing.invoices.models import ClientInvoicing, Invoice, InvoiceLine
from services.billing.licences import domain as licences
from services.billing.lines import domain as lines_domain
from services.billing.lines import models as read
from services.billing.lines.domain import PricedLine
from services.billing.payroll import domain as payroll
from services.billing.payrules import rules as pay
from services.billing.settings import domain as pay_settings

CLIENTS_PER_STEP = 25


def check_period(*, period: str, period_start: date) -> None:
    problem = rules.period_problem(period, period_start)
    if problem is not None:
        raise ValidationFailed(fields={"period_start": [problem]})


def _weeks_of(period: str, period_start: date) -> tuple[date, list[date]]:
    """The period's last day and the pay weeks (Mondays) its days fall in."""
    _, last = rules.period_of(period, period_start)
    monday = period_start - timedelta(days=period_start.weekday())
    weeks = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return last, weeks


def _settings(uow: UnitOfWork, tenant_id: str) -> dict[str, ClientInvoicing]:
    rows = uow.session.scalars(
        select(ClientInvoicing).where(ClientInvoicing.tenant_id == tenant_id)
    )
    return {row.client_id: row for row in rows}


def _period_lines(
    uow: UnitOfWork, *, tenant_id: str, period: str, period_start: date, client_id: str | None
) -> list[PricedLine]:
    last, weeks = _weeks_of(period, period_start)
    found = lines_domain.priced_lines(
        uow, tenant_id=tenant_id, week_starts=weeks, client_id=client_id
    )
    return [line for line in found if rules.in_period(line.service_date, period_start, last)]


def clients_to_invoice(
    uow: UnitOfWork, *, tenant_id: str, period: str, period_start: date
) -> list[str]:
    """The clients with approved lines (or late cancellations) in the period whose setting is
    this kind of period."""
    settings = _settings(uow, tenant_id)
    found = _period_lines(
        uow, tenant_id=tenant_id, period=period, period_start=period_start, client_id=None
    )
    _, last = rules.period_of(period, period_start)
    cancelled = _cancellations(
        uow, tenant_id=tenant_id, client_id=None, first=period_start, last=last
    )
    clients = {line.client_id for line in found} | {c.client_id for c, _ in cancelled}
    return sorted(
        client
        for client in clients
        if (settings[client].period if client in settings else rules.WEEK) == period
    )


def _billed(uow: UnitOfWork, tenant_id: str, sources: Iterable[str]) -> set[str]:
    """Of `sources`, those another live invoice bills already (issued, paid, or the draft that
    replaces a voided one)."""
    wanted = list(sources)
    if not wanted:
        return set()
    query = select(InvoiceLine.source_id).where(
        InvoiceLine.tenant_id == tenant_id,
        InvoiceLine.live,
        InvoiceLine.source_id.in_(wanted),
    )
    return set(uow.session.scalars(query))


def _evv(line: PricedLine) -> dict[str, Any] | None:
    """The six Cures Act elements of the line's visit, with the names a reader needs."""
    elements = line.elements
    if not elements:
        return None
    return {
        "service_type": elements.get("service_type") or line.job_type_key or "",
        "recipient": line.client_name or "",
        "recipient_id": elements.get("recipient_id") or line.client_id,
        "service_date": str(elements.get("service_date") or line.service_date),
        "latitude": elements.get("latitude"),
        "longitude": elements.get("longitude"),
        "provider": line.worker_name or "",
        "provider_id": elements.get("provider_id") or line.worker_id,
        "begins_at": str(elements.get("begins_at") or ""),
        "ends_at": str(elements.get("ends_at") or ""),
    }


def _cancellations(
    uow: UnitOfWork, *, tenant_id: str, client_id: str | None, first: date, last: date
) -> list[tuple[read.CancellationRecord, read.ShiftRecord]]:
    """The client's (None: every client's) late cancellations of shifts that were to start
    in the period."""
    zone = lines_domain.cbo_timezone(uow, tenant_id=tenant_id)
    begins = datetime.combine(first, datetime.min.time(), ZoneInfo(zone))
    ends = datetime.combine(last + timedelta(days=1), datetime.min.time(), ZoneInfo(zone))
    query = (
        select(read.CancellationRecord, read.ShiftRecord)
        .join(read.ShiftRecord, read.ShiftRecord.shift_id == read.CancellationRecord.shift_id)
        .where(
            read.CancellationRecord.tenant_id == tenant_id,
            read.ShiftRecord.starts_at >= begins,
            read.ShiftRecord.starts_at < ends,
        )
    )
    if client_id is not None:
        query = query.where(read.CancellationRecord.client_id == client_id)
    return [(cancel, shift) for cancel, shift in uow.session.execute(query).tuples()]


def _week_pay(
    uow: UnitOfWork, *, tenant_id: str, pairs: set[tuple[str, date]]
) -> dict[str, pay.WorkPay]:
    """Each shift's (and late cancellation's) minutes at each tier and its reporting time, as
    payroll computes the worker's whole week (joint employment: all the CBO's clients count),
    by the shift's key (visit or assignment id)."""
    if not pairs:
        return {}
    zone = ZoneInfo(lines_domain.cbo_timezone(uow, tenant_id=tenant_id))
    rules_of_cbo = pay_settings.pay_rules_for(uow, tenant_id=tenant_id)
    found: dict[str, pay.WorkPay] = {}
    for week in payroll.worker_weeks(uow, tenant_id=tenant_id, pairs=pairs).values():
        for item in payroll.compute(week, zone=zone, rules_of_cbo=rules_of_cbo).works:
            found[item.key] = item
    return found


def _premium_minutes(item: pay.WorkPay | None) -> dict[str, int]:
    if item is None:
        return {}
    bands = {"1.5": item.minutes.get(pay.OVERTIME, 0), "2": item.minutes.get(pay.DOUBLE_TIME, 0)}
    return {band: minutes for band, minutes in bands.items() if minutes}


def _reporting_line(
    cancel: read.CancellationRecord,
    shift: read.ShiftRecord,
    item: pay.WorkPay,
    *,
    worker_name: str | None,
    job_type_name: str | None,
    zone: str,
) -> dict[str, Any]:
    """A late cancellation's reporting time, billed as a premium (no hours were worked), at
    the shift's bill rate as payroll priced it."""
    billed = item.bill_cents
    hours = rules.hours_text(item.reporting_minutes)
    return {
        "source_id": cancel.assignment_id,
        "service_date": shift.starts_at.astimezone(ZoneInfo(zone)).date(),
        "worker_id": cancel.worker_id,
        "worker_name": worker_name,
        "job_type_id": shift.job_type_id,
        "job_type_name": job_type_name,
        "description": f"Reporting time, late cancellation ({hours} h)",
        "minutes": None,
        "rate_cents": None,
        "base_cents": 0,
        "premium_cents": billed,
        "amount_cents": billed,
        "premiums": {"reporting_minutes": item.reporting_minutes},
        "evv": None,
    }


def invoice_line(
    line: PricedLine,
    *,
    bill_premiums: bool,
    premium_minutes: dict[str, int] | None = None,
    flat_premium_cents: int = 0,
) -> dict[str, Any]:
    """A priced timesheet line as an invoice line (its money by rules.bill_line)."""
    money = rules.bill_line(
        minutes=line.worked_minutes,
        rate_cents=line.bill_rate_cents,
        premium_minutes=premium_minutes,
        flat_premium_cents=flat_premium_cents,
        bill_premiums=bill_premiums,
    )
    premiums = None
    if bill_premiums and (premium_minutes or flat_premium_cents):
        premiums = {"minutes": dict(premium_minutes or {}), "reporting_cents": flat_premium_cents}
    return {
        "source_id": line.visit_id,
        "service_date": line.service_date,
        "worker_id": line.worker_id,
        "worker_name": line.worker_name,
        "job_type_id": line.job_type_id,
        "job_type_name": line.job_type_name,
        "description": line.job_type_name or "Shift",
        "minutes": line.worked_minutes,
        "rate_cents": line.bill_rate_cents,
        "base_cents": money.base_cents,
        "premium_cents": money.premium_cents,
        "amount_cents": money.amount_cents,
        "premiums": premiums,
        "evv": _evv(line),
    }


def draft_for_client(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    client_id: str,
    period: str,
    period_start: date,
    created_by: str | None = None,
) -> dict[str, Any]:
    """The client's draft for the period, made (again) from its approved lines not yet on an
    issued invoice. Lines with no bill rate are left out and counted."""
    for draft in uow.session.scalars(
        select(Invoice).where(
            Invoice.tenant_id == tenant_id,
            Invoice.kind == rules.CLIENT,
            Invoice.client_id == client_id,
            Invoice.period == period,
            Invoice.period_start == period_start,
            Invoice.status == rules.DRAFT,
            Invoice.replaces_id.is_(None),
        )
    ):
        domain.discard_draft(uow, invoice=draft)
    settings = domain.client_settings(uow, tenant_id=tenant_id, client_id=client_id)
    found = _period_lines(
        uow, tenant_id=tenant_id, period=period, period_start=period_start, client_id=client_id
    )
    _, last = rules.period_of(period, period_start)
    cancelled = _cancellations(
        uow, tenant_id=tenant_id, client_id=client_id, first=period_start, last=last
    )
    billed = _billed(
        uow,
        tenant_id,
        [line.visit_id for line in found] + [cancel.assignment_id for cancel, _ in cancelled],
    )
    fresh = [line for line in found if line.visit_id not in billed]
    priced = [line for line in fresh if line.priced]
    unpriced = len(fresh) - len(priced)
    cancelled = [(c, s) for c, s in cancelled if c.assignment_id not in billed]
    zone = lines_domain.cbo_timezone(uow, tenant_id=tenant_id)
    worked = _week_pay(
        uow,
        tenant_id=tenant_id,
        pairs={(line.worker_id, line.week_start) for line in priced}
        | {(c.worker_id, pay.pay_week(s.starts_at, ZoneInfo(zone))) for c, s in cancelled},
    )
    bill_premiums = settings["bill_premiums"]
    made = []
    for line in priced:
        item = worked.get(line.visit_id)
        reporting = item.reporting_minutes if item is not None else 0
        made.append(
            invoice_line(
                line,
                bill_premiums=bill_premiums,
                premium_minutes=_premium_minutes(item),
                flat_premium_cents=rules.minutes_amount(reporting, line.bill_rate_cents),
            )
        )
    if bill_premiums:
        made.extend(_cancelled_lines(uow, tenant_id, cancelled, worked, zone))
    if not made:
        return {"invoice": None, "unpriced_lines": unpriced}
    made.sort(key=lambda x: (x["service_date"], x["worker_name"] or "", x["source_id"]))
    client_name = priced[0].client_name if priced else _client_name(uow, tenant_id, client_id)
    invoice = domain.create_draft(
        uow,
        tenant_id=tenant_id,
        kind=rules.CLIENT,
        client_id=client_id,
        period=period,
        period_start=period_start,
        period_end=last,
        issuer_name=licences.cbo_name(uow, tenant_id=tenant_id),
        bill_to_name=client_name or "Client",
        timezone=zone,
        evv_elements=settings["evv_elements"],
        terms_days=settings["terms_days"],
        created_by=created_by,
        lines=made,
    )
    return {"invoice": invoice, "unpriced_lines": unpriced}


def _client_name(uow: UnitOfWork, tenant_id: str, client_id: str) -> str | None:
    record = uow.session.get(read.ClientRecord, client_id)
    return record.name if record is not None and record.tenant_id == tenant_id else None


def _cancelled_lines(
    uow: UnitOfWork,
    tenant_id: str,
    cancelled: list[tuple[read.CancellationRecord, read.ShiftRecord]],
    worked: dict[str, pay.WorkPay],
    zone: str,
) -> list[dict[str, Any]]:
    if not cancelled:
        return []
    names = {
        r.worker_id: r.name
        for r in uow.session.scalars(
            select(read.WorkerRecord).where(
                read.WorkerRecord.worker_id.in_({c.worker_id for c, _ in cancelled})
            )
        )
    }
    job_names = {
        r.job_type_id: r.name
        for r in uow.session.scalars(
            select(read.JobTypeRecord).where(
                read.JobTypeRecord.tenant_id == tenant_id,
                read.JobTypeRecord.job_type_id.in_({s.job_type_id for _, s in cancelled}),
            )
        )
    }
    found = []
    for cancel, shift in cancelled:
        item = worked.get(cancel.assignment_id)
        if item is None or not item.reporting_minutes:
            continue
        found.append(
            _reporting_line(
                cancel,
                shift,
                item,
                worker_name=names.get(cancel.worker_id),
                job_type_name=job_names.get(shift.job_type_id),
                zone=zone,
            )
        )
    return found


def generate_step(uow: UnitOfWork, *, job: Job, period: str, period_start: str) -> StepResult:
    """One step of an invoice run: the next few clients' drafts."""
    assert job.tenant_id is not None  # queued for a CBO
    start = date.fromisoformat(period_start)
    checkpoint = job.checkpoint or {
        "clients": clients_to_invoice(
            uow, tenant_id=job.tenant_id, period=period, period_start=start
        ),
        "next": 0,
        "drafts": 0,
        "unpriced_lines": 0,
    }
    clients = checkpoint["clients"]
    stop = min(len(clients), checkpoint["next"] + CLIENTS_PER_STEP)
    counts: dict[str, int] = defaultdict(int)
    for client_id in clients[checkpoint["next"] : stop]:
        made = draft_for_client(
            uow,
            tenant_id=job.tenant_id,
            client_id=client_id,
            period=period,
            period_start=start,
            created_by=job.created_by,
        )
        counts["drafts"] += made["invoice"] is not None
        counts["unpriced_lines"] += made["unpriced_lines"]
    checkpoint = {
        **checkpoint,
        "next": stop,
        "drafts": checkpoint["drafts"] + counts["drafts"],
        "unpriced_lines": checkpoint["unpriced_lines"] + counts["unpriced_lines"],
    }
    return StepResult(
        done=stop, total=len(clients), checkpoint=checkpoint, finished=stop >= len(clients)
    )


GENERATE_JOB = JobKind("invoices.generate", generate_step, lease=timedelta(seconds=60))


# Invoice runs: the job, as the API shows it.


def start_run(
    uow: UnitOfWork, *, caller_id: str | None, tenant_id: str, period: str, period_start: date
) -> str:
    """Queue the period's invoice run (it starts once the request has committed)."""
    check_period(period=period, period_start=period_start)
    return jobs.enqueue(
        uow,
        GENERATE_JOB,
        tenant_id=tenant_id,
        params={"period": period, "period_start": period_start.isoformat()},
        created_by=caller_id,
    )


def run_view(uow: UnitOfWork, *, tenant_id: str, run_id: str) -> dict[str, Any]:
    """An invoice run's progress, its period, and how many drafts it made and lines it left
    out for want of a bill rate."""
    view = jobs.progress(uow, job_id=run_id, tenant_id=tenant_id)
    row = uow.session.execute(
        select(
            background_jobs.c.kind, background_jobs.c.params, background_jobs.c.checkpoint
        ).where(background_jobs.c.id == run_id)
    ).one()
    if row.kind != GENERATE_JOB.name:
        raise NotFound("There is no such invoice run.")
    checkpoint = row.checkpoint or {}
    return {
        **view,
        "period": row.params["period"],
        "period_start": date.fromisoformat(row.params["period_start"]),
        "drafts": checkpoint.get("drafts", 0),
        "unpriced_lines": checkpoint.get("unpriced_lines", 0),
    }


def resume_run(uow: UnitOfWork, *, tenant_id: str, run_id: str) -> str:
    run_view(uow, tenant_id=tenant_id, run_id=run_id)  # NotFound for anything else
    jobs.resume(uow, job_id=run_id, tenant_id=tenant_id)
    return run_id
