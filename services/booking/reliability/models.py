"""Reliability: the entries that move a worker's score, the score itself, and review items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from services.booking.base import Base, created_column, new_id, updated_column


class ReliabilityEntry(Base):
    """One event of a worker's history that counts (rules.WEIGHTS): a no-show, a missed
    confirmation, a late cancellation, lateness, or a completed shift."""

    __tablename__ = "reliability_entries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))  # the worker's CBO
    worker_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(30))
    points: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    shift_id: Mapped[str | None] = mapped_column(String(36))
    # One entry per (worker, kind, shift): a redelivered event does not count twice.
    dedupe_key: Mapped[str] = mapped_column(String(150), unique=True)
    excused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    excused_by: Mapped[str | None] = mapped_column(String(36))
    excuse_reason: Mapped[str | None] = mapped_column(String(500))
    # none | pending | upheld | overturned
    appeal_status: Mapped[str] = mapped_column(String(20), default="none")
    appeal_text: Mapped[str | None] = mapped_column(String(2000))
    appealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    appeal_decided_by: Mapped[str | None] = mapped_column(String(36))
    appeal_decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    appeal_decision_reason: Mapped[str | None] = mapped_column(String(500))
    # Set when staff corrected the attendance outcome the entry came from (a completed shift
    # marked a no-show after all, or the reverse): it no longer counts.
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    void_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (
        Index("ix_reliability_entries_worker", "worker_id", "occurred_at"),
        Index(
            "ix_reliability_entries_pending_appeals",
            "tenant_id",
            "appealed_at",
            postgresql_where=text("appeal_status = 'pending'"),
        ),
    )


class ReliabilityScore(Base):
    """A worker's score (0-100, higher is more reliable) as last computed; a search ranks by it."""

    __tablename__ = "reliability_scores"

    worker_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    score: Mapped[float] = mapped_column(Float)
    active_points: Mapped[float] = mapped_column(Float)
    completed_shifts: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = updated_column()


class ReviewItem(Base):
    """A worker past the review threshold: staff look and decide (never an automatic ban)."""

    __tablename__ = "reliability_reviews"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    active_points: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    outcome: Mapped[str | None] = mapped_column(String(500))
    closed_by: Mapped[str | None] = mapped_column(String(36))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (
        Index("ix_reliability_reviews_tenant_status", "tenant_id", "status"),
        # At most one open review per worker, however many entries arrive at once.
        Index(
            "uq_reliability_reviews_open",
            "worker_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
    )
