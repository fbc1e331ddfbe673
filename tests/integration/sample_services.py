"""Small services built on the chassis, used to prove what the chassis guarantees.

`it_publisher` records notes and emits `note.recorded`; `it_consumer` keeps what it receives
and can be told to fail, to exercise retries and dead letters (and to do something of the
test's just before it fails: BEFORE_FAILING). A note `ask:<method>` makes the
consumer's handler call that it_publisher RPC as its system caller and keep the answer (or the
refusal) as the note, to show what a system caller may do in another service. `it_jobs` runs a
background job (chassis.jobs) that counts items into a table, one chunk per step, which a test
can hold at a step or make fail there. `it_batch` takes `note.recorded` in batches and keeps each
note with the size of the batch it came in (a note "poison" makes its batch fail, a note
"hiccup" fails it as the database would while BATCH_HICCUPS says so; a note "emit:<text>" has it
emit a note of its own; LingeringBatchService is it_batch whose handler lingers). `it_timer`
keeps a row per tick of its timer (who it ran as), and fails the ticks a test asks it to, after
writing the row.
"""

from __future__ import annotations

from collections.abc import Callable

from eventlet.event import Event
from marshmallow import Schema, fields
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text
from sqlalchemy.exc import OperationalError

from chassis.context import for_services, public, requires
from chassis.contracts.events import event
from chassis.db import UnitOfWork
from chassis.entrypoints import EVENT_BATCH, EventBatch, event_handler, rpc, timer
from chassis.errors import Conflict, DomainError
from chassis.jobs import (
    Job,
    JobKind,
    JobRunner,
    JobSchema,
    JobStarter,
    StepResult,
    cancel,
    enqueue,
    progress,
    resume,
)
from chassis.rpc import Services
from chassis.service import ServiceBase


@event("note.recorded", publisher="it_publisher")
class NoteRecorded(Schema):
    """A test note was recorded."""

    note = fields.String(required=True)


publisher_metadata = MetaData()
notes = Table(
    "notes",
    publisher_metadata,
    Column("id", Integer, primary_key=True),
    Column("note", String(200), nullable=False),
)

consumer_metadata = MetaData()
received = Table(
    "received",
    consumer_metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("note", String(200), nullable=False),
)
# How many more times the consumer should fail; a table so the test controls it from outside.
failures = Table(
    "failures",
    consumer_metadata,
    Column("id", Integer, primary_key=True),
    Column("remaining", Integer, nullable=False),
)


# What the consumer's handler does, keyed by the failures it has left, after it has counted one
# down and just before it fails (a test cuts the database away there); each is done once.
BEFORE_FAILING: dict[int, Callable[[], None]] = {}


def record_note(unit, note: str, tenant_id: str | None) -> None:
    unit.session.execute(insert(notes).values(note=note))
    unit.emit("note.recorded", {"note": note}, tenant_id=tenant_id)


class PublisherService(ServiceBase):
    name = "it_publisher"

    @rpc
    @public
    def record(self, note: str, fail_after_emit: bool = False) -> str:
        record_note(self.db, note, self.caller.tenant_id)
        if fail_after_emit:
            raise Conflict("refused after emitting")
        return note

    @rpc
    @public
    def slow(self, seconds: float) -> None:
        self.db.session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})

    @rpc
    @public
    def whoami(self) -> dict:
        return {
            "kind": self.caller.kind,
            "tenant_id": self.caller.tenant_id,
            "correlation_id": self.caller.correlation_id,
        }

    @rpc
    @requires("notes.read")
    def read_notes(self) -> list[str]:
        return list(self.db.session.execute(select(notes.c.note).order_by(notes.c.id)).scalars())

    @rpc
    @requires("notes.read")
    @for_services("it_consumer")
    def count_notes(self) -> int:
        return self.db.session.execute(select(func.count()).select_from(notes)).scalar_one()

    @rpc
    @for_services("it_consumer")
    @requires("notes.read")
    def caller_seen(self) -> str:
        return f"{self.caller.kind} {self.caller.service} {self.caller.tenant_id}"


