"""Booking's sites, job types and bookings, as much as a message names (kept from events)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.base import Base


class KnownSite(Base):
    __tablename__ = "known_sites"

    site_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    # When the event this row is from happened: an older event arriving later changes nothing.
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KnownJobType(Base):
    __tablename__ = "known_job_types"

    job_type_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KnownBooking(Base):
    __tablename__ = "known_bookings"

    booking_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    site_id: Mapped[str] = mapped_column(String(36))
    job_type_id: Mapped[str] = mapped_column(String(36))
