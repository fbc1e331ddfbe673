"""Tables the chassis keeps in every service's database: the outbox, processed events, dead
letters and background jobs. Each service's first Alembic migration created the first three;
a later revision of each service creates `background_jobs` (see chassis.migrations)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("tenant_id", String(36)),
    Column("envelope", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
)
# The relay only ever reads the unpublished rows.
Index(
    "ix_outbox_unpublished",
    outbox.c.id,
    postgresql_where=text("published_at IS NULL"),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("handler", String(200), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("queue", String(300), nullable=False),
    Column("handler", String(200), nullable=False),
    Column("event_id", String(36)),
    Column("event_type", String(100)),
    Column("body", Text, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("replayed_at", DateTime(timezone=True)),
)

# Leased, resumable background work with progress: see chassis.jobs for how a run uses it.
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "interrupted", "cancelled")

background_jobs = Table(
    "background_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    # What the job does: a JobKind's name, e.g. "jobseekers.import" (see chassis.jobs).
    Column("kind", String(100), nullable=False),
    Column("tenant_id", String(36)),  # None for a platform-wide job
    Column("created_by", String(36)),
    Column("status", String(20), nullable=False),
    # The step function's keyword arguments, given when the job was queued (JSON).
    Column("params", JSONB, nullable=False),
    # Where the last committed step left off (JSON the step chose); None before the first.
    Column("checkpoint", JSONB(none_as_null=True)),
    Column("done", Integer, nullable=False),
    Column("total", Integer),
    Column("error", Text),
    # Claims so far; the claim's number fences a run out once another run has claimed the job.
    Column("attempts", Integer, nullable=False),
    Column("lease_owner", String(200)),
    Column("lease_until", DateTime(timezone=True)),
    Column("not_before", DateTime(timezone=True)),  # a queued job waits until then
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    CheckConstraint(
        "status IN (" + ", ".join(f"'{status}'" for status in JOB_STATUSES) + ")",
        name="ck_background_jobs_status",
    ),
)
# The sweep reads only the jobs that may need a run.
Index(
    "ix_background_jobs_runnable",
    background_jobs.c.status,
    background_jobs.c.lease_until,
    postgresql_where=text("status IN ('queued', 'running')"),
)
Index(
    "ix_background_jobs_tenant_kind_created",
    background_jobs.c.tenant_id,
    background_jobs.c.kind,
    background_jobs.c.created_at,
)
