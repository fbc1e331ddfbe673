"""What EVV keeps of other services' facts (built only from their events)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.evv.base import Base


class CboRecord(Base):
    """A CBO's time zone (pay weeks and service dates are read in it)."""

    __tablename__ = "cbo_records"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    # When the newest event that set the time zone happened (an older one changes nothing).
    timezone_event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LicenceRecord(Base):
    """A feature licence tenancy granted a CBO (EVV keeps only `evv` ones)."""

    __tablename__ = "licence_records"

    licence_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class SiteRecord(Base):
    """A client's place of work: the visit's location and its geofence."""

    __tablename__ = "site_records"

    site_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    geofence_radius_m: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobTypeRecord(Base):
    """A job type: the visit's type of service (its key is the procedure code in exports)."""

    __tablename__ = "job_type_records"

    job_type_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ShiftRecord(Base):
    """A booked shift: where (site) and what (job type), from `booking.created`."""

    __tablename__ = "shift_records"

    shift_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    booking_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    site_id: Mapped[str] = mapped_column(String(36))
    job_type_id: Mapped[str] = mapped_column(String(36))

    __table_args__ = (Index("ix_shift_records_tenant", "tenant_id"),)
