"""Entrypoints for services: use these, never nameko's own.

- `rpc` commits the worker's transaction before it replies and turns database and validation
  errors into domain errors.
- `event_handler` is idempotent (processed event ids), commits before it acks, retries a failed
  event with backoff through per-attempt delay queues, then dead-letters it into the service's
  `dead_letters` table, where an operator can list and replay it. Nothing is acked and dropped.
  A failure that is not the handler's (the database down for the duplicate check or the dead
  letter) spends no attempt: the event comes back later through the same delay queues, and
  the service keeps running (see `redelivery`).
  It subscribes only at the service that publishes the event (chassis.contracts): a service
  with a handler for an unregistered event, or at the wrong source, does not start. The
  handler runs as its own service's system caller, within the event's tenant.
  With `batch=N` the handler takes the events that arrive while its last batch runs (up to
  N) in one worker and one transaction (see `EventBatch`): for handlers that only write to
  their own database, where a worker and a commit per event cost more than the work.
- `timer` runs a method every few seconds (sweeps: due tiers, lapsed leases) as its own
  service's system caller, with a correlation id of its own per tick, and commits its work
  like `rpc`. A tick that fails (the database is down, the method raises) is logged and rolled
  back, and the next tick comes as usual: nothing about it can stop the service.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import sys
import traceback
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any

import eventlet
import eventlet.hubs
import nameko.events
import nameko.messaging
import nameko.rpc
import nameko.timer
from kombu import Exchange, Queue
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher, get_connection, get_producer
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
    PERSISTENT,
    SERIALIZER_CONFIG_KEY,
)
from nameko.events import SERVICE_POOL
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.standalone.events import get_event_exchange
from sqlalchemy import exists, insert, select, text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from chassis.config import settings_from
from chassis.context import Caller, context_data_for
from chassis.contracts.events import Event, check_publisher, parse_envelope
from chassis.db import Database, UnitOfWork, database_of
from chassis.errors import Conflict, DomainError, ServiceUnavailable, ValidationFailed
from chassis.metrics import EVENTS_HANDLED
from chassis.tables import dead_letters, processed_events

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-worklb-attempt"
# How many times in a row the message was put off because something other than the handler
# failed (see `redelivery`).
DEFERRALS_HEADER = "x-worklb-deferrals"
# When even the broker refuses a retry, the message is held this long (at most) before it is
# given back unacked, so that a broken broker does not make it spin.
REQUEUE_PAUSE_SECONDS = 5.0
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


def finish_worker(container, worker_ctx, exc_info):
    """Commit or roll back the worker's unit of work; returns the exc_info to report."""
    database = database_of(container)
    if database is not None:
        exc_info = database.finish(worker_ctx, exc_info)
    return translate_error(exc_info)


class _TransientPublisher(Publisher):
    """An RPC's reply: transient (its queue is the caller's, gone with the caller) and
    unconfirmed (a reply the broker loses is a caller's timeout, as a late one is)."""

    delivery_mode = NON_PERSISTENT
    use_confirms = False


class _Responder(nameko.rpc.Responder):
    publisher_cls = _TransientPublisher


