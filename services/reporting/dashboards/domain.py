"""The reports, read from reporting's rollups: KPIs of a period beside the previous one and
the one a month before (with a series by day), the earnings profile, activity by user, the
skills report, and their downloads as CSV or XLSX.

`tenant_id=None` means every CBO (the platform operator's view); otherwise every query filters
by the one CBO. A KPI dashboard is two queries: the days of the three periods summed from
`daily_totals` (or `daily_rollups` when filtered by job type, source or client), and the
active job seekers counted in `worker_periods`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, distinct, func, select, true

from chassis.db import UnitOfWork
from chassis.exports import XLSX_CONTENT_TYPE, csv_bytes, xlsx_bytes
from chassis.uploads import file_payload
from services.reporting.dashboards import rules
from services.reporting.dashboards.rules import Period
from services.reporting.records.models import (
    ActiveCount,
    ActivityEntry,
    CboRecord,
    ClientRecord,
    DailyRollup,
    DailyTotal,
    JobTypeRecord,
    SourceRecord,
    WorkerPeriod,
    WorkerRecord,
)
from services.reporting.records.rules import METRICS, local_day, zone


def _tenant_filter(column: Any, tenant_id: str | None) -> ColumnElement[bool]:
    return column == tenant_id if tenant_id is not None else true()


def today_of(uow: UnitOfWork, *, tenant_id: str | None, now: datetime) -> date:
    """Today in the CBO's time zone (the platform's default zone for every CBO)."""
    timezone = None
    if tenant_id is not None:
        found = uow.session.get(CboRecord, tenant_id)
        timezone = found.timezone if found is not None else None
    return local_day(now, timezone)


# -- KPIs -----------------------------------------------------------------------------------------


def kpis(
    uow: UnitOfWork,
    *,
    tenant_id: str | None,
    period: Period,
    job_type_id: str | None = None,
    source_id: str | None = None,
    client_id: str | None = None,
) -> dict[str, Any]:
    """The KPIs of `period`, of the previous period and of the same period a month before,
    with each figure's change, and a series by day of the period."""
    compared = {
        "current": period,
        "previous": rules.previous(period),
        "month_before": rules.month_before(period),
    }
    first = min(p.starts_on for p in compared.values())
    last = max(p.ends_on for p in compared.values())
    filtered = any(v is not None for v in (job_type_id, source_id, client_id))
    table: Any = DailyRollup if filtered else DailyTotal
    conditions = [
        _tenant_filter(table.tenant_id, tenant_id),
        table.day >= first,
        table.day < last,
    ]
    for column, value in (
        ("job_type_id", job_type_id),
        ("source_id", source_id),
        ("client_id", client_id),
    ):
        if value is not None:
            conditions.append(getattr(table, column) == value)
    by_day = uow.session.execute(
        select(table.day, *(func.sum(getattr(table, name)).label(name) for name in METRICS))
        .where(*conditions)
        .group_by(table.day)
    ).all()
    sums = {key: rules.zero() for key in compared}
    series: dict[date, dict[str, int]] = {day: rules.zero() for day in period.days()}
    for row in by_day:
        figures = row._mapping
        for key, compared_period in compared.items():
            if compared_period.holds(row.day):
                rules.add(sums[key], figures)
        if row.day in series:
            rules.add(series[row.day], figures)
    active = _active(
        uow,
        tenant_id=tenant_id,
        kind=period.kind,
        starts=[p.starts_on for p in compared.values()],
        job_type_id=job_type_id,
        source_id=source_id,
    )
    result: dict[str, Any] = {}
    for key, compared_period in compared.items():
        result[key] = {
            "period": _period_view(compared_period),
            "kpis": rules.kpis(sums[key], active.get(compared_period.starts_on, 0)),
        }
    current = result["current"]["kpis"]
    result["changes"] = {
        against: {
            name: rules.change(
                rules.kpi_value(current, name), rules.kpi_value(result[against]["kpis"], name)
            )
            for name, _ in rules.KPI_COLUMNS
        }
        for against in ("previous", "month_before")
    }
    result["series"] = [
        {"day": day, **rules.kpis(figures, 0), "active_jobseekers": None}
        for day, figures in sorted(series.items())
    ]
    result["tenant_id"] = tenant_id
    return result


