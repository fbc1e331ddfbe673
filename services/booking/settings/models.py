"""Each CBO's booking settings: deadlines, late-cancellation window, tier delays, reliability."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.booking.base import Base, updated_column


class BookingSettings(Base):
    """One row per CBO, made with the defaults the first time it is read (rules.DEFAULTS)."""

    __tablename__ = "booking_settings"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # An offer must be confirmed this long after it is sent, scaled down for short lead times
    # (rules.confirmation_deadline); never after the shift starts.
    confirm_within_minutes: Mapped[int] = mapped_column(Integer)
    # ... and at least this long before the shift starts, when there is time for it.
    confirm_before_start_minutes: Mapped[int] = mapped_column(Integer)
    # A client cancelling less than this before the start owes reporting-time pay.
    late_cancel_hours: Mapped[int] = mapped_column(Integer)
    # Open-shift tiers: each waits this share (per mille) of the lead time, within the bounds.
    tier_delay_permille: Mapped[int] = mapped_column(Integer)
    tier_delay_min_seconds: Mapped[int] = mapped_column(Integer)
    tier_delay_max_seconds: Mapped[int] = mapped_column(Integer)
    # Reliability points lose half their weight every this many days.
    reliability_half_life_days: Mapped[int] = mapped_column(Integer)
    # Active points at or above this open a review item for staff (never a suspension).
    reliability_review_points: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = updated_column()
    updated_by: Mapped[str | None] = mapped_column(String(36))
