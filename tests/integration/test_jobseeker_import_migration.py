"""Identity's revision identity_0007 moves job-seeker imports onto chassis background jobs: an
import in every state the old runner left (queued, running with a lapsed lease, interrupted,
crashed as its check ended, completed, rejected) is carried over so that nothing in flight is
lost, resumes from the position it had committed, and goes back on a downgrade."""

from __future__ import annotations

import functools
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import pool, select, text
from sqlalchemy.orm import Session

from chassis.db import UnitOfWork, ensure_database, make_engine
from chassis.jobs import run_job, runnable_jobs
from chassis.migrations import alembic_config, upgrade
from chassis.tables import background_jobs
from services.identity.jobseeker_imports import domain
from services.identity.jobseeker_imports.domain import IMPORT_JOB
from services.identity.jobseekers.models import JobseekerProfile
from tests.jobseeker_csv import people_csv

TENANT = str(uuid.uuid4())
ROWS = 30
KINDS = {IMPORT_JOB.name: IMPORT_JOB}
LONG_AGO = datetime.now(UTC) - timedelta(minutes=5)

# name: (mode, status, phase, position, created so far, error, lease_until, finished_at)
OLD_IMPORTS = {
    "queued": ("skip_bad_rows", "queued", "queued", 0, 0, None, None, None),
    # A process claimed it, wrote 10 people and died: its lease lapsed.
    "running": ("skip_bad_rows", "running", "writing", 10, 10, None, LONG_AGO, None),
    "interrupted": (
        "all_or_nothing",
        "interrupted",
        "validating",
        10,
        10,
        "Stopped by an error (boom); start it again to continue.",
        None,
        None,
    ),
    # Died after checking the last chunk, before it went on to write.
    "checked": ("all_or_nothing", "running", "validating", ROWS, ROWS, None, LONG_AGO, None),
    "completed": ("skip_bad_rows", "completed", "writing", ROWS, ROWS, None, None, LONG_AGO),
    "rejected": ("all_or_nothing", "rejected", "validating", ROWS, 0, None, None, LONG_AGO),
}


@pytest.fixture
def url(settings) -> str:
    """An identity database of its own, at the revision before identity_0007."""
    url = settings.database_url_template.format(
        name=f"{settings.database_prefix}_identity_migration"
    )
    ensure_database(url)
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    upgrade("identity", url, "identity_0006")
    return url


@pytest.fixture
def engine(url):
    engine = make_engine(url, poolclass=pool.NullPool)
    yield engine
    engine.dispose()


def insert_old_imports(engine) -> dict[str, str]:
    """Imports as the old runner kept them (status, phase, position, lease... on the row)."""
    ids = {}
    with engine.begin() as conn:
        for name, (
            mode,
            status,
            phase,
            position,
            created,
            error,
            lease,
            finished,
        ) in OLD_IMPORTS.items():
            ids[name] = str(uuid.uuid4())
            content = people_csv(ROWS, domain=f"{name}.example.org")
            conn.execute(
                text(
                    "INSERT INTO jobseeker_imports (id, tenant_id, created_by, filename,"
                    " size_bytes, sha256, content, mode, on_existing, status, phase, rows_total,"
                    " rows_done, position, created, updated, skipped, failed, ignored_columns,"
                    " error, lease_until, attempts, started_at, finished_at)"
                    " VALUES (:id, :tenant, :by, 'people.csv', :size, :sha, :content, :mode,"
                    " 'skip', :status, :phase, :rows, :position, :position, :created, 0, 0, 0,"
                    " '{}', :error, :lease, :attempts, :started, :finished)"
                ),
                {
                    "id": ids[name],
                    "tenant": TENANT,
                    "by": str(uuid.uuid4()),
                    "size": len(content),
                    "sha": hashlib.sha256(content).hexdigest(),
                    "content": content,
                    "mode": mode,
                    "status": status,
                    "phase": phase,
                    "rows": ROWS,
                    "position": position,
                    "created": created,
                    "error": error,
                    "lease": lease,
                    "attempts": 0 if status == "queued" else 1,
                    "started": None if status == "queued" else LONG_AGO,
                    "finished": finished,
                },
            )
    return ids


