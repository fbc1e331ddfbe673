"""The delivery log: one row per email or SMS, from queued to sent, delivered, failed or
skipped. The sender claims queued rows FOR UPDATE SKIP LOCKED, so two instances never send one
twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.base import Base, created_column, new_id, updated_column


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # One message per notice, person and channel: a notice dispatched twice sends nothing
        # twice.
        UniqueConstraint("notice_id", "account_id", "channel", name="uq_messages_notice_channel"),
        Index("ix_messages_due", "next_attempt_at", postgresql_where=text("status = 'queued'")),
        Index("ix_messages_log", "tenant_id", "created_at"),
        Index("ix_messages_provider", "tenant_id", "provider_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    notice_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(10))
    # An email address or an E.164 number.
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    # The Message-ID of an email, the provider's sid of an SMS.
    provider_id: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_column()