def _period_view(period: Period) -> dict[str, Any]:
    return {"kind": period.kind, "starts_on": period.starts_on, "ends_on": period.last_day}


def _active(
    uow: UnitOfWork,
    *,
    tenant_id: str | None,
    kind: str,
    starts: Sequence[date],
    job_type_id: str | None,
    source_id: str | None,
) -> dict[date, int]:
    """Job seekers who worked at least one shift, per period start: the kept counts (one row
    per CBO and period), or counted from workers' periods when filtered."""
    if job_type_id is None and source_id is None:
        counted = uow.session.execute(
            select(ActiveCount.starts_on, func.sum(ActiveCount.active))
            .where(
                _tenant_filter(ActiveCount.tenant_id, tenant_id),
                ActiveCount.period == kind,
                ActiveCount.starts_on.in_(sorted(set(starts))),
            )
            .group_by(ActiveCount.starts_on)
        ).all()
        return {starts_on: int(total) for starts_on, total in counted}
    query = (
        select(
            WorkerPeriod.starts_on,
            func.count(distinct(WorkerPeriod.worker_id)),
        )
        .where(
            _tenant_filter(WorkerPeriod.tenant_id, tenant_id),
            WorkerPeriod.period == kind,
            WorkerPeriod.starts_on.in_(sorted(set(starts))),
            WorkerPeriod.shifts > 0,
        )
        .group_by(WorkerPeriod.starts_on)
    )
    if job_type_id is not None:
        query = query.where(WorkerPeriod.job_type_id == job_type_id)
    if source_id is not None:
        query = query.where(WorkerPeriod.source_id == source_id)
    return {starts_on: count for starts_on, count in uow.session.execute(query).all()}


# -- the earnings profile -------------------------------------------------------------------------


def earnings_profile(uow: UnitOfWork, *, tenant_id: str | None, period: Period) -> dict[str, Any]:
    """The distribution of weekly earnings and hours across workers in the period's pay
    weeks (each worker-week one observation): overall, by worker source and by job type."""
    weeks = rules.weeks_in(period)
    base = (
        WorkerPeriod.period == rules.WEEK,
        WorkerPeriod.starts_on.in_(weeks),
        _tenant_filter(WorkerPeriod.tenant_id, tenant_id),
    )
    worked = (WorkerPeriod.shifts > 0) | (WorkerPeriod.gross_cents != 0)
    per_worker_week = uow.session.execute(
        select(
            WorkerPeriod.worker_id,
            WorkerPeriod.starts_on,
            func.max(WorkerPeriod.source_id),
            func.sum(WorkerPeriod.minutes),
            func.sum(WorkerPeriod.gross_cents),
        )
        .where(*base, worked)
        .group_by(WorkerPeriod.worker_id, WorkerPeriod.starts_on)
    ).all()
    per_job_type = uow.session.execute(
        select(WorkerPeriod.job_type_id, WorkerPeriod.minutes, WorkerPeriod.gross_cents).where(
            *base, worked
        )
    ).all()
    overall = [(int(minutes), int(cents)) for _, _, _, minutes, cents in per_worker_week]
    by_source: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for _, _, source_id, minutes, cents in per_worker_week:
        by_source[source_id or ""].append((int(minutes), int(cents)))
    by_job_type: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for job_type_id, minutes, cents in per_job_type:
        by_job_type[job_type_id or ""].append((int(minutes), int(cents)))
    source_names = _names(uow, SourceRecord, by_source)
    job_type_names = _names(uow, JobTypeRecord, by_job_type)
    return {
        "tenant_id": tenant_id,
        "period": _period_view(period),
        "weeks": weeks,
        "overall": rules.distribution(overall),
        "by_source": [
            {"source_id": key or None, "name": source_names.get(key, ""), **rules.distribution(v)}
            for key, v in sorted(by_source.items())
        ],
        "by_job_type": [
            {
                "job_type_id": key or None,
                "name": job_type_names.get(key, ""),
                **rules.distribution(v),
            }
            for key, v in sorted(by_job_type.items())
        ],
    }


