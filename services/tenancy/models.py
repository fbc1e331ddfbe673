"""The tenancy service's tables (its own database, worklb_tenancy).

Every row that belongs to a CBO carries `tenant_id`, and every query over it filters by it.
Files (logos, MOU documents) live in their own tables or deferred columns, so that ordinary
reads never drag their bytes along.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column


class Base(DeclarativeBase):
    pass


metadata = Base.metadata


def new_id() -> str:
    return str(uuid.uuid4())


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _updated() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class Tenant(Base):
    """A CBO: its application, its approval state, and its branding and login-box settings."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # applied → approved | rejected; approved ⇄ suspended.
    status: Mapped[str] = mapped_column(String(20), default="applied", index=True)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    owner_name: Mapped[str] = mapped_column(String(200))
    owner_email: Mapped[str] = mapped_column(String(254))
    # The reason given for the last rejection, suspension or reinstatement.
    status_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Branding and words.
    display_name: Mapped[str] = mapped_column(String(200))
    colors: Mapped[dict] = mapped_column(JSONB, default=dict)
    terminology: Mapped[dict] = mapped_column(JSONB, default=dict)
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(10)), default=list)
    default_language: Mapped[str] = mapped_column(String(10), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="America/Los_Angeles")
    # The embeddable login box: sites allowed to call sign-in and registration.
    allowed_origins: Mapped[list[str]] = mapped_column(ARRAY(String(300)), default=list)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class Logo(Base):
    """A CBO's logo image (PNG, JPEG or WebP), served publicly with its branding."""

    __tablename__ = "logos"

    tenant_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    updated_at: Mapped[datetime] = _updated()


class Mou(Base):
    """A memorandum of understanding between a CBO and the workforce nonprofit."""

    __tablename__ = "mous"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    signed_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # [{name, title, organisation}, ...]: at least two people.
    signatories: Mapped[list[dict]] = mapped_column(JSONB)
    notes: Mapped[str] = mapped_column(Text, default="")
    document_filename: Mapped[str | None] = mapped_column(String(200))
    document_content_type: Mapped[str | None] = mapped_column(String(100))
    document_size: Mapped[int | None] = mapped_column(Integer)
    document: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    recorded_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class Client(Base):
    """A client organisation that buys the CBO's workers' hours: the city, a business, a
    family."""

    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # Indexed through the unique index below, which starts with it.
    tenant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    billing_contact: Mapped[str] = mapped_column(String(200))
    billing_email: Mapped[str] = mapped_column(String(254))
    billing_phone: Mapped[str] = mapped_column(String(40), default="")
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(10))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    po_number: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        # The same organisation is not registered twice in one CBO (CSV re-runs match on it).
        Index(
            "uq_clients_tenant_name_email",
            "tenant_id",
            text("lower(name)"),
            text("lower(billing_email)"),
            unique=True,
        ),
    )


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
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        Index("uq_worker_sources_tenant_name", "tenant_id", text("lower(name)"), unique=True),
    )


class Partnership(Base):
    """Two CBOs sharing job types and/or opportunities; proposed by one, accepted by the other."""

    __tablename__ = "partnerships"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    proposer_id: Mapped[str] = mapped_column(String(36), index=True)
    partner_id: Mapped[str] = mapped_column(String(36), index=True)
    shares: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    message: Mapped[str] = mapped_column(Text, default="")
    # proposed → formed | declined | cancelled; formed → ended.
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    ended_by: Mapped[str | None] = mapped_column(String(36))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        # At most one live (proposed or formed) partnership between the same two CBOs, in
        # either direction.
        Index(
            "uq_partnerships_live_pair",
            text("least(proposer_id, partner_id)"),
            text("greatest(proposer_id, partner_id)"),
            unique=True,
            postgresql_where=text("status IN ('proposed', 'formed')"),
        ),
    )


class Licence(Base):
    """A feature licence (evv, rebooking) the operator granted a CBO for a period."""

    __tablename__ = "licences"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    feature: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    # The last day it covers; None: open-ended.
    ends_on: Mapped[date | None] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    granted_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class ClientImport(Base):
    """One CSV import of client organisations: its options, progress and report.

    Progress is written in its own short transactions while the import runs, so another
    request sees it; the clients themselves commit with the import's final state."""

    __tablename__ = "client_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    created_by: Mapped[str | None] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    # all_or_nothing | skip_bad_rows
    mode: Mapped[str] = mapped_column(String(20))
    # running → checked (dry run) | completed | rejected (all_or_nothing with bad rows) | failed
    status: Mapped[str] = mapped_column(String(20))
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    existing: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # [{row, errors: {column: [reason, ...]}}, ...] in file order.
    bad_rows: Mapped[list[dict]] = mapped_column(JSONB, default=list)
    ignored_columns: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
