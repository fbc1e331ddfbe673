"""Reporting over HTTP through the gateway, on the live path: a CBO's real activity (two
approved job seekers, three shifts booked and confirmed, attendance marked) reaches reporting
as the services' own events, and the KPIs, the earnings profile and the skills report say what
this test works out by hand. Here billing's `payroll.completed` is published on its exchange,
valid by its contract (chassis/contracts/billing_events.py), for a pay week of the shifts'
own; test_reporting_months_api.py runs two known months through every real service,
billing's payroll included, and the operator's rebuild from the replay. Chosen times to the
minute and the scheduled delivery's bookkeeping are tested on reporting's database too
(tests/domain/test_reporting.py).

Also: another CBO sees none of it (404 for a CBO that does not share its reports), the
operator sees every CBO's, a viewer reads reports and schedules but cannot change a schedule,
the downloads are CSV and XLSX files, and a scheduled delivery, once due (its time moved
into the past in reporting's database: waiting for a Monday 8:00 is not a test), reaches the
real SMTP server on loopback once, with its file."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from kombu import Connection, Producer
from nameko.standalone.events import get_event_exchange
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.contracts.events import build_envelope
from chassis.db import make_engine
from services.booking.workers.models import WorkerRecord
from tests.e2e.market import (
    a_cbo,
    a_client,
    a_job_type,
    an_approved_worker,
    booking_db,
    days_ahead,
    into_the_past,
    placed,
    register_client,
    today,
)
from tests.e2e.tokens import staff_token
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def publish_payroll(platform, tenant_id: str, week_start: date, lines: list[dict]) -> None:
    """Billing's payroll.completed, as its outbox relay would publish it."""
    envelope = build_envelope(
        "payroll.completed",
        {
            "run_id": str(uuid.uuid4()),
            "week_start": week_start,
            "completed_at": datetime.now(UTC),
            "gross_cents": sum(line["gross_cents"] for line in lines),
            "lines": lines,
        },
        source="billing",
        tenant_id=tenant_id,
    )
    with Connection(platform.env["WORKLB_AMQP_URI"]) as connection:
        exchange = get_event_exchange("billing", {})
        Producer(connection.channel()).publish(
            envelope,
            exchange=exchange,
            routing_key="payroll.completed",
            serializer="json",
            declare=[exchange],
        )


def pay_line(worker: dict, tenant_id: str, minutes: int, cents: int) -> dict:
    return {
        "worker_id": worker["id"],
        "worker_tenant_id": tenant_id,
        "regular_minutes": minutes,
        "overtime_minutes": 0,
        "double_time_minutes": 0,
        "premium_cents": 0,
        "gross_cents": cents,
        "clients": [],
    }


