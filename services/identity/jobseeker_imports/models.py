"""The job-seeker import's tables: one row per import (the file itself, its progress and counts)
and its report, row by row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from services.identity.base import Base, new_id


class JobseekerImport(Base):
    """One CSV import: the file itself (so a crashed run can resume), its progress and counts.

    `position` counts the file's records already processed and committed; each chunk commits its
    people, its report rows and the new position together. `lease_until` marks a run in
    progress: a run whose lease has lapsed crashed and may be resumed."""

    __tablename__ = "jobseeker_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    created_by: Mapped[str | None] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    mode: Mapped[str] = mapped_column(String(20))  # dry_run | all_or_nothing | skip_bad_rows
    on_existing: Mapped[str] = mapped_column(String(10))  # update | skip
    status: Mapped[str] = mapped_column(String(20), default="queued")
    phase: Mapped[str] = mapped_column(String(20), default="queued")  # validating | writing
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    ignored_columns: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_jobseeker_imports_tenant_created", "tenant_id", "created_at"),)


class JobseekerImportRow(Base):
    """The report of an import, per row that was not simply created: a bad row with its
    reasons (outcome "failed"), or a person who already existed ("updated" or "skipped")."""

    __tablename__ = "jobseeker_import_rows"

    import_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("jobseeker_imports.id", ondelete="CASCADE"), primary_key=True
    )
    row: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(254))
    jobseeker_id: Mapped[str | None] = mapped_column(String(36))
    errors: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
