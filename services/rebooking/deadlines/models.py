"""Every offer's confirmation deadline as a durable timer (from booking's offer.sent)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from services.rebooking.base import Base, created_column, updated_column

# A deadline waits (pending), then booking was told to expire the offer (fired), or the offer
# ended first: confirmed, declined or withdrawn (settled).
PENDING = "pending"
FIRED = "fired"
SETTLED = "settled"


class OfferDeadline(Base):
    __tablename__ = "offer_deadlines"

    offer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    shift_id: Mapped[str] = mapped_column(String(36))
    worker_id: Mapped[str] = mapped_column(String(36))
    # The shift's client (offer.sent says it; None for timers kept before it was recorded):
    # the sweep takes the cascade's step only when it knows whose preferences apply.
    client_id: Mapped[str | None] = mapped_column(String(36))
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When the sweep takes it next: the deadline, later after a failed try.
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    # What booking answered (expired, already <status>), or how the offer ended first.
    outcome: Mapped[str | None] = mapped_column(String(60))
    last_error: Mapped[str | None] = mapped_column(String(500))
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the sweep took the cascade's step that the expiry causes (offer.expired's handler
    # then takes none); None when it left the step to that handler.
    stepped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        # The sweep's claim: the due pending rows, soonest first.
        Index("ix_offer_deadlines_due", "due_at", postgresql_where=text("status = 'pending'")),
    )
