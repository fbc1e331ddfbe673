"""Partnerships between CBOs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.tenancy.base import Base, created_column, new_id, updated_column


class Partnership(Base):
    """Two CBOs sharing job types and/or opportunities; proposed by one, accepted by the other."""

    __tablename__ = "partnerships"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    proposer_id: Mapped[str] = mapped_column(String(36), index=True)
    partner_id: Mapped[str] = mapped_column(String(36), index=True)
    shares: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    message: Mapped[str] = mapped_column(Text, default="")
    # proposed → formed | declined | cancelled; formed → ended.
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    ended_by: Mapped[str | None] = mapped_column(String(36))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        # At most one live (proposed or formed) partnership between the same two CBOs, in
        # either direction.
        Index(
            "uq_partnerships_live_pair",
            text("least(proposer_id, partner_id)"),
            text("greatest(proposer_id, partner_id)"),
            unique=True,
            postgresql_where=text("status IN ('proposed', 'formed')"),
        ),
    )
