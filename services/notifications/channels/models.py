"""Each CBO's channel settings: one row, made with the defaults the first time it is read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.base import Base, updated_column


class ChannelSettings(Base):
    __tablename__ = "channel_settings"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The SMS provider account (a Twilio-shaped REST API); no SMS without all three.
    sms_account_sid: Mapped[str | None] = mapped_column(String(64))
    # The auth token, sealed (Fernet, key from WORKLB_NOTIFICATIONS_KEY): never stored or
    # answered in the clear.
    sms_auth_token_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    sms_from_number: Mapped[str | None] = mapped_column(String(20))
    # The provider's REST base when not the platform's (WORKLB_SMS_BASE_URL); https only.
    sms_base_url: Mapped[str | None] = mapped_column(String(300))
    email_from_name: Mapped[str | None] = mapped_column(String(100))
    email_reply_to: Mapped[str | None] = mapped_column(String(254))
    # Minutes before a confirmed shift's start when its worker is reminded (24 h and 2 h).
    reminder_minutes: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    updated_at: Mapped[datetime] = updated_column()
    updated_by: Mapped[str | None] = mapped_column(String(36))
