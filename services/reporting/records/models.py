"""Reporting's read model, built only from other services' events (see domain.py): what it
needs to know of CBOs, partnerships, clients, job types, worker sources, workers, shifts,
places on shifts and visits, the rollups the dashboards sum, and the replay log it was all
built from."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    String,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.reporting.base import Base


class ReceivedEvent(Base):
    """Every event the read model was built from, in the order it was applied: a rebuild
    replays them."""

    __tablename__ = "received_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict] = mapped_column(JSONB)


class ParkedEvent(Base):
    """A logged fact about a shift whose booking had not arrived: applied when it does."""

    __tablename__ = "parked_events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    shift_id: Mapped[str] = mapped_column(String(36), index=True)


class CboRecord(Base):
    __tablename__ = "cbo_records"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    slug: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64))


class PartnershipRecord(Base):
    """A partnership between two CBOs and what they share ("reports": each may read the
    other's reports)."""

    __tablename__ = "partnership_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    proposer_id: Mapped[str] = mapped_column(String(36), index=True)
    partner_id: Mapped[str] = mapped_column(String(36), index=True)
    shares: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class ClientRecord(Base):
    __tablename__ = "client_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(40), default="")


class JobTypeRecord(Base):
    __tablename__ = "job_type_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    key: Mapped[str] = mapped_column(String(100), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)


class SourceRecord(Base):
    __tablename__ = "source_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")


class WorkerRecord(Base):
    __tablename__ = "worker_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    source_id: Mapped[str] = mapped_column(String(36), default="")
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="pending")


class ShiftRecord(Base):
    """A booked shift: its CBO day and dimensions, when it was booked and first filled."""

    __tablename__ = "shift_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    booking_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    job_type_id: Mapped[str] = mapped_column(String(36))
    day: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    positions: Mapped[int] = mapped_column(Integer)
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    filled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class PlaceRecord(Base):
    """A worker's place on a shift and its outcome (completed or no-show), with the bucket its
    figures went to, so that a correction takes them back from the same one."""

    __tablename__ = "place_records"

    assignment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    shift_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    source_id: Mapped[str] = mapped_column(String(36), default="")
    outcome: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int] = mapped_column(Integer, default=0)


class VisitRecord(Base):
    __tablename__ = "visit_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    started: Mapped[bool] = mapped_column(Boolean, default=False)
    excepted: Mapped[bool] = mapped_column(Boolean, default=False)


class _Metrics:
    """The additive figures of a day (see rules.METRICS for what each counts)."""

    registered: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    approved: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    shifts_booked: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    minutes_booked: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    shifts_cancelled: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    shifts_filled: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    fill_minutes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    places_completed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    minutes_worked: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    no_shows: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    late_cancellations: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cascades_started: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cascades_completed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cascades_exhausted: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    visits: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    visits_with_exceptions: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    gross_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class DailyRollup(_Metrics, Base):
    """One CBO day's figures for one job type, worker source and client ("" where the fact
    has none): for the dashboards' filters and the skills report."""

    __tablename__ = "daily_rollups"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    job_type_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class DailyTotal(_Metrics, Base):
    """One CBO day's figures over every job type, source and client: a dashboard sums a few
    dozen of these."""

    __tablename__ = "daily_totals"
    # The platform-wide dashboard reads every CBO's days of a period.
    __table_args__ = (Index("ix_daily_totals_day", "day"),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class WorkerPeriod(Base):
    """A worker's shifts, minutes and gross pay in one week (Monday, CBO's zone) or month of
    their CBO, per job type: active job seekers and the earnings profile."""

    __tablename__ = "worker_periods"
    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date, primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_type_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(36), default="")
    shifts: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class WorkerActivity(Base):
    """A worker's shifts worked in one week or month (any job type): when it turns positive
    the worker counts as active there (ActiveCount), when a correction brings it to zero they
    no longer do."""

    __tablename__ = "worker_activity"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date, primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    shifts: Mapped[int] = mapped_column(Integer, default=0)


class ActiveCount(Base):
    """How many job seekers worked at least one shift in a CBO's week or month."""

    __tablename__ = "active_counts"
    __table_args__ = (Index("ix_active_counts_period", "period", "starts_on"),)

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date, primary_key=True)
    active: Mapped[int] = mapped_column(Integer, default=0)


class ActivityEntry(Base):
    """Something a person did: from the audit trail (staff and client users) and from the
    market's events (job seekers' confirmations, declines, clock-ins)."""

    __tablename__ = "activity_entries"
    __table_args__ = (
        Index("ix_activity_tenant_at", "tenant_id", "at"),
        Index("ix_activity_tenant_actor", "tenant_id", "actor_id", "at"),
    )

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[str] = mapped_column(String(36))
    actor_kind: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(60), default="")
    entity_id: Mapped[str] = mapped_column(String(100), default="")
