"""The job-seeker import's tables: one row per import (the file itself, its options, counts and
result) and its report, row by row. How far an import has got (status, phase, position, lease,
attempts, error) is its background job's (chassis.jobs, `background_jobs`)."""

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
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from chassis.tables import background_jobs
from services.identity.base import Base, new_id


class JobseekerImport(Base):
    """One CSV import: the file itself (so a resumed run reads it again), its options, and the
    counts its job's steps add up. Each step commits its people, its report rows, these counts
    and the job's checkpoint together.

    `result` is what the import came to (completed | rejected), written by the step that ends
    its job; None until then."""

    __tablename__ = "jobseeker_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    created_by: Mapped[str | None] = mapped_column(String(36))
    # The background job that runs it (kind jobseekers.import; see domain.IMPORT_JOB).
    job_id: Mapped[str] = mapped_column(
        String(36), ForeignKey(background_jobs.c.id, name="fk_jobseeker_imports_job_id")
    )
    filename: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    mode: Mapped[str] = mapped_column(String(20))  # dry_run | all_or_nothing | skip_bad_rows
    on_existing: Mapped[str] = mapped_column(String(10))  # update | skip
    result: Mapped[str | None] = mapped_column(String(20))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    ignored_columns: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        Index("ix_jobseeker_imports_tenant_created", "tenant_id", "created_at"),
        UniqueConstraint("job_id", name="uq_jobseeker_imports_job_id"),
    )


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
