"""Recording STOP and START from the provider's incoming messages, and asking whether a number
may get an SMS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork
from chassis.paging import page_rows
from services.notifications.channels.rules import normalise_phone
from services.notifications.optouts import rules
from services.notifications.optouts.models import SmsOptout


def record_inbound(
    uow: UnitOfWork, *, tenant_id: str, from_number: str, body: str, now: datetime
) -> bool | None:
    """An incoming message to the CBO's number: a keyword opts the sender out (or back in);
    anything else changes nothing. Returns the new state (True: opted out), or None."""
    keyword = rules.keyword_of(body)
    opted_out = rules.opts_out(keyword)
    phone = normalise_phone(from_number)
    if opted_out is None or phone is None or keyword is None:
        return None
    values: dict[str, Any] = {"opted_out": opted_out, "keyword": keyword, "changed_at": now}
    uow.session.execute(
        insert(SmsOptout)
        .values(tenant_id=tenant_id, phone=phone, **values)
        .on_conflict_do_update(index_elements=["tenant_id", "phone"], set_=values)
    )
    return opted_out


def is_opted_out(uow: UnitOfWork, *, tenant_id: str, phone: str) -> bool:
    found = uow.session.execute(
        select(SmsOptout.opted_out).where(
            SmsOptout.tenant_id == tenant_id, SmsOptout.phone == phone
        )
    ).scalar_one_or_none()
    return bool(found)


def list_optouts(uow: UnitOfWork, *, tenant_id: str, page: int, per_page: int) -> dict[str, Any]:
    query = (
        select(SmsOptout)
        .where(SmsOptout.tenant_id == tenant_id, SmsOptout.opted_out.is_(True))
        .order_by(SmsOptout.changed_at.desc(), SmsOptout.phone)
    )
    return page_rows(uow.session, query, page=page, per_page=per_page)
