"""The market's journey over HTTP through the gateway, on the whole running platform (issue 7,
"done when"), with people and things made only through the API (tests/e2e/market.py):

(a) a client user searches (ranked eligible workers with the parts of their rank, nobody left
    out shown to them; staff see who is left out and why), books a named worker, who finds the
    offer among their own and confirms it: the shift is filled;
(b) a student of a college capping its students at 14 h a week in term, who holds 12 h that
    week, is left out of a 3 h shift with the search saying why, and is offered it neither by
    name nor in an open shift; in a week outside the term the same shift is theirs to take;
(c) a worker the client blocked is never offered that client's shifts (not in its search, not
    by name, not in any tier of an open shift), while another client's shifts still reach them;
(d) a job type exclusive to one client does not exist for another client's user: not listed,
    404 to read, to search with and to book, and staff cannot book it for another client.

Four approved job seekers of one CBO: Ana (Harbor's favourite), Ben, Sol (the student) and Zed
(blocked by Harbor). Each test works in its own days, so that one's bookings and offers do not
hold another's workers: (b) in the term's week and the week after it, (a), (c) and (d) on the
Monday, Tuesday and Wednesday two weeks after the term.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.e2e.market import (
    a_cbo,
    a_client,
    a_job_type,
    a_worker_source,
    an_approved_worker,
    book,
    booking_body,
    confirm,
    my_offer,
    next_monday,
    placed,
    set_preference,
    shift_offers,
    today,
)
from tests.waiting import wait_for

RANK_PARTS = {"favourite", "reliability", "reliable", "distance_km", "booked_minutes_this_week"}
NEW_WORKER_SCORE = 75


@pytest.fixture(scope="module")
def market(api, operator_token, platform, smtp) -> dict:
    """A CBO (open-shift tiers 1 s apart) with clients Harbor and Pier (a site and a user
    each), a CBO-wide job type and one exclusive to Harbor, a college whose one term ends with
    the week of `week` (a Monday one to two weeks ahead), and the four workers."""
    cbo = a_cbo(
        api, operator_token, platform, "journey", tier_delay_min_seconds=1, tier_delay_max_seconds=1
    )
    owner = cbo["owner"]
    harbor = a_client(api, platform, cbo, "Harbor Cafe")
    pier = a_client(api, platform, cbo, "Pier Diner")
    kitchen = a_job_type(api, owner, "Kitchen help", pay_rate_cents=2100, bill_rate_cents=2900)
    cook = a_job_type(
        api,
        owner,
        "Harbor line cook",
        client_id=harbor["id"],
        pay_rate_cents=2600,
        bill_rate_cents=3500,
    )
    week = next_monday()
    term = {"starts_on": today().isoformat(), "ends_on": (week + timedelta(days=6)).isoformat()}
    college = a_worker_source(
        api, owner, "Long Beach City College", weekly_hour_cap=14, terms=[term]
    )
    workers = {
        "ana": an_approved_worker(api, smtp, platform, cbo, "Ana Favourite"),
        "ben": an_approved_worker(api, smtp, platform, cbo, "Ben Named"),
        "sol": an_approved_worker(api, smtp, platform, cbo, "Sol Student", source_id=college),
        "zed": an_approved_worker(api, smtp, platform, cbo, "Zed Blocked"),
    }
    set_preference(api, owner, harbor["id"], workers["ana"]["id"], "favourite", "Their regular")
    set_preference(api, owner, harbor["id"], workers["zed"]["id"], "blocked", "Asked by Harbor")
    return {
        **cbo,
        **workers,
        "harbor": harbor,
        "pier": pier,
        "kitchen": kitchen["id"],
        "cook": cook["id"],
        "week": week,
        "after_term": week + timedelta(days=14),
    }


def search(
    api,
    token: str,
    client: dict,
    job_type_id: str,
    on: date,
    start: str = "09:00",
    end: str = "13:00",
    **more,
):
    """The search's answer for one shift at the client's site (the response)."""
    return api(
        "POST",
        "/api/v1/worker-search",
        token,
        json={
            "job_type_id": job_type_id,
            "client_id": client["id"],
            "site_id": client["site"],
            "date": on.isoformat(),
            "start_time": start,
            "end_time": end,
            "per_page": 200,
            **more,
        },
    )


def found(api, token: str, client: dict, job_type_id: str, on: date, **more) -> dict:
    answer = search(api, token, client, job_type_id, on, **more)
    assert answer.status_code == 200, answer.text
    return answer.json()


def eligible(answer: dict) -> list[str]:
    return [w["worker_id"] for w in answer["eligible"]["items"]]


def excluded(answer: dict) -> dict[str, list[dict]]:
    return {x["worker_id"]: x["reasons"] for x in answer["excluded"]["items"]}


def label(day: date) -> str:
    """How the search names a day: 'Mon 21 Dec'."""
    return f"{day:%a} {day.day} {day:%b}"


def released_through_eligible(api, owner: str, shift_id: str, worker: dict) -> dict[str, dict]:
    """The open shift's offers once its "eligible" tier reached `worker`. Every candidate of a
    tier is offered at once, and only partner CBOs' workers come after that tier: this is every
    offer of the CBO's own workers the shift will make."""

    def reached() -> dict[str, dict] | None:
        offers = shift_offers(api, owner, shift_id)
        mine = offers.get(worker["id"])
        return offers if mine and mine["channel"] == "tier:eligible" else None

    return wait_for(reached, timeout=20, what=f"the eligible tier to reach {worker['name']}")


