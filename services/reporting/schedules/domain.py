"""Scheduled deliveries of reports: a CBO's schedules (who gets which KPIs, when), and the
sweep every reporting instance runs.

Sent once each, even across restarts and with several instances:
- a due schedule is claimed with FOR UPDATE SKIP LOCKED; its occurrence becomes a delivery
  row whose idempotency key (schedule id + occurrence time) is unique, and the schedule moves
  on to its next occurrence, in one transaction;
- a pending delivery is claimed with SKIP LOCKED, its report built and emailed, and it is
  marked sent in the same transaction, committed at once; another instance skips the locked
  row, and a restart finds it sent. Only a crash between the SMTP server's "accepted" and that
  commit would send it again; the stable Message-ID per occurrence lets a receiver see it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.errors import NotFound
from chassis.mail import Attachment, Email, MailFailed
from chassis.paging import page_rows
from services.reporting.base import new_id
from services.reporting.dashboards import domain as dashboards
from services.reporting.records import domain as records
from services.reporting.records.models import CboRecord
from services.reporting.schedules import rules
from services.reporting.schedules.models import ReportDelivery, ReportSchedule

SCHEDULE_FIELDS = (
    "name",
    "recipients",
    "period",
    "weekday",
    "day_of_month",
    "hour",
    "minute",
    "file_format",
    "active",
)


def _next(schedule: ReportSchedule, *, after: datetime, timezone: str) -> datetime:
    return rules.next_occurrence(
        after=after,
        timezone=timezone,
        period=schedule.period,
        weekday=schedule.weekday,
        day_of_month=schedule.day_of_month,
        hour=schedule.hour,
        minute=schedule.minute,
    )


def _view(schedule: ReportSchedule) -> dict[str, Any]:
    return {
        "id": schedule.id,
        **{name: getattr(schedule, name) for name in SCHEDULE_FIELDS},
        "next_run_at": schedule.next_run_at,
        "created_at": schedule.created_at,
    }


def create_schedule(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any], now: datetime
) -> dict[str, Any]:
    schedule = ReportSchedule(
        id=new_id(),
        tenant_id=tenant_id,
        created_by=caller.user_id,
        **{name: data[name] for name in SCHEDULE_FIELDS if name in data},
    )
    schedule.active = data.get("active", True)
    schedule.weekday = data.get("weekday", 0)
    schedule.day_of_month = data.get("day_of_month", 1)
    schedule.minute = data.get("minute", 0)
    schedule.next_run_at = _next(
        schedule, after=now, timezone=records.cbo_timezone(uow, tenant_id=tenant_id)
    )
    uow.session.add(schedule)
    uow.session.flush()
    view = _view(schedule)
    audit(
        uow,
        caller,
        action="reporting.schedule_created",
        entity_type="report_schedule",
        entity_id=schedule.id,
        after=_audited(view),
    )
    return view


def _audited(view: dict[str, Any]) -> dict[str, Any]:
    return {name: view[name] for name in SCHEDULE_FIELDS}


def _owned(
    uow: UnitOfWork, *, tenant_id: str, schedule_id: str, lock: bool = False
) -> ReportSchedule:
    query = select(ReportSchedule).where(
        ReportSchedule.id == schedule_id, ReportSchedule.tenant_id == tenant_id
    )
    if lock:
        query = query.with_for_update()
    found = uow.session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound("There is no such schedule.")
    return found


def get_schedule(uow: UnitOfWork, *, tenant_id: str, schedule_id: str) -> dict[str, Any]:
    return _view(_owned(uow, tenant_id=tenant_id, schedule_id=schedule_id))


def list_schedules(uow: UnitOfWork, *, tenant_id: str, page: int, per_page: int) -> dict[str, Any]:
    query = (
        select(ReportSchedule)
        .where(ReportSchedule.tenant_id == tenant_id)
        .order_by(ReportSchedule.name, ReportSchedule.id)
    )
    return page_rows(uow.session, query, page=page, per_page=per_page, view=_view)


def update_schedule(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    schedule_id: str,
    data: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    schedule = _owned(uow, tenant_id=tenant_id, schedule_id=schedule_id, lock=True)
    before = _audited(_view(schedule))
    for name in SCHEDULE_FIELDS:
        if name in data:
            setattr(schedule, name, data[name])
    schedule.next_run_at = _next(
        schedule, after=now, timezone=records.cbo_timezone(uow, tenant_id=tenant_id)
    )
    uow.session.flush()
    view = _view(schedule)
    audit(
        uow,
        caller,
        action="reporting.schedule_updated",
        entity_type="report_schedule",
        entity_id=schedule.id,
        before=before,
        after=_audited(view),
    )
    return view


def delete_schedule(uow: UnitOfWork, *, caller: Caller, tenant_id: str, schedule_id: str) -> None:
    schedule = _owned(uow, tenant_id=tenant_id, schedule_id=schedule_id, lock=True)
    before = _audited(_view(schedule))
    uow.session.delete(schedule)
    uow.session.flush()
    audit(
        uow,
        caller,
        action="reporting.schedule_deleted",
        entity_type="report_schedule",
        entity_id=schedule_id,
        before=before,
    )


def list_deliveries(
    uow: UnitOfWork, *, tenant_id: str, schedule_id: str, page: int, per_page: int
) -> dict[str, Any]:
    _owned(uow, tenant_id=tenant_id, schedule_id=schedule_id)
    query = (
        select(ReportDelivery)
        .where(ReportDelivery.tenant_id == tenant_id, ReportDelivery.schedule_id == schedule_id)
        .order_by(ReportDelivery.occurrence_at.desc(), ReportDelivery.id)
    )
    return page_rows(uow.session, query, page=page, per_page=per_page)


# -- the sweep ------------------------------------------------------------------------------------


def plan_due(uow: UnitOfWork, *, now: datetime, limit: int = 100) -> int:
    """Turn each due schedule's occurrence into a delivery (once: the key is unique) and move
    the schedule to its next occurrence after now (missed ones while nobody ran are not
    piled up: the latest is sent)."""
    due = (
        uow.session.execute(
            select(ReportSchedule)
            .where(ReportSchedule.active.is_(True), ReportSchedule.next_run_at <= now)
            .order_by(ReportSchedule.next_run_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    for schedule in due:
        timezone = records.cbo_timezone(uow, tenant_id=schedule.tenant_id)
        occurrence = schedule.next_run_at
        period = rules.period_sent(occurrence=occurrence, timezone=timezone, period=schedule.period)
        uow.session.execute(
            pg_insert(ReportDelivery)
            .values(
                id=new_id(),
                tenant_id=schedule.tenant_id,
                schedule_id=schedule.id,
                idempotency_key=rules.idempotency_key(schedule.id, occurrence),
                occurrence_at=occurrence,
                period_starts_on=period.starts_on,
                status=rules.PENDING,
                attempts=0,
                next_attempt_at=now,
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )
        schedule.next_run_at = _next(schedule, after=now, timezone=timezone)
    uow.session.flush()
    return len(due)


def deliver_due(
    uow: UnitOfWork,
    *,
    now: datetime,
    send: Callable[[Email], str],
    mail_domain: str,
    limit: int = 20,
) -> int:
    """Send up to `limit` pending deliveries, committing after each one."""
    done = 0
    while done < limit:
        delivery = uow.session.execute(
            select(ReportDelivery)
            .where(ReportDelivery.status == rules.PENDING, ReportDelivery.next_attempt_at <= now)
            .order_by(ReportDelivery.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if delivery is None:
            break
        _deliver(uow, delivery=delivery, now=now, send=send, mail_domain=mail_domain)
        uow.commit()
        done += 1
    return done


def _deliver(
    uow: UnitOfWork,
    *,
    delivery: ReportDelivery,
    now: datetime,
    send: Callable[[Email], str],
    mail_domain: str,
) -> None:
    schedule = uow.session.get(ReportSchedule, delivery.schedule_id)
    if schedule is None:  # deleted after the occurrence was planned
        delivery.status = rules.FAILED
        delivery.last_error = "The schedule was deleted."
        return
    cbo = uow.session.get(CboRecord, delivery.tenant_id)
    timezone = (
        cbo.timezone if cbo is not None else records.cbo_timezone(uow, tenant_id=delivery.tenant_id)
    )
    period = rules.period_sent(
        occurrence=delivery.occurrence_at, timezone=timezone, period=schedule.period
    )
    report = dashboards.kpis(uow, tenant_id=delivery.tenant_id, period=period)
    slug = dashboards.slug_of(uow, tenant_id=delivery.tenant_id)
    filename, content_type, data = dashboards.kpi_file(
        report,
        file_format=schedule.file_format,
        name=dashboards.file_name(slug=slug, period=period),
    )
    cbo_name = (cbo.name if cbo is not None and cbo.name else slug) or "WorkLB"
    current = report["current"]["kpis"]
    text = "\n".join(
        [
            f"{schedule.name}",
            "",
            f"{cbo_name}, {period.starts_on.isoformat()} to {period.last_day.isoformat()}:",
            f"- active job seekers: {current['active_jobseekers']}",
            f"- shifts booked: {current['shifts_booked']}, filled: {current['shifts_filled']}",
            f"- hours worked: {current['hours_worked']}",
            f"- gross earnings: ${current['gross_earnings_cents'] / 100:,.2f}",
            "",
            f"Every KPI, beside the previous period and a month before, is in {filename}.",
        ]
    )
    email = Email(
        to=", ".join(schedule.recipients),
        subject=rules.subject(cbo_name=cbo_name, period=period),
        text=text,
        attachments=(Attachment(filename=filename, content_type=content_type, data=data),),
        message_id=rules.message_id(delivery.idempotency_key, mail_domain),
    )
    delivery.attempts += 1
    try:
        delivery.message_id = send(email)
    except MailFailed as exc:
        delivery.last_error = str(exc)[:2000]
        retry = rules.retry_at(delivery.attempts, now)
        if retry is None:
            delivery.status = rules.FAILED
        else:
            delivery.next_attempt_at = retry
        return
    delivery.status = rules.SENT
    delivery.sent_at = now
    delivery.last_error = None


def pending_count(uow: UnitOfWork, *, tenant_id: str) -> int:
    return uow.session.execute(
        select(func.count())
        .select_from(ReportDelivery)
        .where(ReportDelivery.tenant_id == tenant_id, ReportDelivery.status == rules.PENDING)
    ).scalar_one()
