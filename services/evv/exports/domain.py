"""Verified visits of a period as the aggregators' layouts (exports/rules.py)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from chassis.db import UnitOfWork
from chassis.exports import csv_bytes
from chassis.uploads import file_payload
from services.evv.exports import rules
from services.evv.records import domain as records
from services.evv.timesheets.models import TimesheetLine
from services.evv.visits.models import Visit, VisitRecord


def _visits(uow: UnitOfWork, *, tenant_id: str, start: date, end: date) -> list[dict[str, Any]]:
    zone = ZoneInfo(records.cbo_timezone(uow, tenant_id=tenant_id))
    since = datetime.combine(start, time(), zone)
    until = datetime.combine(end + timedelta(days=1), time(), zone)
    rows = uow.session.execute(
        select(Visit, TimesheetLine.status, TimesheetLine.worked_minutes)
        .outerjoin(TimesheetLine, TimesheetLine.visit_id == Visit.id)
        .where(
            Visit.tenant_id == tenant_id,
            Visit.status == "verified",
            Visit.starts_at >= since,
            Visit.starts_at < until,
        )
        .order_by(Visit.starts_at, Visit.id)
        .limit(50_000)
    ).all()
    found = []
    for sequence, (visit, status, minutes) in enumerate(rows, start=1):
        site, job_type = records.where_and_what(uow, tenant_id=tenant_id, shift_id=visit.shift_id)
        found.append(
            {
                "id": visit.id,
                "tenant_id": tenant_id,
                "sequence": sequence,
                "worker_id": visit.worker_id,
                "client_id": visit.client_id,
                "service_type": job_type.key if job_type else None,
                "starts_at": visit.starts_at,
                "ends_at": visit.ends_at,
                "clock_in_at": visit.clock_in_at,
                "clock_out_at": visit.clock_out_at,
                "latitude": site.latitude if site else None,
                "longitude": site.longitude if site else None,
                "approved": status == "approved",
                "worked_minutes": minutes or 0,
            }
        )
    return found


def _records(uow: UnitOfWork, tenant_id: str, visit_id: str) -> list[dict[str, Any]]:
    rows = uow.session.scalars(
        select(VisitRecord)
        .where(VisitRecord.tenant_id == tenant_id, VisitRecord.visit_id == visit_id)
        .order_by(VisitRecord.server_time, VisitRecord.id)
    )
    return [
        {c: getattr(r, c) for c in VisitRecord.__table__.columns.keys()}  # noqa: SIM118
        for r in rows
    ]


def export(
    uow: UnitOfWork, *, tenant_id: str, layout: str, fmt: str, start: date, end: date
) -> dict[str, str]:
    timezone = records.cbo_timezone(uow, tenant_id=tenant_id)
    visits = _visits(uow, tenant_id=tenant_id, start=start, end=end)
    if layout == "sandata":
        shaped = [
            rules.sandata_visit(v, _records(uow, tenant_id, v["id"]), timezone) for v in visits
        ]
    else:
        shaped = [rules.hha_visit(v, _records(uow, tenant_id, v["id"])) for v in visits]
    name = f"evv-{layout}-{start.isoformat()}-{end.isoformat()}"
    if fmt == "json":
        body = json.dumps({"visits": shaped}, indent=1, default=str).encode()
        return file_payload(filename=f"{name}.json", content_type="application/json", data=body)
    if layout == "sandata":
        rows = [row for visit in shaped for row in rules.sandata_call_rows(visit)]
        data = csv_bytes(rules.SANDATA_CALL_COLUMNS, rows)
    else:
        data = csv_bytes(rules.HHA_COLUMNS, [[v[c] for c in rules.HHA_COLUMNS] for v in shaped])
    return file_payload(filename=f"{name}.csv", content_type="text/csv; charset=utf-8", data=data)
