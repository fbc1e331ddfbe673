"""The licence read model: tenancy's licence.granted / licence.revoked and the CBOs' time zones
(tenant.approved, branding.updated), so a cascade asks its own database whether the CBO holds
the rebooking licence today, in the CBO's calendar.

Why a read model rather than tenancy's `is_licensed` RPC at each step: a cascade step is an
event handler; an RPC to tenancy would make every cascade stall, retry and at last dead-letter
while tenancy is down or slow, and add a round trip to the path from a deadline to the next
offer (the benchmark's figure). The price is a lag of one event delivery after the operator
grants or revokes (a cascade step in that moment follows the old word)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
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


def holds_rebooking(uow: UnitOfWork, *, tenant_id: str, now: datetime) -> bool:
    """Whether the CBO holds the rebooking licence on today's date, in its own calendar."""
    return tenant_id in holding_rebooking(uow, tenant_ids=[tenant_id], now=now)


def holding_rebooking(uow: UnitOfWork, *, tenant_ids: Collection[str], now: datetime) -> set[str]:
    """The CBOs of `tenant_ids` that hold the rebooking licence today, each in its own calendar:
    two statements however many (the deadline sweep asks for a whole chunk's CBOs at once)."""
    if not tenant_ids:
        return set()
    periods: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    query = select(LicenceRecord.tenant_id, LicenceRecord.starts_on, LicenceRecord.ends_on).where(
        LicenceRecord.tenant_id.in_(list(tenant_ids)), LicenceRecord.feature == rules.FEATURE
    )
    for tenant_id, starts_on, ends_on in uow.session.execute(query):
        periods[tenant_id].append((starts_on, ends_on))
    if not periods:
        return set()  # nobody licensed: their calendars do not matter
    zones = select(CboRecord.tenant_id, CboRecord.timezone).where(
        CboRecord.tenant_id.in_(list(periods))
    )
    zone_of: dict[str, str] = {t: zone for t, zone in uow.session.execute(zones).tuples()}
    return {
        tenant_id
        for tenant_id, held in periods.items()
        if rules.held_on(
            held, now.astimezone(ZoneInfo(zone_of.get(tenant_id, DEFAULT_TIMEZONE))).date()
        )
    }