# -- (a) -----------------------------------------------------------------------------------------


def test_a_client_user_searches_books_a_named_worker_who_confirms(api, market):
    harbor, owner = market["harbor"], market["owner"]
    ana, ben, sol, zed = (market[k] for k in ("ana", "ben", "sol", "zed"))
    day = market["after_term"]

    # The client user: the eligible workers, ranked, with the parts of each rank; Harbor's
    # favourite first; nobody left out is shown to them.
    mine = found(api, harbor["user"], harbor, market["kitchen"], day)
    assert mine["excluded"] is None and mine["worker"] is None
    ranked = mine["eligible"]["items"]
    assert mine["eligible"]["total"] == len(ranked) == 3
    assert [w["worker_id"] for w in ranked][0] == ana["id"]
    assert set(eligible(mine)) == {ana["id"], ben["id"], sol["id"]}
    assert [w["position"] for w in ranked] == [1, 2, 3]
    for worker in ranked:
        assert set(worker["rank"]) == RANK_PARTS
        assert worker["partner"] is False and worker["worker_tenant_id"] == market["id"]
        assert worker["rank"]["favourite"] is (worker["worker_id"] == ana["id"])
        assert worker["rank"]["reliability"] == NEW_WORKER_SCORE
        assert worker["rank"]["reliable"] is False
        assert worker["rank"]["distance_km"] == 0.0  # they live in the site's ZIP
        assert worker["rank"]["booked_minutes_this_week"] == 0
    assert mine["occurrences"] and mine["timezone"] == "America/Los_Angeles"

    # Staff see the same ranking, and who is left out with why (counted per reason when
    # they ask).
    staff = found(api, owner, harbor, market["kitchen"], day, count_reasons=True)
    assert eligible(staff) == eligible(mine)
    assert excluded(staff) == {
        zed["id"]: [{"code": "blocked", "message": "blocked by this client"}]
    }
    assert staff["excluded"]["by_reason"] == {"blocked": 1}

    # The client user books Ben by name; Ben finds the offer among his own and confirms it.
    made = book(
        api,
        harbor["user"],
        site_id=harbor["site"],
        job_type_id=market["kitchen"],
        on=day,
        named=ben["id"],
    )
    assert (made["client_id"], made["created_by_kind"]) == (harbor["id"], "client")
    assert (made["fill_mode"], made["named_worker_id"]) == ("named", ben["id"])
    (shift,) = made["shifts"]
    offers = shift_offers(api, harbor["user"], shift["id"])
    assert list(offers) == [ben["id"]] and offers[ben["id"]]["channel"] == "named"
    offer = my_offer(api, ben, shift["id"])
    assert offer["shift"]["client"]["name"] == "Harbor Cafe"
    assert offer["shift"]["job_type"]["name"] == "Kitchen help"
    assert offer["shift"]["starts_local"] == f"{day.isoformat()}T09:00:00"
    confirmed = api("POST", f"/api/v1/offers/{offer['id']}/confirm", ben["token"])
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["assignment_id"]

    # The shift is filled, as the client user and Ben see it.
    filled = api("GET", f"/api/v1/shifts/{shift['id']}", harbor["user"])
    assert filled.status_code == 200, filled.text
    assert (filled.json()["status"], filled.json()["filled"]) == ("filled", 1)
    assert [a["worker_id"] for a in filled.json()["assignments"]] == [ben["id"]]
    his = api("GET", "/api/v1/me/shifts", ben["token"]).json()["items"]
    assert shift["id"] in [s["shift"]["id"] for s in his]

    # Ben is booked now: the same search leaves him out, and tells staff when and where.
    again = found(api, owner, harbor, market["kitchen"], day)
    assert ben["id"] not in eligible(again)
    assert excluded(again)[ben["id"]] == [
        {
            "code": "booked_elsewhere",
            "message": f"booked {label(day)} 09:00–13:00 at this site",
        }
    ]
    assert ben["id"] not in eligible(found(api, harbor["user"], harbor, market["kitchen"], day))


