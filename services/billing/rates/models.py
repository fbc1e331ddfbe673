"""The CBO's rates per client: overrides of a job type's pay and bill rates, and the markup that
makes a bill rate from the pay rate where the client has no bill rate of its own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.billing.base import Base, new_id, updated_column


class ClientRate(Base):
    """A client's own hourly rates for one job type (either may be left to the defaults)."""

    __tablename__ = "client_rates"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(36))
    job_type_id: Mapped[str] = mapped_column(String(36))
    pay_rate_cents: Mapped[int | None] = mapped_column(Integer)
    bill_rate_cents: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (UniqueConstraint("tenant_id", "client_id", "job_type_id"),)


class ClientMarkup(Base):
    """A client's markup in basis points (2500 = 25 %) over the pay rate, for job types it has no
    bill rate of its own for."""

    __tablename__ = "client_markups"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    markup_basis_points: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = updated_column()
