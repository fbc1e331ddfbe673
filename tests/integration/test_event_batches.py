"""Event handlers that take their events in batches (`event_handler(..., batch=N)`): every
event handled once, in batches when they queue up; a bad event neither holds back nor
doubles the others of its batch; two instances share a queue without doing anything twice;
events a batch emits carry the correlation of the event that caused them; a handler that
lingers takes a trickle of events as one batch."""

from __future__ import annotations

import pytest
from nameko.amqp.publish import get_connection, get_producer
from nameko.standalone.events import get_event_exchange
from sqlalchemy import func, select

from chassis.contracts.events import build_envelope
from chassis.entrypoints import EVENT_BATCH, declare_topology, handler_queue
from chassis.tables import dead_letters, outbox, processed_events
from tests.integration.sample_services import (
    BATCH_HICCUPS,
    BatchConsumerService,
    LingeringBatchService,
    LongLingeringBatchService,
    batched,
)
from tests.waiting import wait_for


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _publish(config: dict, envelopes: list[dict]) -> None:
    with get_producer(config["AMQP_URI"]) as producer:
        for envelope in envelopes:
            producer.publish(
                envelope,
                exchange=get_event_exchange("it_publisher", config),
                routing_key="note.recorded",
                serializer="json",
            )


def _notes(*texts: str, correlation: str | None = None) -> list[dict]:
    return [
        build_envelope(
            "note.recorded",
            {"note": text},
            source="it_publisher",
            tenant_id=None,
            correlation_id=correlation and f"{correlation}-{text}",
        )
        for text in texts
    ]


def _kept(engine) -> list[tuple[str, str, int]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                select(batched.c.event_id, batched.c.note, batched.c.batch_size)
            )
        ]


def test_queued_events_are_taken_in_batches_each_once(container_factory, service_config, databases):
    config = service_config()
    declare_topology(BatchConsumerService, config)  # the queue exists while nobody reads it
    envelopes = _notes(*(f"note {n}" for n in range(200)))
    _publish(config, envelopes + envelopes[:20])  # twenty delivered twice
    container_factory(BatchConsumerService, config).start()

    engine = databases["it_batch"]
    wait_for(lambda: _count(engine, processed_events) == 200, what="every event handled")
    wait_for(lambda: _count(engine, batched) == 200, what="every note kept")
    kept = _kept(engine)
    assert sorted(event_id for event_id, _, _ in kept) == sorted(e["event_id"] for e in envelopes)
    sizes = [size for _, _, size in kept]
    assert max(sizes) > 1  # they queued up, so they were shared
    assert max(sizes) <= EVENT_BATCH


@pytest.mark.parametrize("workers", [10, 1])
def test_a_bad_event_is_dead_lettered_and_its_batch_handled_once(
    container_factory, service_config, databases, workers
):
    # One worker: each batch ends while the pool is full (the next must wait for its place).
    config = {**service_config(event_retry_delays=(0.05, 0.05)), "max_workers": workers}
    declare_topology(BatchConsumerService, config)
    envelopes = _notes(
        *(f"note {n}" for n in range(30)), "poison", *(f"more {n}" for n in range(30))
    )
    _publish(config, envelopes)
    container_factory(BatchConsumerService, config).start()

    engine = databases["it_batch"]
    wait_for(lambda: _count(engine, dead_letters) == 1, what="the bad event dead-lettered")
    wait_for(lambda: _count(engine, batched) == 60, what="the others kept")
    kept = _kept(engine)
    good = [e["event_id"] for e in envelopes if e["data"]["note"] != "poison"]
    assert sorted(event_id for event_id, _, _ in kept) == sorted(good)
    with engine.connect() as conn:
        letter = conn.execute(select(dead_letters)).one()
    assert letter.event_id == next(
        e["event_id"] for e in envelopes if e["data"]["note"] == "poison"
    )
    assert "a poisoned note" in letter.error
    assert letter.attempts == 3  # alone, then once per delay
    assert _count(engine, processed_events) == 60


