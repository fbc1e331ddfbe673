"""Entrypoints for services: use these, never nameko's own.

- `rpc` commits the worker's transaction before it replies and turns database and validation
  errors into domain errors.
- `event_handler` is idempotent (processed event ids), commits before it acks, retries a failed
  event with backoff through per-attempt delay queues, then dead-letters it into the service's
  `dead_letters` table, where an operator can list and replay it. Nothing is acked and dropped.
  It subscribes only at the service that publishes the event (chassis.contracts): a service
  with a handler for an unregistered event, or at the wrong source, does not start. The
  handler runs as its own service's system caller, within the event's tenant.
"""

from __future__ import annotations

import inspect
import logging
import sys
import traceback
from dataclasses import dataclass
from functools import partial

import nameko.events
import nameko.messaging
import nameko.rpc
from kombu import Exchange, Queue
from marshmallow import ValidationError
from nameko.amqp.publish import get_connection, get_producer
from nameko.constants import PERSISTENT
from nameko.events import SERVICE_POOL
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.standalone.events import get_event_exchange
from sqlalchemy import exists, insert, select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from chassis.config import settings_from
from chassis.context import Caller, context_data_for
from chassis.contracts.events import check_publisher, parse_envelope
from chassis.db import Database
from chassis.errors import Conflict, DomainError, ServiceUnavailable, ValidationFailed
from chassis.metrics import EVENTS_HANDLED
from chassis.tables import dead_letters, processed_events

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-worklb-attempt"
DEFAULT_EXCHANGE = Exchange("", type="direct")


def _exc_info_of(exc: BaseException):
    try:
        raise exc
    except BaseException:
        return sys.exc_info()


def translate_error(exc_info):
    """Map infrastructure errors onto the domain errors the gateway understands."""
    if exc_info is None:
        return None
    exc = exc_info[1]
    if isinstance(exc, ValidationError):
        return _exc_info_of(
            ValidationFailed(
                fields=exc.messages_dict
                if isinstance(exc.messages, dict)
                else {"_schema": exc.messages}
            )
        )
    if isinstance(exc, DataError):
        # A value the database cannot hold (a number out of range, say) that no schema caught.
        return _exc_info_of(ValidationFailed("A value is out of range or of the wrong kind."))
    if isinstance(exc, IntegrityError):
        return _exc_info_of(Conflict("That conflicts with something that already exists."))
    if isinstance(exc, OperationalError):
        return _exc_info_of(ServiceUnavailable("The database is not available; try again."))
    return exc_info


def database_of(container) -> Database | None:
    for dependency in container.dependencies:
        if isinstance(dependency, Database):
            return dependency
    return None


def finish_worker(container, worker_ctx, exc_info):
    """Commit or roll back the worker's unit of work; returns the exc_info to report."""
    database = database_of(container)
    if database is not None:
        exc_info = database.finish(worker_ctx, exc_info)
    return translate_error(exc_info)


class Rpc(nameko.rpc.Rpc):
    def __init__(self, expected_exceptions=(DomainError, ValidationError), **kwargs) -> None:
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def handle_result(self, message, worker_ctx, result, exc_info):
        exc_info = finish_worker(self.container, worker_ctx, translate_error(exc_info))
        if exc_info is not None:
            result = None
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc = Rpc.decorator


def handler_queue(
    source_service: str, event_type: str, service_name: str, method_name: str, config: dict
) -> Queue:
    """The durable queue of one service's handler for one event type (nameko's naming)."""
    return Queue(
        f"evt-{source_service}-{event_type}--{service_name}.{method_name}",
        exchange=get_event_exchange(source_service, config),
        routing_key=event_type,
        durable=True,
        auto_delete=False,
        exclusive=False,
    )


@dataclass(frozen=True)
class Subscription:
    """One event handler of a service: `service.method` handles `event_type` from `source`."""

    service: str
    method: str
    source: str
    event_type: str
    description: str


def event_subscriptions(service_cls) -> list[Subscription]:
    """Every event handler of a service class, in method-name order."""
    found = []
    for method_name, method in inspect.getmembers(service_cls):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, EventHandler):
                found.append(
                    Subscription(
                        service_cls.name,
                        method_name,
                        entrypoint.source_service,
                        entrypoint.event_type,
                        inspect.getdoc(method) or "",
                    )
                )
    return found


def handler_queues(service_cls, config: dict) -> list[Queue]:
    """Every event handler queue a service class consumes from."""
    return [
        handler_queue(s.source, s.event_type, s.service, s.method, config)
        for s in event_subscriptions(service_cls)
    ]


def declare_topology(service_cls, config: dict) -> list[str]:
    """Declare the exchanges, queues and bindings of a service's handlers before anything runs,
    so events published while the service is down wait in its queues instead of vanishing."""
    queues = handler_queues(service_cls, config)
    with get_connection(config["AMQP_URI"]) as conn:
        channel = conn.channel()
        for queue in queues:
            queue(channel).declare()
    return [queue.name for queue in queues]