# -- (b) -----------------------------------------------------------------------------------------


def test_a_student_at_the_term_cap_is_left_out_and_told_why_but_not_outside_the_term(api, market):
    owner, harbor, pier = market["owner"], market["harbor"], market["pier"]
    ana, ben, sol = market["ana"], market["ben"], market["sol"]
    in_term, after_term = market["week"], market["week"] + timedelta(days=7)

    # Sol holds 12 h in the term's last week (Monday to Wednesday, 09-13) and as many the week
    # after it: booked by name for Pier, each confirmed.
    held = book(
        api,
        owner,
        client_id=pier["id"],
        site_id=pier["site"],
        job_type_id=market["kitchen"],
        on=in_term,
        named=sol["id"],
        recurrence="FREQ=WEEKLY;BYDAY=MO,TU,WE;COUNT=6",
    )
    assert len(held["shifts"]) == 6
    for shift in held["shifts"]:
        confirm(api, sol, shift["id"])

    # A 3 h shift on the Thursday of the term week: Sol is left out, and staff are told why.
    thursday = in_term + timedelta(days=3)
    why = "14 h term cap: 12 h booked this week + 3 h shift"
    staff = found(
        api,
        owner,
        harbor,
        market["kitchen"],
        thursday,
        start="14:00",
        end="17:00",
        jobseeker_id=sol["id"],
    )
    assert sol["id"] not in eligible(staff)
    assert excluded(staff)[sol["id"]] == [{"code": "weekly_cap", "message": why}]
    assert staff["worker"]["eligible"] is False
    assert staff["worker"]["reasons"] == [{"code": "weekly_cap", "message": why}]
    theirs = found(
        api, harbor["user"], harbor, market["kitchen"], thursday, start="14:00", end="17:00"
    )
    assert sol["id"] not in eligible(theirs) and theirs["excluded"] is None

    # Never offered it: not by name (nothing is booked) ...
    bookings_before = api("GET", "/api/v1/bookings", owner).json()["total"]
    named = api(
        "POST",
        "/api/v1/bookings",
        owner,
        json=booking_body(
            client_id=harbor["id"],
            site_id=harbor["site"],
            job_type_id=market["kitchen"],
            on=thursday,
            start="14:00",
            end="17:00",
            named=sol["id"],
        ),
    )
    assert named.status_code == 409, named.text
    assert why in named.json()["error"]["message"]
    assert api("GET", "/api/v1/bookings", owner).json()["total"] == bookings_before

    # ... nor in any tier of an open shift.
    opened = book(
        api,
        owner,
        client_id=harbor["id"],
        site_id=harbor["site"],
        job_type_id=market["kitchen"],
        on=thursday,
        start="14:00",
        end="17:00",
        positions=3,
    )
    (open_shift,) = opened["shifts"]
    offers = released_through_eligible(api, owner, open_shift["id"], ben)
    assert offers[ana["id"]]["channel"] == "tier:favourites"
    assert sol["id"] not in offers
    sol_offers = api("GET", "/api/v1/me/offers?per_page=200", sol["token"]).json()["items"]
    assert open_shift["id"] not in [o["shift"]["id"] for o in sol_offers]

    # The week after the term: the same shift with the same 12 h booked that week is hers.
    later = after_term + timedelta(days=3)
    staff = found(
        api,
        owner,
        harbor,
        market["kitchen"],
        later,
        start="14:00",
        end="17:00",
        jobseeker_id=sol["id"],
    )
    (ranked,) = [w for w in staff["eligible"]["items"] if w["worker_id"] == sol["id"]]
    assert ranked["rank"]["booked_minutes_this_week"] == 12 * 60
    assert staff["worker"]["eligible"] is True and staff["worker"]["reasons"] == []
    assert sol["id"] not in excluded(staff)
    taken = placed(
        api,
        owner,
        sol,
        client_id=harbor["id"],
        site_id=harbor["site"],
        job_type_id=market["kitchen"],
        on=later,
        start="14:00",
        end="17:00",
    )
    shift = api("GET", f"/api/v1/shifts/{taken['shift_id']}", owner).json()
    assert (shift["status"], [a["worker_id"] for a in shift["assignments"]]) == (
        "filled",
        [sol["id"]],
    )


