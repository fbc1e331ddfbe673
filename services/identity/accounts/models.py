"""The accounts area's tables: accounts, their refresh tokens, their emailed links, and the
attempts that count toward limits (failed sign-ins, reset requests)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.identity.base import Base, new_id


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


class Attempt(Base):
    """One attempt that counts toward a limit: a failed sign-in (action "sign_in_failure", key
    the email within its CBO, see rules.sign_in_key) or a password-reset request from a client
    address ("password_reset", key the address). Kept by key, whether or not an account
    exists, so that limits answer the same for everybody; old rows are deleted as new ones
    come."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(400))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # Counted per action and key over a recent window; pruned by age.
        Index("ix_attempts_action_key_at", "action", "key", "at"),
        Index("ix_attempts_at", "at"),
    )
