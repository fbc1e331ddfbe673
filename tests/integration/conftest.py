"""Integration fixtures: the real RabbitMQ (a vhost per test, from nameko's pytest plugin) and
the real PostgreSQL (a database per sample service, emptied before each test)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text

from chassis import tables
from chassis.config import Settings
from chassis.db import ensure_database, make_engine
from deploy.catalogue import SERVICE_CLASSES, load_class
from deploy.migrate import migrate
from tests.integration.sample_services import (
    batch_metadata,
    consumer_metadata,
    jobs_metadata,
    publisher_metadata,
    timer_metadata,
)

SAMPLE_DATABASES = {
    "it_publisher": publisher_metadata,
    "it_consumer": consumer_metadata,
    "it_batch": batch_metadata,
    "it_jobs": jobs_metadata,
    "it_timer": timer_metadata,
}


@pytest.fixture(scope="session")
def settings() -> Settings:
    return dataclasses.replace(Settings(), ops_port_base=0)


@pytest.fixture(scope="session")
def sample_engines(settings):
    engines = {}
    for name, metadata in SAMPLE_DATABASES.items():
        url = settings.database_url(name)
        ensure_database(url)
        engine = make_engine(url)
        # Test-only schema: the sample services have no migrations of their own.
        metadata.create_all(engine)
        tables.metadata.create_all(engine)
        engines[name] = engine
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def databases(sample_engines):
    for engine in sample_engines.values():
        with engine.begin() as conn:
            names = [t for t in engine.dialect.get_table_names(conn)]
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY"))
    return sample_engines


@pytest.fixture
def service_config(rabbit_config, settings):
    def config_for(**overrides) -> dict:
        chosen = dataclasses.replace(settings, **overrides) if overrides else settings
        return {
            "AMQP_URI": rabbit_config["AMQP_URI"],
            "WEB_SERVER_ADDRESS": "127.0.0.1:0",
            "serializer": "json",
            "WORKLB": chosen,
        }

    return config_for


@pytest.fixture
def tenancy_service(container_factory, service_config, settings):
    """The real tenancy service on the test's vhost and its migrated database: identity asks it
    for a client or worker source its projection does not have yet (and gets 404 for
    anything tenancy does not know as the caller's)."""
    migrate(settings, ["tenancy"], quiet=True)
    container_factory(load_class(SERVICE_CLASSES["tenancy"]), service_config()).start()
