"""Booking's catalogue over HTTP through the gateway: job types (one exclusive to a client) and
sites. Client A's user sees the exclusive job type, client B's user does not (404, absent from
the list); another CBO's staff see nothing; a token without the permission is refused and
changes nothing; odd input gets a 422 per field, never a 500."""

from __future__ import annotations

import json
import re

import pytest

from services.booking.jobtypes.routes import ROUTES as JOB_TYPE_ROUTES
from services.booking.sites.routes import ROUTES as SITE_ROUTES
from tests.e2e.market import a_cbo, client_user, job_type_body, register_client, site_body
from tests.e2e.tokens import mint_token, staff_token

ROUTES = JOB_TYPE_ROUTES + SITE_ROUTES
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
DOWNTOWN_LB = (33.7706, -118.182)  # ZIP 90802's centroid


@pytest.fixture(scope="module")
def new_cbo(api, operator_token, platform):
    """A CBO approved through tenancy with its owner's token, and `client(name)` registering a
    client with tenancy (booking asks tenancy of a client it has not heard of yet)."""

    def make(prefix: str) -> dict:
        cbo = a_cbo(api, operator_token, platform, prefix)

        def client(name: str) -> str:
            return register_client(api, cbo["owner"], name)

        return {**cbo, "client": client}

    return make


