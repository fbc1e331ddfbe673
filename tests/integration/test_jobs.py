"""Background jobs (chassis.jobs) on the real broker and PostgreSQL: a sample service's job
counts items into a table, one chunk of 10 per step, and the tests hold it at a step (a gate,
no sleeps), make a step fail, kill or stop the runner, and check which run committed what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from chassis.db import UnitOfWork
from chassis.errors import Conflict
from chassis.jobs import JobRunner, enqueue, run_job
from chassis.tables import background_jobs
from tests.integration.sample_services import COUNT, STEPS, Gate, JobsService, counted
from tests.waiting import wait_for

KINDS = {COUNT.name: COUNT}


@pytest.fixture
def jobs_db(databases):
    STEPS.reset()
    yield databases["it_jobs"]
    STEPS.reset()  # lets a run still held at a gate finish before its container is killed


@pytest.fixture
def start_jobs_service(container_factory, service_config, jobs_db):
    config = service_config()

    def start():
        container = container_factory(JobsService, config)
        container.start()
        return container

    return start, config


def runner_of(container) -> JobRunner:
    return next(d for d in container.dependencies if isinstance(d, JobRunner))


def new_unit(engine) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(Session(engine, expire_on_commit=False), source="it_jobs")


def queue_count(engine, label: str, upto: int = 50) -> str:
    uow = new_unit(engine)()
    try:
        job_id = enqueue(uow, COUNT, tenant_id=None, params={"label": label, "upto": upto})
        uow.commit()
    finally:
        uow.close()
    return job_id


def job_row(engine, job_id: str):
    with engine.connect() as conn:
        return conn.execute(select(background_jobs).where(background_jobs.c.id == job_id)).one()


def items_by_attempt(engine, job_id: str) -> dict[int, list[int]]:
    """Which run (attempt) committed which items; fails if any item was committed twice."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(counted.c.item, counted.c.attempt)
            .where(counted.c.job_id == job_id)
            .order_by(counted.c.item)
        ).all()
    items = [row.item for row in rows]
    assert len(items) == len(set(items)), f"items counted twice: {items}"
    found: dict[int, list[int]] = {}
    for row in rows:
        found.setdefault(row.attempt, []).append(row.item)
    return found


def lapse_lease(engine, job_id: str) -> None:
    """As if the run holding the job stopped renewing its lease a while ago."""
    with engine.begin() as conn:
        conn.execute(
            update(background_jobs)
            .where(background_jobs.c.id == job_id)
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )


def arrive(gate: Gate) -> None:
    with eventlet.Timeout(15):
        gate.arrived.wait()


def test_a_job_runs_after_its_request_commits_with_progress_visible_mid_run(
    start_jobs_service, jobs_db
):
    start, config = start_jobs_service
    start()
    gate = STEPS.hold("a", at=20)
    with ServiceRpcProxy("it_jobs", config) as rpc:
        job_id = rpc.start_count("a", 50)
        arrive(gate)
        held = rpc.job_progress(job_id)
        assert (held["status"], held["done"], held["total"]) == ("running", 20, 50)
        assert held["attempts"] == 1 and held["finished_at"] is None
        gate.released.send(True)
        wait_for(lambda: rpc.job_progress(job_id)["status"] == "succeeded", what="the job")
        done = rpc.job_progress(job_id)
    assert (done["done"], done["total"], done["attempts"], done["error"]) == (50, 50, 1, None)
    assert done["finished_at"] is not None and not done["resumable"]
    assert items_by_attempt(jobs_db, job_id) == {1: list(range(50))}
    assert job_row(jobs_db, job_id).lease_owner is None


def test_a_job_queued_by_a_request_that_fails_is_never_kept(start_jobs_service, jobs_db):
    start, config = start_jobs_service
    start()
    with ServiceRpcProxy("it_jobs", config) as rpc, pytest.raises(Conflict):
        rpc.start_count("b", 50, fail_after_queueing=True)
    with jobs_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(background_jobs)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(counted)).scalar() == 0


def test_a_crashed_runners_job_is_resumed_by_another_instance_from_its_checkpoint(
    start_jobs_service, jobs_db
):
    start, config = start_jobs_service
    crashing = start()
    gate = STEPS.hold("c", at=30)
    with ServiceRpcProxy("it_jobs", config) as rpc:
        job_id = rpc.start_count("c", 50)
    arrive(gate)
    crashing.kill()  # the step at 30 dies uncommitted; its lease stays, as after a crash
    held = job_row(jobs_db, job_id)
    assert (held.status, held.done, held.checkpoint) == ("running", 30, {"next": 30})
    lapse_lease(jobs_db, job_id)

    start()  # another instance: its first sweep finds the lapsed lease
    wait_for(lambda: job_row(jobs_db, job_id).status == "succeeded", what="the resumed job")
    assert items_by_attempt(jobs_db, job_id) == {1: list(range(30)), 2: list(range(30, 50))}
    assert job_row(jobs_db, job_id).attempts == 2


