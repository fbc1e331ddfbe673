"""Rebooking's read model of what tenancy says about CBOs: their rebooking licences and their
time zones (a licence covers days of the CBO's calendar)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.rebooking.base import Base, updated_column


class LicenceRecord(Base):
    """A feature licence as its newest event (granted, revoked) says it is."""

    __tablename__ = "licence_records"

    licence_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    feature: Mapped[str] = mapped_column(String(30))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # When the event applied happened: an older one arriving later changes nothing.
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (Index("ix_licence_records_tenant_feature", "tenant_id", "feature"),)


class CboRecord(Base):
    """A CBO's time zone, from tenant.approved and branding.updated."""

    __tablename__ = "cbo_records"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_column()
