"""The job seekers area's tables: profiles, ID documents and approvals per job type.

A job seeker is an Account (kind "jobseeker") plus a JobseekerProfile keyed by the account id;
every row carries its tenant id and every query filters by it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from services.identity.base import Base, new_id
from services.identity.jobseekers.rules import PENDING


def empty_availability() -> dict[str, Any]:
    return {"weekly": {}, "exceptions": []}


class JobseekerProfile(Base):
    __tablename__ = "jobseeker_profiles"

    account_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[str] = mapped_column(String(36))
    phone: Mapped[str | None] = mapped_column(String(32))
    preferred_language: Mapped[str] = mapped_column(String(5), default="en")
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(10)), default=list)
    home_area: Mapped[str | None] = mapped_column(String(10))
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    source_id: Mapped[str | None] = mapped_column(String(36))
    # {"weekly": {"monday": [{"start": "09:00", "end": "13:00"}], ...},
    #  "exceptions": [{"date": "2026-12-24", "kind": "unavailable"|"extra", "slots": [...]}]}
    availability: Mapped[dict[str, Any]] = mapped_column(JSONB, default=empty_availability)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    channel: Mapped[str] = mapped_column(String(10))  # self | staff | import
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(36))
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspension_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (
        # Staff lists filter by status within a tenant, and by skill (array containment).
        Index("ix_jobseeker_profiles_tenant_status", "tenant_id", "status"),
        Index("ix_jobseeker_profiles_skills", "skills", postgresql_using="gin"),
    )


class JobseekerDocument(Base):
    """An uploaded ID document, kept privately in this database (never a public URL)."""

    __tablename__ = "jobseeker_documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    jobseeker_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("jobseeker_profiles.account_id", ondelete="CASCADE")
    )
    document_type: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Deferred: listing documents never loads their bytes.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # verified | rejected
    reason: Mapped[str | None] = mapped_column(String(500))
    uploaded_by: Mapped[str | None] = mapped_column(String(36))
    reviewed_by: Mapped[str | None] = mapped_column(String(36))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        Index("ix_jobseeker_documents_tenant_jobseeker", "tenant_id", "jobseeker_id"),
    )


class JobseekerJobType(Base):
    """A job seeker's approval for one job type (booking owns the job types themselves)."""

    __tablename__ = "jobseeker_job_types"

    jobseeker_id: Mapped[str] = mapped_column(
        String(36),
        ForeignKey("jobseeker_profiles.account_id", ondelete="CASCADE"),
        primary_key=True,
    )
    job_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    approved_by: Mapped[str | None] = mapped_column(String(36))
    approved_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (Index("ix_jobseeker_job_types_tenant_type", "tenant_id", "job_type"),)
