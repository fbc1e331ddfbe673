"""Billing's read model, built only from other services' events: CBOs' time zones, workers,
clients, job types and shifts (booking), visits with their punches and exceptions (evv),
timesheet lines as approved or disputed (evv), and late client cancellations (booking).

Each record keeps the occurred-at time of the newest event applied (`event_at`), so an older
event arriving later (each event type has its own queue) changes nothing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.billing.base import Base, updated_column


class CboRecord(Base):
    """A CBO's time zone (pay weeks and the Tuesday run are in it)."""

    __tablename__ = "cbo_records"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WorkerRecord(Base):
    """A worker as billing knows them: their name (jobseeker.profile_changed) and the payroll id
    finance staff gave them (billing's own: the payroll provider's employee number)."""

    __tablename__ = "worker_records"

    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    payroll_id: Mapped[str | None] = mapped_column(String(40))
    event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_column()


class ClientRecord(Base):
    """A client organisation's name (client.registered / client.updated)."""

    __tablename__ = "client_records"

    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobTypeRecord(Base):
    """A job type with its default rates; `client_id` set for a client-exclusive one (fixed
    rates)."""

    __tablename__ = "job_type_records"

    job_type_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str | None] = mapped_column(String(36))
    pay_rate_cents: Mapped[int] = mapped_column(Integer)
    bill_rate_cents: Mapped[int] = mapped_column(Integer)
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ShiftRecord(Base):
    """A booked shift (booking.created): when, for whom, what, and the booking's rates (with
    whether staff gave them on the booking, or they were the job type's)."""

    __tablename__ = "shift_records"

    shift_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    booking_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    site_id: Mapped[str] = mapped_column(String(36))
    job_type_id: Mapped[str] = mapped_column(String(36))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pay_rate_cents: Mapped[int] = mapped_column(Integer)
    bill_rate_cents: Mapped[int] = mapped_column(Integer)
    pay_rate_given: Mapped[bool] = mapped_column(Boolean, default=False)
    bill_rate_given: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_shift_records_tenant_starts", "tenant_id", "starts_at"),)


class VisitRecord(Base):
    """A visit (one worker on one shift) as evv's events tell it: the punches, whether it is
    verified (with the six Cures Act elements) and how many must-fix exceptions were raised
    since it last was."""

    __tablename__ = "visit_records"

    visit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    shift_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    worker_tenant_id: Mapped[str] = mapped_column(String(36))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    clock_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    clock_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    must_fix_open: Mapped[int] = mapped_column(Integer, default=0)
    elements: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_visit_records_tenant_starts", "tenant_id", "starts_at"),)


# A line's status as evv last said it.
APPROVED = "approved"
DISPUTED = "disputed"


class LineRecord(Base):
    """A timesheet line (one verified visit) as evv last said it: approved (payable and
    billable) or disputed. An approved line corrected later arrives approved again with its
    new minutes (`version` counts the approvals)."""

    __tablename__ = "line_records"

    visit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    timesheet_id: Mapped[str] = mapped_column(String(36))
    shift_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    worker_tenant_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    week_start: Mapped[date] = mapped_column(Date)
    scheduled_minutes: Mapped[int] = mapped_column(Integer)
    worked_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    approved_by: Mapped[str | None] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, default=0)
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_line_records_tenant_week", "tenant_id", "week_start"),)


class CancellationRecord(Base):
    """A worker's confirmed place the client cancelled inside the CBO's late window: reporting
    time is paid for it."""

    __tablename__ = "cancellation_records"

    assignment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    shift_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    worker_tenant_id: Mapped[str] = mapped_column(String(36))
    minutes_before_start: Mapped[int] = mapped_column(Integer)
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_cancellation_records_tenant", "tenant_id"),)
