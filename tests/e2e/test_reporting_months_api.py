"""Two known months of a CBO's activity through the real services, and reporting's figures
for them checked against values worked out by hand here.

The CBO holds the EVV and rebooking licences. Three job seekers register and are approved
today: Ana (driving, forklift), Ben (driving) and Cara (forklift, cooking). Two job types:
Driver (needs driving) and Forklift (needs forklift). Clients: Harbor Deliveries (EVV; its
replacements go to Ben), Shoreline Movers (no replacements: a cascade there finds no one) and
Pine Ave Bakery, which books nothing. M1 and M2 are next month and the month after; W is the
week of M2's second Monday, P the week before it (M2's first Monday), A four weeks before W
(in M1). Every shift is booked by staff for a named worker, through booking:

    s1  A Mon   Ana   Driver    Harbor     09:00-13:00  worked
    s2  A Tue   Ben   Driver    Harbor     09:00-13:00  worked
    s3  A+1 Wed Cara  Forklift  Shoreline  08:00-16:00  worked
    s4  P Thu   Ana   Forklift  Shoreline  09:00-13:00  no-show
    s5  W Mon   Ana   Driver    Harbor     09:00-13:30  worked; EVV 09:00-13:30 last Monday
    s6  W Tue   Ben   Driver    Harbor     09:00-11:00  worked; EVV 09:00-12:30 last Tuesday
                                                        (too long: an exception, resolved)
    s7  W Wed   Ana   Driver    Harbor     09:00-13:00  Ana declines; the cascade offers Ben,
                                                        who confirms (completed)
    s8  W Thu   Cara  Forklift  Shoreline  09:00-13:00  Cara declines; the cascade finds no one
                                                        (exhausted)
    s9  W Fri   Ben   Driver    Harbor     09:00-13:00  cancelled by Harbor three hours before
                                                        it starts (late: a client's, within 24 h)

Then last week's payroll runs in billing (Ana 4.5 h, Ben 3.5 h at $20) and reporting hears
`payroll.completed`. Reporting counts a shift on the day it was booked for; a place's hours
and no-shows on its shift's day; gross pay on its pay week's Monday; registrations and
approvals on the day they happened.

What no route does is SQL, times only, as in the other end-to-end tests: a shift is moved
into the past in booking's database before its attendance is marked (market.into_the_past),
and an EVV visit's schedule is moved to last week in EVV's database before staff enter its
clock-in and clock-out (bookings start in the future). Which EVV exceptions a visit got is read
from EVV's API (its sweep may note a missing clock-out between the two corrections).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import text

from tests.e2e.market import (
    LB,
    a_cbo,
    a_client,
    a_job_type,
    an_approved_worker,
    book,
    confirm,
    into_the_past,
    my_offer,
    register_client,
    shift_offers,
    today,
)
from tests.e2e.test_billing_payroll_api import run_week, set_payroll_ids
from tests.e2e.test_evv_api import evv_db
from tests.e2e.tokens import staff_token
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

PAY = 2000  # the job types' pay rate, cents an hour
TODAY = today()
LAST_WEEK = TODAY - timedelta(days=TODAY.weekday() + 7)


def first_of_next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


M1 = first_of_next_month(TODAY)
M2 = first_of_next_month(M1)
P = M2 + timedelta(days=(7 - M2.weekday()) % 7)  # M2's first Monday
W = P + timedelta(days=7)
A = W - timedelta(days=28)


def local(day: date, clock: str) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    return datetime.combine(day, time(hours, minutes), LB).astimezone(UTC)


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def kpis(api, token: str, day: date, period: str = "week", **params) -> dict:
    found = api(
        "GET",
        "/api/v1/reports/kpis",
        token,
        params={"day": day.isoformat(), "period": period, **params},
    )
    assert found.status_code == 200, found.text
    return found.json()


def zero_kpis(**figures) -> dict:
    """A period's KPIs: nothing happened, but for `figures`."""
    base = {
        "active_jobseekers": 0,
        "newly_registered": 0,
        "newly_approved": 0,
        "shifts_booked": 0,
        "shifts_cancelled": 0,
        "shifts_filled": 0,
        "fill_rate": None,
        "time_to_fill_minutes": None,
        "places_worked": 0,
        "hours_worked": 0.0,
        "hours_booked": 0.0,
        "gross_earnings_cents": 0,
        "no_shows": 0,
        "late_cancellations": 0,
        "cascades": {"started": 0, "completed": 0, "exhausted": 0, "other": 0},
        "evv_visits": 0,
        "evv_exception_rate": None,
    }
    return {**base, **figures}