class ConsumerService(ServiceBase):
    name = "it_consumer"

    services = Services()

    @event_handler("it_publisher", "note.recorded")
    def on_note_recorded(self, event) -> None:
        session = self.db.session
        remaining = session.execute(select(failures.c.remaining).with_for_update()).scalar()
        if remaining:
            session.execute(failures.update().values(remaining=remaining - 1))
            session.commit()  # the countdown survives the failure below
            BEFORE_FAILING.pop(remaining, lambda: None)()
            raise RuntimeError(f"told to fail ({remaining} more)")
        note = event.data["note"]
        if note.startswith("ask:"):
            method = note.removeprefix("ask:")
            try:
                answer = self.services.call("it_publisher", method)
            except DomainError as refused:
                answer = type(refused).__name__
            note = f"{method}: {answer}"
        session.execute(insert(received).values(event_id=event.event_id, note=note))


batch_metadata = MetaData()
batched = Table(
    "batched",
    batch_metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("note", String(200), nullable=False),
    Column("batch_size", Integer, nullable=False),
)


@event("batch.noted", publisher="it_batch")
class BatchNoted(Schema):
    """A note the batch consumer was asked to pass on."""

    note = fields.String(required=True)


# How many more times a note "hiccup" makes the batch consumer fail as the database would
# (an OperationalError: away, or a deadlock); in memory, since the failure rolls back.
BATCH_HICCUPS = {"left": 0}


class BatchConsumerService(ServiceBase):
    name = "it_batch"

    @event_handler("it_publisher", "note.recorded", batch=EVENT_BATCH)
    def on_notes_recorded(self, events: EventBatch) -> None:
        for received_event in events:
            note = received_event.data["note"]
            if note == "poison":
                raise RuntimeError("a poisoned note")
            if note == "hiccup" and BATCH_HICCUPS["left"] > 0:
                BATCH_HICCUPS["left"] -= 1
                raise OperationalError("INSERT …", {}, RuntimeError("deadlock detected"))
            if note.startswith("emit:"):
                self.db.emit("batch.noted", {"note": note}, tenant_id=received_event.tenant_id)
            self.db.session.execute(
                insert(batched).values(
                    event_id=received_event.event_id, note=note, batch_size=len(events)
                )
            )


class LingeringBatchService(BatchConsumerService):
    """it_batch whose handler lets a first event wait LINGER seconds for others."""

    LINGER = 1.0

    @event_handler("it_publisher", "note.recorded", batch=EVENT_BATCH, linger=LINGER)
    def on_notes_recorded(self, events: EventBatch) -> None:
        BatchConsumerService.on_notes_recorded(self, events)


class LongLingeringBatchService(BatchConsumerService):
    """it_batch whose handler lingers longer than any test waits: its events are still
    waiting for company when the test stops it."""

    @event_handler("it_publisher", "note.recorded", batch=EVENT_BATCH, linger=300.0)
    def on_notes_recorded(self, events: EventBatch) -> None:
        BatchConsumerService.on_notes_recorded(self, events)


class CallingService:
    """Calls it_publisher with a short timeout, to show RPC never waits forever."""

    name = "it_caller"
    services = Services(timeout=0.3)

    @rpc
    @public
    def call_slow(self, seconds: float) -> None:
        self.services.call("it_publisher", "slow", seconds)


# -- a service with a background job --------------------------------------------------------

