"""Visits, their punch and correction records (one append-only, chained table), exceptions,
the CBO's EVV settings and each client's choice of EVV."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.evv.base import Base, created_column, new_id, updated_column


class Visit(Base):
    """One worker's confirmed place on a shift (booking's assignment; its id is the visit's)."""

    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The CBO whose shift it is (its chain holds the visit's records).
    tenant_id: Mapped[str] = mapped_column(String(36))
    shift_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    # The worker's own CBO (a partner CBO's worker punches with its token).
    worker_tenant_id: Mapped[str] = mapped_column(String(36))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # scheduled, in_progress, completed, verified, cancelled
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    # The times as judged: the device's at the punch, or staff's correction.
    clock_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    clock_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    no_show_suspected: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        Index("ix_visits_tenant_status", "tenant_id", "status"),
        Index("ix_visits_worker", "worker_id"),
        # The sweep's candidates: shifts not yet clocked in or out.
        Index(
            "ix_visits_open",
            "starts_at",
            postgresql_where=text("status IN ('scheduled', 'in_progress')"),
        ),
    )


class VisitRecord(Base):
    """A punch (the worker's phone, or staff by hand) or a staff correction: appended, never
    changed, and chained per CBO by the sealer (`seq`, `prev_hash`, `hash`; empty until it is
    sealed)."""

    __tablename__ = "visit_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    visit_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    # punch | correction
    record_type: Mapped[str] = mapped_column(String(12))
    # clock_in | clock_out
    kind: Mapped[str] = mapped_column(String(10))
    # The device's own id of a punch (its idempotency key); none for a correction.
    device_punch_id: Mapped[str | None] = mapped_column(String(64))
    # mobile_gps | manual
    method: Mapped[str] = mapped_column(String(12))
    # The punch's time as the device saw it (a correction: the corrected time).
    device_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    server_time: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )
    delay_seconds: Mapped[int] = mapped_column(Integer, default=0)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    mocked: Mapped[bool] = mapped_column(Boolean, default=False)
    distance_m: Mapped[float | None] = mapped_column(Float)
    # A correction's record it corrects, reason and action codes and comment, and who made it.
    corrects_record_id: Mapped[str | None] = mapped_column(String(36))
    reason_code: Mapped[str | None] = mapped_column(String(10))
    action_code: Mapped[str | None] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[str | None] = mapped_column(String(36))
    # The chain (ledger area): position in the CBO's chain and the hashes.
    seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        # A punch sent twice (or queued offline and sent again) is recorded once.
        UniqueConstraint("worker_id", "device_punch_id", name="uq_visit_records_device_punch"),
        Index("ix_visit_records_visit", "visit_id"),
        Index("ix_visit_records_chain", "tenant_id", "seq"),
        # The sealer's queue: records not chained yet.
        Index(
            "ix_visit_records_unsealed",
            "tenant_id",
            "server_time",
            postgresql_where=text("seq IS NULL"),
        ),
    )


class VisitException(Base):
    """Something about a visit that needs staff (must_fix) or that they should see
    (acknowledge)."""

    __tablename__ = "visit_exceptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    visit_id: Mapped[str] = mapped_column(String(36))
    record_id: Mapped[str | None] = mapped_column(String(36))
    code: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(12))
    detail: Mapped[str] = mapped_column(String(500))
    # open | resolved
    status: Mapped[str] = mapped_column(String(10), default="open")
    reason_code: Mapped[str | None] = mapped_column(String(10))
    action_code: Mapped[str | None] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(36))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (
        # Each kind of exception is raised once per visit (a duplicate punch raises nothing).
        UniqueConstraint("visit_id", "code", name="uq_visit_exceptions_code"),
        Index("ix_visit_exceptions_tenant_status", "tenant_id", "status"),
    )


class EvvSettings(Base):
    """One row per CBO, made with the defaults the first time it is read (rules.DEFAULTS)."""

    __tablename__ = "evv_settings"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # A site with no radius of its own uses this one.
    geofence_default_m: Mapped[int] = mapped_column(Integer)
    # Clocking in or out more than this before or after the schedule is an exception.
    tolerance_minutes: Mapped[int] = mapped_column(Integer)
    # No clock-in this long after the start: a possible no-show.
    no_show_after_minutes: Mapped[int] = mapped_column(Integer)
    # No clock-out this long after the end: a missing clock-out.
    missing_clock_out_after_minutes: Mapped[int] = mapped_column(Integer)
    # A device clock ahead of the server's by more than this is an exception.
    max_skew_minutes: Mapped[int] = mapped_column(Integer)
    # Worked under this share of the schedule (per cent): too short; over it by more than
    # `too_long_minutes`: too long.
    too_short_percent: Mapped[int] = mapped_column(Integer)
    too_long_minutes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = updated_column()
    updated_by: Mapped[str | None] = mapped_column(String(36))


class ClientEvvChoice(Base):
    """Whether a client chose EVV in place of approving its timesheets by hand."""

    __tablename__ = "client_evv_choices"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    evv: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = updated_column()
