"""Projections of tenancy's facts, kept from its events (identity never reads tenancy's data)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from services.identity.base import Base


class Tenant(Base):
    """A CBO as identity knows it: enough to resolve a slug at sign-in and refuse a suspended
    CBO's users. Kept from tenant.approved / suspended / reinstated."""

    __tablename__ = "tenants"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # active | suspended
    # When the fact last applied happened: an older event arriving late changes nothing.
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClientRef(Base):
    """A client organisation of a CBO (from client.registered), for client user accounts."""

    __tablename__ = "client_refs"

    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SourceRef(Base):
    """A worker source of a CBO (from source.created), for job seekers' profiles."""

    __tablename__ = "source_refs"

    source_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    weekly_hour_cap: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