def test_two_runners_never_run_one_job_at_once(jobs_db):
    job_id = queue_count(jobs_db, "d")
    gate = STEPS.hold("d", at=0)
    runs = [
        eventlet.spawn(run_job, new_unit(jobs_db), job_id, KINDS, owner=owner)
        for owner in ("runner-1", "runner-2")
    ]
    arrive(gate)  # one run holds the job, stopped in its first step
    wait_for(lambda: any(run.dead for run in runs), what="the other run to give up")
    (loser,) = [run for run in runs if run.dead]
    assert loser.wait() is None
    row = job_row(jobs_db, job_id)
    assert (row.status, row.attempts) == ("running", 1)
    gate.released.send(True)
    (winner,) = [run for run in runs if run is not loser]
    with eventlet.Timeout(30):
        assert winner.wait() == "succeeded"
    assert items_by_attempt(jobs_db, job_id) == {1: list(range(50))}
    assert job_row(jobs_db, job_id).attempts == 1


def test_a_run_that_lost_its_lease_is_fenced_out_and_stops(start_jobs_service, jobs_db):
    start, config = start_jobs_service
    stalled, taking_over = runner_of(start()), runner_of(start())
    job_id = queue_count(jobs_db, "e")
    gate = STEPS.hold("e", at=20)
    # Whichever instance sweeps first takes the job; make sure it is `stalled`.
    stalled.launch(job_id)
    arrive(gate)
    assert job_row(jobs_db, job_id).lease_owner == stalled.owner

    # While the lease holds, another sweep leaves the job alone.
    taking_over.sweep()
    wait_for(lambda: job_id not in taking_over.running, what="the other run to give up")
    assert job_row(jobs_db, job_id).attempts == 1

    lapse_lease(jobs_db, job_id)  # the held step outlived its lease
    assert taking_over.sweep() == [job_id]
    wait_for(lambda: job_row(jobs_db, job_id).status == "succeeded", what="the takeover")
    gate.released.send(True)  # the stalled step goes on, then finds the job is not its own
    wait_for(lambda: job_id not in stalled.running, what="the stalled run to stop")
    assert items_by_attempt(jobs_db, job_id) == {1: list(range(20)), 2: list(range(20, 50))}
    row = job_row(jobs_db, job_id)
    assert (row.status, row.attempts, row.done, row.error) == ("succeeded", 2, 50, None)


def test_a_failing_step_leaves_the_job_interrupted_and_resume_continues_it(
    start_jobs_service, jobs_db
):
    start, config = start_jobs_service
    start()
    STEPS.fail("f", at=30)
    with ServiceRpcProxy("it_jobs", config) as rpc:
        job_id = rpc.start_count("f", 50)
        wait_for(lambda: rpc.job_progress(job_id)["status"] == "interrupted", what="the error")
        stopped = rpc.job_progress(job_id)
        assert (stopped["done"], stopped["resumable"]) == (30, True)
        assert "told to fail at 30" in stopped["error"]
        assert job_row(jobs_db, job_id).lease_until is None

        resumed = rpc.resume_job(job_id)
        assert resumed["status"] in ("queued", "running")
        wait_for(lambda: rpc.job_progress(job_id)["status"] == "succeeded", what="the resume")
        with pytest.raises(Conflict, match="already succeeded"):
            rpc.resume_job(job_id)
    assert items_by_attempt(jobs_db, job_id) == {1: list(range(30)), 2: list(range(30, 50))}
    assert job_row(jobs_db, job_id).error is None


def test_cancelling_a_running_job_rolls_its_current_step_back(start_jobs_service, jobs_db):
    start, config = start_jobs_service
    runner = runner_of(start())
    gate = STEPS.hold("g", at=20)
    with ServiceRpcProxy("it_jobs", config) as rpc:
        job_id = rpc.start_count("g", 50)
        arrive(gate)
        assert rpc.cancel_job(job_id)["status"] == "cancelled"
        gate.released.send(True)
        wait_for(lambda: job_id not in runner.running, what="the run to stop")
        with pytest.raises(Conflict, match="cancelled"):
            rpc.resume_job(job_id)
    assert items_by_attempt(jobs_db, job_id) == {1: list(range(20))}
    row = job_row(jobs_db, job_id)
    assert (row.status, row.done, row.lease_owner) == ("cancelled", 20, None)


def test_a_graceful_stop_gives_the_job_back_after_its_current_step(start_jobs_service, jobs_db):
    start, config = start_jobs_service
    stopping = start()
    runner = runner_of(stopping)
    gate = STEPS.hold("h", at=20)
    with ServiceRpcProxy("it_jobs", config) as rpc:
        job_id = rpc.start_count("h", 50)
    arrive(gate)
    stop = eventlet.spawn(stopping.stop)
    wait_for(lambda: runner.stopping, what="the runner to be told to stop")
    gate.released.send(True)
    with eventlet.Timeout(15):
        stop.wait()
    row = job_row(jobs_db, job_id)
    assert (row.status, row.done, row.lease_owner) == ("queued", 30, None)

    start()
    wait_for(lambda: job_row(jobs_db, job_id).status == "succeeded", what="the next instance")
    assert items_by_attempt(jobs_db, job_id) == {1: list(range(30)), 2: list(range(30, 50))}