class EventHandler(nameko.events.EventHandler):
    """A durable, per-service queue for one event type; see the module docstring."""

    def __init__(self, source_service: str, event_type: str, **kwargs) -> None:
        super().__init__(
            source_service,
            event_type,
            handler_type=SERVICE_POOL,
            reliable_delivery=True,
            requeue_on_error=False,
            **kwargs,
        )

    @property
    def handler_key(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self) -> None:
        # An event nobody registered, or one its source does not publish, would never arrive.
        check_publisher(self.event_type, self.source_service)
        settings = settings_from(self.container.config)
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.retry_delays = settings.event_retry_delays
        self.context_secret = settings.context_secret
        database = database_of(self.container)
        if database is None:
            raise TypeError(f"{self.handler_key}: an event handler needs a Database dependency")
        self.database: Database = database
        self.queue = handler_queue(
            self.source_service,
            self.event_type,
            self.container.service_name,
            self.method_name,
            self.container.config,
        )
        nameko.messaging.Consumer.setup(self)

    # -- receiving ---------------------------------------------------------------------------

    def handle_message(self, body, message) -> None:
        attempt = int(message.headers.get(ATTEMPT_HEADER, 0) or 0)
        try:
            event = parse_envelope(body)
        except ValidationError as exc:
            self._dead_letter(message, None, f"not a valid event envelope: {exc.messages}", attempt)
            return
        if self._already_processed(event.event_id):
            EVENTS_HANDLED.labels(self.container.service_name, self.method_name, "duplicate").inc()
            self.queue_consumer.ack_message(message)
            return
        caller = Caller.system(
            service=self.container.service_name,
            tenant_id=event.tenant_id,
            correlation_id=event.correlation_id or event.event_id,
        )
        try:
            self.container.spawn_worker(
                self,
                (event,),
                {},
                context_data=context_data_for(caller, self.context_secret),
                handle_result=partial(self.handle_event_result, message, event, attempt),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def _already_processed(self, event_id: str) -> bool:
        query = select(
            exists().where(
                processed_events.c.handler == self.handler_key,
                processed_events.c.event_id == event_id,
            )
        )
        with self.database.engine.connect() as conn:
            return bool(conn.execute(query).scalar())

    def handle_event_result(self, message, event, attempt, worker_ctx, result=None, exc_info=None):
        duplicate = False
        unit = self.database.units.get(worker_ctx)
        if exc_info is None and unit is not None:
            try:
                unit.session.execute(
                    insert(processed_events).values(
                        handler=self.handler_key, event_id=event.event_id
                    )
                )
            except IntegrityError:
                # Another worker handled the same event meanwhile: keep its effects, drop ours.
                duplicate = True
                exc_info = sys.exc_info()
        exc_info = finish_worker(self.container, worker_ctx, exc_info)
        service = self.container.service_name
        try:
            if duplicate:
                EVENTS_HANDLED.labels(service, self.method_name, "duplicate").inc()
                self.queue_consumer.ack_message(message)
                return result, None
            if exc_info is None:
                EVENTS_HANDLED.labels(service, self.method_name, "ok").inc()
                self.queue_consumer.ack_message(message)
                return result, None
            error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
            if attempt < len(self.retry_delays):
                self._retry_later(message, attempt, error)
            else:
                self._dead_letter(message, event, error, attempt)
        except Exception:
            # The broker or database is not there to take the message: give it back unacked.
            log.exception("could not retry or dead-letter an event; requeueing it")
            self.queue_consumer.requeue_message(message)
        return result, exc_info

    # -- failing -----------------------------------------------------------------------------

    def _retry_later(self, message, attempt: int, error: str) -> None:
        delay_ms = max(1, int(self.retry_delays[attempt] * 1000))
        retry_queue = Queue(
            f"{self.queue.name}.retry.{attempt + 1}",
            exchange=DEFAULT_EXCHANGE,
            durable=True,
            queue_arguments={
                "x-message-ttl": delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.queue.name,
            },
        )
        with get_producer(self.amqp_uri) as producer:
            producer.publish(
                message.body,
                exchange=DEFAULT_EXCHANGE,
                routing_key=retry_queue.name,
                declare=[retry_queue],
                headers={**(message.headers or {}), ATTEMPT_HEADER: attempt + 1},
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=PERSISTENT,
            )
        EVENTS_HANDLED.labels(self.container.service_name, self.method_name, "retried").inc()
        log.warning(
            "event handler failed; retrying",
            extra={
                "fields": {
                    "handler": self.handler_key,
                    "attempt": attempt + 1,
                    "delay_ms": delay_ms,
                    "error": error,
                }
            },
        )
        self.queue_consumer.ack_message(message)

    def _dead_letter(self, message, event, error: str, attempts: int) -> None:
        body = message.body
        with self.database.transaction() as unit:
            unit.session.execute(
                insert(dead_letters).values(
                    queue=self.queue.name,
                    handler=self.handler_key,
                    event_id=event.event_id if event else None,
                    event_type=event.event_type if event else self.event_type,
                    body=body.decode(message.content_encoding or "utf-8", "replace")
                    if isinstance(body, bytes)
                    else str(body),
                    content_type=message.content_type or "application/json",
                    error=error,
                    attempts=attempts + 1,
                )
            )
        EVENTS_HANDLED.labels(self.container.service_name, self.method_name, "dead_lettered").inc()
        log.error(
            "event dead-lettered",
            extra={
                "fields": {"handler": self.handler_key, "attempts": attempts + 1, "error": error}
            },
        )
        self.queue_consumer.ack_message(message)


event_handler = EventHandler.decorator


def republish_to_queue(amqp_uri: str, queue: str, body: str, content_type: str) -> None:
    """Put a dead letter back on its handler's queue, as a first attempt."""
    with get_producer(amqp_uri) as producer:
        producer.publish(
            body,
            exchange=DEFAULT_EXCHANGE,
            routing_key=queue,
            headers={ATTEMPT_HEADER: 0},
            content_type=content_type,
            content_encoding="utf-8",
            delivery_mode=PERSISTENT,
        )
