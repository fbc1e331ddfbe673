"""Bookings and booking settings over HTTP through the gateway: staff book weekday 9-13 shifts
for four weeks (20 shifts), a client user books for their own organisation, cancellations
(late or in time) and the CBO's settings; another client's user, another CBO's staff and
callers without the permission get no data and change nothing; odd input is a 4xx, never a
500."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.routes import ROUTES
from tests.e2e.cbos import apply_and_approve
from tests.e2e.market import (
    a_cbo,
    a_job_type,
    a_site,
    client_user,
    next_monday,
    register_client,
)
from tests.e2e.tokens import mint_token, staff_token

LB = ZoneInfo("America/Los_Angeles")
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
WEEKDAYS_20 = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=20"
# The routes of this branch's areas (settings and bookings).
OURS = [
    r
    for r in ROUTES
    if r.endpoint.__module__
    in ("services.booking.bookings.entrypoints", "services.booking.settings.entrypoints")
]


@pytest.fixture(scope="module")
def market(api, platform, operator_token):
    """A CBO with two clients (Harbor and Pier) and its catalogue, made through the API: a job
    type every client may book, one exclusive to Harbor, and a site per client; and tokens:
    the owner, each client's user, and a token of another CBO's owner."""
    cbo = a_cbo(api, operator_token, platform, "book")
    owner = cbo["owner"]
    mark = uuid.uuid4().hex[:6]
    clients = [register_client(api, owner, name) for name in ("Harbor Cafe", "Pier Diner")]
    shared = a_job_type(
        api,
        owner,
        f"Barista {mark}",
        pay_rate_cents=2100,
        bill_rate_cents=2900,
        min_shift_minutes=120,
    )
    exclusive = a_job_type(
        api,
        owner,
        f"Cook {mark}",
        pay_rate_cents=2600,
        bill_rate_cents=3500,
        min_shift_minutes=60,
        client_id=clients[0],
    )
    sites = [
        a_site(api, owner, client_id, f"Site {n}", address_line1=f"{n} Pine Ave")
        for n, client_id in enumerate(clients, start=1)
    ]
    other_cbo = apply_and_approve(api, operator_token, f"other-{uuid.uuid4().hex[:8]}")
    return {
        "tenant_id": cbo["id"],
        "owner": owner,
        "harbor": clients[0],
        "pier": clients[1],
        "harbor_user": client_user(platform, cbo["id"], clients[0]),
        "pier_user": client_user(platform, cbo["id"], clients[1]),
        "stranger": staff_token(platform, other_cbo),
        "job_type_id": shared["id"],
        "exclusive_job_type_id": exclusive["id"],
        **{f"site_{n}": site["id"] for n, site in enumerate(sites, start=1)},
    }


def booking(market, **overrides) -> dict:
    return {
        "client_id": market["harbor"],
        "job_type_id": market["job_type_id"],
        "site_id": market["site_1"],
        "starts_on": next_monday().isoformat(),
        "start_time": "09:00",
        "end_time": "13:00",
        "fill_mode": "open",
        **overrides,
    }


def book(api, market, token=None, **overrides) -> dict:
    made = api(
        "POST", "/api/v1/bookings", token or market["owner"], json=booking(market, **overrides)
    )
    assert made.status_code == 201, made.text
    return made.json()


def test_staff_book_weekdays_nine_to_one_for_four_weeks(api, market):
    made = book(api, market, recurrence=WEEKDAYS_20, positions=2, notes="Morning rush")
    assert len(made["shifts"]) == 20 and made["shift_count"] == 20
    assert {s["starts_local"][11:] for s in made["shifts"]} == {"09:00:00"}
    assert {s["ends_local"][11:] for s in made["shifts"]} == {"13:00:00"}
    days = {date.fromisoformat(s["starts_local"][:10]).weekday() for s in made["shifts"]}
    assert days == {0, 1, 2, 3, 4}
    assert {(s["positions"], s["filled"], s["status"]) for s in made["shifts"]} == {(2, 0, "open")}
    assert (made["pay_rate_cents"], made["bill_rate_cents"]) == (2100, 2900)
    assert (made["created_by_kind"], made["recurrence"]) == ("staff", WEEKDAYS_20)

    read = api("GET", f"/api/v1/bookings/{made['id']}", market["owner"])
    assert read.status_code == 200 and [s["id"] for s in read.json()["shifts"]] == [
        s["id"] for s in made["shifts"]
    ]
    shifts = api("GET", f"/api/v1/shifts?booking_id={made['id']}&per_page=5", market["owner"])
    assert shifts.status_code == 200 and shifts.json()["total"] == 20
    assert len(shifts.json()["items"]) == 5
    one = api("GET", f"/api/v1/shifts/{made['shifts'][0]['id']}", market["owner"])
    assert one.status_code == 200
    assert one.json()["assignments"] == [] and one.json()["offers"]["sent"] == 0
    assert one.json()["notes"] == "Morning rush"
    listed = api(
        "GET", f"/api/v1/bookings?client_id={market['harbor']}&per_page=200", market["owner"]
    )
    assert made["id"] in [b["id"] for b in listed.json()["items"]]


def test_a_client_user_books_for_their_own_organisation(api, market):
    made = book(
        api,
        market,
        market["harbor_user"],
        client_id=None,
        job_type_id=market["exclusive_job_type_id"],
    )
    assert made["client_id"] == market["harbor"] and made["created_by_kind"] == "client"
    assert made["pay_rate_cents"] is None and made["bill_rate_cents"] == 3500
    mine = api("GET", "/api/v1/bookings?per_page=200", market["harbor_user"]).json()
    assert made["id"] in [b["id"] for b in mine["items"]]
    assert {b["client_id"] for b in mine["items"]} == {market["harbor"]}


def test_another_clients_user_gets_404_for_everything(api, market):
    made = book(api, market, recurrence="FREQ=DAILY;COUNT=2")
    shift_id = made["shifts"][0]["id"]
    pier = market["pier_user"]
    for method, path, body in [
        ("GET", f"/api/v1/bookings/{made['id']}", None),
        ("GET", f"/api/v1/shifts/{shift_id}", None),
        ("POST", f"/api/v1/bookings/{made['id']}/cancel", {"reason": "Mine now"}),
        ("POST", f"/api/v1/shifts/{shift_id}/cancel", {"reason": "Mine now"}),
        ("POST", f"/api/v1/assignments/{uuid.uuid4()}/cancel", {"reason": "Mine now"}),
        ("POST", "/api/v1/bookings", booking(market, client_id=market["harbor"])),
        ("POST", "/api/v1/bookings", booking(market, client_id=None)),  # Harbor's site
        (
            "POST",
            "/api/v1/bookings",
            booking(
                market,
                client_id=None,
                site_id=market["site_2"],
                job_type_id=market["exclusive_job_type_id"],
            ),
        ),
    ]:
        response = api(method, path, pier, json=body)
        assert response.status_code == 404, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
    for path in ("/api/v1/bookings?per_page=200", "/api/v1/shifts?per_page=200"):
        listed = api("GET", path, pier)
        assert listed.status_code == 200 and market["harbor"] not in listed.text
    filtered = api("GET", f"/api/v1/bookings?client_id={market['harbor']}", pier)
    assert filtered.json()["total"] == 0
    after = api("GET", f"/api/v1/bookings/{made['id']}", market["owner"]).json()
    assert {s["status"] for s in after["shifts"]} == {"open"}


def path_with(route, things: dict) -> str:
    return PARAM.sub(lambda m: things[m.group(1)], route.path)


def test_another_cbo_sees_and_changes_nothing(api, market):
    made = book(api, market)
    things = {
        "booking_id": made["id"],
        "shift_id": made["shifts"][0]["id"],
        "assignment_id": str(uuid.uuid4()),
    }
    stranger = market["stranger"]
    checked = 0
    for route in OURS:
        body = {"reason": "Not yours"} if route.path.endswith("/cancel") else {}
        response = api(
            route.method, path_with(route, things), stranger, json=body if route.body else None
        )
        where = f"{route.method} {route.path}"
        if PARAM.search(route.path):
            assert response.status_code == 404, f"{where}: {response.status_code}"
        elif route.method == "GET":
            assert response.status_code == 200, where
            assert made["id"] not in response.text and market["harbor"] not in response.text
        checked += 1
    assert checked == len(OURS) >= 10
    # Booking for another CBO's client with another CBO's catalogue: none of it exists.
    foreign = api("POST", "/api/v1/bookings", stranger, json=booking(market))
    assert foreign.status_code == 404
    assert (
        api("GET", f"/api/v1/bookings/{made['id']}", market["owner"]).json()["status"] == "active"
    )


def test_callers_without_the_permission_are_refused(api, platform, market):
    made = book(api, market)
    things = {
        "booking_id": made["id"],
        "shift_id": made["shifts"][0]["id"],
        "assignment_id": str(uuid.uuid4()),
    }
    nobody = staff_token(platform, market["tenant_id"], ["custom"], perms=[])
    for route in OURS:
        response = api(
            route.method, path_with(route, things), nobody, json={} if route.body else None
        )
        assert response.status_code == 403, f"{route.method} {route.path}: {response.status_code}"
    viewer = staff_token(platform, market["tenant_id"], ["viewer"])
    assert api("GET", "/api/v1/bookings", viewer).status_code == 200
    assert api("POST", "/api/v1/bookings", viewer, json=booking(market)).status_code == 403
    cancel = {"reason": "No"}
    assert (
        api("POST", f"/api/v1/bookings/{made['id']}/cancel", viewer, json=cancel).status_code == 403
    )
    assert (
        api("PATCH", "/api/v1/booking-settings", viewer, json={"late_cancel_hours": 1}).status_code
        == 403
    )
    jobseeker = mint_token(
        platform, tenant_id=market["tenant_id"], kind="jobseeker", roles=["jobseeker"]
    )
    assert api("GET", "/api/v1/bookings", jobseeker).status_code == 403
    assert api("POST", "/api/v1/bookings", jobseeker, json=booking(market)).status_code == 403
    assert api("GET", "/api/v1/booking-settings", market["harbor_user"]).status_code == 403
    assert (
        api("GET", f"/api/v1/bookings/{made['id']}", market["owner"]).json()["status"] == "active"
    )


def test_odd_input_is_refused_per_field_and_never_a_500(api, market):
    owner = market["owner"]
    before = api("GET", "/api/v1/bookings?per_page=1", owner).json()["total"]
    cases = [
        ({}, {"job_type_id", "site_id", "starts_on", "start_time", "end_time", "fill_mode"}),
        (booking(market, positions=0), {"positions"}),
        (booking(market, positions=10**30), {"positions"}),
        (booking(market, positions="2"), {"positions"}),
        (booking(market, start_time="9am"), {"start_time"}),
        (booking(market, start_time="24:00"), {"start_time"}),
        (booking(market, end_time="09:00"), {"end_time"}),
        (booking(market, end_time="10:00"), {"end_time"}),  # under the job type's 120 minutes
        (booking(market, starts_on="2020-01-06"), {"starts_on"}),
        (booking(market, starts_on="9999-12-31"), {"starts_on"}),
        (booking(market, starts_on="tomorrow"), {"starts_on"}),
        (booking(market, recurrence="FREQ=DAILY;COUNT=201"), {"recurrence"}),
        (booking(market, recurrence="FREQ=DAILY;UNTIL=99991231"), {"recurrence"}),
        (booking(market, recurrence="FREQ=SECONDLY;COUNT=5"), {"recurrence"}),
        (booking(market, recurrence="FREQ=DAILY"), {"recurrence"}),
        (booking(market, recurrence="x" * 501), {"recurrence"}),
        (booking(market, recurrence=["FREQ=DAILY"]), {"recurrence"}),
        (booking(market, fill_mode="lottery"), {"fill_mode"}),
        (booking(market, fill_mode="named"), {"named_worker_id"}),
        (booking(market, named_worker_id=str(uuid.uuid4())), {"named_worker_id"}),
        (booking(market, notes="n" * 2001), {"notes"}),
        (booking(market, job_type_id=7), {"job_type_id"}),
        (booking(market, site_id="s" * 37), {"site_id"}),
        (booking(market, colour="red"), {"colour"}),
    ]
    for body, fields in cases:
        response = api("POST", "/api/v1/bookings", owner, json=body)
        assert response.status_code == 422, f"{body}: {response.status_code} {response.text}"
        assert set(response.json()["error"]["fields"]) == fields, response.text
    for body in (
        booking(market, job_type_id=str(uuid.uuid4())),
        booking(market, site_id=market["site_2"]),  # Pier's site, booked for Harbor
    ):
        assert api("POST", "/api/v1/bookings", owner, json=body).status_code == 404
    nul = api("POST", "/api/v1/bookings", owner, json=booking(market, notes="a\x00b"))
    assert nul.status_code == 422
    for query in (
        "page=0",
        "per_page=1000",
        "status=lost",
        "from=yesterday",
        "sort=price",
        "from=2027-01-02&to=2027-01-01",
        "client_id=" + "x" * 37,
    ):
        assert api("GET", f"/api/v1/bookings?{query}", owner).status_code == 422, query
        assert api("GET", f"/api/v1/shifts?{query}", owner).status_code == 422, query
    assert api("GET", "/api/v1/bookings/not-an-id", owner).status_code == 404
    assert api("GET", "/api/v1/shifts/not-an-id", owner).status_code == 404
    assert api("GET", "/api/v1/bookings?per_page=1", owner).json()["total"] == before


def test_cancellations_with_reasons(api, market):
    made = book(api, market, recurrence="FREQ=DAILY;COUNT=3")
    harbor, owner = market["harbor_user"], market["owner"]
    first, second = made["shifts"][0]["id"], made["shifts"][1]["id"]
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "r" * 501}, {"reason": 5}):
        refused = api("POST", f"/api/v1/shifts/{first}/cancel", harbor, json=body)
        assert refused.status_code == 422 and "reason" in refused.json()["error"]["fields"]
    cancelled = api(
        "POST", f"/api/v1/shifts/{first}/cancel", harbor, json={"reason": " Closed for a party "}
    )
    assert cancelled.status_code == 200, cancelled.text
    shown = cancelled.json()
    assert (shown["status"], shown["cancelled_by_kind"], shown["cancel_reason"]) == (
        "cancelled",
        "client",
        "Closed for a party",
    )
    assert shown["late_cancellation"] is False and shown["minutes_before_start"] > 24 * 60
    again = api("POST", f"/api/v1/shifts/{first}/cancel", owner, json={"reason": "Again"})
    assert again.status_code == 409 and "already cancelled" in again.json()["error"]["message"]
    whole = api(
        "POST", f"/api/v1/bookings/{made['id']}/cancel", owner, json={"reason": "Season over"}
    )
    assert whole.status_code == 200, whole.text
    assert whole.json()["status"] == "cancelled"
    assert [s["status"] for s in whole.json()["shifts"]] == ["cancelled"] * 3
    assert [s["cancelled_by_kind"] for s in whole.json()["shifts"]] == ["client", "staff", "staff"]
    assert api("GET", f"/api/v1/shifts/{second}", harbor).json()["cancel_reason"] == "Season over"
    twice = api("POST", f"/api/v1/bookings/{made['id']}/cancel", owner, json={"reason": "Again"})
    assert twice.status_code == 409
    missing = api("POST", f"/api/v1/assignments/{uuid.uuid4()}/cancel", owner, json={"reason": "x"})
    assert missing.status_code == 404


def test_a_client_cancelling_inside_the_late_window_is_marked_late(api, market):
    soon = (datetime.now(UTC) + timedelta(hours=3)).astimezone(LB)
    made = book(
        api,
        market,
        market["harbor_user"],
        client_id=None,
        starts_on=soon.date().isoformat(),
        start_time=f"{soon.hour:02d}:00",
        end_time=f"{(soon.hour + 3) % 24:02d}:00",
    )
    [shift] = made["shifts"]
    cancelled = api(
        "POST",
        f"/api/v1/shifts/{shift['id']}/cancel",
        market["harbor_user"],
        json={"reason": "Rain"},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["late_cancellation"] is True
    assert 0 < cancelled.json()["minutes_before_start"] <= 3 * 60


def test_booking_settings(api, platform, market):
    owner = market["owner"]
    shown = api("GET", "/api/v1/booking-settings", owner)
    assert shown.status_code == 200
    assert (
        shown.json()["late_cancel_hours"] == 24 and shown.json()["confirm_within_minutes"] == 1440
    )
    fast = api(
        "PATCH",
        "/api/v1/booking-settings",
        owner,
        json={"tier_delay_min_seconds": 1, "tier_delay_max_seconds": 2},
    )
    assert fast.status_code == 200, fast.text
    assert (fast.json()["tier_delay_min_seconds"], fast.json()["tier_delay_max_seconds"]) == (1, 2)
    for body, field in [
        ({"tier_delay_min_seconds": 0}, "tier_delay_min_seconds"),
        ({"tier_delay_min_seconds": 3}, "tier_delay_min_seconds"),  # above the longest, 2
        ({"late_cancel_hours": 10**40}, "late_cancel_hours"),
        ({"late_cancel_hours": "24"}, "late_cancel_hours"),
        ({"late_cancel_hours": None}, "late_cancel_hours"),
        ({"reliability_review_points": 1.5}, "reliability_review_points"),
        ({"unknown": 1}, "unknown"),
    ]:
        refused = api("PATCH", "/api/v1/booking-settings", owner, json=body)
        assert refused.status_code == 422, f"{body}: {refused.status_code}"
        assert field in refused.json()["error"]["fields"]
    scheduler = staff_token(platform, market["tenant_id"], ["scheduler"])
    assert (
        api(
            "PATCH", "/api/v1/booking-settings", scheduler, json={"late_cancel_hours": 12}
        ).status_code
        == 200
    )
    stranger = api("GET", "/api/v1/booking-settings", market["stranger"]).json()
    assert stranger["late_cancel_hours"] == 24 and stranger["tier_delay_min_seconds"] == 60
    after = api("GET", "/api/v1/booking-settings", owner).json()
    assert (after["late_cancel_hours"], after["tier_delay_max_seconds"]) == (12, 2)