class _RpcConsumer(nameko.rpc.RpcConsumer):
    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = _Responder(
            config[AMQP_URI_CONFIG_KEY],
            nameko.rpc.get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class Rpc(nameko.rpc.Rpc):
    rpc_consumer = _RpcConsumer()

    def __init__(self, expected_exceptions=(DomainError, ValidationError), **kwargs) -> None:
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def handle_result(self, message, worker_ctx, result, exc_info):
        exc_info = finish_worker(self.container, worker_ctx, translate_error(exc_info))
        if exc_info is not None:
            result = None
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except Exception:
            # The broker would not take the reply (it has been down for a while): the caller
            # times out. Escaping, this would kill the whole service. The work is committed,
            # so the request is not given back to be done again.
            log.exception("could not send an RPC's reply; the caller will time out")
            with contextlib.suppress(Exception):
                self.rpc_consumer.queue_consumer.ack_message(message)
            return result, exc_info


rpc = Rpc.decorator


class Timer(nameko.timer.Timer):
    """Calls its method every `seconds` (a number, or the name of a field of the service's
    Settings, read when the service starts: `@timer("tier_sweep_seconds")`, so the environment
    sets it) as the service's own system caller, without a tenant, with
    a new correlation id each tick. The method's unit of work commits when it returns and
    rolls back when it raises. A tick waits for the one before it to finish; each instance of
    a service runs its own ticks, so a sweep must be safe to run twice at once (lock its rows
    with `FOR UPDATE SKIP LOCKED`).

    Outages: a tick that raises (or whose commit fails) is logged and rolled back, and the
    next tick comes as usual; a database error is an expected one (a warning, no traceback
    storm), and nothing a tick does can stop the timer or kill the service."""

    def __init__(self, seconds: float | str, **kwargs) -> None:
        self.seconds = seconds
        kwargs.setdefault("expected_exceptions", (DomainError, DBAPIError))
        super().__init__(interval=0, **kwargs)

    def setup(self) -> None:
        settings = settings_from(self.container.config)
        seconds = getattr(settings, self.seconds) if isinstance(self.seconds, str) else self.seconds
        if not isinstance(seconds, int | float) or seconds <= 0:
            raise ValueError(f"{self.method_name}: a timer needs a positive interval")
        self.interval = float(seconds)
        self.context_secret = settings.context_secret

    def handle_timer_tick(self) -> None:
        caller = Caller.system(service=self.container.service_name)
        try:
            self.container.spawn_worker(
                self,
                (),
                {},
                context_data=context_data_for(caller, self.context_secret),
                handle_result=self.handle_result,
            )
        except Exception as exc:
            # The container is stopping (ContainerBeingKilled) or could not start a worker:
            # this tick is skipped, and the loop must not wait for a worker that never ran.
            if not isinstance(exc, ContainerBeingKilled):
                log.exception("could not start a timer's worker")
            self.worker_complete.send()

    def handle_result(self, worker_ctx, result, exc_info):
        # Nameko has logged what the method raised; what finishing raises is logged here.
        raised = exc_info is not None
        try:
            exc_info = finish_worker(self.container, worker_ctx, exc_info)
        except Exception:
            exc_info = sys.exc_info()
        finally:
            self.worker_complete.send()
        if exc_info is not None and not raised:
            log.warning(
                "a timer's work did not commit",
                extra={
                    "fields": {
                        "timer": f"{self.container.service_name}.{self.method_name}",
                        "error": _describe(exc_info[1]),
                    }
                },
            )
        return result, exc_info


timer = Timer.decorator


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


class Failed(Enum):
    """Which step of receiving an event failed, which decides what happens to its message."""

    # The handler raised, or its transaction did not commit: one attempt spent.
    HANDLER = "handler"
    # Something around the handler (the duplicate check could not reach the database, say, or
    # the chassis itself failed): the handler did not really get its chance, no attempt spent.
    DELIVERY = "delivery"
    # The attempts are spent but the dead letter could not be written (the database is down).
    DEAD_LETTER = "dead_letter"


@dataclass(frozen=True)
class Redelivery:
    """Publish the message to the handler's retry queue number `queue`, whose messages wait
    `seconds` before they go back to the handler's queue, carrying these header values."""

    queue: int
    seconds: float
    attempt: int
    deferrals: int


# How long a message waits after an infrastructure failure when no retry delays are set.
DEFER_SECONDS = 5.0


def redelivery(
    failed: Failed, *, attempt: int, deferrals: int, retry_delays: Sequence[float]
) -> Redelivery | None:
    """When an event whose receiving failed comes back; None: dead-letter it now.

    A handler's failure spends an attempt: retry queue N waits the Nth retry delay, and after
    the last one the event is dead-lettered. Any other failure (the infrastructure's) leaves
    the attempt as it was and puts the event off, longer each time in a row (`deferrals`), up
    to the last delay: a database that is down for an hour neither uses up the handler's
    attempts nor makes the message spin. A dead letter that could not be written waits the
    longest delay."""
    if failed is Failed.HANDLER:
        if attempt >= len(retry_delays):
            return None
        return Redelivery(attempt + 1, retry_delays[attempt], attempt=attempt + 1, deferrals=0)
    if not retry_delays:
        return Redelivery(1, DEFER_SECONDS, attempt=attempt, deferrals=deferrals + 1)
    last = len(retry_delays) - 1
    index = last if failed is Failed.DEAD_LETTER else min(deferrals, last)
    return Redelivery(index + 1, retry_delays[index], attempt=attempt, deferrals=deferrals + 1)


def header_count(headers: Mapping[str, Any] | None, name: str) -> int:
    """A non-negative count from a message header; 0 if it is missing or not a count."""
    try:
        return max(0, int((headers or {}).get(name) or 0))
    except (TypeError, ValueError):
        return 0


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


class EventHandler(nameko.events.EventHandler):
    """A durable, per-service queue for one event type; see the module docstring."""

    def __init__(
        self,
        source_service: str,
        event_type: str,
        batch: int = 0,
        linger: float = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(
            source_service,
            event_type,
            handler_type=SERVICE_POOL,
            reliable_delivery=True,
            requeue_on_error=False,
            **kwargs,
        )
        # 0: a worker per event. N: a batch of up to N events per worker (EventBatch).
        self.batch = batch
        # With a batch: how long a first event waits for others when no batch runs (0: none).
        self.linger = linger if batch else 0.0
        self._lingering: Any = None  # the timer that starts the open batch after `linger`
        self._open: EventBatch | None = None  # collecting while the last batch runs
        self._alone: deque[EventBatch] = deque()  # a failed batch's events, one per worker
        self._running = 0
        self._stopping = False

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
    # handle_message runs in a thread of the container's own, and handle_event_result in the
    # worker's after the handler: an exception escaping either kills the whole service. So
    # every failure ends with the message acked (handled, dead-lettered, or published to a
    # retry queue) or, only if even the broker refuses that, requeued after a pause.

    def handle_message(self, body, message) -> None:
        try:
            self._receive(body, message)
        except Exception as exc:
            if not isinstance(exc, DBAPIError):  # a database error says enough in one line
                log.exception("could not receive an event")
            self._fail(message, None, Failed.DELIVERY, _describe(exc))

    def _receive(self, body, message) -> None:
        try:
            event = parse_envelope(body)
        except ValidationError as exc:
            self._dead_letter(message, None, f"not a valid event envelope: {exc.messages}")
            return
        if self.batch:
            self._collect(event, message)
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
                handle_result=partial(self.handle_event_result, message, event),
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
        return bool(self.database.probe(query))

    def handle_event_result(self, message, event, worker_ctx, result=None, exc_info=None):
        try:
            exc_info = self._settle(message, event, worker_ctx, exc_info)
        except Exception as exc:
            log.exception("could not settle an event after its handler ran")
            self._fail(message, event, Failed.DELIVERY, _describe(exc))
        return result, exc_info

    def _settle(self, message, event, worker_ctx, exc_info):
        """Commit the handler's work with its processed_events row and ack, or fail it."""
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
            except Exception:
                # The database went away before the handler's work was done: an attempt.
                exc_info = sys.exc_info()
        exc_info = finish_worker(self.container, worker_ctx, exc_info)
        service = self.container.service_name
        if duplicate or exc_info is None:
            outcome = "duplicate" if duplicate else "ok"
            EVENTS_HANDLED.labels(service, self.method_name, outcome).inc()
            self.queue_consumer.ack_message(message)
            return None
        self._fail(message, event, Failed.HANDLER, _describe(exc_info[1]))
        return exc_info

    # -- batches (batch=N) ---------------------------------------------------------------------
    # One batch runs at a time per handler and process; what arrives meanwhile waits in the
    # open batch (at most N, and at most the consumer's prefetch, since nothing in it is acked
    # yet), which starts when the running one ends. Under a light load a batch is one event,
    # started at once; under a heavy one the worker, the duplicate check and the commit are
    # shared by many. All of this runs in the consumer's thread or in handle_result, one at a
    # time (eventlet), so the counters need no lock.

    def stop(self) -> None:
        # No batch starts once the container stops: what waits goes back to the queue (for
        # another instance, or this one's next start) once this consumer is cancelled.
        self._stopping = True
        if self._lingering is not None:
            self._lingering.cancel()
            self._lingering = None
        super().stop()
        waiting = [*self._alone, *([self._open] if self._open is not None else [])]
        self._alone.clear()
        self._open = None
        for batch in waiting:
            for _, message in batch.received:
                with contextlib.suppress(Exception):
                    self.queue_consumer.requeue_message(message)

    def _collect(self, event: Event, message) -> None:
        if self._stopping:
            return  # unacked: the broker gives it back
        if self._open is None:
            self._open = EventBatch(self)
        self._open.received.append((event, message))
        if len(self._open.received) >= self.batch:
            self._start(self._open)
        elif self._running == 0:
            if not self.linger:
                self._start(self._open)
            elif self._lingering is None:
                # A hub timer, not spawn_after: cancelling it never yields to other green
                # threads, so the counters below stay consistent without a lock.
                self._lingering = eventlet.hubs.get_hub().schedule_call_global(
                    self.linger, eventlet.spawn_n, self._linger_over
                )

    def _linger_over(self) -> None:
        self._lingering = None
        if not self._stopping and self._open is not None and self._running == 0:
            self._start(self._open)

    def _start(self, batch: EventBatch) -> None:
        if batch is self._open:
            self._open = None
            if self._lingering is not None:
                self._lingering.cancel()
                self._lingering = None
        first = batch.received[0][0]
        caller = Caller.system(
            service=self.container.service_name,
            correlation_id=first.correlation_id or first.event_id,
        )
        self._running += 1
        try:
            self.container.spawn_worker(
                self,
                (batch,),
                {},
                context_data=context_data_for(caller, self.context_secret),
                handle_result=partial(self.handle_batch_result, batch),
            )
        except Exception as exc:
            self._running -= 1
            if not isinstance(exc, ContainerBeingKilled):
                log.exception("could not start a batch of events; giving them back")
            for _, message in batch.received:
                with contextlib.suppress(Exception):
                    self.queue_consumer.requeue_message(message)

    def handle_batch_result(self, batch: EventBatch, worker_ctx, result=None, exc_info=None):
        try:
            exc_info = self._settle_batch(batch, worker_ctx, exc_info)
        except Exception as exc:
            log.exception("could not settle a batch of events after its handler ran")
            for event, message in batch.received:
                self._fail(message, event, Failed.DELIVERY, _describe(exc))
        finally:
            self._running -= 1
            # Not from here: this worker still holds its place in the pool, and a full pool
            # would run the next batch inline, inside this one's ending.
            eventlet.spawn_n(self._start_next)
        return result, exc_info

    def _settle_batch(self, batch: EventBatch, worker_ctx, exc_info):
        """Commit the batch's work with its processed_events rows and ack every message; or,
        when it fails, take each of its events again alone (one event: retry or dead-letter
        it as any handler's)."""
        if exc_info is None and not batch.taken:
            # A handler that returned without reading its batch: its events are recorded as
            # handled all the same (as a single event's handler that did nothing would be).
            try:
                list(batch)
            except Exception:
                exc_info = sys.exc_info()
        # Before finish_worker, which turns a database error into ServiceUnavailable.
        raised = exc_info[1] if exc_info is not None else None
        exc_info = finish_worker(self.container, worker_ctx, exc_info)
        service = self.container.service_name
        if exc_info is None:
            handled = EVENTS_HANDLED.labels(service, self.method_name, "ok")
            duplicate = EVENTS_HANDLED.labels(service, self.method_name, "duplicate")
            for event, message in batch.received:
                (handled if event.event_id in batch.handled else duplicate).inc()
                self.queue_consumer.ack_message(message)
            return None
        if len(batch.received) == 1:
            # The database away, a deadlock with another batch (or a commit that failed for
            # them): not the handler's fault.
            database = isinstance(raised, OperationalError) or isinstance(
                exc_info[1], ServiceUnavailable
            )
            failed = Failed.DELIVERY if database else Failed.HANDLER
            event, message = batch.received[0]
            self._fail(message, event, failed, _describe(exc_info[1]))
            return exc_info
        # One bad event must not hold back the others (nor spend their attempts).
        log.warning(
            "a batch of events failed; taking them one at a time",
            extra={
                "fields": {
                    "handler": self.handler_key,
                    "events": len(batch.received),
                    "error": _describe(exc_info[1]),
                }
            },
        )
        self._alone.extend(EventBatch(self, [received]) for received in batch.received)
        return exc_info

    def _start_next(self) -> None:
        if self._stopping:
            return
        if self._alone:
            self._start(self._alone.popleft())
        elif self._open is not None and self._running == 0:
            self._start(self._open)

    # -- failing -----------------------------------------------------------------------------

    def _fail(self, message, event, failed: Failed, error: str) -> None:
        """Retry the message later, or dead-letter it; never raises."""
        plan = redelivery(
            failed,
            attempt=header_count(message.headers, ATTEMPT_HEADER),
            deferrals=header_count(message.headers, DEFERRALS_HEADER),
            retry_delays=self.retry_delays,
        )
        if plan is None:
            self._dead_letter(message, event, error)
        else:
            self._retry_later(message, plan, failed, error)

    def _retry_later(self, message, plan: Redelivery, failed: Failed, error: str) -> None:
        delay_ms = max(1, int(plan.seconds * 1000))
        retry_queue = Queue(
            f"{self.queue.name}.retry.{plan.queue}",
            exchange=DEFAULT_EXCHANGE,
            durable=True,
            queue_arguments={
                "x-message-ttl": delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.queue.name,
            },
        )
        fields = {
            "handler": self.handler_key,
            "failed": failed.value,
            "attempt": plan.attempt,
            "deferrals": plan.deferrals,
            "delay_ms": delay_ms,
            "error": error,
        }
        try:
            with get_producer(self.amqp_uri) as producer:
                producer.publish(
                    message.body,
                    exchange=DEFAULT_EXCHANGE,
                    routing_key=retry_queue.name,
                    declare=[retry_queue],
                    headers={
                        **(message.headers or {}),
                        ATTEMPT_HEADER: plan.attempt,
                        DEFERRALS_HEADER: plan.deferrals,
                    },
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode=PERSISTENT,
                )
        except Exception:
            # The broker will not take it: hold the message a while, then give it back unacked
            # (if the connection is gone, the broker has taken it back already).
            log.exception(
                "could not publish an event for a retry; requeueing it", extra={"fields": fields}
            )
            eventlet.sleep(min(plan.seconds, REQUEUE_PAUSE_SECONDS))
            with contextlib.suppress(Exception):
                self.queue_consumer.requeue_message(message)
            return
        outcome = "retried" if failed is Failed.HANDLER else "deferred"
        EVENTS_HANDLED.labels(self.container.service_name, self.method_name, outcome).inc()
        log.warning(
            "event handler failed; retrying"
            if failed is Failed.HANDLER
            else "could not deliver an event; retrying",
            extra={"fields": fields},
        )
        self.queue_consumer.ack_message(message)

    def _dead_letter(self, message, event, error: str) -> None:
        """Keep the message in the dead_letters table and ack it; if the database will not
        take it, it waits in the last retry queue and comes back (never raises)."""
        attempts = header_count(message.headers, ATTEMPT_HEADER) + 1
        body = message.body
        try:
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
                        attempts=attempts,
                    )
                )
        except Exception as exc:
            if not isinstance(exc, DBAPIError):
                log.exception("could not dead-letter an event")
            self._fail(
                message, event, Failed.DEAD_LETTER, f"{error}; not dead-lettered: {_describe(exc)}"
            )
            return
        EVENTS_HANDLED.labels(self.container.service_name, self.method_name, "dead_lettered").inc()
        log.error(
            "event dead-lettered",
            extra={"fields": {"handler": self.handler_key, "attempts": attempts, "error": error}},
        )
        self.queue_consumer.ack_message(message)


