"""A CBO's billing settings: its payroll provider and company code, the hour of the Tuesday
run, and its changes to the California pay rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.billing.base import Base, updated_column


class BillingSettings(Base):
    """One row per CBO, made with the defaults the first time it is changed."""

    __tablename__ = "billing_settings"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # adp | paychex | gusto | plain: the export the CBO's provider takes (all four are made).
    payroll_provider: Mapped[str] = mapped_column(String(20))
    # ADP's Co Code, Paychex's Client ID.
    company_code: Mapped[str] = mapped_column(String(20))
    # The local hour on Tuesday from which the scheduled run previews last week.
    run_hour: Mapped[int] = mapped_column(Integer)
    # Whether the scheduled run also completes a preview with no blockers.
    auto_complete: Mapped[bool] = mapped_column(Boolean)
    # Changes to the California defaults (payrules.rules.PayRules field: value).
    pay_rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = updated_column()
    updated_by: Mapped[str | None] = mapped_column(String(36))
