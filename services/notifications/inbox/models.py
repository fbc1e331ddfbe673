"""Inbox items: one per notice and person, in the person's language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.base import Base, created_column, new_id


class InboxItem(Base):
    __tablename__ = "inbox_items"
    __table_args__ = (
        # A notice reaches a person's inbox once, however often it is dispatched.
        UniqueConstraint("notice_id", "account_id", name="uq_inbox_items_notice_account"),
        Index("ix_inbox_items_owner", "tenant_id", "account_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    account_id: Mapped[str] = mapped_column(String(36))
    notice_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # Ids of what it is about (offer_id, shift_id ...), for the app's links.
    data: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = created_column()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
