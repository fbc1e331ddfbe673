"""What the chassis promises about events: none is lost when its consumer is down or when the
publisher dies right after committing; a failing handler is retried, then dead-lettered and
replayable; a duplicate is handled once; a rolled-back change emits nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from nameko.amqp.publish import get_producer
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter
from prometheus_client import REGISTRY
from sqlalchemy import func, insert, select

from chassis.context import Caller, context_data_for
from chassis.contracts.events import build_envelope
from chassis.entrypoints import declare_topology
from chassis.errors import Conflict, Forbidden, Unauthenticated
from chassis.tables import dead_letters, outbox
from tests.integration.sample_services import (
    ConsumerService,
    PublisherService,
    failures,
    notes,
    received,
)
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def operator_context(secret: str) -> dict:
    operator = Caller(kind="operator", user_id="op", permissions=frozenset({"platform.operate"}))
    return context_data_for(operator, secret)


def test_event_waits_for_a_consumer_that_is_down(container_factory, service_config, databases):
    config = service_config()
    declare_topology(ConsumerService, config)  # the deploy step
    publisher = container_factory(PublisherService, config)
    publisher.start()

    with ServiceRpcProxy("it_publisher", config) as rpc:
        assert rpc.record("while the consumer is down") == "while the consumer is down"
    # Committed before the reply: visible at once.
    assert count(databases["it_publisher"], notes) == 1
    wait_for(
        lambda: count(databases["it_publisher"], outbox, outbox.c.published_at.is_(None)) == 0,
        what="the relay to publish",
    )
    assert count(databases["it_consumer"], received) == 0

    consumer = container_factory(ConsumerService, config)
    with entrypoint_waiter(consumer, "on_note_recorded"):
        consumer.start()
    with databases["it_consumer"].connect() as conn:
        assert conn.execute(select(received.c.note)).scalars().all() == [
            "while the consumer is down"
        ]


def test_event_survives_a_publisher_killed_right_after_commit(
    container_factory, service_config, databases
):
    config = service_config()
    declare_topology(ConsumerService, config)
    # A publisher process commits a note and its event, then dies before any relay runs.
    script = textwrap.dedent("""
        import os, signal
        import chassis
        from sqlalchemy.orm import Session
        from chassis.config import Settings
        from chassis.db import UnitOfWork, make_engine
        from tests.integration.sample_services import record_note
        engine = make_engine(Settings().database_url("it_publisher"))
        with Session(engine) as session:
            unit = UnitOfWork(session, source="it_publisher")
            record_note(unit, "written just before the crash", tenant_id=None)
            unit.commit()
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    crashed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert count(databases["it_publisher"], outbox, outbox.c.published_at.is_(None)) == 1

    consumer = container_factory(ConsumerService, config)
    consumer.start()
    publisher = container_factory(PublisherService, config)  # the publisher, restarted
    with entrypoint_waiter(consumer, "on_note_recorded"):
        publisher.start()
    with databases["it_consumer"].connect() as conn:
        assert conn.execute(select(received.c.note)).scalars().all() == [
            "written just before the crash"
        ]
    assert count(databases["it_publisher"], outbox, outbox.c.published_at.is_(None)) == 0


