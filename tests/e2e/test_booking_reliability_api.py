"""Attendance, ratings and reliability over HTTP through the gateway: staff mark a no-show, the
worker sees the entry and the score, appeals, staff overturn and the score is restored;
ratings and preferences within the client's own organisation; reviews and excuses; another
CBO, another client and a token without the permission get nothing; odd input is a 4xx.

Every shift is booked for a named, approved job seeker through the API, who confirms it
(`seed_assignment`); marking attendance needs the shift to have started, so the shifts worked
in these tests are then moved into the past (market.into_the_past, the one SQL step)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.cbos import apply_and_approve
from tests.e2e.market import (
    a_cbo,
    a_client,
    a_job_type,
    an_approved_worker,
    days_ahead,
    into_the_past,
    placed,
)
from tests.e2e.tokens import staff_token
from tests.waiting import wait_for

# Each seeded shift is booked on a day of its own (09:00-13:00), so that no two of a worker's
# shifts overlap before they are moved.
_days = itertools.count(2)


def seed_assignment(
    api, platform, cbo: dict, *, client: dict, worker: dict, starts_at: datetime | None = None
) -> dict:
    """A 4-hour shift of `client` booked by staff for the named worker, who confirms it; moved
    to start at `starts_at` when given (attendance is marked once a shift has started).
    {"booking_id", "shift_id", "offer_id", "assignment_id"}."""
    found = placed(
        api,
        cbo["owner"],
        worker,
        client_id=client["id"],
        site_id=client["site"],
        job_type_id=cbo["job_type"],
        on=days_ahead(next(_days)),
    )
    if starts_at is not None:
        into_the_past(platform, found["shift_id"], starts_at)
    return found


def shift_status(api, owner: str, seeded: dict) -> str:
    shift = api("GET", f"/api/v1/shifts/{seeded['shift_id']}", owner)
    assert shift.status_code == 200, shift.text
    return shift.json()["status"]


def hours_ago(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


@pytest.fixture(scope="module")
def cbo(api, operator_token, platform) -> dict:
    """A CBO with a job type ("job_type")."""
    made = a_cbo(api, operator_token, platform, "rel-a")
    made["job_type"] = a_job_type(api, made["owner"], "Usher")["id"]
    return made


@pytest.fixture(scope="module")
def owner(cbo) -> str:
    return cbo["owner"]


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
def worker(api, smtp, platform, cbo) -> dict:
    """An approved job seeker of the CBO, with their own token."""
    return an_approved_worker(api, smtp, platform, cbo, "Dara Sok")


@pytest.fixture(scope="module")
def clients(api, platform, cbo) -> dict:
    """Two clients of the CBO, each with a site and a user of its own ("token")."""
    found = {}
    for name in ("harbor", "marina"):
        made = a_client(api, platform, cbo, name.title())
        found[name] = {"id": made["id"], "site": made["site"], "token": made["user"]}
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
    seeded = seed_assignment(
        api, platform, cbo, client=clients["harbor"], worker=worker, starts_at=hours_ago(3)
    )
    path = f"/api/v1/assignments/{seeded['assignment_id']}/attendance"

    # Another CBO's staff and staff without the permission change nothing.
    assert api("POST", path, stranger, json={"outcome": "no_show"}).status_code == 404
    refused = api("POST", path, nobody, json={"outcome": "no_show"})
    assert refused.status_code == 403 and "bookings.manage" in refused.json()["error"]["message"]
    assert api("POST", path, worker["token"], json={"outcome": "completed"}).status_code == 403

    marked = api("POST", path, owner, json={"outcome": "no_show"})
    assert marked.status_code == 200, marked.text
    assert marked.json()["status"] == "no_show" and marked.json()["shift_status"] == "completed"
    assert shift_status(api, owner, seeded) == "completed"
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
    api, smtp, platform, cbo, owner, stranger, nobody, worker, clients
):
    harbor, marina = clients["harbor"], clients["marina"]
    assignment_id = seed_assignment(
        api, platform, cbo, client=harbor, worker=worker, starts_at=hours_ago(6)
    )["assignment_id"]
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
    newcomer = an_approved_worker(api, smtp, platform, cbo, "Newcomer")
    seed_assignment(api, platform, cbo, client=marina, worker=newcomer)  # the other client's
    never = f"{listing}/{newcomer['id']}"
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
    api, smtp, platform, cbo, owner, stranger, nobody, clients
):
    rithy = an_approved_worker(api, smtp, platform, cbo, "Rithy Long")
    worker_id = rithy["id"]
    for hours in (30, 20, 10):
        assignment_id = seed_assignment(
            api, platform, cbo, client=clients["marina"], worker=rithy, starts_at=hours_ago(hours)
        )["assignment_id"]
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
    future = seed_assignment(api, platform, cbo, client=clients["harbor"], worker=worker)[
        "assignment_id"
    ]
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
