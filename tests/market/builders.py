"""Rows of booking's database for tests: the read model as events would leave it, and the
market's own records. Each builder takes the unit of work first and keywords after, fills in
what a test does not care about, flushes and returns the row.

Availability is given as a worker would publish it (identity's shape); the minutes of the week
the search checks are derived from it by the workers area's rules, exactly as an event would.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from chassis.db import UnitOfWork
from services.booking.bookings.models import Booking, Shift
from services.booking.jobtypes.models import JobType
from services.booking.sites.models import Site
from services.booking.workers import rules as worker_rules
from services.booking.workers.models import (
    CboRecord,
    ClientRecord,
    PartnershipRecord,
    SourceRecord,
    WorkerDay,
    WorkerRecord,
)

LONG_BEACH = "America/Los_Angeles"
# Downtown Long Beach (ZIP 90802's centroid).
DOWNTOWN = (33.7706, -118.182)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def new_id() -> str:
    return str(uuid.uuid4())


def a_cbo_record(
    uow: UnitOfWork, *, tenant_id: str | None = None, timezone: str = LONG_BEACH
) -> CboRecord:
    tenant_id = tenant_id or new_id()
    row = CboRecord(
        tenant_id=tenant_id,
        slug=f"cbo-{tenant_id[:8]}",
        name=f"CBO {tenant_id[:8]}",
        timezone=timezone,
        status="active",
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def a_client_record(uow: UnitOfWork, *, tenant_id: str, name: str | None = None) -> ClientRecord:
    client_id = new_id()
    row = ClientRecord(
        id=client_id, tenant_id=tenant_id, name=name or f"Client {client_id[:8]}", active=True
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def a_source_record(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    weekly_cap_hours: float | None = 14,
    terms: list[dict[str, str]] | None = None,
) -> SourceRecord:
    source_id = new_id()
    row = SourceRecord(
        id=source_id,
        tenant_id=tenant_id,
        name=f"College {source_id[:8]}",
        weekly_cap_minutes=None if weekly_cap_hours is None else round(weekly_cap_hours * 60),
        terms=terms or [],
        active=True,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def a_partnership_record(
    uow: UnitOfWork, *, proposer_id: str, partner_id: str, shares: list[str]
) -> PartnershipRecord:
    row = PartnershipRecord(
        id=new_id(), proposer_id=proposer_id, partner_id=partner_id, shares=shares, active=True
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def every_day(start: str = "00:00", end: str = "24:00") -> dict[str, Any]:
    """Availability: the same hours every day of the week."""
    return {"weekly": {day: [{"start": start, "end": end}] for day in WEEKDAYS}, "exceptions": []}


def weekdays(start: str, end: str) -> dict[str, Any]:
    return {
        "weekly": {day: [{"start": start, "end": end}] for day in WEEKDAYS[:5]},
        "exceptions": [],
    }


def a_job_type(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    key: str | None = None,
    client_id: str | None = None,
    needs_approval: bool = False,
    pay_rate_cents: int = 2000,
    bill_rate_cents: int = 2800,
    **fields: Any,
) -> JobType:
    key = key or f"role-{uuid.uuid4().hex[:8]}"
    row = JobType(
        tenant_id=tenant_id,
        key=key,
        name=fields.pop("name", key.replace("-", " ").title()),
        client_id=client_id,
        needs_approval=needs_approval,
        pay_rate_cents=pay_rate_cents,
        bill_rate_cents=bill_rate_cents,
        **fields,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def a_site(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    client_id: str,
    at: tuple[float, float] = DOWNTOWN,
    timezone: str = LONG_BEACH,
    **fields: Any,
) -> Site:
    row = Site(
        tenant_id=tenant_id,
        client_id=client_id,
        name=fields.pop("name", "Main site"),
        address_line1=fields.pop("address_line1", "1 World Trade Center"),
        city=fields.pop("city", "Long Beach"),
        state=fields.pop("state", "CA"),
        zip=fields.pop("zip", "90802"),
        latitude=at[0],
        longitude=at[1],
        timezone=timezone,
        **fields,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def a_shift(
    uow: UnitOfWork,
    *,
    job_type: JobType,
    site: Site,
    starts_at: datetime,
    hours: float = 4,
    positions: int = 1,
    fill_mode: str = "open",
) -> Shift:
    """One shift of a one-off booking (rows only: the bookings area's domain makes real ones)."""
    ends_at = starts_at + timedelta(hours=hours)
    booking = Booking(
        tenant_id=site.tenant_id,
        client_id=site.client_id,
        site_id=site.id,
        job_type_id=job_type.id,
        starts_local=starts_at.replace(tzinfo=None).isoformat(timespec="seconds"),
        ends_local=ends_at.replace(tzinfo=None).isoformat(timespec="seconds"),
        timezone=site.timezone,
        positions=positions,
        fill_mode=fill_mode,
        pay_rate_cents=job_type.pay_rate_cents,
        bill_rate_cents=job_type.bill_rate_cents,
        created_by_kind="staff",
    )
    uow.session.add(booking)
    uow.session.flush()
    shift = Shift(
        tenant_id=site.tenant_id,
        booking_id=booking.id,
        client_id=site.client_id,
        site_id=site.id,
        job_type_id=job_type.id,
        starts_at=starts_at,
        ends_at=ends_at,
        positions=positions,
    )
    uow.session.add(shift)
    uow.session.flush()
    return shift


def a_worker_record(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    availability: dict[str, Any] | None = None,
    approved: bool = True,
    suspended: bool = False,
    job_types: list[str] | None = None,
    home: tuple[float, float] | None = DOWNTOWN,
    source_id: str | None = None,
    name: str | None = None,
    **fields: Any,
) -> WorkerRecord:
    """A worker as booking's read model holds them; available every hour of every day unless
    `availability` says otherwise. The weekly minutes come from the workers area's rules."""
    availability = availability or every_day()
    worker_id = new_id()
    row = WorkerRecord(
        id=worker_id,
        tenant_id=tenant_id,
        name=name or f"Worker {worker_id[:8]}",
        approved=approved,
        suspended=suspended,
        job_types=job_types or [],
        latitude=home[0] if home else None,
        longitude=home[1] if home else None,
        source_id=source_id,
        weekly_minutes=worker_rules.weekly_minutes(availability),
        **fields,
    )
    uow.session.add(row)
    uow.session.flush()
    for on_date, minutes in worker_rules.day_minutes(availability).items():
        uow.session.add(
            WorkerDay(worker_id=worker_id, on_date=on_date, tenant_id=tenant_id, minutes=minutes)
        )
    uow.session.flush()
    return row
