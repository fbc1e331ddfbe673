"""Domain tests: plain domain functions called directly on a service's real, migrated
PostgreSQL database, without nameko or RabbitMQ.

Each test runs inside one outer transaction per service database, rolled back when the test
ends. A UnitOfWork from `uow_for` joins it through a SAVEPOINT (SQLAlchemy's
join_transaction_mode="create_savepoint"), so domain code may commit or roll back as it does in
a service, and still nothing is left behind: every test starts from the empty migrated schema.

    def test_approving(uow_for):
        uow = uow_for("identity")        # a new UnitOfWork on identity's database
        ...

    SERVICE = "booking"                  # or name the module's service once and take `uow`
    def test_booking(uow): ...

The units of one test share one connection: use them one after another (a unit made while
another has work in progress nests inside it, which is fine while the inner one finishes
first). Code that needs a unit factory (`new_unit`) gets `functools.partial(uow_for, name)`.
The databases are the services' own, under a prefix of their own (`<prefix>_domain_<service>`),
migrated to their heads once per session, the first time a test asks for them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import pool
from sqlalchemy.engine import Connection, Engine, RootTransaction
from sqlalchemy.orm import Session

from chassis.config import SERVICE_NAMES, Settings
from chassis.db import UnitOfWork, make_engine
from chassis.migrations import upgrade
from services.identity.accounts import domain as accounts


@pytest.fixture(scope="session")
def domain_settings() -> Settings:
    # Databases apart from the integration tests' (which those empty with TRUNCATE).
    settings = Settings()
    return dataclasses.replace(settings, database_prefix=f"{settings.database_prefix}_domain")


@pytest.fixture(scope="session")
def domain_engine(domain_settings) -> Iterator[Callable[[str], Engine]]:
    """`domain_engine(service)`: the engine of the service's migrated domain-test database."""
    engines: dict[str, Engine] = {}

    def engine_for(service: str) -> Engine:
        if service not in SERVICE_NAMES:
            raise ValueError(f"no service {service!r}; one of {', '.join(SERVICE_NAMES)}")
        if service not in engines:
            url = domain_settings.database_url(service)
            upgrade(service, url)
            # No pool: a test's connection closes with it (the server's slots are shared).
            engines[service] = make_engine(url, poolclass=pool.NullPool)
        return engines[service]

    yield engine_for
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def uow_for(domain_engine) -> Iterator[Callable[[str], UnitOfWork]]:
    """`uow_for(service)`: a new UnitOfWork on the service's database, inside the test's outer
    transaction (rolled back after the test)."""
    outer: dict[str, tuple[Connection, RootTransaction]] = {}
    units: list[UnitOfWork] = []

    def unit_for(service: str) -> UnitOfWork:
        if service not in outer:
            connection = domain_engine(service).connect()
            outer[service] = (connection, connection.begin())
        session = Session(
            bind=outer[service][0],
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )
        unit = UnitOfWork(session, source=service)
        units.append(unit)
        return unit

    yield unit_for
    for unit in reversed(units):
        unit.close()
    for connection, transaction in outer.values():
        transaction.rollback()
        connection.close()


@pytest.fixture
def uow(request, uow_for) -> UnitOfWork:
    """A UnitOfWork on the database of the service the test module names in `SERVICE`."""
    service = getattr(request.module, "SERVICE", None)
    if service is None:
        pytest.fail(f"{request.module.__name__} must name its service (SERVICE = ...) to use uow")
    return uow_for(service)


# Argon2 at the strength of a test: the same algorithm and checks, a thousandth of the work.
_QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def quick_password_hashing(request, monkeypatch) -> None:
    """In identity's domain tests, passwords are hashed and checked with cheap argon2
    parameters (a production hash takes about 0.1 s, and the builders make many accounts).
    What is tested stays the same: every password check, the one against the dummy hash for
    an unknown email included."""
    if getattr(request.module, "SERVICE", None) != "identity":
        return
    monkeypatch.setattr(accounts, "_hasher", _QUICK_HASHER)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", _QUICK_HASHER.hash("not a real password"))
