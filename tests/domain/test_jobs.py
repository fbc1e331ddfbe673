"""chassis.jobs' plain functions (enqueue, run_job, progress, cancel, resume) on a real service
database, one run at a time; tests/integration/test_jobs.py runs them in services, at once."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update

from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound
from chassis.jobs import (
    Job,
    JobFailed,
    JobKind,
    StepResult,
    cancel,
    enqueue,
    progress,
    resume,
    run_job,
    runnable_jobs,
)
from chassis.tables import background_jobs

SERVICE = "booking"  # an empty service: only the chassis' tables
TENANT = "t" * 36

# What the steps were asked to do and what they are told to do, per test (reset below).
calls: list[tuple[int, object]] = []
failures: dict[int, Exception] = {}


@pytest.fixture(autouse=True)
def items_table(uow):
    """The work the sample step does: items in a table that exists only in this test."""
    calls.clear()
    failures.clear()
    uow.session.execute(text("CREATE TABLE job_items (job_id text, item int, attempt int)"))
    uow.commit()


def count_items(uow: UnitOfWork, *, job: Job, upto: int) -> StepResult:
    position = job.checkpoint["next"] if job.checkpoint else 0
    calls.append((job.attempt, job.checkpoint))
    uow.session.execute(
        text("INSERT INTO job_items VALUES (:job, :item, :attempt)"),
        {"job": job.id, "item": position, "attempt": job.attempt},
    )
    if position in failures:
        raise failures.pop(position)
    following = position + 1
    return StepResult(
        done=following, total=upto, checkpoint={"next": following}, finished=following == upto
    )


COUNT = JobKind("test.count", count_items)
KINDS = {COUNT.name: COUNT}


@pytest.fixture
def new_unit(uow_for):
    return functools.partial(uow_for, SERVICE)


@pytest.fixture
def queued(uow) -> str:
    job_id = enqueue(uow, COUNT, tenant_id=TENANT, params={"upto": 5}, created_by="u" * 36)
    uow.commit()
    return job_id


def run(new_unit, job_id: str, **options) -> str | None:
    return run_job(new_unit, job_id, KINDS, owner="test-runner", **options)


def items(uow) -> list[tuple[int, int]]:
    """(item, attempt) of every item committed, in order."""
    return [tuple(row) for row in uow.session.execute(text("SELECT item, attempt FROM job_items"))]


def view(uow, job_id: str) -> dict:
    return progress(uow, job_id=job_id, tenant_id=TENANT)


def test_a_queued_job_runs_step_by_step_from_each_checkpoint_to_success(uow, new_unit, queued):
    before = view(uow, queued)
    assert (before["status"], before["done"], before["total"], before["attempts"]) == (
        "queued",
        0,
        None,
        0,
    )
    assert before["kind"] == "test.count" and before["created_by"] == "u" * 36
    assert run(new_unit, queued) == "succeeded"
    assert calls == [(1, None)] + [(1, {"next": n}) for n in range(1, 5)]
    after = view(uow, queued)
    assert (after["status"], after["done"], after["total"], after["attempts"]) == (
        "succeeded",
        5,
        5,
        1,
    )
    assert after["finished_at"] is not None and after["error"] is None
    assert items(uow) == [(n, 1) for n in range(5)]
    assert run(new_unit, queued) is None  # a finished job is nobody's to run


def test_enqueue_refuses_parameters_that_do_not_fit_the_step(uow):
    with pytest.raises(ValueError, match="do not fit"):
        enqueue(uow, COUNT, tenant_id=TENANT, params={"upto": 5, "extra": 1})
    with pytest.raises(ValueError, match="do not fit"):
        enqueue(uow, COUNT, tenant_id=TENANT, params={})
    with pytest.raises(ValueError, match="not JSON"):
        enqueue(uow, COUNT, tenant_id=TENANT, params={"upto": datetime.now(UTC)})


def test_a_failing_step_is_rolled_back_and_leaves_the_job_interrupted_until_resumed(
    uow, new_unit, queued
):
    failures[2] = RuntimeError("disk full")
    assert run(new_unit, queued) == "interrupted"
    stopped = view(uow, queued)
    assert (stopped["status"], stopped["done"], stopped["resumable"]) == ("interrupted", 2, True)
    assert "disk full" in stopped["error"]
    assert items(uow) == [(0, 1), (1, 1)]  # the failed step's item rolled back with it
    assert runnable_jobs(uow, KINDS) == []  # not retried by itself

    assert resume(uow, job_id=queued, tenant_id=TENANT)["status"] == "queued"
    uow.commit()
    assert run(new_unit, queued) == "succeeded"
    assert items(uow) == [(0, 1), (1, 1), (2, 2), (3, 2), (4, 2)]
    assert view(uow, queued)["error"] is None


def test_a_step_raising_job_failed_ends_the_job_for_good(uow, new_unit, queued):
    failures[1] = JobFailed("The file has no rows.")
    assert run(new_unit, queued) == "failed"
    failed = view(uow, queued)
    assert (failed["status"], failed["error"], failed["resumable"]) == (
        "failed",
        "The file has no rows.",
        False,
    )
    with pytest.raises(Conflict, match="already failed"):
        resume(uow, job_id=queued, tenant_id=TENANT)
    with pytest.raises(Conflict, match="already failed"):
        cancel(uow, job_id=queued, tenant_id=TENANT)


def set_lease(uow, job_id: str, seconds: float) -> None:
    """As if a run had claimed the job at attempt 1, done 2 steps, and its lease ends in
    `seconds` (negative: it lapsed)."""
    uow.session.execute(
        update(background_jobs)
        .where(background_jobs.c.id == job_id)
        .values(
            status="running",
            attempts=1,
            done=2,
            checkpoint={"next": 2},
            lease_owner="a dead process",
            lease_until=datetime.now(UTC) + timedelta(seconds=seconds),
        )
    )
    uow.commit()


def test_a_running_job_is_claimed_again_only_once_its_lease_lapsed(uow, new_unit, queued):
    set_lease(uow, queued, 60)
    assert runnable_jobs(uow, KINDS) == []
    assert run(new_unit, queued) is None
    with pytest.raises(Conflict, match="running"):
        resume(uow, job_id=queued, tenant_id=TENANT)

    set_lease(uow, queued, -1)
    assert runnable_jobs(uow, KINDS) == [queued]
    assert run(new_unit, queued) == "succeeded"
    assert calls[0] == (2, {"next": 2})  # from the checkpoint, as the second attempt
    assert items(uow) == [(2, 2), (3, 2), (4, 2)]


def test_a_job_waits_until_it_is_due(uow, new_unit):
    later = enqueue(
        uow,
        COUNT,
        tenant_id=None,
        params={"upto": 1},
        not_before=datetime.now(UTC) + timedelta(hours=1),
    )
    uow.commit()
    assert runnable_jobs(uow, KINDS) == []
    assert run(new_unit, later) is None
    assert progress(uow, job_id=later, tenant_id=None)["status"] == "queued"


def test_a_runner_runs_only_its_own_kinds(uow, new_unit, queued):
    other = JobKind("test.other", count_items)
    assert runnable_jobs(uow, [other.name]) == []
    assert run_job(new_unit, queued, {other.name: other}, owner="another") is None
    assert view(uow, queued)["status"] == "queued"


def test_a_graceful_stop_gives_the_job_back_after_the_current_step(uow, new_unit, queued):
    assert run(new_unit, queued, stopping=lambda: len(calls) == 2) == "queued"
    stopped = view(uow, queued)
    assert (stopped["status"], stopped["done"]) == ("queued", 2)
    assert runnable_jobs(uow, KINDS) == [queued]
    assert run(new_unit, queued) == "succeeded"
    assert items(uow) == [(0, 1), (1, 1), (2, 2), (3, 2), (4, 2)]


def test_cancelling_a_queued_job_ends_it_and_no_run_takes_it(uow, new_unit, queued):
    cancelled = cancel(uow, job_id=queued, tenant_id=TENANT)
    uow.commit()
    assert (cancelled["status"], cancelled["finished_at"] is not None) == ("cancelled", True)
    assert run(new_unit, queued) is None
    with pytest.raises(Conflict, match="cancelled"):
        resume(uow, job_id=queued, tenant_id=TENANT)
    assert items(uow) == []


def test_a_job_is_found_only_within_its_tenant(uow, queued):
    other_tenant = "o" * 36
    for action in (progress, cancel, resume):
        with pytest.raises(NotFound):
            action(uow, job_id=queued, tenant_id=other_tenant)
    with pytest.raises(NotFound):
        progress(uow, job_id="no-such-job", tenant_id=None)
    assert progress(uow, job_id=queued, tenant_id=None)["tenant_id"] == TENANT
