"""Leased, resumable background jobs with progress: work too long for a request (a CSV import,
a payroll run, a report build, the confirmation deadlines of a day), done in steps outside any
request, that survives a crashed process and tells how far it got.

A job is a row of the service's `background_jobs` table (chassis.tables): its kind, tenant,
status, progress (`done` of `total`), the checkpoint its last step left, its lease, attempts
and error. A kind of job is a `JobKind`: a name and a step function,

    def import_chunk(uow: UnitOfWork, *, job: Job, import_id: str) -> StepResult: ...
    IMPORT = JobKind("jobseekers.import", import_chunk, lease=timedelta(seconds=60))

called again and again, keyword-only like every domain function, with `job=` (its
`job.checkpoint` None the first time) and the keyword arguments the job was queued with
(`job.params`), until it answers `StepResult(..., finished=True)`.
Each step's changes commit in one transaction together with its new checkpoint and progress,
so a run that dies is resumed at the last committed step and no step's work is done twice.

How a service uses it:
- the area declares `jobs = JobRunner(IMPORT, ...)` on its entrypoints mixin (a runner runs
  only its own kinds; a service may have several runners under different names);
- a domain function queues the job in the request's transaction: `job_id = enqueue(uow, IMPORT,
  tenant_id=..., params={"import_id": ...})`; the entrypoint then calls
  `self.jobs.start(job_id)`, and the runner starts it once that transaction has committed
  (never if it rolled back);
- `progress`, `cancel` and `resume` (plain functions, scoped to a tenant) back the entrypoints
  that follow a job, stop it, or continue it after an error; `JobSchema` dumps a job the same
  way in every service.

What the runner guarantees:
- A run first claims the job: queued (and due: `not_before`), or running with a lapsed lease.
  The claim sets a lease (the kind's `lease`, measured on the database's clock) and counts an
  attempt; every step renews the lease when it commits. The claim's attempt number fences the
  run: a step commits only while the job is still `running` under that attempt, otherwise the
  run rolls the step back and stops. So a run that stalled past its lease and was taken over,
  or whose job was cancelled, writes nothing more, and two runs never both commit a step.
- The runner sweeps for queued jobs and lapsed leases when the service starts and every
  `sweep_seconds` (30 s), so a job whose process died (or whose start was lost) is resumed by
  whichever instance sweeps first, from its checkpoint.
- A step that raises leaves the job `interrupted` with the error, at its last committed step;
  it is not retried by itself (`resume` queues it again). A step that raises `JobFailed` ends
  the job as `failed`, for good. On a graceful stop a run finishes its current step and gives
  the job back (`queued`) for the next sweep.
- At most `max_running` (4) jobs run at once per runner; others wait for a slot.
- `run_job` is the whole run as a plain function (claim, steps, fencing, errors): domain tests
  call it directly with a unit-of-work factory.

Statuses: queued -> running -> succeeded | failed | interrupted; interrupted -> (resume) queued;
queued, running or interrupted -> (cancel) cancelled. succeeded, failed and cancelled are final.

What a step must do: keep well inside its lease (a chunk of a second or so, not minutes); leave
committing to the runner (never call `uow.commit()`); put every effect in `uow` (events through
`uow.emit`, so they go out only if the step commits; they carry the job's id as correlation
id); return a JSON checkpoint from which the next step continues. Anything it wants to keep in
memory between its steps within one run (an open file, a parsed table) goes in `job.cache`,
which a resumed run starts empty.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

import eventlet
from eventlet.semaphore import Semaphore
from marshmallow import Schema, fields
from nameko.extensions import DependencyProvider
from sqlalchemy import DateTime, and_, func, insert, or_, select, update
from sqlalchemy.engine import CursorResult, Result, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from chassis.db import Database, UnitOfWork, database_of
from chassis.errors import Conflict, NotFound
from chassis.tables import JOB_STATUSES, background_jobs

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED, INTERRUPTED, CANCELLED = JOB_STATUSES
FINISHED = (SUCCEEDED, FAILED, CANCELLED)

_jobs = background_jobs.c


# -- what a kind of job is ----------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    """What one step did: progress so far (`done` of `total`, None if unknown), where the next
    step starts (JSON), and whether the job is complete."""

    done: int
    total: int | None
    checkpoint: Any
    finished: bool = False


@dataclass(frozen=True)
class Job:
    """The job as a step sees it."""

    id: str
    kind: str
    tenant_id: str | None
    created_by: str | None
    params: dict[str, Any]
    checkpoint: Any
    done: int
    total: int | None
    # The claim this run holds (1 for the first run, 2 once resumed, ...).
    attempt: int
    # The step's memory between its steps within this run; a resumed run starts it empty.
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


Step = Callable[..., StepResult]


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its name (unique in the service, e.g. "jobseekers.import"), its step, and
    how long a claim lasts without a committed step before another run may take the job."""

    name: str
    step: Step
    lease: timedelta = timedelta(seconds=60)

    def __post_init__(self) -> None:
        if not 0 < len(self.name) <= 100:
            raise ValueError("a job kind's name has 1 to 100 characters")
        if self.lease <= timedelta(0):
            raise ValueError(f"{self.name}: the lease must be positive")

    def check_params(self, params: dict[str, Any]) -> None:
        """Refuse, when the job is queued rather than when it runs, parameters the step does
        not take or that JSON cannot hold (a programming error: ValueError)."""
        try:
            inspect.signature(self.step).bind(None, job=None, **params)
        except TypeError as exc:
            raise ValueError(f"{self.name}: these parameters do not fit its step: {exc}") from exc
        try:
            json.dumps(params)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{self.name}: the parameters are not JSON: {exc}") from exc