# -- (c) -----------------------------------------------------------------------------------------


def test_a_worker_the_client_blocked_is_never_offered_its_shifts(api, market):
    owner, harbor, pier = market["owner"], market["harbor"], market["pier"]
    ana, ben, sol, zed = (market[k] for k in ("ana", "ben", "sol", "zed"))
    day = market["after_term"] + timedelta(days=1)
    blocked = [{"code": "blocked", "message": "blocked by this client"}]

    # Not in the client's search; staff see why, and so does the client asking about Zed
    # (without the reasons, which are staff's).
    theirs = found(api, harbor["user"], harbor, market["kitchen"], day, jobseeker_id=zed["id"])
    assert zed["id"] not in eligible(theirs)
    assert (theirs["worker"]["eligible"], theirs["worker"]["reasons"]) == (False, None)
    staff = found(api, owner, harbor, market["kitchen"], day, jobseeker_id=zed["id"])
    assert zed["id"] not in eligible(staff) and excluded(staff)[zed["id"]] == blocked
    assert staff["worker"]["reasons"] == blocked

    # Not by name, whoever books.
    before = api("GET", "/api/v1/bookings", owner).json()["total"]
    for token in (harbor["user"], owner):
        named = api(
            "POST",
            "/api/v1/bookings",
            token,
            json=booking_body(
                client_id=harbor["id"],
                site_id=harbor["site"],
                job_type_id=market["kitchen"],
                on=day,
                named=zed["id"],
            ),
        )
        assert named.status_code == 409, named.text
        assert "blocked by this client" in named.json()["error"]["message"]
    assert api("GET", "/api/v1/bookings", owner).json()["total"] == before

    # Not in any tier of Harbor's open shift, which goes to everybody else.
    opened = book(
        api,
        harbor["user"],
        site_id=harbor["site"],
        job_type_id=market["kitchen"],
        on=day,
        positions=3,
    )
    (shift,) = opened["shifts"]
    offers = released_through_eligible(api, owner, shift["id"], ben)
    assert set(offers) == {ana["id"], ben["id"], sol["id"]}
    assert offers[ana["id"]]["channel"] == "tier:favourites"
    zed_offers = api("GET", "/api/v1/me/offers?per_page=200", zed["token"]).json()["items"]
    assert shift["id"] not in [o["shift"]["id"] for o in zed_offers]

    # The block is Harbor's alone: Pier's open shift at the same time reaches Zed (the others
    # wait for their answer to Harbor's, which overlaps it).
    pier_shift = book(
        api,
        pier["user"],
        site_id=pier["site"],
        job_type_id=market["kitchen"],
        on=day,
        positions=1,
    )["shifts"][0]
    pier_offers = released_through_eligible(api, owner, pier_shift["id"], zed)
    assert set(pier_offers) == {zed["id"]}
    assert my_offer(api, zed, pier_shift["id"])["shift"]["client"]["name"] == "Pier Diner"


