"""Replacement cascades: one per shift at a time, and the offers it had booking make."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from services.rebooking.base import Base, created_column, new_id, updated_column

# A cascade is active until a worker it offered confirms (completed), it gives up
# (exhausted: rebooking.exhausted), the shift filled otherwise or was cancelled (closed), or
# the CBO's licence lapsed (stopped).
ACTIVE = "active"
COMPLETED = "completed"
EXHAUSTED = "exhausted"
CLOSED = "closed"
STOPPED = "stopped"
STATUSES = (ACTIVE, COMPLETED, EXHAUSTED, CLOSED, STOPPED)


class Cascade(Base):
    __tablename__ = "cascades"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    shift_id: Mapped[str] = mapped_column(String(36))
    booking_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # offer.expired | offer.declined | assignment.cancelled, and whose offer or place it was.
    trigger: Mapped[str] = mapped_column(String(30))
    trigger_worker_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    # exhausted: attempts_used | no_candidates | too_close; closed: filled | cancelled |
    # started; stopped: licence.
    end_reason: Mapped[str | None] = mapped_column(String(30))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        # One active cascade per shift.
        Index(
            "uq_cascades_active_shift",
            "shift_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_cascades_tenant_created", "tenant_id", "created_at"),
    )


class CascadeStep(Base):
    """One offer the cascade had booking make."""

    __tablename__ = "cascade_steps"

    cascade_id: Mapped[str] = mapped_column(String(36), ForeignKey("cascades.id"), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    offer_id: Mapped[str] = mapped_column(String(36), unique=True)
    worker_id: Mapped[str] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(20))  # preferred | ranking
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # sent, then confirmed | declined | expired | withdrawn
    outcome: Mapped[str] = mapped_column(String(20), default="sent")
    created_at: Mapped[datetime] = created_column()


class PendingStep(Base):
    """A cascade step booking could not take when its event came (booking unavailable, or it
    timed out): kept, so the cascades' timer tries it again with the same idempotency key,
    however long the outage lasts (an event's own retries are few and then dead-letter)."""

    __tablename__ = "pending_cascade_steps"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    trigger: Mapped[str] = mapped_column(String(30))
    shift_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    offer_id: Mapped[str | None] = mapped_column(String(36))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tries: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # The key it was sent with (None: kept before keys were stored, rules.step_key of the event).
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (Index("ix_pending_cascade_steps_due", "due_at"),)