def test_two_instances_share_the_queue_and_do_nothing_twice(
    container_factory, service_config, databases
):
    config = service_config()
    declare_topology(BatchConsumerService, config)
    for _ in range(2):
        container_factory(BatchConsumerService, config).start()
    envelopes = _notes(*(f"note {n}" for n in range(300)))
    # Every event twice, the copies far apart: each instance may get one of them.
    _publish(config, envelopes + envelopes)

    engine = databases["it_batch"]
    wait_for(lambda: _count(engine, processed_events) == 300, what="every event handled")
    wait_for(lambda: _count(engine, batched) == 300, what="every note kept")
    kept = _kept(engine)
    assert sorted(event_id for event_id, _, _ in kept) == sorted(e["event_id"] for e in envelopes)


def test_what_a_batch_emits_carries_each_events_correlation(
    container_factory, service_config, databases
):
    config = service_config()
    declare_topology(BatchConsumerService, config)
    envelopes = _notes(*(f"emit:{n}" for n in range(40)), correlation="req")
    _publish(config, envelopes)
    container_factory(BatchConsumerService, config).start()

    engine = databases["it_batch"]
    wait_for(lambda: _count(engine, outbox) == 40, what="every note passed on")
    with engine.connect() as conn:
        emitted = [row.envelope for row in conn.execute(select(outbox.c.envelope))]
    assert sorted((e["data"]["note"], e["correlation_id"]) for e in emitted) == sorted(
        (e["data"]["note"], e["correlation_id"]) for e in envelopes
    )
    assert max(size for _, _, size in _kept(engine)) > 1


def test_an_event_the_database_fails_is_deferred_without_spending_an_attempt(
    container_factory, service_config, databases
):
    # Two retry delays: three failures as the handler's own would dead-letter the event.
    config = service_config(event_retry_delays=(0.05, 0.05))
    declare_topology(BatchConsumerService, config)
    BATCH_HICCUPS["left"] = 3
    try:
        (envelope,) = _notes("hiccup")
        _publish(config, [envelope])
        container_factory(BatchConsumerService, config).start()

        engine = databases["it_batch"]
        wait_for(lambda: _count(engine, batched) == 1, what="the note kept after the hiccups")
        assert BATCH_HICCUPS["left"] == 0
        assert _count(engine, dead_letters) == 0
        assert _count(engine, processed_events) == 1
    finally:
        BATCH_HICCUPS["left"] = 0


def test_a_lingering_handler_takes_a_trickle_of_events_as_one_batch(
    container_factory, service_config, databases
):
    # Without lingering, the first of these starts a batch of one at once (nothing runs).
    config = service_config()
    container_factory(LingeringBatchService, config).start()
    engine = databases["it_batch"]

    trickle = _notes(*(f"drop {n}" for n in range(5)))
    _publish(config, trickle)
    wait_for(lambda: _count(engine, batched) == 5, what="the trickle kept")
    assert sorted(size for _, _, size in _kept(engine)) == [5] * 5

    # A lone event is not kept waiting for company that never comes.
    _publish(config, _notes("alone"))
    wait_for(lambda: _count(engine, batched) == 6, what="the lone note kept")
    assert [size for _, note, size in _kept(engine) if note == "alone"] == [1]


def _ready(config: dict) -> int:
    """Messages in it_batch's queue that no consumer holds."""
    queue = handler_queue("it_publisher", "note.recorded", "it_batch", "on_notes_recorded", config)
    with get_connection(config["AMQP_URI"]) as conn:
        return queue(conn.channel()).queue_declare(passive=True).message_count


def test_events_waiting_in_a_batch_go_back_to_the_queue_when_the_service_stops(
    container_factory, service_config, databases
):
    config = service_config()
    lingering = container_factory(LongLingeringBatchService, config)
    lingering.start()
    waiting = _notes("one", "two", "three")
    _publish(config, waiting)
    wait_for(lambda: _ready(config) == 0, what="the notes held by the lingering handler")

    lingering.stop()  # a deploy, a scale-down: nothing was handled, nothing may be lost
    engine = databases["it_batch"]
    assert _count(engine, batched) == 0
    wait_for(lambda: _ready(config) == 3, what="the notes back in the queue")
    container_factory(BatchConsumerService, config).start()
    wait_for(lambda: _count(engine, batched) == 3, what="the notes kept by the next instance")
    assert sorted(event_id for event_id, _, _ in _kept(engine)) == sorted(
        e["event_id"] for e in waiting
    )