class Ledger:
    """What the test did, kept to work out the figures: each filled shift's whole minutes
    from booking to its filling, by the day it was booked for."""

    def __init__(self) -> None:
        self.fill_minutes: dict[date, list[int]] = {}

    def filled(self, day: date, booked_at: str, confirmed_at: str) -> None:
        waited = int((when(confirmed_at) - when(booked_at)).total_seconds() // 60)
        self.fill_minutes.setdefault(day, []).append(waited)

    def time_to_fill(self, first: date, last: date) -> tuple[float, int]:
        """The mean minutes to fill the shifts of the days first..last, and how many."""
        waits = [m for day, ms in self.fill_minutes.items() if first <= day <= last for m in ms]
        return sum(waits) / len(waits), len(waits)


@pytest.fixture(scope="module")
def months(api, operator_token, platform, smtp) -> dict:
    cbo = a_cbo(api, operator_token, platform, "months")
    owner = cbo["owner"]
    for feature, starts_on in (("evv", TODAY - timedelta(days=60)), ("rebooking", TODAY)):
        granted = api(
            "POST",
            f"/api/v1/platform/cbos/{cbo['id']}/licences",
            operator_token,
            json={"feature": feature, "starts_on": starts_on.isoformat()},
        )
        assert granted.status_code == 201, granted.text
    driver = a_job_type(api, owner, "Driver", required_skills=["driving"], pay_rate_cents=PAY)
    forklift = a_job_type(api, owner, "Forklift", required_skills=["forklift"], pay_rate_cents=PAY)
    harbor = a_client(api, platform, cbo, "Harbor Deliveries")
    shore = a_client(api, platform, cbo, "Shoreline Movers")
    bakery = register_client(api, owner, "Pine Ave Bakery")
    chose = api("PUT", f"/api/v1/evv/clients/{harbor['id']}", owner, json={"evv": True})
    assert chose.status_code == 200, chose.text
    workers = {}
    for name, skills in (
        ("Ana", ["driving", "forklift"]),
        ("Ben", ["driving"]),
        ("Cara", ["forklift", "cooking"]),
    ):
        worker = an_approved_worker(api, smtp, platform, cbo, f"{name} Months")
        changed = api("PUT", f"/api/v1/jobseekers/{worker['id']}", owner, json={"skills": skills})
        assert changed.status_code == 200, changed.text
        workers[name] = worker
    ana, ben, cara = workers["Ana"], workers["Ben"], workers["Cara"]
    for client, preferred in ((harbor, [ben["id"]]), (shore, [])):
        prefs = {
            "preferred_worker_ids": preferred,
            "use_ranking": False,
            "confirmation_window_minutes": 1,
            "min_lead_minutes": 0,
        }
        changed = api(
            "PATCH", f"/api/v1/clients/{client['id']}/rebooking-preferences", owner, json=prefs
        )
        assert changed.status_code == 200, changed.text

    ledger = Ledger()
    jobs = {"driver": (driver, harbor), "forklift": (forklift, shore)}

    def booked(job: str, worker: dict, day: date, start: str, end: str) -> dict:
        job_type, client = jobs[job]
        made = book(
            api,
            owner,
            client_id=client["id"],
            site_id=client["site"],
            job_type_id=job_type["id"],
            on=day,
            start=start,
            end=end,
            named=worker["id"],
        )
        (shift,) = made["shifts"]
        return {"shift_id": shift["id"], "booked_at": made["created_at"], "day": day}

    def placed(job: str, worker: dict, day: date, start: str, end: str) -> dict:
        shift = booked(job, worker, day, start, end)
        confirmed = confirm(api, worker, shift["shift_id"])
        ledger.filled(day, shift["booked_at"], confirmed["responded_at"])
        return {**shift, "assignment_id": confirmed["assignment_id"]}

    def attended(shift: dict, outcome: str, hours_ago: int) -> None:
        into_the_past(platform, shift["shift_id"], datetime.now(UTC) - timedelta(hours=hours_ago))
        marked = api(
            "POST",
            f"/api/v1/assignments/{shift['assignment_id']}/attendance",
            owner,
            json={"outcome": outcome},
        )
        assert marked.status_code == 200, marked.text

    s1 = placed("driver", ana, A, "09:00", "13:00")
    s2 = placed("driver", ben, A + timedelta(days=1), "09:00", "13:00")
    s3 = placed("forklift", cara, A + timedelta(days=9), "08:00", "16:00")
    s4 = placed("forklift", ana, P + timedelta(days=3), "09:00", "13:00")
    s5 = placed("driver", ana, W, "09:00", "13:30")
    s6 = placed("driver", ben, W + timedelta(days=1), "09:00", "11:00")
    for hours_ago, (shift, outcome) in enumerate(
        ((s1, "completed"), (s2, "completed"), (s3, "completed"), (s4, "no_show")),
        start=1,
    ):
        attended(shift, outcome, 30 * hours_ago)
    attended(s5, "completed", 150)
    attended(s6, "completed", 180)

    # s7: Ana declines; the cascade offers Ben (Harbor's replacement), who confirms.
    s7 = booked("driver", ana, W + timedelta(days=2), "09:00", "13:00")
    offer = my_offer(api, ana, s7["shift_id"])
    declined = api("POST", f"/api/v1/offers/{offer['id']}/decline", ana["token"], json={})
    assert declined.status_code == 200, declined.text

    def offered_to_ben():
        found = shift_offers(api, owner, s7["shift_id"]).get(ben["id"])
        return found if found is not None and found["status"] == "sent" else None

    wait_for(offered_to_ben, what="the cascade to offer Ben the shift")
    replaced = confirm(api, ben, s7["shift_id"])
    ledger.filled(s7["day"], s7["booked_at"], replaced["responded_at"])
    # s8: Cara declines; Shoreline's cascade has no one to offer.
    s8 = booked("forklift", cara, W + timedelta(days=3), "09:00", "13:00")
    offer = my_offer(api, cara, s8["shift_id"])
    declined = api("POST", f"/api/v1/offers/{offer['id']}/decline", cara["token"], json={})
    assert declined.status_code == 200, declined.text
    # s9: Harbor cancels it three hours before it starts (late: a client's, within 24 h).
    s9 = placed("driver", ben, W + timedelta(days=4), "09:00", "13:00")
    into_the_past(platform, s9["shift_id"], datetime.now(UTC) + timedelta(hours=3))
    cancelled = api(
        "POST",
        f"/api/v1/shifts/{s9['shift_id']}/cancel",
        harbor["user"],
        json={"reason": "Truck broke"},
    )
    assert cancelled.status_code == 200, cancelled.text

    # EVV: s5 and s6 worked last Monday and Tuesday, entered by staff.
    visits = {}
    for shift, day, start, end in (
        (s5, LAST_WEEK, "09:00", "13:30"),
        (s6, LAST_WEEK + timedelta(days=1), "09:00", "12:30"),
    ):
        visit_id = shift["assignment_id"]

        def known(visit_id=visit_id):
            found = api("GET", f"/api/v1/visits/{visit_id}", owner)
            return found.status_code == 200 and found.json()["site"] is not None

        wait_for(known, what="EVV to learn the confirmed shift")
        booked_length = {s5["shift_id"]: timedelta(hours=4.5), s6["shift_id"]: timedelta(hours=2)}
        starts = local(day, start)
        with evv_db(platform).begin() as conn:
            conn.execute(
                text("UPDATE visits SET starts_at = :s, ends_at = :e WHERE id = :i"),
                {"s": starts, "e": starts + booked_length[shift["shift_id"]], "i": visit_id},
            )
        for kind, at in (("clock_in", starts), ("clock_out", local(day, end))):
            body = {"kind": kind, "time": at.isoformat(), "reason_code": "100", "action_code": "12"}
            done = api("POST", f"/api/v1/visits/{visit_id}/corrections", owner, json=body)
            assert done.status_code == 201, done.text
        visits[shift["shift_id"]] = visit_id
    # s6's visit ran 90 minutes over its two hours: too long, acknowledged by staff.
    ben_visit = api("GET", f"/api/v1/visits/{visits[s6['shift_id']]}", owner).json()
    (too_long,) = [e for e in ben_visit["exceptions"] if e["code"] == "too_long"]
    resolved = api(
        "POST",
        f"/api/v1/visit-exceptions/{too_long['id']}/resolve",
        owner,
        json={"reason_code": "140", "action_code": "10", "comment": "Traffic on the 710"},
    )
    assert resolved.status_code == 200, resolved.text
    excepted = 0
    for visit_id in visits.values():
        found = api("GET", f"/api/v1/visits/{visit_id}", owner).json()
        excepted += bool(found["exceptions"])

    # Last week's payroll, once billing has heard of both approved lines.
    finance = staff_token(platform, cbo["id"], ["finance"])
    set_payroll_ids(api, finance, {ana["id"]: "A100", ben["id"]: "B200"})

    def previewed():
        run = run_week(api, finance, LAST_WEEK, complete=False)
        return run if run["gross_cents"] == (270 + 210) * PAY // 60 else None

    run = wait_for(previewed, timeout=60, interval=0.5, what="billing to learn both lines")
    assert run["blocker_count"] == 0, run["blockers"]
    done = api("POST", f"/api/v1/payroll/runs/{run['id']}/complete", finance)
    assert done.status_code == 202, done.text

    def completed():
        found = api("GET", f"/api/v1/payroll/runs/{run['id']}", finance).json()
        return found if found["status"] == "completed" else None

    wait_for(completed, timeout=30, what="the payroll run to complete")
    return {
        "cbo": cbo,
        "operator": operator_token,
        "workers": workers,
        "driver": driver,
        "forklift": forklift,
        "harbor": harbor,
        "shore": shore,
        "bakery": bakery,
        "ledger": ledger,
        "excepted_visits": excepted,
    }


def settled_kpis(api, token: str, day: date, period: str, expected: dict) -> dict:
    """The report once reporting has heard everything the expected figures count."""

    def arrived():
        found = kpis(api, token, day, period)
        current = dict(found["current"]["kpis"])
        current.pop("time_to_fill_minutes")
        wanted = dict(expected)
        wanted.pop("time_to_fill_minutes", None)
        return found if current == wanted else None

    try:
        return wait_for(arrived, timeout=30, what=f"reporting to count the {period} of {day}")
    except AssertionError:
        # Say which figures differ.
        current = dict(kpis(api, token, day, period)["current"]["kpis"])
        current.pop("time_to_fill_minutes")
        assert current == {k: v for k, v in expected.items() if k != "time_to_fill_minutes"}
        raise


def assert_time_to_fill(found: float | None, expected: tuple[float, int]) -> None:
    # The test reads the times the API answers; reporting the events' (a few milliseconds
    # apart): one shift may land a whole minute apart.
    mean, count = expected
    assert found is not None and math.isclose(found, round(mean, 1), abs_tol=1 / count + 0.05)


def test_the_weeks_kpis_beside_the_previous_week_and_a_month_before(api, months):
    owner, ledger = months["cbo"]["owner"], months["ledger"]
    rate = months["excepted_visits"] / 2
    week = zero_kpis(
        active_jobseekers=2,  # Ana and Ben worked
        shifts_booked=5,  # s5-s9
        shifts_cancelled=1,  # s9
        shifts_filled=4,  # s5, s6, s7, s9 (filled before it was cancelled)
        fill_rate=1.0,  # 4 filled of 5 - 1 still wanted
        places_worked=2,
        hours_worked=6.5,  # 4.5 + 2 (booking's times: EVV's are pay's)
        hours_booked=18.5,  # 4.5 + 2 + 4 + 4 + 4
        late_cancellations=1,
        cascades={"started": 2, "completed": 1, "exhausted": 1, "other": 0},
        evv_visits=2,
        evv_exception_rate=rate,
    )
    report = settled_kpis(api, owner, W, "week", week)
    assert_time_to_fill(
        report["current"]["kpis"]["time_to_fill_minutes"],
        ledger.time_to_fill(W, W + timedelta(days=6)),
    )
    assert report["current"]["period"]["starts_on"] == W.isoformat()
    previous = report["previous"]["kpis"]
    assert {k: previous[k] for k in ("shifts_booked", "shifts_filled", "no_shows")} == {
        "shifts_booked": 1,
        "shifts_filled": 1,
        "no_shows": 1,
    }
    assert (previous["active_jobseekers"], previous["hours_worked"]) == (0, 0.0)
    assert previous["hours_booked"] == 4.0 and previous["fill_rate"] == 1.0
    before = report["month_before"]["kpis"]
    assert (before["shifts_booked"], before["places_worked"], before["hours_worked"]) == (2, 2, 8.0)
    assert before["active_jobseekers"] == 2 and before["no_shows"] == 0
    # Each figure's change against the previous week: 5 booked against 1.
    assert report["changes"]["previous"]["shifts_booked"] == 4.0
    points = {point["day"]: point for point in report["series"]}
    assert points[W.isoformat()]["hours_worked"] == 4.5
    assert points[(W + timedelta(days=1)).isoformat()]["hours_worked"] == 2.0


def test_the_two_months_side_by_side(api, months):
    owner, ledger = months["cbo"]["owner"], months["ledger"]
    m2 = zero_kpis(
        active_jobseekers=2,
        shifts_booked=6,  # s4-s9
        shifts_cancelled=1,
        shifts_filled=5,
        fill_rate=1.0,
        places_worked=2,
        hours_worked=6.5,
        hours_booked=22.5,
        no_shows=1,
        late_cancellations=1,
        cascades={"started": 2, "completed": 1, "exhausted": 1, "other": 0},
        evv_visits=2,
        evv_exception_rate=months["excepted_visits"] / 2,
    )
    report = settled_kpis(api, owner, M2, "month", m2)
    m2_last = first_of_next_month(M2) - timedelta(days=1)
    assert_time_to_fill(
        report["current"]["kpis"]["time_to_fill_minutes"], ledger.time_to_fill(M2, m2_last)
    )
    m1 = zero_kpis(
        active_jobseekers=3,  # Ana, Ben and Cara worked in M1
        shifts_booked=3,
        shifts_filled=3,
        fill_rate=1.0,
        places_worked=3,
        hours_worked=16.0,  # 4 + 4 + 8
        hours_booked=16.0,
    )
    previous = dict(report["previous"]["kpis"])
    assert_time_to_fill(
        previous.pop("time_to_fill_minutes"), ledger.time_to_fill(M1, M2 - timedelta(days=1))
    )
    m1.pop("time_to_fill_minutes")
    assert previous == m1
    # A month's "month before" is the previous month.
    assert report["month_before"]["kpis"]["shifts_booked"] == 3


def test_registrations_this_week_and_last_weeks_pay(api, months):
    owner = months["cbo"]["owner"]
    # All three registered and were approved today; nothing else happened this week.
    settled_kpis(api, owner, TODAY, "week", zero_kpis(newly_registered=3, newly_approved=3))
    # Last week holds only the pay for the hours EVV recorded in it: 4.5 h + 3.5 h at $20.
    settled_kpis(api, owner, LAST_WEEK, "week", zero_kpis(gross_earnings_cents=16000))
    month = kpis(api, owner, LAST_WEEK, "month")["current"]["kpis"]
    assert month["gross_earnings_cents"] == 16000
    if LAST_WEEK.month == TODAY.month:
        assert (month["newly_registered"], month["newly_approved"]) == (3, 3)


def test_the_earnings_profile(api, months):
    owner = months["cbo"]["owner"]

    def profile(day: date, period: str = "week") -> dict:
        found = api(
            "GET",
            "/api/v1/reports/earnings",
            owner,
            params={"day": day.isoformat(), "period": period},
        )
        assert found.status_code == 200, found.text
        return found.json()

    # Week W: Ana worked 4.5 h and Ben 2 h (booking's figures); no pay counted that week.
    week = profile(W)["overall"]
    assert week["worker_weeks"] == 2
    hours = week["hours"]
    assert (hours["percentiles"]["p50"], hours["percentiles"]["p90"]) == (2.0, 4.5)
    assert {(b["from"], b["to"]): b["workers"] for b in hours["bands"]}[(0, 5)] == 2
    assert week["earnings_cents"]["percentiles"]["p90"] == 0
    # Last week: Ana paid 4.5 h x $20 = $90, Ben 3.5 h = $70.
    paid = profile(LAST_WEEK)
    cents = paid["overall"]["earnings_cents"]
    assert paid["overall"]["worker_weeks"] == 2
    assert (cents["percentiles"]["p50"], cents["percentiles"]["p90"]) == (7000, 9000)
    assert cents["mean"] == 8000.0
    bands = {(b["from"], b["to"]): b["workers"] for b in cents["bands"]}
    assert bands[(0, 10000)] == 2 and sum(bands.values()) == 2
    # M1 by job type: Ana and Ben drove 4 h each, Cara drove a forklift 8 h.
    by_job_type = {
        j["name"]: (j["worker_weeks"], j["hours"]["percentiles"]["p50"])
        for j in profile(M1, "month")["by_job_type"]
    }
    assert by_job_type == {"Driver": (2, 4.0), "Forklift": (1, 8.0)}


def test_the_under_used_skills_and_who_might_buy_them(api, months):
    owner = months["cbo"]["owner"]
    found = api(
        "GET",
        "/api/v1/reports/skills",
        owner,
        params={"ending": (W + timedelta(days=6)).isoformat(), "weeks": 4},
    )
    assert found.status_code == 200, found.text
    ranked = found.json()["skills"]
    # Four weeks (A+1, the week after, P and W). Driving: s5, s6, s7, s9 = 14.5 h booked for
    # two workers = 1.81 h a worker-week; forklift: s3, s4, s8 = 16 h for two = 2.0; cooking:
    # none, one worker. All under 4 h: under-used.
    assert [(s["skill"], s["hours_booked"], s["hours_per_worker_week"]) for s in ranked] == [
        ("cooking", 0.0, 0.0),
        ("driving", 14.5, 1.81),
        ("forklift", 16.0, 2.0),
    ]
    assert all(s["underused"] for s in ranked)
    prospects = {s["skill"]: [p["name"] for p in s["prospects"]] for s in ranked}
    # Business clients booking under 2 h a week of the skill, fewest hours first, then by name.
    assert prospects == {
        "cooking": ["Harbor Deliveries", "Pine Ave Bakery", "Shoreline Movers"],
        "driving": ["Pine Ave Bakery", "Shoreline Movers"],
        "forklift": ["Harbor Deliveries", "Pine Ave Bakery"],
    }


def test_each_workers_activity(api, months):
    owner, workers = months["cbo"]["owner"], months["workers"]
    found = api(
        "GET",
        "/api/v1/reports/activity",
        owner,
        params={"actor_kind": "jobseeker", "start": TODAY.isoformat(), "per_page": 50},
    )
    assert found.status_code == 200, found.text
    actions = {
        item["actor_id"]: {a["action"]: a["count"] for a in item["actions"]}
        for item in found.json()["items"]
    }
    ana, ben, cara = (workers[n]["id"] for n in ("Ana", "Ben", "Cara"))
    assert actions[ana]["offer.confirmed"] == 3 and actions[ana]["offer.declined"] == 1
    assert actions[ben]["offer.confirmed"] == 4
    assert actions[cara]["offer.confirmed"] == 1 and actions[cara]["offer.declined"] == 1


def test_a_rebuild_from_the_replay_gives_the_same_numbers(api, months):
    owner = months["cbo"]["owner"]
    asked = [(W, "week"), (M2, "month"), (M1, "month"), (LAST_WEEK, "week"), (TODAY, "week")]
    before = [kpis(api, owner, day, period) for day, period in asked]
    rebuilt = api("POST", "/api/v1/admin/reporting/rebuild", months["operator"])
    assert rebuilt.status_code == 200, rebuilt.text
    assert rebuilt.json()["events"] > 0
    assert [kpis(api, owner, day, period) for day, period in asked] == before
