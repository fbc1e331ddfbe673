"""Payroll over HTTP through the gateway, on the whole running platform.

A CBO holding the EVV licence, two clients that chose EVV, one job type ($20 an hour, billed
$28). Ana works last week for both clients: nine hours a day Monday to Saturday and ten on
Sunday, her seventh consecutive day. Each shift is booked and confirmed through booking; EVV
learns the visit from booking's events; as in test_evv_api.py, the visit's schedule is moved
in EVV's database to last week (bookings start in the future: the one step no route does, and
it touches times only), then staff record its clock-in and clock-out as corrections (punches
from the phone may be at most three days old), so EVV verifies the visit and approves its
timesheet line itself. Billing learns it all from events.

Then: the run (preview, complete), its files read back; running it again changes nothing;
Sunday's line amended after the run comes back as an adjustment next week; a client's late
cancellation pays reporting time; the booking search's cost of a shift in that week matches
the payroll's figures; only payroll.run runs it; another CBO and a client see none of it.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import text

from tests.e2e.market import (
    LB,
    a_cbo,
    a_client,
    a_job_type,
    an_approved_worker,
    days_ahead,
    placed,
    today,
)
from tests.e2e.test_evv_api import evv_db
from tests.e2e.tokens import staff_token
from tests.waiting import wait_for

RATE, BILL = 2000, 2800
LAST_WEEK = today() - timedelta(days=today().weekday() + 7)
THIS_WEEK = LAST_WEEK + timedelta(days=7)


def local(day: date, clock: str) -> datetime:
    hours, minutes = (int(p) for p in clock.split(":"))
    return datetime.combine(day, time(hours, minutes), LB).astimezone(UTC)


def worked(api, platform, m, worker, client, *, ahead: int, day: int, start: str, end: str):
    """A shift booked and confirmed through booking, worked last week `day` (0 = Monday) from
    `start` to `end` as EVV records it: the visit's id."""
    made = placed(
        api,
        m["owner"],
        worker,
        client_id=client["id"],
        site_id=client["site"],
        job_type_id=m["job_type"]["id"],
        on=days_ahead(ahead),
        start=start,
        end=end,
    )
    visit_id = made["assignment_id"]

    def known():
        found = api("GET", f"/api/v1/visits/{visit_id}", m["owner"])
        return found.status_code == 200 and found.json()["site"] is not None

    wait_for(known, what="EVV to learn the confirmed shift and its site")
    on = LAST_WEEK + timedelta(days=day)
    starts, ends = local(on, start), local(on, end)
    with evv_db(platform).begin() as conn:
        conn.execute(
            text("UPDATE visits SET starts_at = :s, ends_at = :e WHERE id = :i"),
            {"s": starts, "e": ends, "i": visit_id},
        )
    for kind, at in (("clock_in", starts), ("clock_out", ends)):
        body = {"kind": kind, "time": at.isoformat(), "reason_code": "100", "action_code": "12"}
        done = api("POST", f"/api/v1/visits/{visit_id}/corrections", m["owner"], json=body)
        assert done.status_code == 201, done.text
    return visit_id


@pytest.fixture(scope="module")
def m(api, operator_token, platform, smtp):
    cbo = a_cbo(api, operator_token, platform, "pay")
    granted = api(
        "POST",
        f"/api/v1/platform/cbos/{cbo['id']}/licences",
        operator_token,
        json={"feature": "evv", "starts_on": (today() - timedelta(days=30)).isoformat()},
    )
    assert granted.status_code == 201, granted.text
    # Every cancellation within a week of the start is late (reporting time is paid).
    late = api("PATCH", "/api/v1/booking-settings", cbo["owner"], json={"late_cancel_hours": 168})
    assert late.status_code == 200, late.text
    city = a_client(api, platform, cbo, "Parks Department")
    shop = a_client(api, platform, cbo, "Shoreline Catering")
    for client in (city, shop):
        chose = api("PUT", f"/api/v1/evv/clients/{client['id']}", cbo["owner"], json={"evv": True})
        assert chose.status_code == 200, chose.text
    job_type = a_job_type(api, cbo["owner"], "Event crew")
    ana = an_approved_worker(api, smtp, platform, cbo, "Ana Reyes")
    bo = an_approved_worker(api, smtp, platform, cbo, "Bo Chan")
    m = {**cbo, "city": city, "shop": shop, "job_type": job_type, "ana": ana, "bo": bo}
    finance = staff_token(platform, cbo["id"], ["finance"])
    set_payroll_ids(api, finance, {ana["id"]: "A100", bo["id"]: "B200"})
    visits = {}
    for day in range(6):
        client = city if day % 2 == 0 else shop
        visits[day] = worked(
            api, platform, m, ana, client, ahead=2 + day, day=day, start="07:00", end="16:00"
        )
    visits[6] = worked(api, platform, m, ana, shop, ahead=8, day=6, start="06:00", end="16:00")
    return {**m, "finance": finance, "visits": visits}


