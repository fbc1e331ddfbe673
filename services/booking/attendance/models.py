"""Attendance: what a client thinks of a worker after a shift (favourite, OK to book again, or
blocked), and each marking of a shift's outcome for one worker (completed or no-show)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.booking.base import Base, new_id, updated_column

FAVOURITE = "favourite"
OK = "ok"
BLOCKED = "blocked"
RATINGS = (FAVOURITE, OK, BLOCKED)


class ClientPreference(Base):
    """The latest rating of one worker by one client (a search reads favourites and blocks)."""

    __tablename__ = "client_preferences"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    rating: Mapped[str] = mapped_column(String(20))
    shift_id: Mapped[str | None] = mapped_column(String(36))
    rated_by: Mapped[str | None] = mapped_column(String(36))
    note: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        Index("uq_client_preferences", "client_id", "worker_id", unique=True),
        Index("ix_client_preferences_tenant_client", "tenant_id", "client_id", "rating"),
    )


COMPLETED = "completed"
NO_SHOW = "no_show"
OUTCOMES = (COMPLETED, NO_SHOW)


class AttendanceMark(Base):
    """One marking of an assignment's outcome by staff (later EVV), kept whole: a correction is
    a new mark with its reason, never an edit. The assignment holds the outcome as it is now;
    the latest mark holds its details (minutes late)."""

    __tablename__ = "attendance_marks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))  # the booking CBO's
    assignment_id: Mapped[str] = mapped_column(String(36))
    shift_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    outcome: Mapped[str] = mapped_column(String(20))  # completed | no_show
    minutes_late: Mapped[int | None] = mapped_column(Integer)
    # The outcome this mark replaced (a correction), with the reason staff gave.
    corrects: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    marked_by: Mapped[str | None] = mapped_column(String(36))
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_attendance_marks_assignment", "assignment_id", "marked_at"),)