class JobFailed(Exception):
    """Raised by a step: the job cannot succeed (its input is wrong, say); it ends `failed`,
    with this message as its error, and cannot be resumed."""


class LostLease(Exception):
    """The run no longer holds its job (taken over after its lease lapsed, or cancelled)."""


# -- queueing, reading, cancelling, resuming ------------------------------------------------------


def _clock() -> ColumnElement[datetime]:
    """The database's clock (not the transaction's start): every lease is measured on it."""
    return func.clock_timestamp(type_=DateTime(timezone=True))


def enqueue(
    uow: UnitOfWork,
    kind: JobKind,
    *,
    tenant_id: str | None,
    params: dict[str, Any] | None = None,
    created_by: str | None = None,
    total: int | None = None,
    not_before: datetime | None = None,
) -> str:
    """Queue a job in `uow`'s transaction; returns its id. It runs once the transaction has
    committed: at once if the entrypoint calls `self.<runner>.start(job_id)`, otherwise at the
    next sweep (and not before `not_before`)."""
    params = dict(params or {})
    kind.check_params(params)
    job_id = str(uuid.uuid4())
    uow.session.execute(
        insert(background_jobs).values(
            id=job_id,
            kind=kind.name,
            tenant_id=tenant_id,
            created_by=created_by,
            status=QUEUED,
            params=params,
            checkpoint=None,
            done=0,
            total=total,
            attempts=0,
            not_before=not_before,
        )
    )
    return job_id


VIEW_FIELDS = (
    "id",
    "kind",
    "tenant_id",
    "status",
    "done",
    "total",
    "error",
    "attempts",
    "created_by",
    "created_at",
    "started_at",
    "updated_at",
    "finished_at",
    "not_before",
)


def _changed(result: Result[Any]) -> int:
    """How many rows an UPDATE changed."""
    return cast(CursorResult[Any], result).rowcount


def _view(row: RowMapping) -> dict[str, Any]:
    view = {name: row[name] for name in VIEW_FIELDS}
    view["resumable"] = row["status"] == INTERRUPTED
    return view


