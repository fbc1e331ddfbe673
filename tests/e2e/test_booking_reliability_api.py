"""Attendance, ratings and reliability over HTTP through the gateway: staff mark a no-show, the
worker sees the entry and the score, appeals, staff overturn and the score is restored;
ratings and preferences within the client's own organisation; reviews and excuses; another
CBO, another client and a token without the permission get nothing; odd input is a 4xx.

The shifts and assignments are seeded straight into booking's database (`seed_assignment`)
until the bookings and offers areas make them through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.db import make_engine
from chassis.tokens import ACCESS, verify
from services.booking.bookings.models import Booking, Shift
from services.booking.jobtypes.models import JobType
from services.booking.offers.models import Assignment
from services.booking.sites.models import Site
from services.booking.workers.models import ClientRecord, WorkerRecord
from tests.e2e.cbos import apply_and_approve
from tests.e2e.tokens import mint_token, staff_token
from tests.waiting import wait_for

_engines: dict[str, Engine] = {}


def booking_engine(platform) -> Engine:
    url = platform.settings.database_url("booking")
    return _engines.get(url) or _engines.setdefault(url, make_engine(url, poolclass=NullPool))


def seed_assignment(
    platform,
    *,
    tenant_id: str,
    client_id: str,
    worker_id: str,
    starts_at: datetime,
    worker_name: str = "Dara Sok",
) -> str:
    """A confirmed worker's place on a 4-hour shift of `client_id`, written into booking's
    database as the bookings and offers areas will leave it (with the client and the worker
    in booking's read model, if not there yet): the assignment's id."""
    with Session(booking_engine(platform)) as session, session.begin():
        if session.get(ClientRecord, client_id) is None:
            session.add(
                ClientRecord(id=client_id, tenant_id=tenant_id, name=f"Client {client_id[:8]}")
            )
        if session.get(WorkerRecord, worker_id) is None:
            session.add(
                WorkerRecord(id=worker_id, tenant_id=tenant_id, name=worker_name, approved=True)
            )
        suffix = uuid.uuid4().hex[:8]
        job_type = JobType(
            tenant_id=tenant_id,
            key=f"usher-{suffix}",
            name=f"Usher {suffix}",
            pay_rate_cents=2000,
            bill_rate_cents=2800,
        )
        site = Site(
            tenant_id=tenant_id,
            client_id=client_id,
            name="Convention Center",
            address_line1="300 E Ocean Blvd",
            city="Long Beach",
            state="CA",
            zip="90802",
            latitude=33.7638,
            longitude=-118.1886,
            timezone="America/Los_Angeles",
        )
        session.add_all([job_type, site])
        session.flush()
        ends_at = starts_at + timedelta(hours=4)
        booking = Booking(
            tenant_id=tenant_id,
            client_id=client_id,
            site_id=site.id,
            job_type_id=job_type.id,
            starts_local=starts_at.replace(tzinfo=None).isoformat(timespec="seconds"),
            ends_local=ends_at.replace(tzinfo=None).isoformat(timespec="seconds"),
            timezone="America/Los_Angeles",
            positions=1,
            fill_mode="named",
            named_worker_id=worker_id,
            pay_rate_cents=2000,
            bill_rate_cents=2800,
            created_by_kind="staff",
        )
        session.add(booking)
        session.flush()
        shift = Shift(
            tenant_id=tenant_id,
            booking_id=booking.id,
            client_id=client_id,
            site_id=site.id,
            job_type_id=job_type.id,
            starts_at=starts_at,
            ends_at=ends_at,
            positions=1,
            filled=1,
            status="filled",
        )
        session.add(shift)
        session.flush()
        assignment = Assignment(
            tenant_id=tenant_id,
            shift_id=shift.id,
            worker_id=worker_id,
            worker_tenant_id=tenant_id,
            client_id=client_id,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        session.add(assignment)
        session.flush()
        return assignment.id


def shift_status(platform, assignment_id: str) -> str:
    with Session(booking_engine(platform)) as session:
        return session.execute(
            select(Shift.status)
            .join(Assignment, Assignment.shift_id == Shift.id)
            .where(Assignment.id == assignment_id)
        ).scalar_one()


def user_id_in(platform, token: str) -> str:
    return verify(platform.env["WORKLB_JWT_SECRET"], token, token_type=ACCESS)["sub"]


def hours_ago(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


@pytest.fixture(scope="module")
def cbo(api, operator_token) -> dict:
    tenant_id = apply_and_approve(api, operator_token, f"rel-a-{uuid.uuid4().hex[:8]}")
    return {"id": tenant_id}


@pytest.fixture(scope="module")
def owner(platform, cbo) -> str:
    return staff_token(platform, cbo["id"], ["owner"])


@pytest.fixture(scope="module")
def stranger(platform, api, operator_token) -> str:
    """The owner of another CBO."""
    other = apply_and_approve(api, operator_token, f"rel-b-{uuid.uuid4().hex[:8]}")
    return staff_token(platform, other, ["owner"])


@pytest.fixture(scope="module")
def nobody(platform, cbo) -> str:
    """Staff of the CBO without any permission."""
    return staff_token(platform, cbo["id"], ["custom"], perms=[])


@pytest.fixture(scope="module")
def worker(platform, cbo) -> dict:
    """A job seeker of the CBO (an account in identity, so the gateway lets them in)."""
    token = mint_token(platform, tenant_id=cbo["id"], kind="jobseeker", roles=["jobseeker"])
    return {"id": user_id_in(platform, token), "token": token}


@pytest.fixture(scope="module")
def clients(platform, cbo) -> dict:
    """Two clients of the CBO, each with a user of its own."""
    found = {}
    for name in ("harbor", "marina"):
        client_id = str(uuid.uuid4())
        token = mint_token(
            platform, tenant_id=cbo["id"], kind="client", roles=["client"], cid=client_id
        )
        found[name] = {"id": client_id, "token": token}
    return found


def reliability(api, worker) -> dict:
    response = api("GET", "/api/v1/me/reliability", worker["token"])
    assert response.status_code == 200, response.text
    return response.json()


# -- the main path ---------------------------------------------------------------------------


def test_no_show_appeal_and_overturn_restore_the_score(
    api, platform, cbo, owner, stranger, nobody, worker, clients
):
    assert reliability(api, worker)["score"] == 75
    assignment_id = seed_assignment(
        platform,
        tenant_id=cbo["id"],
        client_id=clients["harbor"]["id"],
        worker_id=worker["id"],
        starts_at=hours_ago(3),
    )
    path = f"/api/v1/assignments/{assignment_id}/attendance"

    # Another CBO's staff and staff without the permission change nothing.
    assert api("POST", path, stranger, json={"outcome": "no_show"}).status_code == 404
    refused = api("POST", path, nobody, json={"outcome": "no_show"})
    assert refused.status_code == 403 and "bookings.manage" in refused.json()["error"]["message"]
    assert api("POST", path, worker["token"], json={"outcome": "completed"}).status_code == 403

    marked = api("POST", path, owner, json={"outcome": "no_show"})
    assert marked.status_code == 200, marked.text
    assert marked.json()["status"] == "no_show" and marked.json()["shift_status"] == "completed"
    assert shift_status(platform, assignment_id) == "completed"
    again = api("POST", path, owner, json={"outcome": "no_show"})
    assert again.status_code == 409
    unexplained = api("POST", path, owner, json={"outcome": "completed"})
    assert unexplained.status_code == 409 and "reason" in unexplained.json()["error"]["message"]

    # The worker sees the entry that moved the score, and how to improve it.
    shown = wait_for(
        lambda: (found := reliability(api, worker))["entries"] and found,
        what="the no-show to count",
    )
    [entry] = shown["entries"]
    assert (entry["kind"], entry["points"], entry["state"]) == ("no_show", 4, "counts")
    assert entry["current_weight"] == pytest.approx(4, abs=0.01)
    assert entry["appealable_until"] is not None
    assert shown["score"] == pytest.approx(35, abs=0.1)
    assert shown["how_to_improve"][0]["code"] == "no_show"

    # Staff see the same; another CBO and staff without the permission do not.
    staff_view = f"/api/v1/jobseekers/{worker['id']}/reliability"
    seen = api("GET", staff_view, owner)
    assert seen.status_code == 200 and seen.json()["score"] == pytest.approx(35, abs=0.1)
    assert api("GET", staff_view, stranger).status_code == 404
    assert api("GET", staff_view, nobody).status_code == 403
    assert api("GET", staff_view, clients["harbor"]["token"]).status_code == 403

    # The worker appeals (once); staff find it among the appeals to decide.
    entry_path = f"/api/v1/reliability/entries/{entry['id']}"
    appealed = api(
        "POST", f"{entry_path}/appeal", worker["token"], json={"text": "I was at the ER."}
    )
    assert appealed.status_code == 200, appealed.text
    assert appealed.json()["appeal_status"] == "pending"
    assert (
        api("POST", f"{entry_path}/appeal", worker["token"], json={"text": "Again"}).status_code
        == 409
    )
    pending = api("GET", "/api/v1/reliability/entries?appeal_status=pending", owner).json()
    assert [e["id"] for e in pending["items"]] == [entry["id"]]
    assert api("GET", "/api/v1/reliability/entries", stranger).json()["total"] == 0

    decision = {"outcome": "overturned", "reason": "Discharge papers seen"}
    assert api("POST", f"{entry_path}/decision", stranger, json=decision).status_code == 404
    assert api("POST", f"{entry_path}/decision", nobody, json=decision).status_code == 403
    assert api("POST", f"{entry_path}/decision", worker["token"], json=decision).status_code == 403
    decided = api("POST", f"{entry_path}/decision", owner, json=decision)
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "overturned"
    assert api("POST", f"{entry_path}/decision", owner, json=decision).status_code == 409

    restored = reliability(api, worker)
    assert restored["score"] == 75
    assert [(e["id"], e["state"]) for e in restored["entries"]] == [(entry["id"], "overturned")]


# -- ratings and preferences -----------------------------------------------------------------


def test_clients_rate_and_keep_preferences_for_their_own_organisation_only(
    api, platform, cbo, owner, stranger, nobody, worker, clients
):
    harbor, marina = clients["harbor"], clients["marina"]
    assignment_id = seed_assignment(
        platform,
        tenant_id=cbo["id"],
        client_id=harbor["id"],
        worker_id=worker["id"],
        starts_at=hours_ago(6),
    )
    rating_path = f"/api/v1/assignments/{assignment_id}/rating"
    favourite = {"rating": "favourite", "note": " Punctual and kind "}
    early = api("POST", rating_path, harbor["token"], json=favourite)
    assert early.status_code == 409  # not completed yet
    completed = api(
        "POST",
        f"/api/v1/assignments/{assignment_id}/attendance",
        owner,
        json={"outcome": "completed", "minutes_late": 5},
    )
    assert completed.status_code == 200 and completed.json()["minutes_late"] == 5
    seen = api("GET", f"/api/v1/assignments/{assignment_id}/attendance", harbor["token"])
    assert seen.status_code == 200 and seen.json()["status"] == "completed"
    assert (
        api("GET", f"/api/v1/assignments/{assignment_id}/attendance", marina["token"]).status_code
        == 404
    )

    assert api("POST", rating_path, marina["token"], json=favourite).status_code == 404
    assert api("POST", rating_path, stranger, json=favourite).status_code == 404
    assert api("POST", rating_path, worker["token"], json=favourite).status_code == 403
    rated = api("POST", rating_path, harbor["token"], json=favourite)
    assert rated.status_code == 200, rated.text
    assert rated.json()["rating"] == "favourite" and rated.json()["note"] == "Punctual and kind"

    listing = f"/api/v1/clients/{harbor['id']}/preferences"
    mine = api("GET", listing, harbor["token"])
    assert mine.status_code == 200
    assert [(p["worker_id"], p["rating"]) for p in mine.json()["items"]] == [
        (worker["id"], "favourite")
    ]
    assert api("GET", f"{listing}?rating=blocked", owner).json()["total"] == 0
    for token in (marina["token"], stranger):
        assert api("GET", listing, token).status_code == 404
    assert api("GET", listing, nobody).status_code == 403
    assert api("GET", listing, worker["token"]).status_code == 403

    # Set directly: only for workers who worked for the client; staff may block anyone.
    one = f"{listing}/{worker['id']}"
    assert api("PUT", one, harbor["token"], json={"rating": "ok"}).json()["rating"] == "ok"
    assert api("PUT", one, marina["token"], json={"rating": "blocked"}).status_code == 404
    assert api("PUT", one, stranger, json={"rating": "blocked"}).status_code == 404
    assert api("PUT", one, nobody, json={"rating": "blocked"}).status_code == 403
    newcomer = str(uuid.uuid4())
    seed_assignment(  # a worker booked by the other client only
        platform,
        tenant_id=cbo["id"],
        client_id=marina["id"],
        worker_id=newcomer,
        starts_at=datetime.now(UTC) + timedelta(days=2),
        worker_name="Newcomer",
    )
    never = f"{listing}/{newcomer}"
    assert api("PUT", never, harbor["token"], json={"rating": "favourite"}).status_code == 409
    assert api("PUT", never, owner, json={"rating": "blocked"}).status_code == 422  # no note
    blocked = api("PUT", never, owner, json={"rating": "blocked", "note": "Policy breach"})
    assert blocked.status_code == 200, blocked.text
    assert api("GET", f"{listing}?rating=blocked", harbor["token"]).json()["total"] == 1

    assert api("DELETE", never, marina["token"]).status_code == 404
    assert api("DELETE", never, harbor["token"]).status_code == 204
    assert api("DELETE", never, harbor["token"]).status_code == 404
    assert api("GET", listing, owner).json()["total"] == 1


# -- reviews and excuses ---------------------------------------------------------------------


def test_three_no_shows_open_one_review_and_an_excuse_lifts_the_score(
    api, platform, cbo, owner, stranger, nobody, clients
):
    worker_id = str(uuid.uuid4())
    for hours in (30, 20, 10):
        assignment_id = seed_assignment(
            platform,
            tenant_id=cbo["id"],
            client_id=clients["marina"]["id"],
            worker_id=worker_id,
            starts_at=hours_ago(hours),
            worker_name="Rithy Long",
        )
        marked = api(
            "POST",
            f"/api/v1/assignments/{assignment_id}/attendance",
            owner,
            json={"outcome": "no_show"},
        )
        assert marked.status_code == 200, marked.text

    def open_review():
        page = api("GET", f"/api/v1/reliability/reviews?status=open&worker_id={worker_id}", owner)
        return page.json()["items"]

    [review] = wait_for(open_review, what="the review item")
    assert review["worker_name"] == "Rithy Long" and review["active_points"] >= 10
    view = api("GET", f"/api/v1/jobseekers/{worker_id}/reliability", owner).json()
    assert view["score"] == 0 and view["open_review_id"] == review["id"]
    assert api("GET", "/api/v1/reliability/reviews", stranger).json()["total"] == 0
    assert api("GET", "/api/v1/reliability/reviews", nobody).status_code == 403

    close = f"/api/v1/reliability/reviews/{review['id']}/close"
    outcome = {"outcome": "Called the worker; family emergency"}
    assert api("POST", close, stranger, json=outcome).status_code == 404
    assert api("POST", close, nobody, json=outcome).status_code == 403
    closed = api("POST", close, owner, json=outcome)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert api("POST", close, owner, json=outcome).status_code == 409

    entry_id = view["entries"][0]["id"]
    excuse = f"/api/v1/reliability/entries/{entry_id}/excuse"
    reason = {"reason": "Family emergency, confirmed"}
    assert api("POST", excuse, stranger, json=reason).status_code == 404
    assert api("POST", excuse, nobody, json=reason).status_code == 403
    excused = api("POST", excuse, owner, json=reason)
    assert excused.status_code == 200 and excused.json()["state"] == "excused"
    assert api("POST", excuse, owner, json=reason).status_code == 409
    after = api("GET", f"/api/v1/jobseekers/{worker_id}/reliability", owner).json()
    assert after["active_points"] == pytest.approx(8, abs=0.01)
    assert after["score"] == 0  # 75 - 80, floored
    assert len(open_review()) == 0  # an excuse never opens a review


# -- odd input -------------------------------------------------------------------------------


def test_odd_input_is_refused_with_a_4xx_and_changes_nothing(
    api, platform, cbo, owner, worker, clients
):
    future = seed_assignment(
        platform,
        tenant_id=cbo["id"],
        client_id=clients["harbor"]["id"],
        worker_id=worker["id"],
        starts_at=datetime.now(UTC) + timedelta(hours=3),
    )
    path = f"/api/v1/assignments/{future}/attendance"
    early = api("POST", path, owner, json={"outcome": "no_show"})
    assert early.status_code == 409 and "not started" in early.json()["error"]["message"]
    for body, field in (
        ({"outcome": "maybe"}, "outcome"),
        ({}, "outcome"),
        ({"outcome": "completed", "minutes_late": 10**30}, "minutes_late"),
        ({"outcome": "completed", "minutes_late": -1}, "minutes_late"),
        ({"outcome": "completed", "minutes_late": "late"}, "minutes_late"),
        ({"outcome": "no_show", "minutes_late": 5}, "minutes_late"),
        ({"outcome": "no_show", "reason": "x" * 501}, "reason"),
        ({"outcome": "no_show", "reason": "bad\u0000byte"}, None),
        ({"outcome": ["no_show"]}, "outcome"),
        ({"outcome": "no_show", "extra": 1}, "extra"),
    ):
        response = api("POST", path, owner, json=body)
        assert response.status_code == 422, (body, response.text)
        if field:
            assert field in response.json()["error"]["fields"], (body, response.text)
    for odd_id in ("not-a-uuid", "x" * 300, str(uuid.uuid4())):
        response = api(
            "POST", f"/api/v1/assignments/{odd_id}/attendance", owner, json={"outcome": "no_show"}
        )
        assert response.status_code == 404, response.text
    for query in ("per_page=1000", "sort=bogus", "status=maybe", "page=0"):
        assert api("GET", f"/api/v1/reliability/reviews?{query}", owner).status_code == 422
    assert api("GET", "/api/v1/reliability/entries?kind=bogus", owner).status_code == 422
    listing = f"/api/v1/clients/{clients['harbor']['id']}/preferences"
    assert api("GET", f"{listing}?rating=best", owner).status_code == 422
    assert api("PUT", f"{listing}/{worker['id']}", owner, json={"rating": 5}).status_code == 422
    appeal = f"/api/v1/reliability/entries/{uuid.uuid4()}/appeal"
    assert api("POST", appeal, worker["token"], json={"text": "   "}).status_code == 422
    assert api("POST", appeal, worker["token"], json={"text": "x" * 2001}).status_code == 422
    assert api("POST", appeal, worker["token"], json={"text": "Why"}).status_code == 404
    decision = f"/api/v1/reliability/entries/{uuid.uuid4()}/decision"
    bad = api("POST", decision, owner, json={"outcome": "maybe", "reason": ""})
    assert bad.status_code == 422 and {"outcome", "reason"} <= set(bad.json()["error"]["fields"])
    # Nothing of it was marked.
    assert api("GET", path, owner).json()["status"] == "booked"