def set_payroll_ids(api, finance: str, ids: dict[str, str]) -> None:
    """Each worker's id at the payroll provider (worker id -> payroll id), once billing has
    heard of them."""
    for worker_id, payroll_id in ids.items():

        def set_id(worker_id=worker_id, payroll_id=payroll_id):
            path = f"/api/v1/payroll/workers/{worker_id}/payroll-id"
            done = api("PUT", path, finance, json={"payroll_id": payroll_id})
            return done if done.status_code == 200 else None

        wait_for(set_id, what="billing to learn the worker")


def run_week(api, token, week: date, *, complete: bool) -> dict:
    started = api("POST", "/api/v1/payroll/runs", token, json={"week_start": week.isoformat()})
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]

    def settled(status: str):
        found = api("GET", f"/api/v1/payroll/runs/{run_id}", token).json()
        return found if found["status"] == status else None

    run = wait_for(lambda: settled("previewed"), timeout=30, what="the preview")
    if complete:
        done = api("POST", f"/api/v1/payroll/runs/{run_id}/complete", token)
        assert done.status_code == 202, done.text
        run = wait_for(lambda: settled("completed"), timeout=30, what="the run to complete")
    return run


def lines(api, token, run_id) -> dict[tuple[str, str], dict]:
    page = api("GET", f"/api/v1/payroll/runs/{run_id}/lines", token, params={"per_page": 1000})
    assert page.status_code == 200, page.text
    return {(x["worker_id"], x["for_week"]): x for x in page.json()["items"]}


