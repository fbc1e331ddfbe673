"""Scheduled deliveries of reports: a CBO's durable schedule rows, and one delivery row per
occurrence, keyed by its idempotency key, so each occurrence is sent once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.reporting.base import Base, created_column


class ReportSchedule(Base):
    """Send a period's KPIs to a list of stakeholders at a local time (the CBO's zone): every
    week on a weekday (last week's), or every month on a day (last month's)."""

    __tablename__ = "report_schedules"
    __table_args__ = (Index("ix_report_schedules_due", "active", "next_run_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[list[str]] = mapped_column(ARRAY(String(254)))
    period: Mapped[str] = mapped_column(String(5))
    weekday: Mapped[int] = mapped_column(Integer, default=0)
    day_of_month: Mapped[int] = mapped_column(Integer, default=1)
    hour: Mapped[int] = mapped_column(Integer)
    minute: Mapped[int] = mapped_column(Integer, default=0)
    file_format: Mapped[str] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = created_column()


class ReportDelivery(Base):
    """One occurrence of a schedule: claimed with SKIP LOCKED, sent, and marked sent in the
    same transaction; the unique key stops a second row for the same occurrence."""

    __tablename__ = "report_deliveries"
    __table_args__ = (Index("ix_report_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    schedule_id: Mapped[str] = mapped_column(String(36), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    occurrence_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period_starts_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_column()
