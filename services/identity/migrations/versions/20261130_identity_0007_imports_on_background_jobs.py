"""imports on background jobs: each job-seeker import is run by a chassis background job
(kind jobseekers.import); its status, phase, position, lease, attempts, error and times move
to the job, and the import keeps the file, options, counts, report and its `result`.

Every existing import gets its job, so nothing in flight is lost: a queued import's job is
queued; a running one's keeps its lease (the runner's sweep resumes it once the lease lapses,
from the phase and position it had committed); an interrupted one's stays interrupted, with its
error; a completed or rejected one's has succeeded, the import's `result` saying which.

Revision ID: identity_0007
Revises: identity_0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0007"
down_revision = "identity_0006"
branch_labels = None
depends_on = None

KIND = "jobseekers.import"  # services.identity.jobseeker_imports.domain.IMPORT_JOB, then


def upgrade() -> None:
    op.add_column("jobseeker_imports", sa.Column("job_id", sa.String(36), nullable=True))
    op.add_column("jobseeker_imports", sa.Column("result", sa.String(20), nullable=True))
    op.execute(
        "UPDATE jobseeker_imports SET job_id = gen_random_uuid()::text,"
        " result = CASE WHEN status IN ('completed', 'rejected') THEN status END"
    )
    op.execute(
        sa.text(
            "INSERT INTO background_jobs (id, kind, tenant_id, created_by, status, params,"
            " checkpoint, done, total, error, attempts, lease_until, created_at, updated_at,"
            " started_at, finished_at)"
            " SELECT job_id, :kind, tenant_id, created_by,"
            "  CASE WHEN status IN ('queued', 'running') THEN status"
            "   WHEN status IN ('completed', 'rejected') THEN 'succeeded'"
            "   ELSE 'interrupted' END,"
            "  jsonb_build_object('import_id', id),"
            "  CASE WHEN phase IN ('validating', 'writing')"
            "   THEN jsonb_build_object('phase', phase, 'position', position) END,"
            "  rows_done, rows_total, error, attempts,"
            "  CASE WHEN status = 'running' THEN lease_until END,"
            "  created_at, coalesce(finished_at, started_at, created_at), started_at,"
            "  CASE WHEN status IN ('completed', 'rejected') THEN finished_at END"
            " FROM jobseeker_imports"
        ).bindparams(kind=KIND)
    )
    op.alter_column("jobseeker_imports", "job_id", nullable=False)
    op.create_foreign_key(
        "fk_jobseeker_imports_job_id", "jobseeker_imports", "background_jobs", ["job_id"], ["id"]
    )
    op.create_unique_constraint("uq_jobseeker_imports_job_id", "jobseeker_imports", ["job_id"])
    for column in (
        "status",
        "phase",
        "rows_done",
        "position",
        "error",
        "lease_until",
        "attempts",
        "started_at",
        "finished_at",
    ):
        op.drop_column("jobseeker_imports", column)


def downgrade() -> None:
    for column in (
        sa.Column("status", sa.String(20)),
        sa.Column("phase", sa.String(20)),
        sa.Column("rows_done", sa.Integer()),
        sa.Column("position", sa.Integer()),
        sa.Column("error", sa.Text()),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer()),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    ):
        op.add_column("jobseeker_imports", column)
    op.execute(
        "UPDATE jobseeker_imports AS i SET"
        " status = CASE WHEN i.result IS NOT NULL THEN i.result"
        "  WHEN j.status IN ('queued', 'running') THEN j.status ELSE 'interrupted' END,"
        " phase = coalesce(j.checkpoint->>'phase', 'queued'),"
        " position = coalesce((j.checkpoint->>'position')::int, 0),"
        " rows_done = j.done, error = j.error, attempts = j.attempts,"
        " lease_until = CASE WHEN j.status = 'running' THEN j.lease_until END,"
        " started_at = j.started_at, finished_at = j.finished_at"
        " FROM background_jobs AS j WHERE j.id = i.job_id"
    )
    for name in ("status", "phase", "rows_done", "position", "attempts"):
        op.alter_column("jobseeker_imports", name, nullable=False)
    op.drop_constraint("uq_jobseeker_imports_job_id", "jobseeker_imports", type_="unique")
    op.drop_constraint("fk_jobseeker_imports_job_id", "jobseeker_imports", type_="foreignkey")
    op.execute(sa.text("DELETE FROM background_jobs WHERE kind = :kind").bindparams(kind=KIND))
    op.drop_column("jobseeker_imports", "result")
    op.drop_column("jobseeker_imports", "job_id")
