"""Offers over HTTP through the gateway, on the whole running platform.

An open shift with two positions goes to the client's favourite first and, after the tier
delay (the CBO's booking settings make it 2 s), to the reliable workers; the first two
confirmations fill it and the other offers are withdrawn, so a late confirmation is a 409.
Twenty job seekers confirming the last position at the same instant: exactly one 200, the
rest 409. Each job seeker answers only their own offers; a shift's offers are the CBO's staff's
and its own client's to read, nobody else's.

Job seekers are registered, their documents verified and approved through identity, so
booking's read model learns of them from the events (tests/e2e/market.py). A client's
favourite is set by staff through the client's preferences; a reliability score comes from
shifts worked, which this test does not wait for: the scores are written straight into
booking's database (market.seed_score).
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

import pytest
import requests

from tests.e2e.cbos import apply_and_approve
from tests.e2e.market import (
    a_cbo,
    a_client,
    a_job_type,
    an_approved_worker,
    book,
    days_ahead,
    my_offer,
    seed_score,
    set_preference,
    shift_offers,
)
from tests.e2e.tokens import staff_token
from tests.waiting import wait_for

TIER_DELAY_SECONDS = 2


@pytest.fixture(scope="module")
def cbo(api, operator_token, platform):
    """A CBO with two clients (each with a site and a user), a job type, and tier delays of
    TIER_DELAY_SECONDS."""
    made = a_cbo(
        api,
        operator_token,
        platform,
        "offers",
        tier_delay_min_seconds=TIER_DELAY_SECONDS,
        tier_delay_max_seconds=TIER_DELAY_SECONDS,
    )
    harbor = a_client(api, platform, made, "Harbor Cafe")
    bay = a_client(api, platform, made, "Bay Diner")
    made["client"], made["site"], made["client_user"] = harbor["id"], harbor["site"], harbor["user"]
    made["other_client"], made["other_site"], made["other_user"] = (
        bay["id"],
        bay["site"],
        bay["user"],
    )
    job_type = a_job_type(
        api, made["owner"], "Kitchen help", pay_rate_cents=2100, bill_rate_cents=2900
    )
    made["job_type"] = job_type["id"]
    return made


def open_shift(api, cbo: dict, *, client: str, site: str, days: int, positions: int) -> str:
    """An open booking of one shift, 09:00-13:00 at the site `days` days from now; the
    shift's id."""
    made = book(
        api,
        cbo["owner"],
        client_id=client,
        site_id=site,
        job_type_id=cbo["job_type"],
        on=days_ahead(days),
        positions=positions,
    )
    (shift,) = made["shifts"]
    return shift["id"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_an_open_shift_goes_to_a_favourite_then_the_reliable_and_fills_with_two(
    api, platform, smtp, operator_token, cbo
):
    fay = an_approved_worker(api, smtp, platform, cbo, "Fay")
    rae = an_approved_worker(api, smtp, platform, cbo, "Rae")
    rex = an_approved_worker(api, smtp, platform, cbo, "Rex")
    set_preference(api, cbo["owner"], cbo["client"], fay["id"], "favourite", note="Regular")
    seed_score(platform, cbo, fay, 60)
    seed_score(platform, cbo, rae, 95)
    seed_score(platform, cbo, rex, 90)

    shift_id = open_shift(api, cbo, client=cbo["client"], site=cbo["site"], days=3, positions=2)

    first = shift_offers(api, cbo["owner"], shift_id)
    assert set(first) == {fay["id"]}
    assert first[fay["id"]]["channel"] == "tier:favourites"
    released = wait_for(
        lambda: (
            (found := shift_offers(api, cbo["owner"], shift_id))
            and {rae["id"], rex["id"]} <= set(found)
            and found
        ),
        timeout=20,
        what="the reliable tier after the delay",
    )
    assert {released[w]["channel"] for w in (rae["id"], rex["id"])} == {"tier:reliable"}
    waited = at(released[rae["id"]]["created_at"]) - at(released[fay["id"]]["created_at"])
    assert waited >= timedelta(seconds=TIER_DELAY_SECONDS - 0.5)

    # Fay reads her offer with the shift's details, and confirms it.
    offer = my_offer(api, fay, shift_id)
    assert offer["shift"]["job_type"]["name"] == "Kitchen help"
    assert offer["shift"]["client"]["name"] == "Harbor Cafe"
    assert offer["shift"]["pay_rate_cents"] == 2100
    assert offer["shift"]["starts_local"].endswith("T09:00:00")
    confirmed = api("POST", f"/api/v1/offers/{offer['id']}/confirm", fay["token"])
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["assignment_id"]

    # Rex may not answer Rae's offer: it does not exist for him.
    rae_offer = my_offer(api, rae, shift_id)
    assert api("POST", f"/api/v1/offers/{rae_offer['id']}/confirm", rex["token"]).status_code == 404
    assert api("POST", f"/api/v1/offers/{rae_offer['id']}/confirm", rae["token"]).status_code == 200

    # Full: every other offer was withdrawn, and the workers are told why.
    after = shift_offers(api, cbo["owner"], shift_id)
    assert after[fay["id"]]["status"] == after[rae["id"]]["status"] == "confirmed"
    others = [o for w, o in after.items() if w not in (fay["id"], rae["id"])]
    assert others and {(o["status"], o["end_reason"]) for o in others} == {
        ("withdrawn", "shift filled")
    }
    shift = api("GET", f"/api/v1/shifts/{shift_id}", cbo["owner"])
    assert shift.status_code == 200, shift.text
    assert shift.json()["status"] == "filled"

    late = api("POST", f"/api/v1/offers/{after[rex['id']]['id']}/confirm", rex["token"])
    assert late.status_code == 409
    assert late.json()["error"]["message"] == (
        "This offer was withdrawn (shift filled); it can no longer be confirmed."
    )
    rex_offers = api("GET", "/api/v1/me/offers", rex["token"], params={"status": "withdrawn"})
    assert [o["shift"]["id"] for o in rex_offers.json()["items"]] == [shift_id]
    fay_shifts = api("GET", "/api/v1/me/shifts", fay["token"]).json()
    assert [s["shift"]["id"] for s in fay_shifts["items"]] == [shift_id]

    # The shift's client reads its offers; another client's user, another CBO, and a token
    # without the permission get nothing, and change nothing.
    assert set(shift_offers(api, cbo["client_user"], shift_id)) == set(after)
    assert api("GET", f"/api/v1/shifts/{shift_id}/offers", cbo["other_user"]).status_code == 404
    other_cbo = apply_and_approve(api, operator_token, f"other-{uuid.uuid4().hex[:8]}")
    stranger = staff_token(platform, other_cbo)
    assert api("GET", f"/api/v1/shifts/{shift_id}/offers", stranger).status_code == 404
    viewer = staff_token(platform, cbo["id"], ["viewer"])
    refused = api(
        "POST",
        f"/api/v1/offers/{after[rex['id']]['id']}/withdraw",
        viewer,
        json={"reason": "not allowed"},
    )
    assert refused.status_code == 403


def test_twenty_workers_confirm_the_last_position_at_once_and_one_wins(api, platform, smtp, cbo):
    workers = [an_approved_worker(api, smtp, platform, cbo, f"Worker{n:02d}") for n in range(20)]
    for worker in workers:
        seed_score(platform, cbo, worker, 92)
    # The other client has no favourites: the reliable tier goes out at once.
    shift_id = open_shift(
        api, cbo, client=cbo["other_client"], site=cbo["other_site"], days=4, positions=1
    )
    offers = wait_for(
        lambda: (
            (found := shift_offers(api, cbo["owner"], shift_id))
            and all(w["id"] in found for w in workers)
            and found
        ),
        what="the twenty offers",
    )

    ready = threading.Barrier(len(workers))
    statuses: dict[str, int] = {}

    def confirm(worker: dict) -> None:
        offer_id = offers[worker["id"]]["id"]
        ready.wait()
        response = requests.post(
            f"{platform.url}/api/v1/offers/{offer_id}/confirm",
            headers={"Authorization": f"Bearer {worker['token']}"},
            timeout=60,
        )
        statuses[worker["id"]] = response.status_code

    threads = [threading.Thread(target=confirm, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert sorted(statuses.values()) == [200] + [409] * 19
    (winner,) = [w for w, status in statuses.items() if status == 200]
    after = shift_offers(api, cbo["owner"], shift_id)
    assert [w for w, o in after.items() if o["status"] == "confirmed"] == [winner]
    assert {o["status"] for w, o in after.items() if w != winner} == {"withdrawn"}
    shift = api("GET", f"/api/v1/shifts/{shift_id}", cbo["owner"]).json()
    assert (shift["status"], shift["filled"]) == ("filled", 1)


def test_nobody_else_reads_or_changes_offers_and_odd_input_is_a_4xx(
    api, platform, smtp, operator_token, cbo
):
    ana = an_approved_worker(api, smtp, platform, cbo, "Ana")
    bo = an_approved_worker(api, smtp, platform, cbo, "Bo")
    shift_id = open_shift(api, cbo, client=cbo["client"], site=cbo["site"], days=6, positions=1)
    offer = wait_for(lambda: shift_offers(api, cbo["owner"], shift_id).get(ana["id"]))
    offer_id = offer["id"]

    other_cbo = apply_and_approve(api, operator_token, f"other-{uuid.uuid4().hex[:8]}")
    stranger = staff_token(platform, other_cbo)
    viewer = staff_token(platform, cbo["id"], ["viewer"])
    reason = {"reason": "not yours"}
    refused = [
        # Another CBO's staff: the shift and the offer do not exist.
        (stranger, "GET", f"/api/v1/shifts/{shift_id}/offers", None, 404),
        (stranger, "POST", f"/api/v1/shifts/{shift_id}/offers", {"jobseeker_id": bo["id"]}, 404),
        (stranger, "POST", f"/api/v1/offers/{offer_id}/withdraw", reason, 404),
        # Another client's user of the same CBO: not their shift; no staff permission.
        (cbo["other_user"], "GET", f"/api/v1/shifts/{shift_id}/offers", None, 404),
        (cbo["other_user"], "POST", f"/api/v1/offers/{offer_id}/withdraw", reason, 403),
        # The shift's own client user may read, not offer or withdraw.
        (
            cbo["client_user"],
            "POST",
            f"/api/v1/shifts/{shift_id}/offers",
            {"jobseeker_id": bo["id"]},
            403,
        ),
        (cbo["client_user"], "POST", f"/api/v1/offers/{offer_id}/withdraw", reason, 403),
        # Staff who may only read; staff confirming for a worker.
        (viewer, "POST", f"/api/v1/shifts/{shift_id}/offers", {"jobseeker_id": bo["id"]}, 403),
        (viewer, "POST", f"/api/v1/offers/{offer_id}/withdraw", reason, 403),
        (cbo["owner"], "POST", f"/api/v1/offers/{offer_id}/confirm", None, 403),
        (cbo["owner"], "GET", "/api/v1/me/offers", None, 403),
        # Another worker: Ana's offer is not theirs.
        (bo["token"], "POST", f"/api/v1/offers/{offer_id}/confirm", None, 404),
        (bo["token"], "POST", f"/api/v1/offers/{offer_id}/decline", {}, 404),
        # A job seeker reads no shift's offers.
        (ana["token"], "GET", f"/api/v1/shifts/{shift_id}/offers", None, 403),
    ]
    for token, method, path, body, status in refused:
        answer = (
            api(method, path, token, json=body) if body is not None else api(method, path, token)
        )
        assert answer.status_code == status, (method, path, answer.text)
    bo_sees = api("GET", "/api/v1/me/offers", bo["token"]).json()["items"]
    assert offer_id not in {o["id"] for o in bo_sees}
    assert shift_offers(api, cbo["owner"], shift_id)[ana["id"]]["status"] == "sent"

    odd = [
        ("POST", f"/api/v1/offers/{offer_id}/decline", {"reason": "x" * 501}, 422),
        ("POST", f"/api/v1/offers/{offer_id}/decline", {"reason": 12}, 422),
        ("POST", f"/api/v1/offers/{'9' * 400}/confirm", None, 404),
        ("GET", "/api/v1/me/offers?status=lost", None, 422),
        ("GET", "/api/v1/me/offers?per_page=100000", None, 422),
        ("GET", "/api/v1/me/shifts?sort=salary", None, 422),
        ("GET", "/api/v1/me/offers?page=99999999999999999999", None, 422),
    ]
    for method, path, body, status in odd:
        answer = (
            api(method, path, ana["token"], json=body)
            if body is not None
            else api(method, path, ana["token"])
        )
        assert answer.status_code == status, (method, path, answer.text)
    staff_odd = [
        (f"/api/v1/shifts/{shift_id}/offers", {"jobseeker_id": "y" * 37}, 422),
        (f"/api/v1/shifts/{shift_id}/offers", {"jobseeker_id": ["a list"]}, 422),
        (f"/api/v1/shifts/{shift_id}/offers", {"jobseeker_id": str(uuid.uuid4())}, 422),
        (f"/api/v1/shifts/{shift_id}/offers", {"jobseeker_id": ana["id"]}, 409),
        (f"/api/v1/offers/{offer_id}/withdraw", {}, 422),
        (f"/api/v1/offers/{offer_id}/withdraw", {"reason": "   "}, 422),
    ]
    for path, body, status in staff_odd:
        answer = api("POST", path, cbo["owner"], json=body)
        assert answer.status_code == status, (path, body, answer.text)

    # Ana declines with her reason; her offer is gone from what she can still answer.
    declined = api(
        "POST", f"/api/v1/offers/{offer_id}/decline", ana["token"], json={"reason": "Away"}
    )
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["end_reason"]) == ("declined", "Away")
    again = api("POST", f"/api/v1/offers/{offer_id}/confirm", ana["token"])
    assert again.status_code == 409
    assert again.json()["error"]["message"] == (
        "You declined this offer; it can no longer be confirmed."
    )
