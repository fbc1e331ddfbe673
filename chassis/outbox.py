"""The outbox relay: publishes committed events from the service's outbox table to RabbitMQ.

A change and its events commit in one transaction (UnitOfWork.emit); the relay publishes them
afterwards with publisher confirms and marks them published. If the process dies in between,
the next relay (this process restarted, or another instance) publishes them: delivery is at
least once, and handlers are idempotent.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.amqp.publish import get_producer
from nameko.constants import PERSISTENT
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy import delete, func, select, update

from chassis.config import settings_from
from chassis.db import Database
from chassis.metrics import EVENTS_PUBLISHED, OUTBOX_LAG, OUTBOX_PENDING
from chassis.tables import outbox

log = logging.getLogger(__name__)

BATCH_SIZE = 200
KEEP_PUBLISHED = timedelta(days=7)


def outbox_status(conn) -> tuple[int, float]:
    """(events waiting, age in seconds of the oldest one)."""
    pending, oldest = conn.execute(
        select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
    ).one()
    lag = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    return int(pending), max(lag, 0.0)


class OutboxRelay(DependencyProvider):
    def setup(self) -> None:
        settings = settings_from(self.container.config)
        self.service_name = self.container.service_name
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.poll_seconds = settings.outbox_poll_seconds
        self.exchange = get_event_exchange(self.service_name, self.container.config)
        self.database = next(
            (d for d in self.container.dependencies if isinstance(d, Database)), None
        )
        if self.database is None:
            raise TypeError(f"{self.service_name}: the outbox relay needs a Database dependency")
        self.database.after_commit.append(self.wake)
        self._wake = GreenEvent()
        self._running = False
        self._thread = None

    def start(self) -> None:
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self) -> None:
        self._running = False
        self.wake()
        if self._thread is not None:
            self._thread.wait()

    def kill(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.kill()

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
                failures += 1
                log.exception("outbox relay failed; will try again")
                published = 0
                eventlet.sleep(min(30.0, 0.5 * 2**failures))
            if published < BATCH_SIZE and self._running:
                with eventlet.Timeout(self.poll_seconds, False):
                    self._wake.wait()

    def relay_once(self) -> int:
        """Publish one batch of waiting events; returns how many were published."""
        with self.database.engine.begin() as conn:
            rows = conn.execute(
                select(outbox.c.id, outbox.c.event_type, outbox.c.envelope)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(BATCH_SIZE)
                .with_for_update(skip_locked=True)
            ).all()
            if rows:
                with get_producer(self.amqp_uri) as producer:
                    for row in rows:
                        producer.publish(
                            row.envelope,
                            exchange=self.exchange,
                            routing_key=row.event_type,
                            declare=[self.exchange],
                            serializer="json",
                            delivery_mode=PERSISTENT,
                            retry=True,
                            retry_policy={"max_retries": 3},
                        )
                        EVENTS_PUBLISHED.labels(self.service_name, row.event_type).inc()
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_([row.id for row in rows]))
                    .values(published_at=func.now())
                )
            else:
                conn.execute(
                    delete(outbox).where(outbox.c.published_at < datetime.now(UTC) - KEEP_PUBLISHED)
                )
            pending, lag = outbox_status(conn)
        OUTBOX_PENDING.labels(self.service_name).set(pending)
        OUTBOX_LAG.labels(self.service_name).set(lag)
        return len(rows)
