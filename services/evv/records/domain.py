"""EVV's read model, kept from booking's and tenancy's events. Every function is idempotent
(the chassis also skips a redelivered event) and order-tolerant: an older event arriving after
a newer one changes nothing, and a visit's confirmation may come before its booking."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork
from services.evv.records.models import (
    CboRecord,
    JobTypeRecord,
    LicenceRecord,
    ShiftRecord,
    SiteRecord,
)
from services.evv.visits.models import Visit

# Until EVV hears of a CBO's time zone (tenancy's default for Long Beach).
DEFAULT_TIMEZONE = "America/Los_Angeles"


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def learn_timezone(uow: UnitOfWork, *, tenant_id: str, timezone: str, at: datetime) -> None:
    stmt = insert(CboRecord).values(tenant_id=tenant_id, timezone=timezone, timezone_event_at=at)
    uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={"timezone": timezone, "timezone_event_at": at},
            where=CboRecord.timezone_event_at <= at,
        )
    )


def cbo_timezone(uow: UnitOfWork, *, tenant_id: str) -> str:
    found = uow.session.get(CboRecord, tenant_id)
    return found.timezone if found is not None else DEFAULT_TIMEZONE


def learn_licence(uow: UnitOfWork, *, tenant_id: str, data: dict, revoked: bool) -> None:
    if data.get("feature") != "evv":
        return
    values = {
        "licence_id": data["licence_id"],
        "tenant_id": tenant_id,
        "starts_on": _day(data["starts_on"]),
        "ends_on": _day(data.get("ends_on")),
        "revoked": revoked,
    }
    stmt = insert(LicenceRecord).values(**values)
    set_: dict[str, Any] = {"ends_on": values["ends_on"]}
    if revoked:
        set_["revoked"] = True
    # A grant arriving after its revocation leaves it revoked.
    uow.session.execute(stmt.on_conflict_do_update(index_elements=["licence_id"], set_=set_))


def licensed(uow: UnitOfWork, *, tenant_id: str, on: date) -> bool:
    """Whether the CBO holds the EVV licence on that day."""
    for licence in uow.session.scalars(
        select(LicenceRecord).where(LicenceRecord.tenant_id == tenant_id)
    ):
        if licence.starts_on > on:
            continue
        if licence.ends_on is not None and on > licence.ends_on:
            continue
        if licence.revoked and licence.ends_on is None:
            continue
        return True
    return False


def learn_site(uow: UnitOfWork, *, tenant_id: str, data: dict, at: datetime) -> None:
    values = {
        "site_id": data["site_id"],
        "tenant_id": tenant_id,
        "client_id": data["client_id"],
        "name": data["name"],
        "latitude": data["latitude"],
        "longitude": data["longitude"],
        "geofence_radius_m": data.get("geofence_radius_m"),
        "timezone": data["timezone"],
        "event_at": at,
    }
    stmt = insert(SiteRecord).values(**values)
    uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["site_id"],
            set_={k: v for k, v in values.items() if k not in ("site_id", "tenant_id")},
            where=SiteRecord.event_at <= at,
        )
    )


def learn_job_type(uow: UnitOfWork, *, tenant_id: str, data: dict, at: datetime) -> None:
    values = {
        "job_type_id": data["job_type_id"],
        "tenant_id": tenant_id,
        "key": data["key"],
        "name": data["name"],
        "event_at": at,
    }
    stmt = insert(JobTypeRecord).values(**values)
    uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["job_type_id"],
            set_={"key": values["key"], "name": values["name"], "event_at": at},
            where=JobTypeRecord.event_at <= at,
        )
    )


def learn_booking(uow: UnitOfWork, *, tenant_id: str, data: dict) -> None:
    """A booking's shifts: where and what each one is."""
    rows = [
        {
            "shift_id": shift["shift_id"],
            "tenant_id": tenant_id,
            "booking_id": data["booking_id"],
            "client_id": data["client_id"],
            "site_id": data["site_id"],
            "job_type_id": data["job_type_id"],
        }
        for shift in data["shifts"]
    ]
    if rows:
        uow.session.execute(insert(ShiftRecord).values(rows).on_conflict_do_nothing())


def learn_confirmation(uow: UnitOfWork, *, tenant_id: str, data: dict) -> None:
    """A worker's confirmed place on a shift becomes a visit to be clocked."""
    uow.session.execute(
        insert(Visit)
        .values(
            id=data["assignment_id"],
            tenant_id=tenant_id,
            shift_id=data["shift_id"],
            client_id=data["client_id"],
            worker_id=data["worker_id"],
            worker_tenant_id=data["worker_tenant_id"],
            starts_at=_time(data["starts_at"]),
            ends_at=_time(data["ends_at"]),
            status="scheduled",
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )


def learn_cancellation(uow: UnitOfWork, *, tenant_id: str, assignment_ids: list[str]) -> None:
    """Cancelled places are no longer visits to clock (one already clocked in stays)."""
    if assignment_ids:
        uow.session.execute(
            update(Visit)
            .where(
                Visit.tenant_id == tenant_id,
                Visit.id.in_(assignment_ids),
                Visit.status == "scheduled",
            )
            .values(status="cancelled")
        )


def where_and_what(
    uow: UnitOfWork, *, tenant_id: str, shift_id: str
) -> tuple[SiteRecord | None, JobTypeRecord | None]:
    """The site and job type of a shift, as far as EVV has heard of them."""
    # One round trip: every punch asks this.
    found = uow.session.execute(
        select(SiteRecord, JobTypeRecord)
        .select_from(ShiftRecord)
        .outerjoin(
            SiteRecord,
            and_(SiteRecord.site_id == ShiftRecord.site_id, SiteRecord.tenant_id == tenant_id),
        )
        .outerjoin(
            JobTypeRecord,
            and_(
                JobTypeRecord.job_type_id == ShiftRecord.job_type_id,
                JobTypeRecord.tenant_id == tenant_id,
            ),
        )
        .where(ShiftRecord.shift_id == shift_id, ShiftRecord.tenant_id == tenant_id)
    ).first()
    if found is None:
        return None, None
    return found[0], found[1]