@pytest.fixture(scope="module")
def market(api, operator_token, platform, smtp) -> dict:
    cbo = a_cbo(api, operator_token, platform, "rep")
    driver = a_job_type(api, cbo["owner"], "Driver", required_skills=["driving"])
    client = a_client(api, platform, cbo, "Harbor Deliveries")
    bakery = register_client(api, cbo["owner"], "Pine Ave Bakery")  # books nothing
    ana = an_approved_worker(api, smtp, platform, cbo, "Ana Reyes")
    ben = an_approved_worker(api, smtp, platform, cbo, "Ben Okafor")
    for worker in (ana, ben):
        changed = api(
            "PUT",
            f"/api/v1/jobseekers/{worker['id']}",
            cbo["owner"],
            json={"skills": ["driving", "forklift"]},
        )
        assert changed.status_code == 200, changed.text
    # Booking learns the skills from identity's event: a booking before it does is refused.
    booking = booking_db(platform)

    def booking_knows_the_skills() -> bool:
        with Session(booking) as session:
            found = [session.get(WorkerRecord, worker["id"]) for worker in (ana, ben)]
            return all(w is not None and {"driving", "forklift"} <= set(w.skills) for w in found)

    wait_for(booking_knows_the_skills, what="booking to know the workers' skills")
    # Three 4-hour shifts on one day: Ana works 9-13 and misses 14-18, Ben works 9-13.
    day = days_ahead(2)
    common = {"client_id": client["id"], "site_id": client["site"], "job_type_id": driver["id"]}
    shifts = [
        (ana, placed(api, cbo["owner"], ana, on=day, start="09:00", end="13:00", **common)),
        (ana, placed(api, cbo["owner"], ana, on=day, start="14:00", end="18:00", **common)),
        (ben, placed(api, cbo["owner"], ben, on=day, start="09:00", end="13:00", **common)),
    ]
    outcomes = ("completed", "no_show", "completed")
    for hours_ago, ((_, shift), outcome) in enumerate(zip(shifts, outcomes, strict=True)):
        into_the_past(
            platform, shift["shift_id"], datetime.now(UTC) - timedelta(hours=6 + hours_ago * 5)
        )
        marked = api(
            "POST",
            f"/api/v1/assignments/{shift['assignment_id']}/attendance",
            cbo["owner"],
            json={"outcome": outcome},
        )
        assert marked.status_code == 200, marked.text
    publish_payroll(
        platform,
        cbo["id"],
        monday_of(day),
        [pay_line(ana, cbo["id"], 240, 8000), pay_line(ben, cbo["id"], 240, 9000)],
    )
    return {"cbo": cbo, "day": day, "ana": ana, "ben": ben, "client": client, "bakery": bakery}


