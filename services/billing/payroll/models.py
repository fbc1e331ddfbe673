"""Payroll runs: a preview of a pay week (a line per worker and week paid, the items it pays,
its blockers), then, completed, the lock on the week, what was paid for each item and each
worker's week (so a correction later is paid as the difference), and the export files."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.billing.base import Base, created_column, new_id, updated_column

# previewing -> previewed -> completing -> completed; a preview superseded by a newer one
# of the same week, or that could not complete, stays as it was (its job says why).
PREVIEWING = "previewing"
PREVIEWED = "previewed"
COMPLETING = "completing"
COMPLETED = "completed"
SUPERSEDED = "superseded"
RUN_STATUSES = (PREVIEWING, PREVIEWED, COMPLETING, COMPLETED, SUPERSEDED)

# A line pays the run's own week, or the difference a correction made to an earlier week.
WEEK = "week"
ADJUSTMENT = "adjustment"


class PayrollRun(Base):
    __tablename__ = "payroll_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    week_start: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=PREVIEWING)
    # staff | schedule
    started_by_kind: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[str | None] = mapped_column(String(36))
    preview_job_id: Mapped[str | None] = mapped_column(String(36))
    complete_job_id: Mapped[str | None] = mapped_column(String(36))
    workers: Mapped[int] = mapped_column(Integer, default=0)
    gross_cents: Mapped[int] = mapped_column(Integer, default=0)
    # [{code, message, worker_id?, visit_id?}] (the first few hundred), and how many in all.
    blockers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    blocker_count: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        Index("ix_payroll_runs_tenant_week", "tenant_id", "week_start"),
        # A week is paid once: one completed (or completing) run per CBO and week.
        Index(
            "uq_payroll_runs_locked_week",
            "tenant_id",
            "week_start",
            unique=True,
            postgresql_where=text("status IN ('completing', 'completed')"),
        ),
    )


class PayrollLine(Base):
    """A worker's pay in a run: for the run's week, or an adjustment of an earlier one."""

    __tablename__ = "payroll_lines"

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    for_week: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(12))
    worker_tenant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str | None] = mapped_column(String(200))
    payroll_id: Mapped[str | None] = mapped_column(String(40))
    regular_minutes: Mapped[int] = mapped_column(Integer)
    overtime_minutes: Mapped[int] = mapped_column(Integer)
    double_time_minutes: Mapped[int] = mapped_column(Integer)
    reporting_minutes: Mapped[int] = mapped_column(Integer)
    meal_premiums: Mapped[int] = mapped_column(Integer)
    rest_premiums: Mapped[int] = mapped_column(Integer)
    straight_cents: Mapped[int] = mapped_column(Integer)
    overtime_premium_cents: Mapped[int] = mapped_column(Integer)
    period_premium_cents: Mapped[int] = mapped_column(Integer)
    reporting_cents: Mapped[int] = mapped_column(Integer)
    bonus_cents: Mapped[int] = mapped_column(Integer)
    gross_cents: Mapped[int] = mapped_column(Integer)
    # The regular rate in cents an hour (4 decimals), for exports' rate columns.
    regular_rate: Mapped[str] = mapped_column(String(20))
    # [{client_id, job_type_id, minutes, gross_cents}]
    clients: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    __table_args__ = (Index("ix_payroll_lines_tenant_run", "tenant_id", "run_id"),)


class PayrollRunItem(Base):
    """What a run pays: each timesheet line (visit) and late cancellation (assignment) at the
    version it saw."""

    __tablename__ = "payroll_run_items"

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    week_start: Mapped[date] = mapped_column(Date)


class PaidItem(Base):
    """The version of a line (or cancellation) last paid, and by which run."""

    __tablename__ = "paid_items"

    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    week_start: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(String(36))


class PaidWeek(Base):
    """What a worker has been paid for one week so far (all runs together)."""

    __tablename__ = "paid_weeks"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    regular_minutes: Mapped[int] = mapped_column(Integer)
    overtime_minutes: Mapped[int] = mapped_column(Integer)
    double_time_minutes: Mapped[int] = mapped_column(Integer)
    reporting_minutes: Mapped[int] = mapped_column(Integer)
    meal_premiums: Mapped[int] = mapped_column(Integer)
    rest_premiums: Mapped[int] = mapped_column(Integer)
    straight_cents: Mapped[int] = mapped_column(Integer)
    overtime_premium_cents: Mapped[int] = mapped_column(Integer)
    period_premium_cents: Mapped[int] = mapped_column(Integer)
    reporting_cents: Mapped[int] = mapped_column(Integer)
    bonus_cents: Mapped[int] = mapped_column(Integer)
    gross_cents: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(String(36))


class PayrollBonus(Base):
    """A non-discretionary bonus finance staff award a worker for a week (e.g. reliability):
    paid with the week and folded into its regular rate."""

    __tablename__ = "payroll_bonuses"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = updated_column()


class PayrollExport(Base):
    """A completed run's file for one provider."""

    __tablename__ = "payroll_exports"

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    layout: Mapped[str] = mapped_column(String(20), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(60))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_column()
