"""Worker sources and their rules."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Index, Numeric, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.tenancy.base import Base, created_column, new_id, updated_column


class WorkerSource(Base):
    """A network job seekers come through (e.g. a college) and the rules it sets for them."""

    __tablename__ = "worker_sources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    # Hours a week a worker from this source may work while the cap applies; None: no cap.
    weekly_hour_cap: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    # [{starts_on, ends_on}, ...] ISO dates, sorted, not overlapping. The cap applies only
    # within a term; with no terms it applies all year.
    terms: Mapped[list[dict]] = mapped_column(JSONB, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        Index("uq_worker_sources_tenant_name", "tenant_id", text("lower(name)"), unique=True),
    )

    @property
    def cap(self) -> float | None:
        """The weekly hour cap as a number (what the API and events carry)."""
        return float(self.weekly_hour_cap) if self.weekly_hour_cap is not None else None

    @property
    def term_dates(self) -> list[dict[str, date]]:
        """The stored terms with their ISO dates read back as dates."""
        return [
            {
                "starts_on": date.fromisoformat(t["starts_on"]),
                "ends_on": date.fromisoformat(t["ends_on"]),
            }
            for t in self.terms
        ]