def kpis_of(api, token: str, day: date, **params) -> dict:
    answer = api("GET", "/api/v1/reports/kpis", token, params={"day": day.isoformat(), **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_kpis_of_the_week_from_the_live_services(api, market):
    cbo, day = market["cbo"], market["day"]
    same_week = monday_of(day) == monday_of(today())
    expected = {
        "active_jobseekers": 2,
        # Both registered and were approved today: in this week only if the shifts' day is.
        "newly_registered": 2 if same_week else 0,
        "newly_approved": 2 if same_week else 0,
        "shifts_booked": 3,
        "shifts_cancelled": 0,
        "shifts_filled": 3,
        "fill_rate": 1.0,
        "places_worked": 2,
        "hours_worked": 8.0,
        "hours_booked": 12.0,
        "gross_earnings_cents": 17000,
        "no_shows": 1,
        "late_cancellations": 0,
        "cascades": {"started": 0, "completed": 0, "exhausted": 0, "other": 0},
        "evv_visits": 0,
        "evv_exception_rate": None,
    }

    def arrived():
        found = kpis_of(api, cbo["owner"], day)
        now = dict(found["current"]["kpis"])
        time_to_fill = now.pop("time_to_fill_minutes")
        return found if now == expected and time_to_fill is not None else None

    report = wait_for(arrived, timeout=30, what="reporting to count the week")
    # Each named worker confirmed within the minute their shift was booked.
    assert report["current"]["kpis"]["time_to_fill_minutes"] <= 1.0
    assert report["current"]["period"]["starts_on"] == monday_of(day).isoformat()
    assert report["previous"]["kpis"]["shifts_booked"] == 0
    points = {point["day"]: point for point in report["series"]}
    assert points[day.isoformat()]["hours_worked"] == 8.0
    assert points[day.isoformat()]["no_shows"] == 1
    # The operator reads the same CBO, and every CBO together.
    operator = kpis_of(api, market["operator"], day, tenant_id=cbo["id"])
    assert operator["current"]["kpis"] == report["current"]["kpis"]
    everyone = kpis_of(api, market["operator"], day)
    assert everyone["tenant_id"] is None
    assert everyone["current"]["kpis"]["shifts_booked"] >= 3


@pytest.fixture(scope="module", autouse=True)
def _operator(market, operator_token) -> None:
    market["operator"] = operator_token


def test_the_earnings_profile_and_the_under_used_skills(api, market):
    cbo, day = market["cbo"], market["day"]
    profile = api(
        "GET", "/api/v1/reports/earnings", cbo["owner"], params={"day": day.isoformat()}
    ).json()
    overall = profile["overall"]
    assert overall["worker_weeks"] == 2
    bands = {(b["from"], b["to"]): b["workers"] for b in overall["earnings_cents"]["bands"]}
    assert bands[(0, 10000)] == 2 and sum(bands.values()) == 2
    assert overall["earnings_cents"]["percentiles"]["p50"] == 8000
    assert overall["earnings_cents"]["percentiles"]["p90"] == 9000
    assert overall["hours"]["percentiles"]["p50"] == 4.0
    skills = api(
        "GET",
        "/api/v1/reports/skills",
        cbo["owner"],
        params={"ending": day.isoformat(), "weeks": 4},
    )
    assert skills.status_code == 200, skills.text
    ranked = skills.json()["skills"]
    # Forklift: 2 workers, no hours; driving: 12 h booked / 2 workers / 4 weeks = 1.5 h.
    assert [(s["skill"], s["hours_per_worker_week"]) for s in ranked] == [
        ("forklift", 0.0),
        ("driving", 1.5),
    ]
    forklift, driving = ranked
    assert forklift["underused"] and driving["underused"]
    assert [p["name"] for p in forklift["prospects"]] == ["Harbor Deliveries", "Pine Ave Bakery"]
    # Harbor Deliveries books 3 h a week of driving already; the bakery none.
    assert [p["name"] for p in driving["prospects"]] == ["Pine Ave Bakery"]


def test_downloads_and_activity(api, market):
    cbo, day = market["cbo"], market["day"]
    csv = api("GET", "/api/v1/reports/kpis/download", cbo["owner"], params={"day": day.isoformat()})
    assert csv.status_code == 200, csv.text
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert "Shifts booked,3,0,0" in csv.content.decode("utf-8-sig")
    xlsx = api(
        "GET",
        "/api/v1/reports/kpis/download",
        cbo["owner"],
        params={"day": day.isoformat(), "format": "xlsx"},
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    activity = api(
        "GET",
        "/api/v1/reports/activity",
        cbo["owner"],
        params={
            "actor_id": market["ana"]["id"],
            "start": (today() - timedelta(days=1)).isoformat(),
        },
    )
    assert activity.status_code == 200, activity.text
    (ana,) = activity.json()["items"]
    assert {"action": "offer.confirmed", "count": 2} in ana["actions"]


def test_another_cbo_sees_nothing_and_a_viewer_cannot_change_a_schedule(
    api, market, operator_token, platform
):
    cbo, day = market["cbo"], market["day"]
    other = a_cbo(api, operator_token, platform, "rep-b")
    for path in ("/api/v1/reports/kpis", "/api/v1/reports/skills", "/api/v1/reports/earnings"):
        refused = api("GET", path, other["owner"], params={"tenant_id": cbo["id"]})
        assert refused.status_code == 404, (path, refused.text)
    own = kpis_of(api, other["owner"], day)["current"]["kpis"]
    assert (own["shifts_booked"], own["hours_worked"]) == (0, 0.0)
    worker = staff_token(platform, cbo["id"], ["jobseeker"])
    assert api("GET", "/api/v1/reports/kpis", worker).status_code == 403

    viewer = staff_token(platform, cbo["id"], ["viewer"])
    assert kpis_of(api, viewer, day)["current"]["kpis"]["shifts_booked"] == 3
    schedule = {
        "name": "Monday KPIs",
        "recipients": ["board@stakeholders.example.org"],
        "period": "week",
        "weekday": 0,
        "hour": 8,
    }
    assert api("POST", "/api/v1/report-schedules", viewer, json=schedule).status_code == 403
    made = api("POST", "/api/v1/report-schedules", cbo["owner"], json=schedule)
    assert made.status_code == 201, made.text
    path = f"/api/v1/report-schedules/{made.json()['id']}"
    assert api("GET", path, viewer).status_code == 200
    assert api("GET", "/api/v1/report-schedules", viewer).json()["total"] == 1
    assert api("PATCH", path, viewer, json={"hour": 9}).status_code == 403
    assert api("DELETE", path, viewer).status_code == 403
    assert api("GET", path, other["owner"]).status_code == 404
    # A partnership sharing "reports" lets the partner read them; its end stops it at once.
    proposed = api(
        "POST",
        "/api/v1/partnerships",
        cbo["owner"],
        json={"partner_slug": other["slug"], "shares": ["reports"]},
    )
    assert proposed.status_code == 201, proposed.text
    partnership = proposed.json()["id"]
    accepted = api("POST", f"/api/v1/partnerships/{partnership}/accept", other["owner"])
    assert accepted.status_code == 200, accepted.text

    def shared():
        answer = api(
            "GET",
            "/api/v1/reports/kpis",
            other["owner"],
            params={"tenant_id": cbo["id"], "day": day.isoformat()},
        )
        return answer if answer.status_code == 200 else None

    partner_view = wait_for(shared, what="reporting to learn of the partnership").json()
    assert partner_view["current"]["kpis"]["shifts_booked"] == 3
    ended = api("POST", f"/api/v1/partnerships/{partnership}/end", cbo["owner"])
    assert ended.status_code == 200, ended.text
    wait_for(lambda: not shared(), what="the ended partnership to close the reports")

    bad = api("POST", "/api/v1/report-schedules", cbo["owner"], json={**schedule, "hour": 99})
    assert bad.status_code == 422 and "hour" in bad.json()["error"]["fields"]
    changed = api("PATCH", path, cbo["owner"], json={"hour": 9})
    assert changed.status_code == 200 and changed.json()["hour"] == 9
    assert api("DELETE", path, cbo["owner"]).status_code == 204


def test_a_scheduled_delivery_arrives_once_with_its_file(api, market, platform, smtp):
    cbo = market["cbo"]
    stakeholder = f"board-{uuid.uuid4().hex[:8]}@stakeholders.example.org"
    made = api(
        "POST",
        "/api/v1/report-schedules",
        cbo["owner"],
        json={
            "name": "Monday KPIs",
            "recipients": [stakeholder, "Chair@Stakeholders.example.org"],
            "period": "week",
            "weekday": 0,
            "hour": 8,
            "file_format": "xlsx",
        },
    )
    assert made.status_code == 201, made.text
    schedule = made.json()
    assert schedule["recipients"] == [stakeholder, "chair@stakeholders.example.org"]
    engine = make_engine(platform.settings.database_url("reporting"), poolclass=NullPool)
    with engine.begin() as conn:  # due a minute ago
        conn.execute(
            text(
                "UPDATE report_schedules SET next_run_at = now() - interval '1 minute' "
                "WHERE id = :id"
            ),
            {"id": schedule["id"]},
        )
    engine.dispose()
    path = f"/api/v1/report-schedules/{schedule['id']}"

    def sent():
        page = api("GET", f"{path}/deliveries", cbo["owner"]).json()
        return page if page["items"] and page["items"][0]["status"] == "sent" else None

    page = wait_for(sent, timeout=20, what="the scheduled delivery to be sent")
    assert page["total"] == 1
    message = smtp.wait_for(stakeholder)
    assert len(smtp.to(stakeholder)) == 1
    assert "chair@stakeholders.example.org" in str(message["To"]).lower()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename().endswith(".xlsx")
    assert (
        "xl/worksheets/sheet1.xml"
        in zipfile.ZipFile(io.BytesIO(attachment.get_content())).namelist()
    )
    # The schedule moved on to its next Monday; the sweeps since sent nothing more.
    again = api("GET", path, cbo["owner"]).json()
    assert datetime.fromisoformat(again["next_run_at"]) > datetime.now(UTC)
    assert api("GET", f"{path}/deliveries", cbo["owner"]).json()["total"] == 1
    assert len(smtp.to(stakeholder)) == 1
