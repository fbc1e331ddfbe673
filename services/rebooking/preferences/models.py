"""Each client's rebooking preferences (the defaults until someone sets them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.rebooking.base import Base, created_column, updated_column


class RebookingPreferences(Base):
    __tablename__ = "rebooking_preferences"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # In the order they are offered a replacement.
    preferred_worker_ids: Mapped[list[str]] = mapped_column(ARRAY(String(36)))
    use_ranking: Mapped[bool] = mapped_column(Boolean)
    max_attempts: Mapped[int] = mapped_column(Integer)
    confirmation_window_minutes: Mapped[int] = mapped_column(Integer)
    min_lead_minutes: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
