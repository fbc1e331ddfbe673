"""Licence charges: billing's read model of tenancy's licences and CBO names (from events), and
the operator's monthly price of each feature."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.billing.base import Base, updated_column


class LicenceRecord(Base):
    """A feature licence as its newest event (licence.granted, licence.revoked) says it is."""

    __tablename__ = "licence_records"

    licence_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    feature: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (Index("ix_licence_records_tenant", "tenant_id"),)


class CboName(Base):
    """A CBO's name (tenant.approved): who a licence invoice bills and who a client invoice
    comes from."""

    __tablename__ = "cbo_names"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LicencePrice(Base):
    """The operator's monthly price of a feature licence, in cents."""

    __tablename__ = "licence_prices"

    feature: Mapped[str] = mapped_column(String(40), primary_key=True)
    monthly_cents: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str | None] = mapped_column(String(36))
    updated_at: Mapped[datetime] = updated_column()
