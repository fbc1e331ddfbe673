"""Webhook subscriptions (an outside system's URL and encrypted secret), their durable
deliveries, each attempt, and the partnerships that ended (whose partner gets nothing more)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.base import Base


def new_id() -> str:
    return str(uuid.uuid4())


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The signing secret, encrypted with WORKLB_NOTIFICATIONS_KEY (Fernet); shown only once.
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(36))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (Index("ix_webhook_subscriptions_tenant", "tenant_id", "created_at"),)


class WebhookDelivery(Base):
    """One event to one subscription: the exact body sent, its state and the next try."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))  # the subscriber's CBO
    subscription_id: Mapped[str] = mapped_column(String(36), ForeignKey("webhook_subscriptions.id"))
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(100))
    partnership_id: Mapped[str | None] = mapped_column(String(36))
    # Whether the subscriber is the partner (not the owner) of the shared shift.
    as_partner: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replay_of: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = _created()

    __table_args__ = (
        Index("ix_webhook_deliveries_subscription", "subscription_id", "created_at"),
        # The sweep's claim: due pending deliveries.
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_webhook_deliveries_partnership",
            "partnership_id",
            postgresql_where=text("status = 'pending'"),
        ),
        # One delivery per event and subscription (a redelivered event adds none); replays
        # are further rows.
        Index(
            "uq_webhook_deliveries_event",
            "subscription_id",
            "event_id",
            unique=True,
            postgresql_where=text("replay_of IS NULL"),
        ),
    )


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(String(36), ForeignKey("webhook_deliveries.id"))
    tenant_id: Mapped[str] = mapped_column(String(36))
    number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "number"),)


class EndedPartnership(Base):
    """A partnership tenancy ended: its partner's deliveries stop (partnership.ended)."""

    __tablename__ = "webhook_ended_partnerships"

    partnership_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
