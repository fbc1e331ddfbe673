"""The identity service's tables (its own database, worklb_identity)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


metadata = Base.metadata


def new_id() -> str:
    return str(uuid.uuid4())


class Account(Base):
    """Somebody who signs in: the platform operator, CBO staff, a job seeker or a client user."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # None for the platform operator, who belongs to no CBO.
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    status: Mapped[str] = mapped_column(String(20), default="active")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # The client organisation a client user books for (kind client only).
    client_id: Mapped[str | None] = mapped_column(String(36))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (
        # One email per CBO (and one among operators); compared without case.
        Index(
            "uq_accounts_tenant_email",
            text("coalesce(tenant_id, '')"),
            text("lower(email)"),
            unique=True,
        ),
        # Staff and client user lists are read per CBO and kind.
        Index("ix_accounts_tenant_kind", "tenant_id", "kind"),
    )


class RefreshToken(Base):
    """A refresh token issued at sign-in; revoked at sign-out or when used (rotation)."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# -- Projections of tenancy's facts, kept from its events (identity never reads tenancy's data).


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


# -- Accounts' links, roles and the audit trail.


class Invitation(Base):
    """A single-use link emailed to somebody: to set a first password (purpose "invitation")
    or a new one ("password_reset"). Only the SHA-256 of its token is kept."""

    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    purpose: Mapped[str] = mapped_column(String(20))
    # Set when the email goes out: the token exists in clear only inside that email.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CustomRole(Base):
    """A role a CBO defines for its staff: a name and a set of permissions."""

    __tablename__ = "custom_roles"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(String(500), default="")
    permissions: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_custom_roles_tenant_name"),)


class AuditEntry(Base):
    """One staff action from any service (an audit.recorded event): who, what, before, after."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(50))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    actor_kind: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (
        # The trail is always read for one tenant, newest first, often by entity or actor.
        Index("ix_audit_tenant_time", "tenant_id", "occurred_at"),
        Index("ix_audit_tenant_entity", "tenant_id", "entity_type", "entity_id"),
        Index("ix_audit_tenant_actor", "tenant_id", "actor_id"),
    )
