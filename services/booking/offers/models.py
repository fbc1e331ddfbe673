"""Offers of a shift to workers, and the assignments the confirmed ones become."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.booking.base import Base, created_column, new_id, updated_column

# Offer states: sent, then exactly one of the others.
SENT = "sent"
CONFIRMED = "confirmed"
DECLINED = "declined"
EXPIRED = "expired"
WITHDRAWN = "withdrawn"


class Offer(Base):
    __tablename__ = "offers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))  # the booking CBO's
    shift_id: Mapped[str] = mapped_column(String(36), ForeignKey("shifts.id"))
    worker_id: Mapped[str] = mapped_column(String(36))
    # The worker's own CBO: a partner CBO's worker has another.
    worker_tenant_id: Mapped[str] = mapped_column(String(36))
    # Copied from the shift so overlap checks need no join.
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default=SENT)
    # How it came: named | favourites | ranking | tier:<name> | rebooking | shared
    channel: Mapped[str] = mapped_column(String(30))
    rank: Mapped[int | None] = mapped_column(Integer)
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(500))
    # A command's idempotency key (rebooking sends one with every offer it asks for).
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    # The share (sharing.models.OpportunityShare) a partner CBO's staff offered it under: the
    # explicit grant its confirmation is checked against.
    share_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        Index("ix_offers_shift", "shift_id"),
        Index("ix_offers_share", "share_id", postgresql_where=text("share_id IS NOT NULL")),
        Index("ix_offers_worker_pending", "worker_id", postgresql_where=text("status = 'sent'")),
        # A search's overlaps, read by the worker's CBO (migration booking_0007).
        Index(
            "ix_offers_pending_ends",
            "worker_tenant_id",
            "ends_at",
            postgresql_where=text("status = 'sent'"),
        ),
        # A job seeker's own offers, newest first (GET /me/offers).
        Index("ix_offers_worker_created", "worker_id", "created_at"),
        # A worker holds at most one live offer per shift.
        Index(
            "uq_offers_live",
            "shift_id",
            "worker_id",
            unique=True,
            postgresql_where=text("status IN ('sent', 'confirmed')"),
        ),
    )


# Assignment states.
BOOKED = "booked"
COMPLETED = "completed"
NO_SHOW = "no_show"
CANCELLED = "cancelled"


class Assignment(Base):
    """A worker holding one position of a shift."""

    __tablename__ = "assignments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    shift_id: Mapped[str] = mapped_column(String(36), ForeignKey("shifts.id"))
    offer_id: Mapped[str | None] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    worker_tenant_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default=BOOKED)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[str | None] = mapped_column(String(36))
    cancelled_by_kind: Mapped[str | None] = mapped_column(String(20))  # client|worker|staff
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    minutes_before_start: Mapped[int | None] = mapped_column(Integer)
    late: Mapped[bool] = mapped_column(default=False)
    outcome_by: Mapped[str | None] = mapped_column(String(36))
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        Index("ix_assignments_shift", "shift_id"),
        Index("ix_assignments_worker_starts", "worker_id", "starts_at"),
        # A search's overlaps and booked hours, read by the worker's CBO (booking_0007).
        Index(
            "ix_assignments_live_ends",
            "worker_tenant_id",
            "ends_at",
            postgresql_where=text("status IN ('booked', 'completed')"),
        ),
        Index(
            "uq_assignments_live",
            "shift_id",
            "worker_id",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
        ),
    )


class OfferCommand(Base):
    """A command another service sent about an offer (rebooking's `expire_offer` and
    `offer_next`) under its idempotency key, and the answer it got: the same key again gets the
    same answer and changes nothing, however many rebooking instances send it."""

    __tablename__ = "offer_commands"

    # Keys are the CBO's: another CBO using the same key touches nothing of this one.
    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    command: Mapped[str] = mapped_column(String(30))
    # The offer it ended or made (none when offer_next made none: migration booking_0010).
    offer_id: Mapped[str | None] = mapped_column(String(36))
    result: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_column()