jobs_metadata = MetaData()
# One row per item a step counted, with the attempt (run) that committed it: an item counted
# twice, or by the wrong run, shows here.
counted = Table(
    "counted",
    jobs_metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", String(36), nullable=False),
    Column("item", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
)


class Gate:
    """Holds a step until the test lets it go; `arrived` tells the test the step got there."""

    def __init__(self) -> None:
        self.arrived = Event()
        self.released = Event()

    def pass_through(self) -> None:
        self.arrived.send(True)
        self.released.wait()


class StepControl:
    """What a test makes the sample job's step do when it starts at a position: wait at a gate,
    or raise. Each arrangement is used once (a resumed run passes)."""

    def __init__(self) -> None:
        self.gates: dict[tuple[str, int], Gate] = {}
        self.failures: set[tuple[str, int]] = set()

    def hold(self, label: str, at: int) -> Gate:
        gate = self.gates[(label, at)] = Gate()
        return gate

    def fail(self, label: str, at: int) -> None:
        self.failures.add((label, at))

    def reset(self) -> None:
        for gate in self.gates.values():
            gate.released.send(True)
        self.gates.clear()
        self.failures.clear()

    def before_step(self, label: str, at: int) -> None:
        gate = self.gates.pop((label, at), None)
        if gate is not None:
            gate.pass_through()
        if (label, at) in self.failures:
            self.failures.discard((label, at))
            raise RuntimeError(f"told to fail at {at}")


STEPS = StepControl()


def count_items(uow: UnitOfWork, *, job: Job, label: str, upto: int, chunk: int = 10) -> StepResult:
    """Count the next `chunk` items of `upto` into `counted`."""
    start = job.checkpoint["next"] if job.checkpoint else 0
    STEPS.before_step(label, start)
    end = min(start + chunk, upto)
    uow.session.execute(
        insert(counted),
        [{"job_id": job.id, "item": item, "attempt": job.attempt} for item in range(start, end)],
    )
    return StepResult(done=end, total=upto, checkpoint={"next": end}, finished=end >= upto)


COUNT = JobKind("sample.count", count_items)


class JobsService(ServiceBase):
    name = "it_jobs"

    jobs: JobStarter = JobRunner(COUNT)  # type: ignore[assignment]

    @rpc
    @public
    def start_count(self, label: str, upto: int, fail_after_queueing: bool = False) -> str:
        job_id = enqueue(
            self.db,
            COUNT,
            tenant_id=self.caller.tenant_id,
            params={"label": label, "upto": upto},
            total=upto,
        )
        self.jobs.start(job_id)
        if fail_after_queueing:
            raise Conflict("refused after queueing")
        return job_id

    @rpc
    @public
    def job_progress(self, job_id: str) -> dict:
        return JobSchema().dump(progress(self.db, job_id=job_id, tenant_id=None))

    @rpc
    @public
    def cancel_job(self, job_id: str) -> dict:
        return JobSchema().dump(cancel(self.db, job_id=job_id, tenant_id=None))

    @rpc
    @public
    def resume_job(self, job_id: str) -> dict:
        job = resume(self.db, job_id=job_id, tenant_id=None)
        self.jobs.start(job_id)
        return JobSchema().dump(job)


# -- a service with a timer ------------------------------------------------------------------

timer_metadata = MetaData()
ticks = Table(
    "ticks",
    timer_metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("service", String(50)),
    Column("tenant_id", String(36)),
    Column("correlation_id", String(64), nullable=False),
)
# How many of the coming ticks should fail after writing their row (a test sets it).
FAILING_TICKS = {"remaining": 0}


class TimerService(ServiceBase):
    """Ticks every `tier_sweep_seconds` (the test's Settings), keeping who it ran as."""

    name = "it_timer"

    @timer("tier_sweep_seconds")
    def tick(self) -> None:
        self.db.session.execute(
            insert(ticks).values(
                kind=self.caller.kind,
                service=self.caller.service,
                tenant_id=self.caller.tenant_id,
                correlation_id=self.caller.correlation_id,
            )
        )
        if FAILING_TICKS["remaining"] > 0:
            FAILING_TICKS["remaining"] -= 1
            raise RuntimeError("told to fail this tick")

    @rpc
    @public
    def tick_count(self) -> int:
        return self.db.session.execute(select(func.count()).select_from(ticks)).scalar_one()
