"""Booking's read model of workers and what decides their eligibility, built only from
identity's and tenancy's events (see domain.py). Nothing here is edited through the API."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.booking.base import Base, MinuteRanges, updated_column


class CboRecord(Base):
    """A CBO as booking knows it: its time zone (shifts and availability are in it) and status."""

    __tablename__ = "cbo_records"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="America/Los_Angeles")
    status: Mapped[str] = mapped_column(String(20))  # active | suspended
    updated_at: Mapped[datetime] = updated_column()
    # When the newest event applied to the status (and slug, name) and to the time zone
    # happened: an older one arriving later changes nothing (see domain.py).
    status_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    timezone_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WorkerRecord(Base):
    """A job seeker as a search sees them."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # identity's jobseeker id
    tenant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200), default="")
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Deactivated accounts are never offered work.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Job-type keys the worker is approved for (identity's per-job-type approvals).
    job_types: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(10)), default=list)
    home_zip: Mapped[str | None] = mapped_column(String(10))
    # The home ZIP's centroid (zipcodes package); None when unknown.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    source_id: Mapped[str | None] = mapped_column(String(36))
    # As identity keeps it: {"weekly": {"monday": [{"start","end"}]}, "exceptions": [...]}.
    availability: Mapped[dict] = mapped_column(JSONB, default=dict)
    # The weekly hours as minutes of the CBO's local week (Monday 00:00 = 0, up to 10080).
    weekly_minutes: Mapped[list[tuple[int, int]]] = mapped_column(MinuteRanges, default=list)
    updated_at: Mapped[datetime] = updated_column()
    # When the newest event applied to each part happened: the profile (a full snapshot), the
    # suspension, the account's active flag. An older event arriving later changes nothing.
    profile_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "ix_workers_offerable",
            "tenant_id",
            postgresql_where=text("approved AND NOT suspended AND active"),
        ),
        Index("ix_workers_job_types", "job_types", postgresql_using="gin"),
        # The search's page of left-out workers, in name order (migration booking_0007).
        Index("ix_workers_tenant_name", "tenant_id", text('(name COLLATE "C")'), "id"),
    )


class WorkerDay(Base):
    """A date on which a worker's availability differs from their weekly hours: the minutes of
    that local day they are available (none: not at all)."""

    __tablename__ = "worker_days"

    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    on_date: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    minutes: Mapped[list[tuple[int, int]]] = mapped_column(MinuteRanges, default=list)

    # The exceptions on the dates a search asks for (migration booking_0007).
    __table_args__ = (Index("ix_worker_days_date_tenant", "on_date", "tenant_id"),)


class SourceRecord(Base):
    """A worker source's rule: a weekly hour cap applying in its terms (all year without)."""

    __tablename__ = "source_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    weekly_cap_minutes: Mapped[int | None] = mapped_column(Integer)
    # [{"starts_on": "2026-09-01", "ends_on": "2026-12-18"}, ...]
    terms: Mapped[list[dict]] = mapped_column(JSONB, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the newest event applied happened (None: filled from tenancy's answer).
    event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ClientRecord(Base):
    """A client organisation of a CBO (tenancy owns it)."""

    __tablename__ = "client_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the newest event applied happened (None: filled from tenancy's answer).
    event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PartnershipRecord(Base):
    """A formed partnership between two CBOs and the job types they share."""

    __tablename__ = "partnership_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    proposer_id: Mapped[str] = mapped_column(String(36))
    partner_id: Mapped[str] = mapped_column(String(36))
    shares: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the newest event applied happened.
    event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReceivedEvent(Base):
    """Every event the read model was built from, in arrival order: a rebuild replays them."""

    __tablename__ = "received_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict] = mapped_column(JSONB)
