"""Notices: durable rows, one per thing to tell (its key makes a redelivered event or a second
instance add nothing), dispatched when due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.base import Base, created_column, new_id

PENDING = "pending"
DONE = "done"
CANCELLED = "cancelled"
FAILED = "failed"

# Who is told: the people named (account_ids), or the CBO's staff who hold a permission.
PEOPLE = "people"
STAFF = "staff"


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (
        # The timer's claim: the oldest due pending notice, FOR UPDATE SKIP LOCKED.
        Index("ix_notices_due", "due_at", postgresql_where=text("status = 'pending'")),
        Index("ix_notices_assignment", "tenant_id", "assignment_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    # What it says (a template of messages/templates.py).
    kind: Mapped[str] = mapped_column(String(40))
    # Unique: "<event id>:<kind>:<worker>" or "reminder:<assignment>:<minutes>".
    source_key: Mapped[str] = mapped_column(String(200), unique=True)
    audience: Mapped[str] = mapped_column(String(10))
    account_ids: Mapped[list[str]] = mapped_column(ARRAY(String(36)), default=list)
    # For audience staff: the permission they hold (bookings.manage).
    permission: Mapped[str | None] = mapped_column(String(60))
    # Ids and times the message shows: offer_id, shift_id, starts_at, ends_at, deadline_at,
    # reason, attempts (ISO-8601 UTC times).
    data: Mapped[dict] = mapped_column(JSONB, default=dict)
    # The confirmed place a reminder or confirmation belongs to (cancelled with it).
    assignment_id: Mapped[str | None] = mapped_column(String(36))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    # Failed dispatches (identity or tenancy unreachable), the last error.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
