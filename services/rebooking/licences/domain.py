"""The licence read model: tenancy's licence.granted / licence.revoked and the CBOs' time zones
(tenant.approved, branding.updated), so a cascade asks its own database whether the CBO holds
the rebooking licence today, in the CBO's calendar.

Why a read model rather than tenancy's `is_licensed` RPC at each step: a cascade step is an
event handler; an RPC to tenancy would make every cascade stall, retry and at last dead-letter
while tenancy is down or slow, and add a round trip to the path from a deadline to the next
offer (the benchmark's figure). The price is a lag of one event delivery after the operator
grants or revokes (a cascade step in that moment follows the old word)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from chassis import licence_records
from chassis.db import UnitOfWork
from chassis.licence_records import is_newer
from services.rebooking.licences import rules
from services.rebooking.licences.models import CboRecord, LicenceRecord

DEFAULT_TIMEZONE = "America/Los_Angeles"


def learn_licence(uow: UnitOfWork, **licence: Any) -> None:
    """Keep a licence as its event says (chassis.licence_records.learn_licence's keywords)."""
    licence_records.learn_licence(uow, model=LicenceRecord, **licence)


def learn_timezone(uow: UnitOfWork, *, tenant_id: str, timezone: str, event_at: datetime) -> None:
    """Keep a CBO's time zone (newest event wins)."""
    record = uow.session.get(CboRecord, tenant_id, with_for_update=True)
    if record is None:
        uow.session.add(CboRecord(tenant_id=tenant_id, timezone=timezone, event_at=event_at))
    elif is_newer(event_at, record.event_at):
        record.timezone, record.event_at = timezone, event_at
    uow.session.flush()


def local_today(uow: UnitOfWork, *, tenant_id: str, now: datetime) -> date:
    """`now`'s date in the CBO's time zone (America/Los_Angeles until rebooking hears of it)."""
    record = uow.session.get(CboRecord, tenant_id)
    zone = record.timezone if record is not None else DEFAULT_TIMEZONE
    return now.astimezone(ZoneInfo(zone)).date()


def holds_rebooking(uow: UnitOfWork, *, tenant_id: str, now: datetime) -> bool:
    """Whether the CBO holds the rebooking licence on today's date, in its own calendar."""
    query = select(LicenceRecord.starts_on, LicenceRecord.ends_on).where(
        LicenceRecord.tenant_id == tenant_id, LicenceRecord.feature == rules.FEATURE
    )
    periods = [(row.starts_on, row.ends_on) for row in uow.session.execute(query)]
    return rules.held_on(periods, local_today(uow, tenant_id=tenant_id, now=now))