def export(api, token, run_id, layout) -> list[dict[str, str]]:
    found = api("GET", f"/api/v1/payroll/runs/{run_id}/exports/{layout}", token)
    assert found.status_code == 200, found.text
    return list(csv.DictReader(io.StringIO(found.content.decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def paid(api, m):
    """Last week, previewed until billing has heard of all seven lines, then completed."""

    def all_heard():
        run = run_week(api, m["finance"], LAST_WEEK, complete=False)
        ana = lines(api, m["finance"], run["id"]).get((m["ana"]["id"], LAST_WEEK.isoformat()))
        total = ana and sum(ana[k] for k in ("regular_minutes", "overtime_minutes"))
        return run if ana and total + ana["double_time_minutes"] == 64 * 60 else None

    run = wait_for(all_heard, timeout=60, interval=0.5, what="billing to learn the week's lines")
    assert run["blocker_count"] == 0, run["blockers"]
    done = api("POST", f"/api/v1/payroll/runs/{run['id']}/complete", m["finance"])
    assert done.status_code == 202, done.text

    def completed():
        found = api("GET", f"/api/v1/payroll/runs/{run['id']}", m["finance"]).json()
        return found if found["status"] == "completed" else None

    return wait_for(completed, timeout=30, what="the run to complete")


# Mon-Sat 9 h: 8 regular + 1 daily overtime each; the 48 regular-looking hours are 40 regular
# and 8 weekly overtime; Sunday, the seventh day: 8 h at 1.5x, 2 h at 2x. Every day is over
# six hours without a meal period: one hour's premium a day at the regular rate.
ANA_MINUTES = (40 * 60, (6 + 8 + 8) * 60, 2 * 60)
ANA_GROSS = 40 * RATE + 22 * RATE * 3 // 2 + 2 * RATE * 2 + 7 * RATE


def test_the_week_is_paid_and_its_files_match_the_hours_worked(api, m, paid):
    assert (paid["workers"], paid["exports"]) == (1, ["adp", "paychex", "gusto", "plain"])
    ana = lines(api, m["finance"], paid["id"])[(m["ana"]["id"], LAST_WEEK.isoformat())]
    assert (
        ana["regular_minutes"],
        ana["overtime_minutes"],
        ana["double_time_minutes"],
    ) == ANA_MINUTES
    assert (ana["meal_premiums"], ana["gross_cents"]) == (7, ANA_GROSS)
    assert {c["client_id"] for c in ana["clients"]} == {m["city"]["id"], m["shop"]["id"]}
    [plain] = export(api, m["finance"], paid["id"], "plain")
    assert (plain["payroll_id"], plain["name"]) == ("A100", "Ana Reyes")
    assert (plain["regular_hours"], plain["overtime_hours"], plain["double_time_hours"]) == (
        "40.00",
        "22.00",
        "2.00",
    )
    assert plain["gross"] == f"{ANA_GROSS / 100:.2f}"
    [adp] = export(api, m["finance"], paid["id"], "adp")
    assert list(adp)[:5] == ["Co Code", "Batch ID", "File #", "Reg Hours", "O/T Hours"]
    assert (adp["File #"], adp["Reg Hours"], adp["O/T Hours"], adp["Hours 3 Amount"]) == (
        "A100",
        "40.00",
        "22.00",
        "2.00",
    )
    assert (adp["Temp Rate"], adp["Earnings 3 Amount"]) == ("20.0000", "140.00")
    paychex = export(api, m["finance"], paid["id"], "paychex")
    assert list(paychex[0])[:5] == ["Client ID", "Worker ID", "Org", "Job Number", "Pay Component"]
    assert [(r["Pay Component"], r["Hours"]) for r in paychex] == [
        ("Hourly", "40.00"),
        ("Overtime", "22.00"),
        ("Double Time", "2.00"),
        ("Premium Pay", ""),
    ]
    [gusto] = export(api, m["finance"], paid["id"], "gusto")
    assert (gusto["first_name"], gusto["last_name"], gusto["overtime_hours"]) == (
        "Ana",
        "Reyes",
        "22.00",
    )


def test_running_the_week_again_changes_nothing(api, m, paid):
    before = export(api, m["finance"], paid["id"], "plain")
    again = api("POST", f"/api/v1/payroll/runs/{paid['id']}/complete", m["finance"])
    assert again.status_code == 202 and again.json()["status"] == "completed"
    new = api("POST", "/api/v1/payroll/runs", m["finance"], json={"week_start": str(LAST_WEEK)})
    assert new.status_code == 409, new.text
    assert export(api, m["finance"], paid["id"], "plain") == before


def test_the_search_shows_the_cost_the_payroll_pays(api, m, paid):
    """A two-hour shift on last Saturday evening: Ana's week before it is the payroll's week,
    and the shift is daily and weekly overtime."""
    saturday = LAST_WEEK + timedelta(days=5)
    found = api(
        "POST",
        "/api/v1/worker-search",
        m["owner"],
        json={
            "job_type_id": m["job_type"]["id"],
            "client_id": m["city"]["id"],
            "site_id": m["city"]["site"],
            "starts_at": local(saturday, "18:00").isoformat(),
            "ends_at": local(saturday, "20:00").isoformat(),
        },
    )
    assert found.status_code == 200, found.text
    items = {i["worker_id"]: i for i in found.json()["eligible"]["items"]}
    cost = items[m["ana"]["id"]]["cost"]
    assert cost is not None, found.json()
    assert (cost["overtime_minutes"], cost["double_time_minutes"]) == (120, 0)
    assert cost["week_minutes"] == 66 * 60
    assert cost["added_pay_cents"] == 2 * RATE * 3 // 2
    assert cost["summary"] == "this shift puts Ana at 66 h: 2 h at 1.5x, +$60.00"
    bo = items[m["bo"]["id"]]["cost"]
    assert (bo["regular_minutes"], bo["added_pay_cents"]) == (120, 2 * RATE)
    # A client's user sees the bill, not the pay.
    as_client = api(
        "POST",
        "/api/v1/worker-search",
        m["city"]["user"],
        json={
            "job_type_id": m["job_type"]["id"],
            "client_id": m["city"]["id"],
            "site_id": m["city"]["site"],
            "starts_at": local(saturday, "18:00").isoformat(),
            "ends_at": local(saturday, "20:00").isoformat(),
        },
    )
    seen = {i["worker_id"]: i for i in as_client.json()["eligible"]["items"]}[m["ana"]["id"]]
    assert seen["cost"]["added_pay_cents"] is None
    assert seen["cost"]["added_bill_cents"] == 2 * BILL * 3 // 2


def test_a_correction_after_the_run_is_an_adjustment_and_a_late_cancellation_pays(
    api, platform, m, paid
):
    # Sunday was eight hours, not ten: staff amend the approved line.
    sunday = m["visits"][6]
    amended = api(
        "POST",
        f"/api/v1/timesheet-lines/{sunday}/amend",
        m["owner"],
        json={"worked_minutes": 480, "comment": "Left at two, signed out late"},
    )
    assert amended.status_code == 200, amended.text
    # The client cancels Bo's shift tomorrow (six hours) inside the late window.
    made = placed(
        api,
        m["owner"],
        m["bo"],
        client_id=m["city"]["id"],
        site_id=m["city"]["site"],
        job_type_id=m["job_type"]["id"],
        on=days_ahead(1),
        start="09:00",
        end="15:00",
    )
    cancelled = api(
        "POST",
        f"/api/v1/shifts/{made['shift_id']}/cancel",
        m["city"]["user"],
        json={"reason": "Event moved"},
    )
    assert cancelled.status_code == 200, cancelled.text
    week = days_ahead(1) - timedelta(days=days_ahead(1).weekday())

    def both_heard():
        run = run_week(api, m["finance"], week, complete=False)
        found = lines(api, m["finance"], run["id"])
        adjustment = found.get((m["ana"]["id"], LAST_WEEK.isoformat()))
        reporting = found.get((m["bo"]["id"], week.isoformat()))
        return (adjustment, reporting) if adjustment and reporting else None

    adjustment, reporting = wait_for(
        both_heard, timeout=60, interval=0.5, what="the amendment and the cancellation"
    )
    assert adjustment["kind"] == "adjustment"
    assert (adjustment["double_time_minutes"], adjustment["gross_cents"]) == (-120, -2 * 2 * RATE)
    # Half the six scheduled hours.
    assert (reporting["reporting_minutes"], reporting["reporting_cents"]) == (180, 3 * RATE)
    assert reporting["regular_minutes"] == 0


def test_only_payroll_run_runs_it_and_nobody_else_sees_it(api, operator_token, platform, m, paid):
    body = {"week_start": LAST_WEEK.isoformat()}
    scheduler = staff_token(platform, m["id"], ["scheduler"])
    assert api("POST", "/api/v1/payroll/runs", scheduler, json=body).status_code == 403
    assert api("GET", f"/api/v1/payroll/runs/{paid['id']}", scheduler).status_code == 403
    client = m["city"]["user"]
    assert api("GET", "/api/v1/payroll/runs", client).status_code == 403
    assert api("GET", f"/api/v1/payroll/runs/{paid['id']}/exports/adp", client).status_code == 403
    other = a_cbo(api, operator_token, platform, "pay-other")
    assert api("GET", f"/api/v1/payroll/runs/{paid['id']}", other["owner"]).status_code == 404
    path = f"/api/v1/payroll/runs/{paid['id']}/exports/plain"
    assert api("GET", path, other["owner"]).status_code == 404
    assert api("GET", "/api/v1/payroll/runs", other["owner"]).json()["items"] == []
    theirs = api(
        "PUT",
        f"/api/v1/payroll/workers/{m['ana']['id']}/payroll-id",
        other["owner"],
        json={"payroll_id": "X1"},
    )
    assert theirs.status_code == 404
    # Odd input: a message per field, never a 500.
    for bad in ({"week_start": "2026-13-01"}, {}, {"week_start": 5}, {"week_start": "9" * 40}):
        refused = api("POST", "/api/v1/payroll/runs", m["finance"], json=bad)
        assert refused.status_code == 422 and "week_start" in refused.json()["error"]["fields"]
    nul = api("POST", "/api/v1/payroll/runs", m["finance"], json={"week_start": "\u0000"})
    assert nul.status_code in (400, 422)
    tuesday = {"week_start": (LAST_WEEK + timedelta(days=1)).isoformat()}
    assert api("POST", "/api/v1/payroll/runs", m["finance"], json=tuesday).status_code == 422
    odd = api("GET", "/api/v1/payroll/runs/nope\u0000", m["finance"])
    assert odd.status_code in (400, 404, 422)
    unknown = api("GET", f"/api/v1/payroll/runs/{paid['id']}/exports/excel", m["finance"])
    assert unknown.status_code == 404
