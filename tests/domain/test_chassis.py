"""The chassis' own domain pieces on a real, migrated service database, through the `uow`
fixture: what they write, what rolls back, and that each test starts from an empty schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from chassis import tables
from chassis.audit import audit
from chassis.config import SERVICE_NAMES
from chassis.context import Caller
from chassis.db import Database, insert_rows, make_engine, update_rows
from chassis.tables import outbox, processed_events

# audit.recorded is identity's event; any service's database would do for the rest.
SERVICE = "identity"

STAFF = Caller(kind="staff", user_id="u" * 36, tenant_id="t" * 36)


def outbox_rows(uow) -> list:
    return uow.session.execute(select(outbox.c.event_type, outbox.c.envelope)).all()


def test_audit_records_its_event_in_the_unit_of_work_of_the_change(uow):
    audit(
        uow,
        STAFF,
        action="jobseekers.approved",
        entity_type="jobseeker",
        entity_id="j" * 36,
        before={"status": "pending"},
        after={"status": "approved"},
    )
    ((event_type, envelope),) = outbox_rows(uow)
    assert event_type == "audit.recorded"
    assert envelope["source"] == SERVICE and envelope["tenant_id"] == STAFF.tenant_id
    assert envelope["data"] == {
        "actor_id": STAFF.user_id,
        "actor_kind": "staff",
        "action": "jobseekers.approved",
        "entity_type": "jobseeker",
        "entity_id": "j" * 36,
        "before": {"status": "pending"},
        "after": {"status": "approved"},
    }


def test_events_emitted_in_a_unit_of_work_that_rolls_back_leave_nothing(uow_for):
    uow = uow_for(SERVICE)
    audit(uow, STAFF, action="staff.invited", entity_type="account", entity_id="a" * 36)
    assert len(uow.emitted) == 1 and len(outbox_rows(uow)) == 1
    uow.rollback()
    assert uow.emitted == []
    assert outbox_rows(uow_for(SERVICE)) == []


def test_a_committed_unit_is_seen_by_the_next_unit_and_by_no_other_connection(
    uow_for, domain_engine
):
    first = uow_for(SERVICE)
    audit(first, STAFF, action="staff.invited", entity_type="account", entity_id="a" * 36)
    first.commit()
    assert len(outbox_rows(uow_for(SERVICE))) == 1
    # The commit released a savepoint: the test's outer transaction still holds it.
    with domain_engine(SERVICE).connect() as elsewhere:
        assert elsewhere.execute(select(func.count()).select_from(outbox)).scalar() == 0


@pytest.mark.parametrize("run", [1, 2])
def test_every_test_starts_from_an_empty_database_even_after_a_commit(uow_for, run):
    uow = uow_for(SERVICE)
    assert outbox_rows(uow) == []  # the other run's committed event was rolled back
    audit(uow, STAFF, action=f"run.{run}", entity_type="test", entity_id=str(run))
    uow.commit()


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_services_migrations_create_the_chassis_tables_as_defined(service, uow_for):
    """The revisions that create the chassis' tables are frozen copies of chassis.tables: a
    change to one without a new revision of every service fails here."""
    chassis_tables = set(tables.metadata.tables)

    def chassis_only(name, kind, parent) -> bool:
        return kind != "table" or name in chassis_tables

    connection = uow_for(service).session.connection()
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": chassis_only}
    )
    assert compare_metadata(context, tables.metadata) == []


class StandInContainer:
    """What the Database dependency reads of its container."""

    def __init__(self, settings, service_name: str) -> None:
        self.config = {"WORKLB": settings}
        self.service_name = service_name


def test_the_probe_answers_in_one_round_trip_and_survives_a_dropped_connection(
    domain_settings, domain_engine
):
    domain_engine("identity")  # the database, migrated
    database = Database()
    database.container = StandInContainer(domain_settings, "identity")
    database.setup()
    try:
        backend = database.probe(text("SELECT pg_backend_pid()"))
        # Autocommit: the connection is idle between probes, not idle in a transaction.
        with domain_engine("identity").connect() as admin:
            state = admin.execute(
                text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend}
            ).scalar_one()
            assert state == "idle"
            # The database drops the connection (a restart, an operator): the next probe
            # opens a new one and answers.
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        assert database.probe(text("SELECT 41 + 1")) == 42
        assert database.probe(text("SELECT pg_backend_pid()")) != backend
        with pytest.raises(DBAPIError):
            database.probe(text("SELECT 1 / 0"))
        assert database.probe(text("SELECT 1")) == 1
    finally:
        database.stop()


def _backend(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _end_backend(admin_engine, backend: int) -> None:
    with admin_engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})


def test_a_pooled_connection_idle_long_enough_is_pinged_and_replaced_when_dropped(
    domain_settings, domain_engine
):
    admin = domain_engine(SERVICE)
    engine = make_engine(domain_settings.database_url(SERVICE), pool_size=1, ping_idle_seconds=0)
    try:
        backend = _backend(engine)
        _end_backend(admin, backend)  # a restart, an operator: the pooled connection is dead
        # Its ping fails at the checkout, so the pool connects again: the caller sees nothing.
        assert _backend(engine) != backend
    finally:
        engine.dispose()


def test_a_pooled_connection_used_again_at_once_is_not_pinged(domain_settings, domain_engine):
    admin = domain_engine(SERVICE)
    engine = make_engine(domain_settings.database_url(SERVICE), pool_size=1, ping_idle_seconds=3600)
    try:
        backend = _backend(engine)
        _end_backend(admin, backend)
        # Not pinged: the transaction that meets the dead connection fails (a 503, an event
        # deferred), and the pool drops it; the next one connects again.
        with pytest.raises(DBAPIError) as failed:
            _backend(engine)
        assert failed.value.connection_invalidated
        assert _backend(engine) != backend
    finally:
        engine.dispose()


def test_rows_inserted_at_once_leave_out_those_already_there_and_say_which_went_in(uow):
    def rows(*ids: str) -> list[dict]:
        return [{"handler": "it.rows", "event_id": event_id} for event_id in ids]

    assert insert_rows(uow, processed_events, rows("b", "a"), returning="event_id") == ["b", "a"]
    # "a" is there already: only the others go in, in their order.
    assert insert_rows(uow, processed_events, rows("c", "a", "d"), returning="event_id") == [
        "c",
        "d",
    ]
    assert insert_rows(uow, processed_events, rows("e")) == []
    kept = uow.session.execute(
        select(processed_events.c.event_id).where(processed_events.c.handler == "it.rows")
    ).scalars()
    assert sorted(kept) == ["a", "b", "c", "d", "e"]


def test_rows_updated_at_once_change_each_row_by_its_key_and_nothing_else(uow):
    insert_rows(
        uow,
        outbox,
        [
            {"event_id": e, "event_type": "it.updated", "tenant_id": None, "envelope": {"n": n}}
            for n, e in enumerate(["u1", "u2", "u3"])
        ],
    )
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    update_rows(
        uow,
        outbox,
        [
            {"event_id": "u3", "tenant_id": "t3", "published_at": at, "envelope": {"x": [1, None]}},
            {"event_id": "u1", "tenant_id": None, "published_at": None, "envelope": {"x": True}},
        ],
        key="event_id",
    )
    rows = uow.session.execute(
        select(outbox.c.event_id, outbox.c.tenant_id, outbox.c.published_at, outbox.c.envelope)
        .where(outbox.c.event_type == "it.updated")
        .order_by(outbox.c.event_id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("u1", None, None, {"x": True}),
        ("u2", None, None, {"n": 1}),
        ("u3", "t3", at, {"x": [1, None]}),
    ]
    with pytest.raises(ValueError):
        update_rows(uow, outbox, [{"tenant_id": "t"}], key="event_id")
