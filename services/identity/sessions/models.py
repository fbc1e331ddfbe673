"""The sessions area's table (identity's database)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.identity.base import Base


class SessionGeneration(Base):
    """An account's session generation: tokens issued under an older one are void. An account
    without a row is at generation 0 (nothing has ended its sessions yet)."""

    __tablename__ = "session_generations"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    # What ended the sessions last (a rules.ENDED_BECAUSE key), to tell the person why.
    ended_because: Mapped[str] = mapped_column(String(30))
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
