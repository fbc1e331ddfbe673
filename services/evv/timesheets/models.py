"""Timesheets and their lines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.evv.base import Base, created_column, new_id, updated_column


class Timesheet(Base):
    __tablename__ = "timesheets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    worker_tenant_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    week_start: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (
        UniqueConstraint("tenant_id", "worker_id", "client_id", "week_start"),
        Index("ix_timesheets_tenant_week", "tenant_id", "week_start"),
    )


class TimesheetLine(Base):
    """One verified visit on a timesheet. Each side's answer: pending, approved, disputed;
    the line's status: pending, approved, disputed."""

    __tablename__ = "timesheet_lines"

    visit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    timesheet_id: Mapped[str] = mapped_column(String(36), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    scheduled_minutes: Mapped[int] = mapped_column(Integer)
    worked_minutes: Mapped[int] = mapped_column(Integer)
    worker_answer: Mapped[str] = mapped_column(String(10), default="pending")
    client_answer: Mapped[str] = mapped_column(String(10), default="pending")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # evv | people | staff
    approved_by: Mapped[str | None] = mapped_column(String(10))
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = updated_column()