event_handler = EventHandler.decorator

# A batch handler's most events per worker (`event_handler(..., batch=EVENT_BATCH)`): enough
# to share a worker and a commit among many, and within the consumer's prefetch.
EVENT_BATCH = 50

# How long a read model's handler lets a first event wait for others when it is idle
# (`event_handler(..., batch=EVENT_BATCH, linger=READ_MODEL_LINGER)`). A steady stream (a
# hundred punches a second) otherwise arrives slower than a batch of one is handled: every
# event paid for a worker, a transaction and a commit of its own, and the read models took a
# quarter of the platform's CPU from the requests. What a read model shows may lag by this.
READ_MODEL_LINGER = 0.05


def read_model_handler(source_service: str, event_type: str):
    """An event handler that keeps a read model: batches that linger (READ_MODEL_LINGER)."""
    return event_handler(source_service, event_type, batch=EVENT_BATCH, linger=READ_MODEL_LINGER)


# Every id of a batch recorded as handled at once, first in the batch's transaction: an id
# another worker (or instance) holds waits for its commit and is then skipped. Sorted, so two
# batches never wait on each other's rows in a circle.
_RECORD_HANDLED = text(
    "INSERT INTO processed_events (handler, event_id) "
    "SELECT :handler, id FROM unnest(CAST(:ids AS varchar[])) AS id ORDER BY id "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


class EventBatch:
    """The events a `batch=N` handler gets at once: iterate over it for the events not handled
    before, each recorded as handled in the worker's transaction. The handler works within
    each event's tenant (the worker's caller has none: a batch may span CBOs), and the events
    it emits carry the correlation id of the event being handled."""

    def __init__(self, handler: EventHandler, received: list[tuple[Event, Any]] | None = None):
        self.handler = handler
        self.received = received if received is not None else []  # (event, message)
        self.handled: set[str] = set()
        self._fresh: list[Event] | None = None

    @property
    def taken(self) -> bool:
        """Whether its events were recorded as handled (the handler iterated over it)."""
        return self._fresh is not None

    def __len__(self) -> int:
        return len(self.received)

    def _unit(self) -> UnitOfWork:
        """The unit of work of the worker this batch was given to (its only argument)."""
        for worker_ctx, unit in self.handler.database.units.items():
            if worker_ctx.args and worker_ctx.args[0] is self:
                return unit
        raise RuntimeError("an event batch is read only by the worker it was given to")

    def __iter__(self) -> Iterator[Event]:
        unit = self._unit()
        if self._fresh is None:
            unique = {event.event_id: event for event, _ in self.received}
            recorded = unit.session.execute(
                _RECORD_HANDLED, {"handler": self.handler.handler_key, "ids": sorted(unique)}
            )
            self.handled = set(recorded.scalars())
            self._fresh = [event for key, event in unique.items() if key in self.handled]
        for event in self._fresh:
            unit.correlation_id = event.correlation_id or event.event_id
            yield event


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
