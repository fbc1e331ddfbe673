"""SMS opt-outs: one row per CBO and number that ever sent a keyword."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.base import Base, updated_column


class SmsOptout(Base):
    __tablename__ = "sms_optouts"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # E.164, as the provider sends it in From.
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean)
    # The last keyword received (STOP, START ...) and when.
    keyword: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_column()
