"""The worker search over HTTP through the gateway: staff see the ranking and who is left out
with why; a client user sees the ranking for their own client only; another client's user,
another CBO, a job seeker and staff without the permission get nothing; bad input is 422.

Booking's read model is built from identity's and tenancy's events by the workers area; this
test writes the rows it needs straight into booking's database (`market_rows`), so it proves
the search on its own."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import psycopg2
import pytest

from tests.e2e.cbos import apply_and_approve
from tests.e2e.tokens import mint_token, staff_token

SEARCH = "/api/v1/worker-search"
LA = "America/Los_Angeles"
TERM = [{"starts_on": "2026-09-01", "ends_on": "2026-12-18"}]


def _dsn(platform) -> str:
    return platform.settings.database_url("booking").replace(
        "postgresql+psycopg2://", "postgresql://"
    )


def market_rows(platform, tenant_id: str) -> dict:
    """One helper writes every booking row the tests use: the CBO, two clients with a site
    each, a job type that needs approval, one exclusive to the first client, a college with a
    14 h term cap, and workers: two eligible (one a favourite), one unapproved, one blocked,
    one student with 12 h booked in the week of Tuesday 1 December 2026."""
    ids = {
        k: str(uuid.uuid4())
        for k in (
            "client",
            "other_client",
            "site",
            "other_site",
            "job_type",
            "exclusive",
            "college",
            "favourite",
            "plain",
            "pending",
            "blocked",
            "student",
            "booking",
        )
    }
    minutes = "{[0,10080)}"  # available every day, all day
    conn = psycopg2.connect(_dsn(platform))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO cbo_records (tenant_id, slug, name, timezone, status) VALUES "
                "(%s, %s, 'Search CBO', %s, 'active') ON CONFLICT (tenant_id) DO NOTHING",
                (tenant_id, f"s-{tenant_id[:8]}", LA),
            )
            for client, site, name in (
                (ids["client"], ids["site"], "Harbor Cafe"),
                (ids["other_client"], ids["other_site"], "Shore Diner"),
            ):
                cur.execute(
                    "INSERT INTO client_records (id, tenant_id, name, active) "
                    "VALUES (%s, %s, %s, true)",
                    (client, tenant_id, name),
                )
                cur.execute(
                    "INSERT INTO sites (id, tenant_id, client_id, name, address_line1, city, "
                    "state, zip, latitude, longitude, geofence_radius_m, timezone, active) "
                    "VALUES (%s, %s, %s, %s, '1 Pine Ave', 'Long Beach', 'CA', '90802', "
                    "33.7706, -118.182, 150, %s, true)",
                    (site, tenant_id, client, f"{name} site", LA),
                )
            for job_type, key, client in (
                (ids["job_type"], "forklift", None),
                (ids["exclusive"], "docks", ids["client"]),
            ):
                cur.execute(
                    "INSERT INTO job_types (id, tenant_id, key, name, description, "
                    "required_skills, needs_approval, pay_rate_cents, bill_rate_cents, "
                    "min_shift_minutes, client_id, requirements, active) VALUES "
                    "(%s, %s, %s, %s, '', '{}', true, 2000, 2800, 60, %s, '', true)",
                    (job_type, tenant_id, key, key.title(), client),
                )
            cur.execute(
                "INSERT INTO source_records (id, tenant_id, name, weekly_cap_minutes, terms, "
                "active) VALUES (%s, %s, 'City College', 840, %s, true)",
                (ids["college"], tenant_id, json.dumps(TERM)),
            )
            workers = [
                ("favourite", "Ana Favourite", True, None),
                ("plain", "Ben Plain", True, None),
                ("pending", "Cy Pending", False, None),
                ("blocked", "Di Blocked", True, None),
                ("student", "Ed Student", True, ids["college"]),
            ]
            for key, name, approved, source in workers:
                cur.execute(
                    "INSERT INTO workers (id, tenant_id, name, approved, suspended, active, "
                    "job_types, skills, languages, latitude, longitude, source_id, "
                    "weekly_minutes) VALUES (%s, %s, %s, %s, false, true, "
                    "ARRAY['forklift', 'docks']::varchar[], '{}', '{}', 33.78, -118.19, %s, %s)",
                    (ids[key], tenant_id, name, approved, source, minutes),
                )
            for worker, rating in (("favourite", "favourite"), ("blocked", "blocked")):
                cur.execute(
                    "INSERT INTO client_preferences (id, tenant_id, client_id, worker_id, "
                    "rating) VALUES (%s, %s, %s, %s, %s)",
                    (str(uuid.uuid4()), tenant_id, ids["client"], ids[worker], rating),
                )
            cur.execute(
                "INSERT INTO bookings (id, tenant_id, client_id, site_id, job_type_id, "
                "starts_local, ends_local, timezone, positions, fill_mode, notes, requirements, "
                "pay_rate_cents, bill_rate_cents, status, created_by_kind) VALUES (%s, %s, %s, "
                "%s, %s, '2026-11-30T08:00:00', '2026-11-30T12:00:00', %s, 1, 'named', '', '', "
                "2000, 2800, 'active', 'staff')",
                (ids["booking"], tenant_id, ids["client"], ids["site"], ids["job_type"], LA),
            )
            for n in range(3):  # Monday to Wednesday, 08:00-12:00 local (16:00-20:00 UTC)
                day = date(2026, 11, 30) + timedelta(days=n)
                shift = str(uuid.uuid4())
                starts, ends = f"{day}T16:00:00+00:00", f"{day}T20:00:00+00:00"
                cur.execute(
                    "INSERT INTO shifts (id, tenant_id, booking_id, client_id, site_id, "
                    "job_type_id, starts_at, ends_at, positions, filled, status, "
                    "late_cancellation, fill_state) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 1, "
                    "1, 'filled', false, '{}')",
                    (
                        shift,
                        tenant_id,
                        ids["booking"],
                        ids["client"],
                        ids["site"],
                        ids["job_type"],
                        starts,
                        ends,
                    ),
                )
                cur.execute(
                    "INSERT INTO assignments (id, tenant_id, shift_id, worker_id, "
                    "worker_tenant_id, client_id, starts_at, ends_at, status, late) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, 'booked', false)",
                    (
                        str(uuid.uuid4()),
                        tenant_id,
                        shift,
                        ids["student"],
                        tenant_id,
                        ids["client"],
                        starts,
                        ends,
                    ),
                )
    finally:
        conn.close()
    return ids


@pytest.fixture(scope="module")
def market(api, platform, operator_token):
    tenant_id = apply_and_approve(api, operator_token, f"search-{uuid.uuid4().hex[:8]}")
    ids = market_rows(platform, tenant_id)
    return {
        "tenant_id": tenant_id,
        **ids,
        "staff": staff_token(platform, tenant_id, ["scheduler"]),
        "client_user": mint_token(
            platform, tenant_id=tenant_id, kind="client", roles=["client"], cid=ids["client"]
        ),
        "other_client_user": mint_token(
            platform, tenant_id=tenant_id, kind="client", roles=["client"], cid=ids["other_client"]
        ),
    }


def body(market: dict, **fields) -> dict:
    # Thursday 3 December 2026, 09:00-12:00 in Long Beach: in term.
    return {
        "job_type_id": market["job_type"],
        "client_id": market["client"],
        "site_id": market["site"],
        "date": "2026-12-03",
        "start_time": "09:00",
        "end_time": "12:00",
        **fields,
    }


def test_staff_see_the_ranking_and_who_is_left_out_with_why(api, market):
    answer = api("POST", SEARCH, market["staff"], json=body(market, count_reasons=True))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert [i["worker_id"] for i in found["eligible"]["items"]] == [
        market["favourite"],
        market["plain"],
    ]
    first = found["eligible"]["items"][0]
    assert first["rank"]["favourite"] is True and first["position"] == 1
    assert first["rank"]["reliability"] == 75 and first["rank"]["distance_km"] > 0
    reasons = {
        i["worker_id"]: [r["message"] for r in i["reasons"]] for i in found["excluded"]["items"]
    }
    assert reasons == {
        market["pending"]: ["not approved by the CBO"],
        market["blocked"]: ["blocked by this client"],
        market["student"]: ["14 h term cap: 12 h booked this week + 3 h shift"],
    }
    assert found["excluded"]["by_reason"] == {"not_approved": 1, "blocked": 1, "weekly_cap": 1}
    # Without count_reasons: the same left-out page and total, no count per reason.
    plain = api("POST", SEARCH, market["staff"], json=body(market)).json()
    assert plain["excluded"]["items"] == found["excluded"]["items"]
    assert plain["excluded"]["total"] == found["excluded"]["total"] == 3
    assert plain["excluded"]["by_reason"] is None
    assert found["occurrences"] == [
        {"starts_at": "2026-12-03T17:00:00+00:00", "ends_at": "2026-12-03T20:00:00+00:00"}
    ]
    # The same student in the winter break: no cap.
    winter = api("POST", SEARCH, market["staff"], json=body(market, date="2026-12-31")).json()
    assert market["student"] in [i["worker_id"] for i in winter["eligible"]["items"]]
    # One worker explained.
    one = api(
        "POST", SEARCH, market["staff"], json=body(market, jobseeker_id=market["student"])
    ).json()
    assert one["worker"]["eligible"] is False
    assert one["worker"]["reasons"][0]["code"] == "weekly_cap"


def test_a_repeating_search_through_the_gateway(api, market):
    weekdays = body(
        market, date="2026-12-07", recurrence="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=20"
    )
    found = api("POST", SEARCH, market["staff"], json=weekdays).json()
    assert len(found["occurrences"]) == 20
    reasons = {i["worker_id"]: i["reasons"] for i in found["excluded"]["items"]}
    assert reasons[market["student"]][0]["message"].startswith("14 h term cap: 0 h booked in")


def test_a_client_user_sees_the_ranking_for_their_own_client_only(api, market):
    answer = api("POST", SEARCH, market["client_user"], json=body(market))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert [i["worker_id"] for i in found["eligible"]["items"]] == [
        market["favourite"],
        market["plain"],
    ]
    assert found["excluded"] is None
    assert "Cy Pending" not in answer.text and "Ed Student" not in answer.text
    # Another client of the same CBO does not exist for them.
    other = body(market, client_id=market["other_client"], site_id=market["other_site"])
    assert api("POST", SEARCH, market["client_user"], json=other).status_code == 404
    # Their own client's exclusive job type is theirs.
    exclusive = body(market, job_type_id=market["exclusive"])
    assert api("POST", SEARCH, market["client_user"], json=exclusive).status_code == 200


def test_another_clients_user_gets_nothing(api, market):
    mine = body(market)
    assert api("POST", SEARCH, market["other_client_user"], json=mine).status_code == 404
    # The first client's exclusive job type does not exist for the other client, nor for
    # staff acting for it.
    exclusive = body(
        market,
        job_type_id=market["exclusive"],
        client_id=market["other_client"],
        site_id=market["other_site"],
    )
    for token in (market["other_client_user"], market["staff"]):
        answer = api("POST", SEARCH, token, json=exclusive)
        assert answer.status_code == 404, answer.text
        assert market["favourite"] not in answer.text


def test_another_cbo_gets_nothing(api, platform, operator_token, market):
    other = apply_and_approve(api, operator_token, f"other-{uuid.uuid4().hex[:8]}")
    stranger = staff_token(platform, other, ["owner"])
    answer = api("POST", SEARCH, stranger, json=body(market))
    assert answer.status_code == 404
    assert market["favourite"] not in answer.text
    outsider = mint_token(
        platform, tenant_id=other, kind="client", roles=["client"], cid=market["client"]
    )
    assert api("POST", SEARCH, outsider, json=body(market)).status_code == 404


def test_without_the_permission_nothing(api, platform, market):
    nobody = staff_token(platform, market["tenant_id"], ["custom"], perms=[])
    refused = api("POST", SEARCH, nobody, json=body(market))
    assert refused.status_code == 403
    assert "bookings.read" in refused.json()["error"]["message"]
    jobseeker = mint_token(
        platform, tenant_id=market["tenant_id"], kind="jobseeker", roles=["jobseeker"]
    )
    assert api("POST", SEARCH, jobseeker, json=body(market)).status_code == 403
    assert api("POST", SEARCH, json=body(market)).status_code == 401


@pytest.mark.parametrize(
    "change, fields",
    [
        ({"job_type_id": None}, {"job_type_id"}),
        ({"start_time": "9am"}, {"start_time"}),
        ({"recurrence": "FREQ=DAILY"}, {"recurrence"}),
        ({"recurrence": "FREQ=DAILY;COUNT=1000"}, {"recurrence"}),
        ({"per_page": 10_000, "page": 0}, {"per_page", "page"}),
        ({"starts_at": "2026-12-03T09:00:00"}, {"starts_at"}),  # no offset
        ({"date": "2027-03-14", "start_time": "02:30"}, {"start_time"}),
        ({"job_type_id": "x" * 5000}, {"job_type_id"}),
    ],
)
def test_bad_input_is_a_422_per_field(api, market, change, fields):
    answer = api("POST", SEARCH, market["staff"], json={**body(market), **change})
    assert answer.status_code == 422, answer.text
    assert fields <= set(answer.json()["error"]["fields"])


def test_unknown_ids_are_404(api, market):
    for field in ("job_type_id", "client_id", "site_id", "jobseeker_id"):
        answer = api(
            "POST", SEARCH, market["staff"], json=body(market, **{field: str(uuid.uuid4())})
        )
        assert answer.status_code == 404, (field, answer.text)
