"""What the chassis promises when a service's database goes away (too many clients, a restart):
the service keeps running and says so in its health check; an event it cannot receive waits in
its retry queues, spending none of the handler's attempts, and is handled once the database
is back; a dead letter the database refuses waits too; the outbox relay and the job runner try
again. The service reaches PostgreSQL through a loopback proxy the test cuts and restores."""

from __future__ import annotations

import time

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from prometheus_client import REGISTRY
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from chassis.config import Settings
from chassis.db import UnitOfWork
from chassis.jobs import JobRunner, enqueue
from chassis.outbox import OutboxRelay
from chassis.tables import background_jobs, dead_letters, outbox
from tests.integration.sample_services import (
    BEFORE_FAILING,
    COUNT,
    ConsumerService,
    JobsService,
    PublisherService,
    failures,
    received,
    record_note,
)
from tests.integration.test_events_delivery import count
from tests.tcp_proxy import TcpProxy
from tests.waiting import wait_for

RPC_TIMEOUT = 10


@pytest.fixture
def database_proxy(settings):
    server = make_url(settings.database_url_template.format(name="postgres"))
    with TcpProxy((server.host or "127.0.0.1", server.port or 5432)) as proxy:
        yield proxy


@pytest.fixture(autouse=True)
def no_failure_hooks():
    BEFORE_FAILING.clear()
    yield
    BEFORE_FAILING.clear()


def through(proxy: TcpProxy, settings: Settings) -> str:
    """`settings`' database URL template, pointed at the proxy."""
    url = make_url(settings.database_url_template.format(name="NAME"))
    proxied = url.set(host="127.0.0.1", port=proxy.port)
    return proxied.render_as_string(hide_password=False).replace("NAME", "{name}")


def handled(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "worklb_events_handled_total",
            {"service": "it_consumer", "handler": "on_note_recorded", "outcome": outcome},
        )
        or 0
    )


def health(config: dict) -> str:
    with ServiceRpcProxy("it_consumer", config, timeout=RPC_TIMEOUT) as rpc:
        return rpc.health()["status"]


def remaining_failures(databases) -> int:
    with databases["it_consumer"].connect() as conn:
        return conn.execute(select(failures.c.remaining)).scalar_one()


def test_an_event_waits_out_a_database_outage_without_spending_attempts(
    container_factory, service_config, settings, databases, database_proxy
):
    # The handler fails as many times as it may be retried, then succeeds: one attempt spent
    # by the outage, and the event would be dead-lettered instead.
    told_to_fail = len(settings.event_retry_delays)
    with databases["it_consumer"].begin() as conn:
        conn.execute(insert(failures).values(remaining=told_to_fail))
    config = service_config()
    consumer_config = service_config(database_url_template=through(database_proxy, settings))
    database_proxy.cut()
    container_factory(ConsumerService, consumer_config).start()
    container_factory(PublisherService, config).start()
    deferred = handled("deferred")

    sent_at = time.monotonic()
    with ServiceRpcProxy("it_publisher", config, timeout=RPC_TIMEOUT) as rpc:
        rpc.record("while the database is down")
    # The duplicate check cannot reach the database: the event is put off through the retry
    # queues, again and again, each time after a delay, while the consumer keeps running.
    wait_for(lambda: handled("deferred") >= deferred + 4, what="the event to be put off 4 times")
    assert time.monotonic() - sent_at >= sum(settings.event_retry_delays[:3])
    assert health(consumer_config) == "down"
    assert remaining_failures(databases) == told_to_fail  # the handler never ran
    assert count(databases["it_consumer"], received) == 0

    database_proxy.restore()
    wait_for(
        lambda: count(databases["it_consumer"], received) == 1,
        what="the event to be handled once the database is back",
    )
    assert remaining_failures(databases) == 0
    assert count(databases["it_consumer"], dead_letters) == 0
    assert health(consumer_config) == "up"


