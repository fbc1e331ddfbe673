"""A person's inbox: only its owner reads it (another person's item does not exist for them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork
from chassis.errors import NotFound
from chassis.paging import page_rows
from services.notifications.inbox.models import InboxItem


def add_item(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    account_id: str,
    notice_id: str,
    kind: str,
    language: str,
    title: str,
    body: str,
    data: dict[str, Any],
) -> None:
    """Put a notice in a person's inbox (once: a second time changes nothing)."""
    uow.session.execute(
        insert(InboxItem)
        .values(
            tenant_id=tenant_id,
            account_id=account_id,
            notice_id=notice_id,
            kind=kind,
            language=language,
            title=title[:300],
            body=body,
            data=data,
        )
        .on_conflict_do_nothing(constraint="uq_inbox_items_notice_account")
    )


def _own(tenant_id: str, account_id: str):
    return (InboxItem.tenant_id == tenant_id, InboxItem.account_id == account_id)


def list_items(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    account_id: str,
    unread: bool | None,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    query = select(InboxItem).where(*_own(tenant_id, account_id))
    if unread is True:
        query = query.where(InboxItem.read_at.is_(None))
    elif unread is False:
        query = query.where(InboxItem.read_at.is_not(None))
    query = query.order_by(InboxItem.created_at.desc(), InboxItem.id.desc())
    return page_rows(uow.session, query, page=page, per_page=per_page)


def unread_count(uow: UnitOfWork, *, tenant_id: str, account_id: str) -> int:
    return uow.session.execute(
        select(func.count())
        .select_from(InboxItem)
        .where(*_own(tenant_id, account_id), InboxItem.read_at.is_(None))
    ).scalar_one()


def mark_read(
    uow: UnitOfWork, *, tenant_id: str, account_id: str, item_id: str, now: datetime
) -> InboxItem:
    """Mark one of the person's items read (already read: unchanged); anyone else's is 404."""
    item = uow.session.execute(
        select(InboxItem).where(*_own(tenant_id, account_id), InboxItem.id == item_id)
    ).scalar_one_or_none()
    if item is None:
        raise NotFound("There is no such message in your inbox.")
    if item.read_at is None:
        item.read_at = now
        uow.session.flush()
    return item


def mark_all_read(uow: UnitOfWork, *, tenant_id: str, account_id: str, now: datetime) -> int:
    """Mark every unread item of the person read; returns how many."""
    result = uow.session.execute(
        update(InboxItem)
        .where(*_own(tenant_id, account_id), InboxItem.read_at.is_(None))
        .values(read_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