@pytest.fixture(scope="module")
def market(new_cbo, api, platform):
    """CBO "harbor": clients A and B with a user each, a CBO-wide job type, one exclusive to A,
    and a site of each client."""
    cbo = new_cbo("harbor")
    owner = cbo["owner"]
    client_a, client_b = cbo["client"]("Port Cranes"), cbo["client"]("Bay Cafe")
    general = api("POST", "/api/v1/job-types", owner, json=job_type_body("Server"))
    exclusive = api(
        "POST",
        "/api/v1/job-types",
        owner,
        json=job_type_body(
            "Crane Spotter",
            client_id=client_a,
            requirements="OSHA 10 card",
            pay_rate_cents=3100,
            bill_rate_cents=4500,
            required_skills=["Rigging"],
            needs_approval=True,
        ),
    )
    site_a = api("POST", "/api/v1/sites", owner, json=site_body(client_a, name="Pier J"))
    site_b = api("POST", "/api/v1/sites", owner, json=site_body(client_b, name="Bay Cafe"))
    for made in (general, exclusive, site_a, site_b):
        assert made.status_code == 201, made.text

    def user_of(client_id: str) -> str:
        return client_user(platform, cbo["id"], client_id)

    return {
        **cbo,
        "a": client_a,
        "b": client_b,
        "user_a": user_of(client_a),
        "user_b": user_of(client_b),
        "general": general.json(),
        "exclusive": exclusive.json(),
        "site_a": site_a.json(),
        "site_b": site_b.json(),
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


# -- the main path ---------------------------------------------------------------------------


def test_staff_make_job_types_and_sites(api, market):
    general, exclusive = market["general"], market["exclusive"]
    assert (general["key"], general["client_id"], general["fixed_pay_rate"]) == (
        "server",
        None,
        False,
    )
    assert (exclusive["key"], exclusive["client_id"], exclusive["fixed_pay_rate"]) == (
        "crane-spotter",
        market["a"],
        True,
    )
    assert exclusive["required_skills"] == ["rigging"] and exclusive["needs_approval"] is True
    site = market["site_a"]
    assert (site["latitude"], site["longitude"]) == pytest.approx(DOWNTOWN_LB)
    assert (site["geofence_radius_m"], site["timezone"]) == (150, "America/Los_Angeles")

    owner = market["owner"]
    assert names(api("GET", "/api/v1/job-types", owner)) == ["Crane Spotter", "Server"]
    assert names(api("GET", f"/api/v1/job-types?client_id={market['a']}", owner)) == [
        "Crane Spotter"
    ]
    assert names(api("GET", f"/api/v1/job-types?for_client={market['b']}", owner)) == ["Server"]
    assert names(api("GET", "/api/v1/sites", owner)) == ["Bay Cafe", "Pier J"]

    changed = api(
        "PATCH",
        f"/api/v1/job-types/{general['id']}",
        owner,
        json={"pay_rate_cents": 2100, "bill_rate_cents": 3000, "min_shift_minutes": 180},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["pay_rate_cents"], changed.json()["min_shift_minutes"]) == (2100, 180)
    moved = api(
        "PATCH",
        f"/api/v1/sites/{site['id']}",
        owner,
        json={"latitude": 33.76, "longitude": -118.19, "geofence_radius_m": 100},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["latitude"], moved.json()["geofence_radius_m"]) == (33.76, 100)


def test_names_and_keys_are_taken_once(api, market):
    owner = market["owner"]
    by_name = api("POST", "/api/v1/job-types", owner, json=job_type_body("SERVER"))
    assert by_name.status_code == 409 and set(by_name.json()["error"]["fields"]) == {"name"}
    by_key = api("POST", "/api/v1/job-types", owner, json=job_type_body("Waiter", key="server"))
    assert by_key.status_code == 409 and set(by_key.json()["error"]["fields"]) == {"key"}
    renamed = api(
        "PATCH",
        f"/api/v1/job-types/{market['general']['id']}",
        owner,
        json={"name": "crane spotter"},
    )
    assert renamed.status_code == 409 and set(renamed.json()["error"]["fields"]) == {"name"}
    assert names(api("GET", "/api/v1/job-types", owner)) == ["Crane Spotter", "Server"]


def test_a_client_user_sees_the_exclusive_job_type_of_their_own_client(api, market):
    user_a, exclusive = market["user_a"], market["exclusive"]
    assert names(api("GET", "/api/v1/job-types", user_a)) == ["Crane Spotter", "Server"]
    found = api("GET", f"/api/v1/job-types/{exclusive['id']}", user_a)
    assert found.status_code == 200 and found.json()["requirements"] == "OSHA 10 card"
    # The pay rate is staff's only (the worker's, under the CBO's margin), as on bookings.
    assert (found.json()["pay_rate_cents"], found.json()["bill_rate_cents"]) == (
        None,
        exclusive["bill_rate_cents"],
    )
    listed = api("GET", "/api/v1/job-types", user_a).json()["items"]
    assert {item["pay_rate_cents"] for item in listed} == {None}
    assert names(api("GET", "/api/v1/sites", user_a)) == ["Pier J"]
    own = api("GET", f"/api/v1/sites/{market['site_a']['id']}", user_a)
    assert own.status_code == 200


def test_to_another_clients_user_the_exclusive_job_type_does_not_exist(api, market):
    user_b, exclusive = market["user_b"], market["exclusive"]
    listed = api("GET", "/api/v1/job-types?per_page=200", user_b)
    assert names(listed) == ["Server"]
    assert exclusive["id"] not in listed.text and "Crane" not in listed.text
    assert api("GET", f"/api/v1/job-types/{exclusive['id']}", user_b).status_code == 404
    assert api("GET", f"/api/v1/job-types?client_id={market['a']}", user_b).status_code == 404
    assert api("GET", f"/api/v1/job-types?for_client={market['a']}", user_b).status_code == 404
    assert names(api("GET", "/api/v1/job-types?q=crane", user_b)) == []
    # Client users never change job types, theirs or anyone's.
    changed = api("PATCH", f"/api/v1/job-types/{exclusive['id']}", user_b, json={"name": "Mine"})
    assert changed.status_code == 403

    site_a = market["site_a"]
    assert names(api("GET", "/api/v1/sites", user_b)) == ["Bay Cafe"]
    assert api("GET", f"/api/v1/sites/{site_a['id']}", user_b).status_code == 404
    assert api("GET", f"/api/v1/sites?client_id={market['a']}", user_b).status_code == 404
    moved = api("PATCH", f"/api/v1/sites/{site_a['id']}", user_b, json={"name": "Mine"})
    assert moved.status_code == 404
    closed = api("POST", f"/api/v1/sites/{site_a['id']}/deactivate", user_b)
    assert closed.status_code == 404
    foreign = api("POST", "/api/v1/sites", user_b, json=site_body(market["a"], name="Sneaky"))
    assert foreign.status_code == 404
    found = api("GET", f"/api/v1/sites/{site_a['id']}", market["owner"]).json()
    assert (found["name"], found["active"]) == ("Pier J", True)
    assert "Sneaky" not in api("GET", "/api/v1/sites", market["owner"]).text


def test_a_client_user_adds_and_closes_their_own_sites(api, market):
    user_b = market["user_b"]
    made = api("POST", "/api/v1/sites", user_b, json=site_body(None, name="Bay Kitchen"))
    assert made.status_code == 201, made.text
    assert made.json()["client_id"] == market["b"]
    closed = api("POST", f"/api/v1/sites/{made.json()['id']}/deactivate", user_b)
    assert closed.status_code == 200 and closed.json()["active"] is False
    active = names(api("GET", "/api/v1/sites?active=true", user_b))
    assert active == ["Bay Cafe"]


def test_a_deactivated_job_type_stays_with_its_history(api, market):
    owner = market["owner"]
    made = api("POST", "/api/v1/job-types", owner, json=job_type_body("Usher"))
    assert made.status_code == 201
    closed = api("POST", f"/api/v1/job-types/{made.json()['id']}/deactivate", owner)
    assert closed.status_code == 200 and closed.json()["active"] is False
    assert "Usher" not in names(api("GET", "/api/v1/job-types?active=true", owner))
    assert "Usher" in names(api("GET", "/api/v1/job-types?active=false", owner))
    assert api("GET", f"/api/v1/job-types/{made.json()['id']}", owner).status_code == 200


# -- isolation, permissions, bad input -------------------------------------------------------


def things_of(market) -> dict:
    return {"job_type_id": market["exclusive"]["id"], "site_id": market["site_a"]["id"]}


def call_route(api, route, token: str, things: dict, body: dict | None = None):
    path = PARAM.sub(lambda m: things[m.group(1)], route.path)
    kwargs = {"json": body if body is not None else {}} if route.body is not None else {}
    return api(route.method, path, token, **kwargs)


def snapshot(api, market) -> tuple:
    owner = market["owner"]
    return (
        api("GET", "/api/v1/job-types?per_page=200", owner).json(),
        api("GET", "/api/v1/sites?per_page=200", owner).json(),
    )


def test_another_cbos_staff_see_nothing_and_change_nothing(api, new_cbo, market):
    stranger = new_cbo("stranger")
    before = snapshot(api, market)
    secrets = [market["a"], market["b"], market["exclusive"]["id"], market["site_a"]["id"]]
    checked = 0
    bodies = {
        "/api/v1/job-types": job_type_body("Stolen", client_id=market["a"]),
        "/api/v1/sites": site_body(market["a"], name="Stolen"),
    }
    for route in ROUTES:
        body = bodies.get(route.path, {"name": "Stolen"})
        response = call_route(api, route, stranger["owner"], things_of(market), body)
        where = f"{route.method} {route.path}"
        if PARAM.search(route.path):
            assert response.status_code == 404, f"{where}: {response.status_code}"
        elif route.method == "GET":
            assert response.status_code == 200, where
            assert response.json()["total"] == 0, where
            assert not any(s in response.text for s in secrets), f"{where} leaks"
        else:  # a create naming A's client: not a client of theirs
            assert response.status_code == 422, f"{where}: {response.text}"
            assert set(response.json()["error"]["fields"]) == {"client_id"}
        checked += 1
    assert checked == len(ROUTES) == 10
    for query in (f"client_id={market['a']}", f"for_client={market['a']}"):
        assert api("GET", f"/api/v1/job-types?{query}", stranger["owner"]).json()["total"] == 0
    assert (
        api("GET", f"/api/v1/sites?client_id={market['a']}", stranger["owner"]).json()["total"] == 0
    )
    assert snapshot(api, market) == before


def test_a_token_without_the_permission_is_refused_and_changes_nothing(api, platform, market):
    before = snapshot(api, market)
    tenant_id = market["id"]
    nobody = staff_token(platform, tenant_id, ["custom"], perms=[])
    seeker = mint_token(platform, tenant_id=tenant_id, kind="jobseeker", roles=["jobseeker"])
    bare_client = mint_token(
        platform, tenant_id=tenant_id, kind="client", roles=["client"], perms=[], cid=market["a"]
    )
    refused = 0
    for token in (nobody, seeker, bare_client):
        for route in ROUTES:
            response = call_route(api, route, token, things_of(market), {"name": "Nobody's"})
            assert response.status_code == 403, f"{route.method} {route.path}: {response.text}"
            refused += 1
    assert refused == 30
    viewer = staff_token(platform, tenant_id, ["viewer"])
    assert api("GET", "/api/v1/job-types", viewer).status_code == 200
    assert api("GET", "/api/v1/sites", viewer).status_code == 200
    for route in ROUTES:
        if route.method != "GET":
            response = call_route(api, route, viewer, things_of(market), {"name": "Viewer's"})
            assert response.status_code == 403, f"{route.method} {route.path}"
    assert snapshot(api, market) == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "Null\u0000Byte"}, {"name"}),
        (
            {"pay_rate_cents": 10**30, "bill_rate_cents": 10**30},
            {"pay_rate_cents", "bill_rate_cents"},
        ),
        ({"pay_rate_cents": 1e308}, {"pay_rate_cents"}),
        ({"pay_rate_cents": -2000}, {"pay_rate_cents"}),
        ({"bill_rate_cents": 1999}, {"bill_rate_cents"}),
        ({"pay_rate_cents": "lots"}, {"pay_rate_cents"}),
        ({"min_shift_minutes": 10**12}, {"min_shift_minutes"}),
        ({"key": "Not A Key!"}, {"key"}),
        ({"required_skills": [7, "x" * 61]}, {"required_skills"}),
        ({"client_id": "no-such-client"}, {"client_id"}),
        ({"name": ["Server"], "needs_approval": "perhaps"}, {"name", "needs_approval"}),
    ],
)
def test_odd_job_types_are_refused_field_by_field(api, market, body, fields):
    before = snapshot(api, market)
    response = api(
        "POST", "/api/v1/job-types", market["owner"], json={**job_type_body("Odd"), **body}
    )
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]["fields"]) == fields
    assert snapshot(api, market) == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "Pier\u0000J"}, {"name"}),
        ({"latitude": 91, "longitude": -118.19}, {"latitude"}),
        ({"latitude": 33.77}, {"longitude"}),
        ({"zip": "99999"}, {"zip"}),
        ({"zip": "9O8O2"}, {"zip"}),
        ({"timezone": "Mars/Olympus_Mons"}, {"timezone"}),
        ({"timezone": "../../etc/passwd"}, {"timezone"}),
        ({"state": "California"}, {"state"}),
        ({"geofence_radius_m": 10**18}, {"geofence_radius_m"}),
        ({"geofence_radius_m": 5}, {"geofence_radius_m"}),
        ({"client_id": "no-such-client"}, {"client_id"}),
        ({"client_id": None}, {"client_id"}),  # staff must name the client
    ],
)
def test_odd_sites_are_refused_field_by_field(api, market, body, fields):
    before = snapshot(api, market)
    response = api(
        "POST", "/api/v1/sites", market["owner"], json={**site_body(market["a"]), **body}
    )
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]["fields"]) == fields
    assert snapshot(api, market) == before