def _names(uow: UnitOfWork, model: Any, keys: Any) -> dict[str, str]:
    wanted = [key for key in keys if key]
    if not wanted:
        return {}
    found = uow.session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all()
    return {key: name for key, name in found}


# -- activity by user -----------------------------------------------------------------------------


def activity(
    uow: UnitOfWork,
    *,
    tenant_id: str | None,
    start: date,
    end: date,
    timezone: str | None,
    actor_kind: str | None = None,
    actor_id: str | None = None,
    action: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """What each person did from `start` to `end` (the CBO's days): one item per person, most
    active first, with their count per action; paged."""
    tz = zone(timezone)
    since = datetime.combine(start, time(0), tz)
    until = datetime.combine(end + timedelta(days=1), time(0), tz)
    conditions = [
        _tenant_filter(ActivityEntry.tenant_id, tenant_id),
        ActivityEntry.at >= since,
        ActivityEntry.at < until,
    ]
    if actor_kind is not None:
        conditions.append(ActivityEntry.actor_kind == actor_kind)
    if actor_id is not None:
        conditions.append(ActivityEntry.actor_id == actor_id)
    if action is not None:
        conditions.append(ActivityEntry.action == action)
    actors: Select = (
        select(
            ActivityEntry.actor_id,
            func.max(ActivityEntry.actor_kind).label("actor_kind"),
            func.count().label("total"),
            func.min(ActivityEntry.at).label("first_at"),
            func.max(ActivityEntry.at).label("last_at"),
        )
        .where(*conditions)
        .group_by(ActivityEntry.actor_id)
    )
    total = uow.session.execute(select(func.count()).select_from(actors.subquery())).scalar_one()
    found = uow.session.execute(
        actors.order_by(func.count().desc(), ActivityEntry.actor_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    ids = [row.actor_id for row in found]
    actions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        for actor, name, count in uow.session.execute(
            select(ActivityEntry.actor_id, ActivityEntry.action, func.count())
            .where(*conditions, ActivityEntry.actor_id.in_(ids))
            .group_by(ActivityEntry.actor_id, ActivityEntry.action)
            .order_by(ActivityEntry.actor_id, func.count().desc(), ActivityEntry.action)
        ).all():
            actions[actor].append({"action": name, "count": count})
    names = _names(uow, WorkerRecord, ids)
    items = [
        {
            "actor_id": row.actor_id,
            "actor_kind": row.actor_kind,
            "name": names.get(row.actor_id) or None,
            "total": row.total,
            "first_at": row.first_at,
            "last_at": row.last_at,
            "actions": actions[row.actor_id],
        }
        for row in found
    ]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


# -- skills and prospects -------------------------------------------------------------------------


def skills(uow: UnitOfWork, *, tenant_id: str, ending: date, weeks: int) -> dict[str, Any]:
    """The skills of the CBO's approved workers against the hours booked for them over the
    `weeks` weeks up to `ending` (the CBO's day), ranked most under-used first."""
    since = ending - timedelta(days=7 * weeks - 1)
    skill = func.unnest(WorkerRecord.skills).label("skill")
    per_skill = (
        select(skill, WorkerRecord.id)
        .where(
            WorkerRecord.tenant_id == tenant_id,
            WorkerRecord.approved.is_(True),
            WorkerRecord.status != "suspended",
        )
        .subquery()
    )
    workers_by_skill: dict[str, int] = {
        name: count
        for name, count in uow.session.execute(
            select(per_skill.c.skill, func.count(distinct(per_skill.c.id))).group_by(
                per_skill.c.skill
            )
        ).all()
    }
    minutes = uow.session.execute(
        select(DailyRollup.job_type_id, DailyRollup.client_id, func.sum(DailyRollup.minutes_booked))
        .where(
            DailyRollup.tenant_id == tenant_id,
            DailyRollup.day >= since,
            DailyRollup.day <= ending,
            DailyRollup.minutes_booked != 0,
        )
        .group_by(DailyRollup.job_type_id, DailyRollup.client_id)
    ).all()
    job_types: dict[str, list[str]] = {
        key: list(value or [])
        for key, value in uow.session.execute(
            select(JobTypeRecord.id, JobTypeRecord.skills).where(
                JobTypeRecord.tenant_id == tenant_id
            )
        ).all()
    }
    clients = [
        rules.ClientInfo(id=row.id, name=row.name, kind=row.kind)
        for row in uow.session.execute(
            select(ClientRecord).where(ClientRecord.tenant_id == tenant_id)
        ).scalars()
    ]
    ranked = rules.skills_report(
        workers_by_skill=workers_by_skill,
        minutes_by_job_type_client={(j, c): int(m) for j, c, m in minutes},
        skills_by_job_type={key: list(value or []) for key, value in job_types.items()},
        clients=clients,
        weeks=weeks,
    )
    return {
        "tenant_id": tenant_id,
        "starts_on": since,
        "ends_on": ending,
        "weeks": weeks,
        "threshold_hours_per_worker_week": rules.UNDERUSED_HOURS_PER_WORKER_WEEK,
        "skills": ranked,
    }


# -- downloads ------------------------------------------------------------------------------------


def kpi_sheets(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The KPI report as sheets: the KPIs beside their comparisons, then the series by day."""
    periods = [report[key]["period"] for key in ("current", "previous", "month_before")]
    header = [
        "KPI",
        *(f"{p['starts_on'].isoformat()} to {p['ends_on'].isoformat()}" for p in periods),
        "Change on previous",
        "Change on a month before",
    ]
    rows = [
        [
            label,
            *(
                rules.kpi_value(report[key]["kpis"], name)
                for key in ("current", "previous", "month_before")
            ),
            report["changes"]["previous"][name],
            report["changes"]["month_before"][name],
        ]
        for name, label in rules.KPI_COLUMNS
    ]
    daily_columns = [(n, lbl) for n, lbl in rules.KPI_COLUMNS if n != "active_jobseekers"]
    series_header = ["Day", *(label for _, label in daily_columns)]
    series_rows = [
        [point["day"], *(rules.kpi_value(point, name) for name, _ in daily_columns)]
        for point in report["series"]
    ]
    return [("KPIs", header, rows), ("By day", series_header, series_rows)]


def kpi_file(report: dict[str, Any], *, file_format: str, name: str) -> tuple[str, str, bytes]:
    """The KPI report as a file: (filename, content type, bytes). A CSV holds the KPI sheet;
    an XLSX both sheets."""
    sheets = kpi_sheets(report)
    if file_format == "xlsx":
        return f"{name}.xlsx", XLSX_CONTENT_TYPE, xlsx_bytes(sheets)
    _, header, rows = sheets[0]
    return f"{name}.csv", "text/csv; charset=utf-8", csv_bytes(header, rows)


def kpi_download(report: dict[str, Any], *, file_format: str, name: str) -> dict[str, str]:
    filename, content_type, data = kpi_file(report, file_format=file_format, name=name)
    return file_payload(filename=filename, content_type=content_type, data=data)


def file_name(*, slug: str | None, period: Period) -> str:
    """A download's name: kpis-<CBO slug or platform>-<period kind>-<first day>."""
    return f"kpis-{slug or 'platform'}-{period.kind}-{period.starts_on.isoformat()}"


def slug_of(uow: UnitOfWork, *, tenant_id: str | None) -> str | None:
    if tenant_id is None:
        return None
    found = uow.session.get(CboRecord, tenant_id)
    return found.slug if found is not None and found.slug else tenant_id[:8]
