"""Market watch's table: rebooking's cascades as its events tell them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.booking.base import Base, updated_column


class CascadeRecord(Base):
    """One replacement cascade of rebooking's (cascade.started … rebooking.exhausted)."""

    __tablename__ = "cascade_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # rebooking's cascade id
    tenant_id: Mapped[str] = mapped_column(String(36))
    shift_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(20))  # running | completed | exhausted
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=0)
    trigger: Mapped[str | None] = mapped_column(String(40))
    # Why it ended without a worker (rebooking.exhausted's reason).
    reason: Mapped[str | None] = mapped_column(String(40))
    # The worker offered last, and until when.
    worker_id: Mapped[str | None] = mapped_column(String(36))
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (Index("ix_cascade_records_tenant_state", "tenant_id", "state"),)
