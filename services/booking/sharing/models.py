"""Shares of open shifts with partner CBOs: the explicit grant under which a partner CBO's
staff offer the shift to their own workers, and those workers confirm it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from services.booking.base import Base, created_column, new_id, updated_column

# Share states: shared, then withdrawn or filled.
SHARED = "shared"
WITHDRAWN = "withdrawn"
FILLED = "filled"
STATUSES = (SHARED, WITHDRAWN, FILLED)


class OpportunityShare(Base):
    __tablename__ = "opportunity_shares"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))  # the owning CBO's
    shift_id: Mapped[str] = mapped_column(String(36), ForeignKey("shifts.id"))
    partner_tenant_id: Mapped[str] = mapped_column(String(36))
    # The formed partnership (sharing "opportunities") the grant stands on.
    partnership_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default=SHARED)
    shared_by: Mapped[str | None] = mapped_column(String(36))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(500))
    # The partner's worker who filled it (their CBO is partner_tenant_id).
    filled_worker_id: Mapped[str | None] = mapped_column(String(36))
    assignment_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        Index("ix_opportunity_shares_tenant", "tenant_id", "created_at"),
        Index("ix_opportunity_shares_partner", "partner_tenant_id", "status"),
        Index("ix_opportunity_shares_partnership", "partnership_id", "status"),
        # A shift is shared with a partner at most once at a time.
        Index(
            "uq_opportunity_shares_live",
            "shift_id",
            "partner_tenant_id",
            unique=True,
            postgresql_where=text("status = 'shared'"),
        ),
    )