def test_failing_handler_is_retried_then_dead_lettered_then_replayed(
    container_factory, service_config, settings, databases
):
    config = service_config()
    with databases["it_consumer"].begin() as conn:
        conn.execute(insert(failures).values(remaining=100))
    consumer = container_factory(ConsumerService, config)
    publisher = container_factory(PublisherService, config)
    consumer.start()
    publisher.start()

    with ServiceRpcProxy("it_publisher", config) as rpc:
        rpc.record("keeps failing")
    wait_for(lambda: count(databases["it_consumer"], dead_letters) == 1, what="a dead letter")
    with databases["it_consumer"].connect() as conn:
        letter = conn.execute(select(dead_letters)).one()
        remaining = conn.execute(select(failures.c.remaining)).scalar_one()
    attempts = 1 + len(settings.event_retry_delays)
    assert letter.attempts == attempts
    assert 100 - remaining == attempts  # tried once, then once per delay
    assert letter.event_type == "note.recorded"
    assert "told to fail" in letter.error
    assert json.loads(letter.body)["data"] == {"note": "keeps failing"}
    assert count(databases["it_consumer"], received) == 0

    # The operator fixes the cause, lists the dead letter and replays it.
    with databases["it_consumer"].begin() as conn:
        conn.execute(failures.update().values(remaining=0))
    with ServiceRpcProxy(
        "it_consumer", config, context_data=operator_context(settings.context_secret)
    ) as rpc:
        listed = rpc.list_dead_letters()
        assert [item["id"] for item in listed] == [letter.id]
        with entrypoint_waiter(consumer, "on_note_recorded"):
            assert rpc.replay_dead_letter(letter.id) == {"id": letter.id, "replayed": True}
        assert rpc.list_dead_letters() == []
        with pytest.raises(Conflict):
            rpc.replay_dead_letter(letter.id)
    assert count(databases["it_consumer"], received) == 1


def test_dead_letters_are_for_the_operator_only(
    container_factory, service_config, settings, databases
):
    config = service_config()
    container_factory(ConsumerService, config).start()
    staff = Caller(
        kind="staff", user_id="s", tenant_id="t", permissions=frozenset({"jobseekers.read"})
    )

    with (
        ServiceRpcProxy(
            "it_consumer", config, context_data=context_data_for(staff, settings.context_secret)
        ) as rpc,
        pytest.raises(Forbidden),
    ):
        rpc.list_dead_letters()
    with ServiceRpcProxy("it_consumer", config) as rpc, pytest.raises(Unauthenticated):
        rpc.list_dead_letters()


def test_handler_that_fails_twice_succeeds_on_retry(container_factory, service_config, databases):
    config = service_config()
    with databases["it_consumer"].begin() as conn:
        conn.execute(insert(failures).values(remaining=2))
    consumer = container_factory(ConsumerService, config)
    publisher = container_factory(PublisherService, config)
    consumer.start()
    publisher.start()
    with (
        entrypoint_waiter(
            consumer, "on_note_recorded", callback=lambda ctx, result, exc_info: exc_info is None
        ),
        ServiceRpcProxy("it_publisher", config) as rpc,
    ):
        rpc.record("fails twice")
    assert count(databases["it_consumer"], received) == 1
    assert count(databases["it_consumer"], dead_letters) == 0


def test_duplicate_delivery_is_handled_once(container_factory, service_config, databases):
    config = service_config()
    consumer = container_factory(ConsumerService, config)
    consumer.start()
    duplicates = (
        REGISTRY.get_sample_value(
            "worklb_events_handled_total",
            {"service": "it_consumer", "handler": "on_note_recorded", "outcome": "duplicate"},
        )
        or 0
    )
    envelope = build_envelope(
        "note.recorded", {"note": "twice"}, source="it_publisher", tenant_id=None
    )
    with get_producer(config["AMQP_URI"]) as producer:
        for _ in range(2):
            producer.publish(
                envelope,
                exchange=get_event_exchange("it_publisher", config),
                routing_key="note.recorded",
                serializer="json",
            )
    wait_for(
        lambda: (
            REGISTRY.get_sample_value(
                "worklb_events_handled_total",
                {"service": "it_consumer", "handler": "on_note_recorded", "outcome": "duplicate"},
            )
            == duplicates + 1
        ),
        what="the duplicate to be recognised",
    )
    assert (
        count(databases["it_consumer"], received, received.c.event_id == envelope["event_id"]) == 1
    )


def test_rolled_back_change_emits_nothing(container_factory, service_config, databases):
    config = service_config()
    container_factory(PublisherService, config).start()
    with ServiceRpcProxy("it_publisher", config) as rpc, pytest.raises(Conflict):
        rpc.record("never happened", fail_after_emit=True)
    assert count(databases["it_publisher"], notes) == 0
    assert count(databases["it_publisher"], outbox) == 0
