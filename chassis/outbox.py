"""The outbox relay: publishes committed events from the service's outbox table to RabbitMQ.

A change and its events commit in one transaction (UnitOfWork.emit); the relay publishes them
afterwards, in one AMQP transaction per batch, and marks them published. If the process dies
in between, the next relay (this process restarted, or another instance) publishes them:
delivery is at least once, and handlers are idempotent.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import eventlet
from eventlet.event import Event as GreenEvent
from kombu import Connection
from nameko.constants import PERSISTENT
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy import Text, cast, delete, func, select, update

from chassis.config import settings_from
from chassis.db import Database, database_of
from chassis.metrics import EVENTS_PUBLISHED, OUTBOX_LAG, OUTBOX_PENDING
from chassis.tables import outbox

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Every event persistent (to durable queues), as nameko publishes them.
_PROPERTIES = {"delivery_mode": PERSISTENT}
STATUS_EVERY = 1.0  # seconds between outbox gauge refreshes
KEEP_PUBLISHED = timedelta(days=7)


def retry_pause(failures: int, *, first: float = 1.0, longest: float = 30.0) -> float:
    """Seconds to wait after `failures` relay failures in a row: doubling from `first`, at
    most `longest`, however long the outage lasts."""
    return min(longest, first * 2.0 ** min(max(failures, 1) - 1, 32))


def outbox_status(conn) -> tuple[int, float]:
    """(events waiting, age in seconds of the oldest one)."""
    pending, oldest = conn.execute(
        select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
    ).one()
    lag = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    return int(pending), max(lag, 0.0)


class OutboxRelay(DependencyProvider):
    # The pause after a failure (the database or the broker is away): doubling from the first,
    # up to the longest; stop() cuts it short.
    FIRST_RETRY_PAUSE = 1.0
    LONGEST_RETRY_PAUSE = 30.0

    def setup(self) -> None:
        settings = settings_from(self.container.config)
        self.service_name = self.container.service_name
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.poll_seconds = settings.outbox_poll_seconds
        self.exchange = get_event_exchange(self.service_name, self.container.config)
        database = database_of(self.container)
        if database is None:
            raise TypeError(f"{self.service_name}: the outbox relay needs a Database dependency")
        self.database: Database = database
        self.database.after_commit.append(self.wake)
        self._wake = GreenEvent()
        self._running = False
        self._thread = None
        self._connection: Connection | None = None
        self._channel = None
        self._status_at = 0.0

    def start(self) -> None:
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self) -> None:
        self._running = False
        self.wake()
        if self._thread is not None:
            self._thread.wait()
        self._disconnect()

    def kill(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.kill()
        self._disconnect()

    def wake(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def get_dependency(self, worker_ctx) -> OutboxRelay:
        return self

    def _run(self) -> None:
        failures = 0
        while self._running:
            self._wake = GreenEvent()
            try:
                published = self.relay_once()
                failures = 0
            except Exception:
                # Whatever fails (the database, the broker), the relay lives on and tries again.
                failures += 1
                pause = retry_pause(
                    failures, first=self.FIRST_RETRY_PAUSE, longest=self.LONGEST_RETRY_PAUSE
                )
                log.exception(
                    "outbox relay failed; will try again",
                    extra={"fields": {"failures": failures, "pause_seconds": pause}},
                )
                self._pause(pause)
                continue
            if published < BATCH_SIZE:
                self._pause(self.poll_seconds)

    def _pause(self, seconds: float) -> None:
        """Wait until woken (a commit with events, or stop) or `seconds` have passed."""
        if self._running:
            with eventlet.Timeout(seconds, False):
                self._wake.wait()

    def relay_once(self) -> int:
        """Publish one batch of waiting events; returns how many were published."""
        with self.database.engine.begin() as conn:
            rows = conn.execute(
                # The envelope as the database's JSON text, sent as it is: decoding it to
                # dicts and encoding them again was most of the relay's work per event.
                select(outbox.c.id, outbox.c.event_type, cast(outbox.c.envelope, Text))
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(BATCH_SIZE)
                .with_for_update(skip_locked=True)
            ).all()
            if rows:
                self._publish([(row.event_type, row[2]) for row in rows])
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_([row.id for row in rows]))
                    # Once the broker has taken the batch (now() is the transaction's start).
                    .values(published_at=func.statement_timestamp())
                )
            else:
                conn.execute(
                    delete(outbox).where(outbox.c.published_at < datetime.now(UTC) - KEEP_PUBLISHED)
                )
        # At most once a second: counting on every batch would cost more than relaying it
        # (under a steady load a batch is an event or two, one per commit that woke the relay).
        if time.monotonic() - self._status_at > STATUS_EVERY:
            self._status_at = time.monotonic()
            with self.database.engine.connect() as conn:
                pending, lag = outbox_status(conn)
            OUTBOX_PENDING.labels(self.service_name).set(pending)
            OUTBOX_LAG.labels(self.service_name).set(lag)
        return len(rows)

    def _publish(self, rows) -> None:
        """Publish a batch in one AMQP transaction: when tx.commit returns, the broker has taken
        every message (persistent, to durable queues); several times faster than a publisher
        confirm per message, with the same guarantee for the batch."""
        try:
            channel = self._tx_channel()
            # What kombu's Producer.publish(..., serializer="json") sends, made here: its
            # serializing and checks per message cost more than the publish itself.
            for event_type, body in rows:
                message = channel.prepare_message(
                    body.encode(), 0, "application/json", "utf-8", {}, _PROPERTIES
                )
                channel.basic_publish(message, exchange=self.exchange.name, routing_key=event_type)
            channel.tx_commit()
        except Exception:
            self._disconnect()
            raise
        for event_type, _ in rows:
            EVENTS_PUBLISHED.labels(self.service_name, event_type).inc()

    def _tx_channel(self):
        if self._channel is None:
            self._connection = Connection(self.amqp_uri)
            self._connection.ensure_connection(max_retries=3)
            channel = self._connection.channel()
            self.exchange(channel).declare()
            channel.tx_select()
            self._channel = channel
        return self._channel

    def _disconnect(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # already broken: nothing more to release
                log.debug("closing the relay's broker connection failed", exc_info=True)
