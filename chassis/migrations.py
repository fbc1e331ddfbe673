"""Alembic per service: each service keeps its migrations in services/<name>/migrations/.

`deploy.migrate` runs them (never the services at start). A service's env.py is two lines:
`from chassis.migrations import run_env; run_env(metadata)`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool

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


def create_chassis_tables(op) -> None:
    """For each service's first migration: the outbox, processed events and dead letters."""
    tables.metadata.create_all(op.get_bind())


def drop_chassis_tables(op) -> None:
    tables.metadata.drop_all(op.get_bind())
