"""Alembic per service: each service keeps its migrations in services/<name>/migrations/.

`deploy.migrate` runs them (never the services at start). A service's env.py is two lines:
`from chassis.migrations import run_env; run_env(metadata)`.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.dialects import postgresql

from chassis import tables
from chassis.db import ensure_database, make_engine

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "services" / service / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def upgrade(service: str, database_url: str, revision: str = "heads") -> bool:
    """Create the service's database if missing and migrate it; True if it was created."""
    created = ensure_database(database_url)
    command.upgrade(alembic_config(service, database_url), revision)
    return created


def run_env(service_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("Alembic was given no sqlalchemy.url (run it through deploy.migrate)")
    target = [service_metadata, tables.metadata]
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


# The tables each service's first revision creates; later chassis tables have revisions of
# their own (below), so the first revision must not create them too.
FIRST_CHASSIS_TABLES = (tables.outbox, tables.processed_events, tables.dead_letters)


def create_chassis_tables(op) -> None:
    """For each service's first migration: the outbox, processed events and dead letters."""
    tables.metadata.create_all(op.get_bind(), tables=list(FIRST_CHASSIS_TABLES))


def drop_chassis_tables(op) -> None:
    tables.metadata.drop_all(op.get_bind(), tables=list(FIRST_CHASSIS_TABLES))


def create_background_jobs(op) -> None:
    """For each service's revision of 2026-11-30: the table of chassis.jobs, as it was then
    (a later change to chassis.tables.background_jobs needs a revision of its own)."""

    def timestamp(name: str, **options) -> sa.Column:
        return sa.Column(name, sa.DateTime(timezone=True), **options)

    op.create_table(
        "background_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("tenant_id", sa.String(36)),
        sa.Column("created_by", sa.String(36)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("params", postgresql.JSONB(), nullable=False),
        sa.Column("checkpoint", postgresql.JSONB()),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer()),
        sa.Column("error", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(200)),
        timestamp("lease_until"),
        timestamp("not_before"),
        timestamp("created_at", nullable=False, server_default=sa.func.now()),
        timestamp("updated_at", nullable=False, server_default=sa.func.now()),
        timestamp("started_at"),
        timestamp("finished_at"),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'interrupted', 'cancelled')",
            name="ck_background_jobs_status",
        ),
    )
    op.create_index(
        "ix_background_jobs_runnable",
        "background_jobs",
        ["status", "lease_until"],
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_index(
        "ix_background_jobs_tenant_kind_created",
        "background_jobs",
        ["tenant_id", "kind", "created_at"],
    )


def drop_background_jobs(op) -> None:
    op.drop_table("background_jobs")
