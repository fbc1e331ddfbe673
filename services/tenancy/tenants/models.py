"""A CBO's row (its application, its status, and the branding and login-box settings that the
branding area keeps on it) and its MOUs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from services.tenancy.base import Base, created_column, new_id, updated_column


class Tenant(Base):
    """A CBO: its application, its approval state, and its branding and login-box settings."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # applied → approved | rejected; approved ⇄ suspended (tenants/rules.py).
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
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()


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
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    @property
    def document_info(self) -> dict[str, Any] | None:
        """The signed document's name, type and size (never its bytes); None before upload."""
        if not self.document_filename:
            return None
        return {
            "filename": self.document_filename,
            "content_type": self.document_content_type,
            "size": self.document_size,
        }
