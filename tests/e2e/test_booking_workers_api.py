"""Booking's read model of workers on the running platform: what staff do to a job seeker in
identity (registration, documents, approval, a job type, availability, home ZIP, suspension)
and to a worker source in tenancy reaches booking's own database through the events alone;
the operator rebuilds the model from its replay log and gets the same rows back; nobody else
may."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.db import make_engine
from services.booking.workers.models import CboRecord, SourceRecord, WorkerDay, WorkerRecord
from tests.e2e.market import PDF, PNG, a_cbo, a_worker_source
from tests.e2e.tokens import mint_token
from tests.waiting import wait_for

REBUILD = "/api/v1/admin/booking/worker-model/rebuild"
TERM = {"starts_on": "2026-08-25", "ends_on": "2026-12-15"}


@pytest.fixture(scope="module")
def booking_db(platform):
    engine = make_engine(platform.settings.database_url("booking"), poolclass=NullPool)
    yield engine
    engine.dispose()


def row(engine: Engine, model, key: str):
    """The row of booking's read model (a fresh read), or None."""
    with Session(engine) as session:
        found = session.get(model, key)
        if found is not None:
            session.expunge(found)
        return found


def days(engine: Engine, worker_id: str) -> dict[date, list[tuple[int, int]]]:
    with Session(engine) as session:
        return {
            day.on_date: day.minutes
            for day in session.execute(
                select(WorkerDay).where(WorkerDay.worker_id == worker_id)
            ).scalars()
        }


@pytest.fixture(scope="module")
def harbor(api, operator_token, platform):
    cbo = a_cbo(api, operator_token, platform, "wharf")
    college = a_worker_source(
        api, cbo["owner"], f"{cbo['slug']} College", weekly_hour_cap=14, terms=[TERM]
    )
    return {**cbo, "source": college}


