"""What a client thinks of a worker after a shift: favourite, OK to book again, or blocked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.booking.base import Base, new_id, updated_column

FAVOURITE = "favourite"
OK = "ok"
BLOCKED = "blocked"


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