def _row(uow: UnitOfWork, *, job_id: str, tenant_id: str | None, lock: bool = False) -> RowMapping:
    query = select(background_jobs).where(_jobs.id == job_id)
    if tenant_id is not None:
        query = query.where(_jobs.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    row = uow.session.execute(query).mappings().one_or_none()
    if row is None:
        raise NotFound("There is no such job.")
    return row


def progress(uow: UnitOfWork, *, job_id: str, tenant_id: str | None) -> dict[str, Any]:
    """The job as its last committed step left it (see JobSchema). `tenant_id` scopes the
    lookup to one CBO's jobs; None finds any job (platform jobs, the operator)."""
    return _view(_row(uow, job_id=job_id, tenant_id=tenant_id))


_FINAL_WORDS = {
    SUCCEEDED: "has already succeeded",
    FAILED: "has already failed",
    CANCELLED: "was already cancelled",
}


def cancel(uow: UnitOfWork, *, job_id: str, tenant_id: str | None) -> dict[str, Any]:
    """Stop a job for good. A running step's work is rolled back (its run no longer holds the
    job); steps already committed stay done. 409 if the job has already finished."""
    row = _row(uow, job_id=job_id, tenant_id=tenant_id, lock=True)
    if row["status"] in FINISHED:
        raise Conflict(f"This job {_FINAL_WORDS[row['status']]}.")
    uow.session.execute(
        update(background_jobs)
        .where(_jobs.id == job_id)
        .values(
            status=CANCELLED,
            lease_owner=None,
            lease_until=None,
            updated_at=_clock(),
            finished_at=_clock(),
        )
    )
    return progress(uow, job_id=job_id, tenant_id=tenant_id)


def resume(uow: UnitOfWork, *, job_id: str, tenant_id: str | None) -> dict[str, Any]:
    """Queue an interrupted job again (or one whose run died, before a sweep found it); it
    continues from its last committed step once the caller's transaction commits (the
    entrypoint calls `self.<runner>.start(job_id)`). 409 if it is running or finished."""
    row = _row(uow, job_id=job_id, tenant_id=tenant_id, lock=True)
    if row["status"] in FINISHED:
        raise Conflict(f"This job {_FINAL_WORDS[row['status']]}; it cannot be resumed.")
    if row["status"] != QUEUED:
        requeued = uow.session.execute(
            update(background_jobs)
            .where(
                _jobs.id == job_id,
                (_jobs.status == INTERRUPTED) | _lapsed(),
            )
            .values(
                status=QUEUED, error=None, lease_owner=None, lease_until=None, updated_at=_clock()
            )
        )
        if _changed(requeued) != 1:
            raise Conflict("This job is running; follow its progress instead.")
    return progress(uow, job_id=job_id, tenant_id=tenant_id)


class JobSchema(Schema):
    """A job's progress, as every service's entrypoints answer it."""

    id = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(
        required=True, metadata={"enum": list(JOB_STATUSES), "description": "See chassis.jobs."}
    )
    done = fields.Integer(required=True)
    total = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    resumable = fields.Boolean(required=True)
    attempts = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(allow_none=True)


# -- running -----------------------------------------------------------------------------------


def _lapsed() -> ColumnElement[bool]:
    """Running, but its run stopped renewing the lease: the process died or stalled."""
    return and_(
        _jobs.status == RUNNING, or_(_jobs.lease_until.is_(None), _jobs.lease_until < _clock())
    )


def _runnable() -> ColumnElement[bool]:
    due = or_(_jobs.not_before.is_(None), _jobs.not_before <= _clock())
    return or_(and_(_jobs.status == QUEUED, due), _lapsed())


def runnable_jobs(uow: UnitOfWork, kinds: Iterable[str], *, limit: int = 100) -> list[str]:
    """Jobs of these kinds that a run may claim now: queued and due, or with a lapsed lease."""
    return list(
        uow.session.execute(
            select(_jobs.id)
            .where(_jobs.kind.in_(list(kinds)), _runnable())
            .order_by(_jobs.created_at, _jobs.id)
            .limit(limit)
        ).scalars()
    )


def _claim(uow: UnitOfWork, job_id: str, kinds: Mapping[str, JobKind], owner: str) -> Job | None:
    kind_name = uow.session.execute(
        select(_jobs.kind).where(_jobs.id == job_id)
    ).scalar_one_or_none()
    kind = kinds.get(kind_name) if kind_name is not None else None
    if kind is None:
        return None
    # One statement: of two runs claiming at once, the second waits for the first's row lock,
    # then finds the job no longer runnable.
    row = (
        uow.session.execute(
            update(background_jobs)
            .where(_jobs.id == job_id, _runnable())
            .values(
                status=RUNNING,
                lease_owner=owner,
                lease_until=_clock() + kind.lease,
                attempts=_jobs.attempts + 1,
                error=None,
                started_at=func.coalesce(_jobs.started_at, _clock()),
                updated_at=_clock(),
            )
            .returning(background_jobs)
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return None
    return Job(
        id=row["id"],
        kind=row["kind"],
        tenant_id=row["tenant_id"],
        created_by=row["created_by"],
        params=dict(row["params"] or {}),
        checkpoint=row["checkpoint"],
        done=row["done"],
        total=row["total"],
        attempt=row["attempts"],
    )


def _held_by(job: Job) -> ColumnElement[bool]:
    """The job is still this run's: running under the attempt it claimed."""
    return and_(_jobs.id == job.id, _jobs.attempts == job.attempt, _jobs.status == RUNNING)


def _save_step(uow: UnitOfWork, job: Job, kind: JobKind, result: StepResult) -> None:
    if not isinstance(result, StepResult):
        raise TypeError(f"{kind.name}: a step returns a StepResult, not {result!r}")
    values: dict[str, Any] = {
        "checkpoint": result.checkpoint,
        "done": result.done,
        "total": result.total,
        "updated_at": _clock(),
    }
    if result.finished:
        values.update(status=SUCCEEDED, finished_at=_clock(), lease_owner=None, lease_until=None)
    else:
        values["lease_until"] = _clock() + kind.lease
    # The fence: the update locks the job's row and matches nothing once another run has
    # claimed the job (or it was cancelled); then the step's work rolls back with it.
    saved = uow.session.execute(update(background_jobs).where(_held_by(job)).values(**values))
    if _changed(saved) != 1:
        raise LostLease(job.id)


def _leave(new_unit: Callable[[], UnitOfWork], job: Job, **values: Any) -> bool:
    """End this run's hold on the job (fenced like a step); False if it had lost it already."""
    with _unit(new_unit) as uow:
        left = uow.session.execute(
            update(background_jobs)
            .where(_held_by(job))
            .values(lease_owner=None, lease_until=None, updated_at=_clock(), **values)
        )
        uow.commit()
    return _changed(left) == 1


def _describe(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"Stopped by an error ({message[:500]}); resume it to continue."


def run_job(
    new_unit: Callable[[], UnitOfWork],
    job_id: str,
    kinds: Mapping[str, JobKind],
    *,
    owner: str,
    stopping: Callable[[], bool] = lambda: False,
) -> str | None:
    """Claim a job and run its steps until it finishes, fails, or this run must stop. Returns
    the status this run left it in, or None if the job was not this run's to do (not one of
    `kinds`, not runnable, already claimed) or the run lost it on the way. Never raises for a
    step's error (the job is left `interrupted`); database errors outside a step propagate.

    `new_unit` makes a fresh unit of work per transaction; `owner` names this runner in the
    job's `lease_owner`; `stopping` is asked before each step (a graceful stop)."""
    with _unit(new_unit) as uow:
        job = _claim(uow, job_id, kinds, owner)
        uow.commit()
    if job is None:
        return None
    kind = kinds[job.kind]
    try:
        while True:
            if stopping():
                return QUEUED if _leave(new_unit, job, status=QUEUED) else None
            with _unit(new_unit) as uow:
                result = kind.step(uow, job=job, **job.params)
                _save_step(uow, job, kind, result)
                uow.commit()
            if result.finished:
                return SUCCEEDED
            job = replace(job, checkpoint=result.checkpoint, done=result.done, total=result.total)
    except LostLease:
        log.warning("job %s (%s) was taken over or cancelled; this run stops", job.id, job.kind)
        return None
    except JobFailed as exc:
        log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
        failed = _leave(new_unit, job, status=FAILED, error=str(exc), finished_at=_clock())
        return FAILED if failed else None
    except Exception as exc:
        log.exception("job %s (%s) stopped at its last committed step", job.id, job.kind)
        stopped = _leave(new_unit, job, status=INTERRUPTED, error=_describe(exc))
        return INTERRUPTED if stopped else None


@contextmanager
def _unit(new_unit: Callable[[], UnitOfWork]) -> Iterator[UnitOfWork]:
    """A unit of work that is always closed (rolled back unless committed)."""
    uow = new_unit()
    try:
        yield uow
    finally:
        uow.close()


# -- the nameko side ---------------------------------------------------------------------------


class JobStarter:
    """What an entrypoint gets from a JobRunner: `start(job_id)` runs the job once the
    entrypoint's transaction has committed (nothing starts if it rolls back)."""

    def __init__(self, pending: list[str]) -> None:
        self._pending = pending

    def start(self, job_id: str) -> None:
        self._pending.append(job_id)


class JobRunner(DependencyProvider):
    """Runs the jobs of its kinds in this service's database (see the module docstring)."""

    SWEEP_SECONDS = 30.0
    MAX_RUNNING = 4
    # On a graceful stop, how long to let the running steps finish before they are killed
    # (a killed step rolls back; its job is resumed once its lease lapses).
    STOP_WAIT_SECONDS = 5.0

    def __init__(
        self,
        *kinds: JobKind,
        sweep_seconds: float | None = None,
        max_running: int | None = None,
    ) -> None:
        names = [kind.name for kind in kinds]
        if not kinds or len(set(names)) != len(names):
            raise ValueError(f"a JobRunner needs one or more distinct job kinds, not {names}")
        self.kinds = {kind.name: kind for kind in kinds}
        self.sweep_seconds = self.SWEEP_SECONDS if sweep_seconds is None else sweep_seconds
        self.max_running = self.MAX_RUNNING if max_running is None else max_running

    def setup(self) -> None:
        database = database_of(self.container)
        if database is None:
            raise TypeError("a JobRunner needs a Database dependency")
        self.database: Database = database
        self.owner = (
            f"{self.container.service_name}@{socket.gethostname()}:{os.getpid()}"
            f"/{uuid.uuid4().hex[:8]}"
        )
        self.pending: dict[Any, list[str]] = {}
        self.running: dict[str, Any] = {}  # job id -> the green thread running (or awaiting) it
        self.slots = Semaphore(self.max_running)
        self.stopping = False
        self._sweeper: Any = None

    def start(self) -> None:
        self._sweeper = self.container.spawn_managed_thread(
            self._sweep_forever, identifier=f"{self.attr_name} sweep"
        )

    def stop(self) -> None:
        self.stopping = True
        if self._sweeper is not None:
            self._sweeper.kill()
        # Each run ends after its current step and gives its job back for another instance.
        with eventlet.Timeout(self.STOP_WAIT_SECONDS, False):
            for thread in list(self.running.values()):
                try:
                    thread.wait()
                except BaseException:  # already reported by the run (or killed)
                    log.debug("a job's run ended with an error", exc_info=True)

    def kill(self) -> None:
        self.stopping = True
        if self._sweeper is not None:
            self._sweeper.kill()

    def get_dependency(self, worker_ctx) -> JobStarter:
        return JobStarter(self.pending.setdefault(worker_ctx, []))

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        # Called after the entrypoint's transaction committed (or failed): only then may a
        # run read the job.
        started = self.pending.pop(worker_ctx, [])
        if exc_info is None:
            for job_id in started:
                self.launch(job_id)

    def worker_teardown(self, worker_ctx) -> None:
        self.pending.pop(worker_ctx, None)

    def launch(self, job_id: str) -> bool:
        """Run a job in this process unless it already runs here; False if it does (or the
        runner is stopping). The run itself finds out whether the job is runnable."""
        if self.stopping or job_id in self.running:
            return False
        self.running[job_id] = self.container.spawn_managed_thread(
            functools.partial(self._run, job_id), identifier=f"job {job_id}"
        )
        return True

    def _run(self, job_id: str) -> None:
        try:
            with self.slots:
                if not self.stopping:
                    run_job(
                        functools.partial(self.database.new_unit, job_id),
                        job_id,
                        self.kinds,
                        owner=self.owner,
                        stopping=lambda: self.stopping,
                    )
        except Exception:
            # An escaping error would kill the container: the next sweep tries again instead.
            log.exception("job %s could not be run; a later sweep will try again", job_id)
        finally:
            self.running.pop(job_id, None)

    def sweep(self) -> list[str]:
        """Start every runnable job of this runner's kinds; returns those launched here."""
        with self.database.transaction() as uow:
            job_ids = runnable_jobs(uow, self.kinds)
        return [job_id for job_id in job_ids if self.launch(job_id)]

    def _sweep_forever(self) -> None:
        while not self.stopping:
            try:
                self.sweep()
            except Exception:
                log.exception("could not look for background jobs to run")
            eventlet.sleep(self.sweep_seconds)