# -- (d) -----------------------------------------------------------------------------------------


def test_a_client_exclusive_job_type_is_invisible_and_unbookable_for_another_client(api, market):
    owner, harbor, pier, cook = market["owner"], market["harbor"], market["pier"], market["cook"]
    day = market["after_term"] + timedelta(days=2)

    # Harbor's user sees it, searches with it and books it.
    assert api("GET", f"/api/v1/job-types/{cook}", harbor["user"]).status_code == 200
    listed = api("GET", "/api/v1/job-types?per_page=200", harbor["user"]).json()
    assert cook in [t["id"] for t in listed["items"]]
    assert found(api, harbor["user"], harbor, cook, day)["eligible"]["total"] == 3
    harbors = book(
        api, harbor["user"], site_id=harbor["site"], job_type_id=cook, on=day, fill_mode="open"
    )

    # To Pier's user it does not exist.
    pier_user = pier["user"]
    pier_bookings = api("GET", "/api/v1/bookings?per_page=200", pier_user).json()
    assert api("GET", f"/api/v1/job-types/{cook}", pier_user).status_code == 404
    theirs = api("GET", "/api/v1/job-types?per_page=200", pier_user)
    assert theirs.status_code == 200
    assert cook not in theirs.text and "Harbor line cook" not in theirs.text
    assert [t["name"] for t in theirs.json()["items"]] == ["Kitchen help"]
    assert search(api, pier_user, pier, cook, day).status_code == 404
    assert search(api, pier_user, harbor, cook, day).status_code == 404
    for site in (pier["site"], harbor["site"]):
        refused = api(
            "POST",
            "/api/v1/bookings",
            pier_user,
            json=booking_body(site_id=site, job_type_id=cook, on=day),
        )
        assert refused.status_code == 404, refused.text
    assert api("GET", f"/api/v1/bookings/{harbors['id']}", pier_user).status_code == 404
    shift_id = harbors["shifts"][0]["id"]
    assert api("GET", f"/api/v1/shifts/{shift_id}", pier_user).status_code == 404
    assert api("GET", f"/api/v1/shifts/{shift_id}/offers", pier_user).status_code == 404

    # Staff cannot book it, or search with it, for Pier either.
    for_pier = api(
        "POST",
        "/api/v1/bookings",
        owner,
        json=booking_body(client_id=pier["id"], site_id=pier["site"], job_type_id=cook, on=day),
    )
    assert for_pier.status_code == 422 and set(for_pier.json()["error"]["fields"]) == {
        "job_type_id"
    }
    assert search(api, owner, pier, cook, day).status_code == 404

    # Nothing was booked for Pier.
    assert api("GET", "/api/v1/bookings?per_page=200", pier_user).json() == pier_bookings
    assert cook not in str(pier_bookings)
