"""Bookings and their shifts: what a client asked for, one shift per occurrence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.booking.base import Base, created_column, new_id, updated_column

# How a booking's positions are filled.
NAMED = "named"  # offer to one named worker
FAVOURITES = "favourites"  # down the client's favourites, then the ranking
OPEN = "open"  # released to a pool in tiers

# Open-shift tiers, in release order.
TIERS = ("favourites", "reliable", "eligible", "partners")


class Booking(Base):
    __tablename__ = "bookings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    site_id: Mapped[str] = mapped_column(String(36))
    job_type_id: Mapped[str] = mapped_column(String(36))
    # The first shift's local start and end, and the RFC 5545 rule that repeats it (None: once).
    starts_local: Mapped[str] = mapped_column(String(19))  # "2026-12-07T09:00:00"
    ends_local: Mapped[str] = mapped_column(String(19))
    recurrence: Mapped[str | None] = mapped_column(String(500))
    timezone: Mapped[str] = mapped_column(String(64))
    positions: Mapped[int] = mapped_column(Integer, default=1)
    fill_mode: Mapped[str] = mapped_column(String(20))
    named_worker_id: Mapped[str | None] = mapped_column(String(36))
    notes: Mapped[str] = mapped_column(Text, default="")
    requirements: Mapped[str] = mapped_column(Text, default="")
    # Pay and bill rate at booking time (cents per hour): later rate changes do not move them.
    pay_rate_cents: Mapped[int] = mapped_column(Integer)
    bill_rate_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | cancelled
    created_by: Mapped[str | None] = mapped_column(String(36))
    created_by_kind: Mapped[str] = mapped_column(String(20))  # staff | client
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (Index("ix_bookings_tenant_client", "tenant_id", "client_id"),)


class Shift(Base):
    __tablename__ = "shifts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    booking_id: Mapped[str] = mapped_column(String(36), ForeignKey("bookings.id"))
    client_id: Mapped[str] = mapped_column(String(36))
    site_id: Mapped[str] = mapped_column(String(36))
    job_type_id: Mapped[str] = mapped_column(String(36))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    positions: Mapped[int] = mapped_column(Integer)
    filled: Mapped[int] = mapped_column(Integer, default=0)
    # open | filled | cancelled | completed
    status: Mapped[str] = mapped_column(String(20), default="open")
    # Open shifts: the tier released last (index into TIERS) and when the next one is due.
    tier: Mapped[int | None] = mapped_column(Integer)
    next_tier_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[str | None] = mapped_column(String(36))
    cancelled_by_kind: Mapped[str | None] = mapped_column(String(20))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # A client cancellation inside the late window: billing pays reporting time for it.
    late_cancellation: Mapped[bool] = mapped_column(default=False)
    # Details the fill modes keep (e.g. the favourites still to try).
    fill_state: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        Index("ix_shifts_tenant_starts", "tenant_id", "starts_at"),
        Index("ix_shifts_booking", "booking_id"),
        Index(
            "ix_shifts_tier_due",
            "next_tier_at",
            postgresql_where=text("status = 'open' AND next_tier_at IS NOT NULL"),
        ),
    )