def test_a_dead_letter_the_database_refuses_waits_and_is_written_once_it_is_back(
    container_factory, service_config, settings, databases, database_proxy
):
    with databases["it_consumer"].begin() as conn:
        conn.execute(insert(failures).values(remaining=100))
    last_attempt = len(settings.event_retry_delays)
    # The database goes away as the handler fails for the last time, before the dead letter.
    BEFORE_FAILING[100 - last_attempt] = database_proxy.cut
    config = service_config()
    consumer_config = service_config(database_url_template=through(database_proxy, settings))
    container_factory(ConsumerService, consumer_config).start()
    container_factory(PublisherService, config).start()
    deferred = handled("deferred")

    with ServiceRpcProxy("it_publisher", config, timeout=RPC_TIMEOUT) as rpc:
        rpc.record("fails as the database goes")
    wait_for(lambda: handled("deferred") >= deferred + 3, what="the event to be put off 3 times")
    assert database_proxy.is_cut
    assert health(consumer_config) == "down"
    assert count(databases["it_consumer"], dead_letters) == 0

    database_proxy.restore()
    wait_for(
        lambda: count(databases["it_consumer"], dead_letters) == 1,
        what="the dead letter once the database is back",
    )
    with databases["it_consumer"].connect() as conn:
        letter = conn.execute(select(dead_letters)).one()
    # Back from the wait, the handler had one more try (it failed), and the outage spent no
    # attempt.
    assert letter.attempts == last_attempt + 1
    assert "told to fail" in letter.error
    assert remaining_failures(databases) == 100 - (last_attempt + 2)
    assert count(databases["it_consumer"], received) == 0
    assert health(consumer_config) == "up"


# -- the outbox relay and the job runner ---------------------------------------------------------


def failures_logged(caplog, message: str) -> int:
    return sum(1 for record in caplog.records if record.getMessage() == message)


def record_directly(engine, note: str) -> None:
    """A note and its event, committed as if by another instance of it_publisher."""
    with Session(engine) as session:
        unit = UnitOfWork(session, source="it_publisher")
        record_note(unit, note, tenant_id=None)
        unit.commit()


def test_the_outbox_relay_waits_out_a_database_outage(
    container_factory, service_config, settings, databases, database_proxy, caplog
):
    config = service_config()
    publisher_config = service_config(database_url_template=through(database_proxy, settings))
    consumer = container_factory(ConsumerService, config)
    consumer.start()
    database_proxy.cut()
    container_factory(PublisherService, publisher_config).start()
    record_directly(databases["it_publisher"], "committed before the outage")

    wait_for(
        lambda: failures_logged(caplog, "outbox relay failed; will try again") >= 2,
        what="the relay to fail twice",
    )
    with ServiceRpcProxy("it_publisher", config, timeout=RPC_TIMEOUT) as rpc:
        assert rpc.health()["status"] == "down"
    assert count(databases["it_consumer"], received) == 0

    database_proxy.restore()
    wait_for(
        lambda: count(databases["it_consumer"], received) == 1,
        what="the relay to publish once the database is back",
    )
    assert count(databases["it_publisher"], outbox, outbox.c.published_at.is_(None)) == 0


class PatientRelay(OutboxRelay):
    FIRST_RETRY_PAUSE = 60.0


class PatientPublisher(PublisherService):
    outbox = PatientRelay()


def test_a_service_stops_at_once_while_its_relay_waits_after_a_failure(
    container_factory, service_config, settings, database_proxy, caplog
):
    database_proxy.cut()
    publisher = container_factory(
        PatientPublisher, service_config(database_url_template=through(database_proxy, settings))
    )
    publisher.start()
    wait_for(
        lambda: failures_logged(caplog, "outbox relay failed; will try again") >= 1,
        what="the relay to fail",
    )
    with eventlet.Timeout(10):  # well within the relay's pause of a minute
        publisher.stop()


class QuickSweepJobs(JobsService):
    jobs = JobRunner(COUNT, sweep_seconds=0.1)


def test_the_job_runner_keeps_sweeping_through_a_database_outage(
    container_factory, service_config, settings, databases, database_proxy, caplog
):
    database_proxy.cut()
    container_factory(
        QuickSweepJobs, service_config(database_url_template=through(database_proxy, settings))
    ).start()
    with Session(databases["it_jobs"]) as session:
        unit = UnitOfWork(session, source="it_jobs")
        job_id = enqueue(unit, COUNT, tenant_id=None, params={"label": "outage", "upto": 20})
        unit.commit()
    wait_for(
        lambda: failures_logged(caplog, "could not look for background jobs to run") >= 2,
        what="two sweeps to fail",
    )

    database_proxy.restore()

    def status() -> str:
        with databases["it_jobs"].connect() as conn:
            return conn.execute(
                select(background_jobs.c.status).where(background_jobs.c.id == job_id)
            ).scalar_one()

    wait_for(
        lambda: status() == "succeeded", what="a sweep to run the job once the database is back"
    )