def new_unit(engine):
    return lambda: UnitOfWork(Session(engine, expire_on_commit=False), source="identity")


def shown(engine, import_id: str) -> dict:
    with Session(engine) as session:
        uow = UnitOfWork(session, source="identity")
        return domain.get_import(uow, tenant_id=TENANT, import_id=import_id)


def people_of(engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM jobseeker_profiles p JOIN accounts a ON a.id = p.account_id"
                " WHERE a.email LIKE :domain"
            ),
            {"domain": f"%@{name}.example.org"},
        ).scalar_one()


def test_every_old_import_gets_its_job_resumes_where_it_was_and_goes_back_on_a_downgrade(
    url, engine
):
    ids = insert_old_imports(engine)
    upgrade("identity", url)

    views = {name: shown(engine, import_id) for name, import_id in ids.items()}
    assert {name: view["status"] for name, view in views.items()} == {
        "queued": "queued",
        "running": "running",
        "interrupted": "interrupted",
        "checked": "running",
        "completed": "completed",
        "rejected": "rejected",
    }
    assert {name: (v["phase"], v["rows_done"]) for name, v in views.items()} == {
        "queued": ("queued", 0),
        "running": ("writing", 10),
        "interrupted": ("validating", 10),
        "checked": ("validating", ROWS),
        "completed": ("writing", ROWS),
        "rejected": ("validating", ROWS),
    }
    assert views["interrupted"]["error"].startswith("Stopped by an error (boom)")
    assert views["completed"]["finished_at"] is not None
    with engine.connect() as conn:
        jobs = {row.params["import_id"]: row for row in conn.execute(select(background_jobs))}
    assert {row.kind for row in jobs.values()} == {"jobseekers.import"}
    assert jobs[ids["running"]].checkpoint == {"phase": "writing", "position": 10}
    assert jobs[ids["queued"]].checkpoint is None and jobs[ids["queued"]].attempts == 0

    # The runner's sweep finds the queued import and those whose process died.
    with Session(engine) as session:
        runnable = runnable_jobs(UnitOfWork(session, source="identity"), KINDS)
    assert set(runnable) == {jobs[ids[name]].id for name in ("queued", "running", "checked")}
    run = functools.partial(run_job, new_unit(engine), kinds=KINDS, owner="test-runner")
    for job_id in runnable:
        assert run(job_id) == "succeeded"
    with Session(engine) as session:
        uow = UnitOfWork(session, source="identity")
        domain.resume_import(uow, tenant_id=TENANT, import_id=ids["interrupted"])
        uow.commit()
    assert run(jobs[ids["interrupted"]].id) == "succeeded"

    after = {name: shown(engine, import_id) for name, import_id in ids.items()}
    assert {name: view["status"] for name, view in after.items()} == {
        "queued": "completed",
        "running": "completed",
        "interrupted": "completed",
        "checked": "completed",
        "completed": "completed",
        "rejected": "rejected",
    }
    # The running import went on from its 10th record: 20 more people, nobody twice.
    assert (after["running"]["created"], people_of(engine, "running")) == (ROWS, ROWS - 10)
    for name in ("queued", "interrupted", "checked"):
        assert (after[name]["created"], people_of(engine, name)) == (ROWS, ROWS), name
    with engine.connect() as conn:
        assert len(conn.execute(select(JobseekerProfile.account_id)).all()) == 3 * ROWS + 20

    command.downgrade(alembic_config("identity", url), "identity_0006")
    with engine.connect() as conn:
        old = {
            row.id: row
            for row in conn.execute(
                text("SELECT id, status, phase, position, attempts FROM jobseeker_imports")
            )
        }
        assert conn.execute(text("SELECT count(*) FROM background_jobs")).scalar_one() == 0
    assert {name: old[import_id].status for name, import_id in ids.items()} == {
        name: after[name]["status"] for name in ids
    }
    assert (old[ids["running"]].phase, old[ids["running"]].position) == ("writing", ROWS)
    assert old[ids["running"]].attempts == 2