def test_odd_changes_and_paths_are_refused_never_a_500(api, market):
    owner = market["owner"]
    before = snapshot(api, market)
    job_type, site = market["general"]["id"], market["site_a"]["id"]
    cases = [
        ("PATCH", f"/api/v1/job-types/{job_type}", {"pay_rate_cents": 5000}, {"bill_rate_cents"}),
        ("PATCH", f"/api/v1/job-types/{job_type}", {"key": "other"}, {"key"}),
        ("PATCH", f"/api/v1/job-types/{job_type}", {"client_id": market["b"]}, {"client_id"}),
        ("PATCH", f"/api/v1/sites/{site}", {"timezone": "Nowhere/City"}, {"timezone"}),
        ("PATCH", f"/api/v1/sites/{site}", {"zip": "99999"}, {"zip"}),
        ("PATCH", f"/api/v1/sites/{site}", {"latitude": -91, "longitude": 0}, {"latitude"}),
        ("PATCH", f"/api/v1/sites/{site}", {"client_id": market["b"]}, {"client_id"}),
    ]
    for method, path, body, fields in cases:
        response = api(method, path, owner, json=body)
        assert response.status_code == 422, f"{method} {path} {body}: {response.text}"
        assert set(response.json()["error"]["fields"]) == fields
    # JSON numbers beyond a double and NaN: the gateway's parser makes inf and nan of them.
    for raw in ('"longitude": 1e400, "latitude": 33.7', '"latitude": NaN, "longitude": 1'):
        text = json.dumps(site_body(market["a"]))[:-1] + ", " + raw + "}"
        response = api(
            "POST",
            "/api/v1/sites",
            owner,
            data=text,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code in (400, 422), f"{raw}: {response.text}"
    for path in (
        "/api/v1/job-types/%00",
        "/api/v1/sites/" + "x" * 5000,
        "/api/v1/job-types?per_page=1000",
        "/api/v1/sites?page=0",
        "/api/v1/job-types?active=perhaps",
        "/api/v1/sites?sort=password",
        "/api/v1/job-types?q=%00",
    ):
        response = api("GET", path, owner)
        assert response.status_code in (404, 422), f"{path}: {response.status_code}"
    assert snapshot(api, market) == before
