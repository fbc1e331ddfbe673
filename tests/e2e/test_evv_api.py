"""EVV over HTTP through the gateway, on the whole running platform.

Two CBOs: one holds the EVV licence (granted by the operator) and its client chose EVV, the
other has no licence. In each, a job seeker confirms a shift booked for them through booking;
EVV learns the visit from booking's `offer.confirmed`. Bookings start in the future, and a
punch is judged against the schedule, so `visit_now` moves the visit's scheduled times in EVV's
database to the present (the one step no route can do; it touches times only, like
market.into_the_past). The tampering test writes to EVV's database directly, as an attacker
with database access would.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from chassis.db import make_engine
from tests.e2e.market import (
    a_cbo,
    a_client,
    a_job_type,
    an_approved_worker,
    client_user,
    days_ahead,
    placed,
    register_client,
)
from tests.e2e.tokens import mint_token, staff_token
from tests.waiting import wait_for

_engines: dict = {}


def evv_db(platform):
    url = platform.settings.database_url("evv")
    return _engines.get(url) or _engines.setdefault(url, make_engine(url, poolclass=NullPool))


def now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def visit_now(platform, api, worker: dict, visit_id: str, *, hours: int = 4) -> datetime:
    """Once EVV knows the visit, move its schedule to end about now (see the module's
    docstring)."""

    def known():
        found = api("GET", f"/api/v1/visits/{visit_id}", worker["token"])
        return found.status_code == 200 and found.json()["site"] is not None

    wait_for(known, what="EVV to learn the confirmed shift and its site")
    # It ended a moment ago: the clock-in is sent "offline" late, the clock-out now.
    start = now_minute() - timedelta(hours=hours) + timedelta(minutes=1)
    with evv_db(platform).begin() as conn:
        conn.execute(
            text("UPDATE visits SET starts_at = :s, ends_at = :e WHERE id = :i"),
            {"s": start, "e": start + timedelta(hours=hours), "i": visit_id},
        )
    return start


def punch(api, worker, visit_id, kind="clock_in", *, at=None, where=None, punch_id=None, **more):
    body = {
        "id": punch_id or uuid.uuid4().hex,
        "assignment_id": visit_id,
        "kind": kind,
        "device_time": (at or datetime.now(UTC)).isoformat(),
        "accuracy_m": 6.5,
        **more,
    }
    if where is not None:
        body["latitude"], body["longitude"] = where
    return api("POST", "/api/v1/me/visits/punches", worker["token"], json=body)


def market(api, operator_token, platform, smtp, prefix, *, licensed: bool) -> dict:
    cbo = a_cbo(api, operator_token, platform, prefix)
    if licensed:
        granted = api(
            "POST",
            f"/api/v1/platform/cbos/{cbo['id']}/licences",
            operator_token,
            json={
                "feature": "evv",
                "starts_on": (datetime.now(UTC) - timedelta(days=7)).date().isoformat(),
            },
        )
        assert granted.status_code == 201, granted.text
    client = a_client(api, platform, cbo, f"{prefix} family")
    chose = api("PUT", f"/api/v1/evv/clients/{client['id']}", cbo["owner"], json={"evv": True})
    assert chose.status_code == 200, chose.text
    job_type = a_job_type(api, cbo["owner"], f"Home care {uuid.uuid4().hex[:4]}")
    site = api("GET", f"/api/v1/sites/{client['site']}", cbo["owner"]).json()
    worker = an_approved_worker(api, smtp, platform, cbo, f"Care {prefix}")
    return {
        **cbo,
        "client": client,
        "job_type": job_type,
        "site": site,
        "where": (site["latitude"], site["longitude"]),
        "worker": worker,
    }


def a_visit(api, platform, m: dict, day: int) -> tuple[str, datetime]:
    made = placed(
        api,
        m["owner"],
        m["worker"],
        client_id=m["client"]["id"],
        site_id=m["client"]["site"],
        job_type_id=m["job_type"]["id"],
        on=days_ahead(day),
    )
    visit_id = made["assignment_id"]
    return visit_id, visit_now(platform, api, m["worker"], visit_id)


@pytest.fixture(scope="module")
def licensed(api, operator_token, platform, smtp):
    return market(api, operator_token, platform, smtp, "evv-lic", licensed=True)


@pytest.fixture(scope="module")
def unlicensed(api, operator_token, platform, smtp):
    return market(api, operator_token, platform, smtp, "evv-free", licensed=False)


def line(api, token, visit_id) -> dict:
    page = api("GET", "/api/v1/timesheets", token, params={"per_page": 200})
    assert page.status_code == 200, page.text
    (found,) = [x for t in page.json()["items"] for x in t["lines"] if x["visit_id"] == visit_id]
    return found


def test_a_licensed_visit_is_verified_and_approved_with_no_human(api, platform, licensed):
    m = licensed
    visit_id, start = a_visit(api, platform, m, 2)
    same_id = uuid.uuid4().hex
    answers = [
        punch(api, m["worker"], visit_id, at=start, where=m["where"], punch_id=same_id)
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201], answers[0].text
    assert len({a.json()["id"] for a in answers}) == 1
    assert answers[0].json()["exceptions"] == [] and answers[0].json()["distance_m"] < 1
    out = punch(
        api, m["worker"], visit_id, "clock_out", at=start + timedelta(hours=4), where=m["where"]
    )
    assert out.status_code == 201, out.text
    assert out.json()["visit_status"] == "verified"
    visit = api("GET", f"/api/v1/visits/{visit_id}", m["owner"]).json()
    assert [r["kind"] for r in visit["records"]] == ["clock_in", "clock_out"]
    assert visit["service_type"] == m["job_type"]["key"]
    found = line(api, m["owner"], visit_id)
    assert (found["status"], found["approved_by"], found["worked_minutes"]) == (
        "approved",
        "evv",
        240,
    )
    # The worker and the client see the same line.
    assert line(api, m["worker"]["token"], visit_id)["status"] == "approved"
    assert line(api, m["client"]["user"], visit_id)["status"] == "approved"


def test_a_clock_in_2_km_away_raises_an_exception_staff_resolve(api, platform, licensed):
    m = licensed
    visit_id, start = a_visit(api, platform, m, 3)
    away = (m["where"][0] + 0.018, m["where"][1])
    made = punch(api, m["worker"], visit_id, at=start, where=away)
    assert made.status_code == 201, made.text
    assert made.json()["exceptions"] == ["outside_geofence"]
    assert 1900 < made.json()["distance_m"] < 2100
    out = punch(
        api, m["worker"], visit_id, "clock_out", at=start + timedelta(hours=4), where=m["where"]
    )
    assert out.status_code == 201, out.text
    assert line(api, m["owner"], visit_id)["status"] == "pending"
    visit = api("GET", f"/api/v1/visits/{visit_id}", m["owner"]).json()
    (exception,) = visit["exceptions"]
    assert (exception["code"], exception["severity"]) == ("outside_geofence", "acknowledge")
    path = f"/api/v1/visit-exceptions/{exception['id']}/resolve"
    no_reason = api("POST", path, m["owner"], json={"action_code": "10"})
    assert no_reason.status_code == 422 and "reason_code" in no_reason.json()["error"]["fields"]
    # The worker cannot resolve their own exception.
    assert (
        api(
            "POST", path, m["worker"]["token"], json={"reason_code": "140", "action_code": "10"}
        ).status_code
        == 403
    )
    resolved = api(
        "POST",
        path,
        m["owner"],
        json={"reason_code": "140", "action_code": "10", "comment": "Met at the park"},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["exceptions"][0]["status"] == "resolved"
    assert line(api, m["owner"], visit_id)["approved_by"] == "evv"


def test_without_the_licence_the_timesheet_waits_for_the_worker_and_the_client(
    api, platform, unlicensed
):
    m = unlicensed
    visit_id, start = a_visit(api, platform, m, 2)
    assert punch(api, m["worker"], visit_id, at=start, where=m["where"]).status_code == 201
    out = punch(
        api, m["worker"], visit_id, "clock_out", at=start + timedelta(hours=4), where=m["where"]
    )
    assert out.json()["visit_status"] == "verified"
    assert line(api, m["owner"], visit_id)["status"] == "pending"
    path = f"/api/v1/timesheet-lines/{visit_id}/answer"
    by_worker = api("POST", path, m["worker"]["token"], json={"answer": "approved"})
    assert by_worker.status_code == 200, by_worker.text
    assert by_worker.json()["status"] == "pending"
    by_client = api("POST", path, m["client"]["user"], json={"answer": "approved"})
    assert by_client.status_code == 200, by_client.text
    assert (by_client.json()["status"], by_client.json()["approved_by"]) == ("approved", "people")


def test_bad_punches_are_refused_with_a_message_per_field(api, platform, unlicensed):
    m = unlicensed
    visit_id, start = a_visit(api, platform, m, 3)
    cases = [
        ({"latitude": 91, "longitude": 0}, "latitude"),
        ({"latitude": 10}, "longitude"),
        ({"device_time": (datetime.now(UTC) + timedelta(days=3)).isoformat()}, "device_time"),
        ({"device_time": "2026-12-01T09:00:00"}, "device_time"),
        ({"kind": "clock_out"}, "kind"),
        ({"id": "short"}, "id"),
        ({"kind": "teleport"}, "kind"),
    ]
    for change, field in cases:
        body = {
            "id": uuid.uuid4().hex,
            "assignment_id": visit_id,
            "kind": "clock_in",
            "device_time": start.isoformat(),
            **change,
        }
        refused = api("POST", "/api/v1/me/visits/punches", m["worker"]["token"], json=body)
        assert refused.status_code == 422, (change, refused.text)
        assert field in refused.json()["error"]["fields"], (change, refused.text)
    nul = punch(api, m["worker"], visit_id, punch_id="abc\u0000defghij")
    assert nul.status_code == 422
    assert punch(api, m["worker"], visit_id, at=start, where=m["where"]).status_code == 201
    before = punch(api, m["worker"], visit_id, "clock_out", at=start - timedelta(minutes=1))
    assert before.status_code == 422 and "device_time" in before.json()["error"]["fields"]


def test_others_can_neither_punch_nor_read(api, platform, licensed, unlicensed):
    m = licensed
    visit_id, start = a_visit(api, platform, m, 4)
    # Another job seeker of the same CBO.
    stranger = {
        "token": mint_token(platform, tenant_id=m["id"], kind="jobseeker", roles=["jobseeker"])
    }
    assert punch(api, stranger, visit_id, at=start, where=m["where"]).status_code == 404
    assert api("GET", f"/api/v1/visits/{visit_id}", stranger["token"]).status_code == 404
    # Another client's user of the same CBO.
    other_client = register_client(api, m["owner"], "Other household")
    other_user = client_user(platform, m["id"], other_client)
    assert api("GET", f"/api/v1/visits/{visit_id}", other_user).status_code == 404
    assert visit_id not in [
        v["id"] for v in api("GET", "/api/v1/visits", other_user).json()["items"]
    ]
    # Another CBO's staff and worker.
    assert api("GET", f"/api/v1/visits/{visit_id}", unlicensed["owner"]).status_code == 404
    assert punch(api, unlicensed["worker"], visit_id, at=start).status_code == 404
    # A client user cannot punch, staff cannot punch for the worker.
    assert punch(api, {"token": m["client"]["user"]}, visit_id, at=start).status_code == 403
    assert punch(api, {"token": m["owner"]}, visit_id, at=start).status_code == 403
    # Another CBO's staff cannot resolve, correct or export for this one.
    visit = api("GET", f"/api/v1/visits/{visit_id}", m["owner"]).json()
    correct = {
        "kind": "clock_in",
        "time": start.isoformat(),
        "reason_code": "100",
        "action_code": "12",
    }
    assert (
        api(
            "POST", f"/api/v1/visits/{visit['id']}/corrections", unlicensed["owner"], json=correct
        ).status_code
        == 404
    )


def test_the_chain_is_sealed_verified_and_names_a_changed_record(api, platform, unlicensed):
    m = unlicensed
    owner = m["owner"]

    def sealed():
        found = api("GET", "/api/v1/evv/chain/verification", owner).json()
        return found if found["records"] >= 3 and found["unsealed"] == 0 else None

    found = wait_for(sealed, what="the sealer to chain the CBO's punches")
    assert found["intact"] and found["problem"] is None, found
    assert api("GET", "/api/v1/evv/chain/verification", m["worker"]["token"]).status_code == 403
    key = api("GET", "/api/v1/evv/public-key")
    assert key.status_code == 200 and key.json()["algorithm"] == "Ed25519"
    with evv_db(platform).begin() as conn:
        record_id = conn.execute(
            text("SELECT id FROM visit_records WHERE tenant_id = :t AND seq = 2"), {"t": m["id"]}
        ).scalar()
        conn.execute(
            text(
                "UPDATE visit_records SET device_time = device_time - interval '1 hour' "
                "WHERE id = :i"
            ),
            {"i": record_id},
        )
    broken = api("GET", "/api/v1/evv/chain/verification", owner).json()
    assert not broken["intact"]
    assert (broken["problem"]["problem"], broken["problem"]["record_id"]) == ("changed", record_id)


def test_exports_and_settings(api, platform, licensed):
    owner = licensed["owner"]
    today = datetime.now(UTC).date()
    period = {
        "start": (today - timedelta(days=2)).isoformat(),
        "end": (today + timedelta(days=2)).isoformat(),
    }
    csv_file = api("GET", "/api/v1/evv/exports/sandata", owner, params=period)
    assert csv_file.status_code == 200, csv_file.text
    assert csv_file.content.decode("utf-8-sig").startswith("BusinessEntityID,")
    hha = api("GET", "/api/v1/evv/exports/hhaexchange", owner, params={**period, "format": "json"})
    assert hha.status_code == 200 and hha.json()["visits"]
    backwards = api(
        "GET",
        "/api/v1/evv/exports/hhaexchange",
        owner,
        params={"start": period["end"], "end": period["start"]},
    )
    assert backwards.status_code == 422
    changed = api("PATCH", "/api/v1/evv/settings", owner, json={"geofence_default_m": 100})
    assert changed.status_code == 200 and changed.json()["geofence_default_m"] == 100
    assert (
        api("PATCH", "/api/v1/evv/settings", owner, json={"geofence_default_m": 1}).status_code
        == 422
    )
    assert (
        api(
            "GET", "/api/v1/evv/settings", staff_token(platform, licensed["id"], ["viewer"])
        ).status_code
        == 403
    )