def register(api, cbo: dict) -> str:
    """A job seeker registered by staff (retried while identity has not yet heard of the
    CBO's worker source); their id."""
    body = {
        "email": f"maria-{uuid.uuid4().hex[:6]}@example.org",
        "name": "Maria Lopez",
        "phone": "(562) 555-0100",
        "preferred_language": "es",
        "home_area": "90813",
        "skills": ["home care"],
        "source_id": cbo["source"],
    }

    def attempt():
        response = api("POST", "/api/v1/jobseekers", cbo["owner"], json=body)
        if response.status_code == 422 and "source_id" in response.json()["error"]["fields"]:
            return None
        return [response]

    created = wait_for(attempt, what="identity to know the CBO's worker source")[0]
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_what_staff_do_to_a_jobseeker_reaches_booking_s_model(api, platform, harbor, booking_db):
    tenant_id, owner = harbor["id"], harbor["owner"]
    cbo = wait_for(lambda: row(booking_db, CboRecord, tenant_id), what="booking to know the CBO")
    assert (cbo.slug, cbo.status, cbo.timezone) == (harbor["slug"], "active", "America/Los_Angeles")
    college = wait_for(
        lambda: row(booking_db, SourceRecord, harbor["source"]), what="booking to know the source"
    )
    assert (college.tenant_id, college.weekly_cap_minutes, college.terms) == (
        tenant_id,
        840,
        [TERM],
    )

    jobseeker_id = register(api, harbor)
    base = f"/api/v1/jobseekers/{jobseeker_id}"
    pending = wait_for(
        lambda: (found := row(booking_db, WorkerRecord, jobseeker_id)) and found.name and found,
        what="booking to know the worker's profile",
    )
    assert (pending.tenant_id, pending.approved, pending.source_id) == (
        tenant_id,
        False,
        harbor["source"],
    )
    assert (pending.home_zip, pending.skills) == ("90813", ["home care"])

    for document_type, content, name in (
        ("photo_id", PNG, "face.png"),
        ("work_authorization", PDF, "permit.pdf"),
    ):
        uploaded = api(
            "POST",
            f"{base}/documents",
            owner,
            data={"document_type": document_type},
            files={"file": (name, content, "application/octet-stream")},
        )
        assert uploaded.status_code == 201, uploaded.text
        verified = api("POST", f"{base}/documents/{uploaded.json()['id']}/verify", owner)
        assert verified.status_code == 200, verified.text
    assert api("POST", f"{base}/approve", owner).json()["status"] == "approved"
    typed = api("POST", f"{base}/job-types", owner, json={"job_type": "home_care"})
    assert typed.status_code == 200, typed.text
    availability = {
        "weekly": {
            "monday": [{"start": "09:00", "end": "13:00"}],
            "friday": [{"start": "22:00", "end": "24:00"}],
            "saturday": [{"start": "00:00", "end": "06:00"}],
        },
        "exceptions": [
            {"date": "2026-12-21", "kind": "unavailable"},
            {"date": "2026-12-24", "kind": "extra", "slots": [{"start": "10:00", "end": "12:00"}]},
        ],
    }
    edited = api("PUT", base, owner, json={"availability": availability, "home_area": "90802"})
    assert edited.status_code == 200, edited.text

    def ready():
        found = row(booking_db, WorkerRecord, jobseeker_id)
        return found if found and found.approved and found.home_zip == "90802" else None

    worker = wait_for(ready, what="booking to see the approval, availability and home ZIP")
    assert (worker.suspended, worker.active, worker.job_types) == (False, True, ["home_care"])
    assert (worker.latitude, worker.longitude) == (33.7706, -118.182)
    # Monday 09-13, and Friday 22:00 to Saturday 06:00 as one night, in minutes of the week.
    assert worker.weekly_minutes == [(540, 780), (4 * 1440 + 1320, 5 * 1440 + 360)]
    assert days(booking_db, jobseeker_id) == {
        date(2026, 12, 21): [],  # a Monday off
        date(2026, 12, 24): [(600, 720)],  # a Thursday with two extra hours
    }

    suspended = api("POST", f"{base}/suspend", owner, json={"reason": "Two no-shows"})
    assert suspended.status_code == 200, suspended.text
    worker = wait_for(
        lambda: (
            (found := row(booking_db, WorkerRecord, jobseeker_id)) and found.suspended and found
        ),
        what="booking to see the suspension",
    )
    assert worker.approved is True  # suspended, still approved: reinstating restores it


def test_the_operator_rebuilds_the_model_from_its_replay_log(
    api, platform, harbor, operator_token, booking_db
):
    tenant_id = harbor["id"]
    jobseeker_id = register(api, harbor)
    before = wait_for(
        lambda: (found := row(booking_db, WorkerRecord, jobseeker_id)) and found.name and found,
        what="booking to know the worker's profile",
    )

    # Nobody but the platform operator: not the CBO's owner, not a job seeker, not anonymous.
    owner = harbor["owner"]
    worker_token = mint_token(platform, tenant_id=tenant_id, kind="jobseeker", roles=["jobseeker"])
    assert api("POST", REBUILD, owner).status_code == 403
    assert api("POST", REBUILD, worker_token).status_code == 403
    assert api("POST", REBUILD).status_code == 401

    rebuilt = api("POST", REBUILD, operator_token)
    assert rebuilt.status_code == 200, rebuilt.text
    counts = rebuilt.json()
    assert counts["events"] > 0 and counts["workers"] >= 1 and counts["cbos"] >= 1
    assert counts["sources"] >= 1
    after = row(booking_db, WorkerRecord, jobseeker_id)
    assert after is not None
    assert (after.tenant_id, after.name, after.source_id, after.home_zip, after.approved) == (
        before.tenant_id,
        before.name,
        before.source_id,
        before.home_zip,
        before.approved,
    )
    assert row(booking_db, SourceRecord, harbor["source"]).terms == [TERM]
