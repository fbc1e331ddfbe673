"""Reporting's read model on its real database: two months of a CBO's activity fed as
contract-valid events with chosen times (the real services cannot backdate activity by two
months; the e2e test drives the live path), every KPI, the earnings bands and the under-used
skills checked against values worked out by hand below; a replay of the log gives the same
numbers; a redelivered event changes nothing; another CBO's events never reach a CBO's
figures; a scheduled delivery reaches a real SMTP server once, with its file."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from chassis.config import Settings
from chassis.context import Caller
from chassis.contracts.events import CATALOGUE, Event
from chassis.mail import Mailer
from services.reporting.dashboards import domain as dashboards
from services.reporting.dashboards import rules
from services.reporting.records import domain as records
from services.reporting.records.models import ActivityEntry, ReceivedEvent
from services.reporting.schedules import domain as schedules

pytestmark = pytest.mark.domain
SERVICE = "reporting"
LB = ZoneInfo("America/Los_Angeles")


def ids() -> str:
    return str(uuid.uuid4())


def at(day: str, clock: str = "10:00") -> datetime:
    """A Long Beach wall time."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=LB)


def event(event_type: str, envelope_tenant: str | None, when: datetime, **data: Any) -> Event:
    """A contract-valid event: its data loaded (checked) by the registered schema."""
    contract = CATALOGUE[event_type]
    loaded = contract.schema().load(contract.schema().dump(data))
    return Event(
        event_id=ids(),
        event_type=event_type,
        schema_version=1,
        tenant_id=envelope_tenant,
        occurred_at=when.astimezone(UTC),
        correlation_id=None,
        source="test",
        data=loaded,
    )


class Cbo:
    """Feeds one CBO's events into reporting's read model."""

    def __init__(self, uow, name: str) -> None:
        self.uow = uow
        self.id = ids()
        self.feed(
            "tenant.approved",
            at("2026-09-01"),
            tenant_id=self.id,
            slug=name,
            name=name.title(),
            owner_email="o@example.org",
            owner_name="O",
            timezone="America/Los_Angeles",
        )

    def feed(self, event_type: str, when: datetime, **data: Any) -> Event:
        sent = event(event_type, self.id, when, **data)
        assert records.receive(self.uow, event=records.received(sent)) is True
        return sent

    def client(self, name: str, kind: str) -> str:
        client_id = ids()
        self.feed(
            "client.registered",
            at("2026-09-02"),
            client_id=client_id,
            name=name,
            kind=kind,
            channel="staff",
        )
        return client_id

    def job_type(self, name: str, skills: list[str]) -> str:
        job_type_id = ids()
        self.feed(
            "jobtype.created",
            at("2026-09-02"),
            job_type_id=job_type_id,
            key=name.lower().replace(" ", "-"),
            name=name,
            client_id=None,
            needs_approval=False,
            pay_rate_cents=2000,
            bill_rate_cents=3000,
            min_shift_minutes=60,
            active=True,
            required_skills=skills,
        )
        return job_type_id

    def worker(
        self,
        name: str,
        registered: str,
        skills: list[str],
        source_id: str | None,
        approved: str | None,
    ) -> str:
        worker_id = ids()
        self.feed(
            "jobseeker.registered",
            at(registered),
            jobseeker_id=worker_id,
            source_id=source_id,
            channel="self",
        )
        self.feed(
            "jobseeker.profile_changed",
            at(registered, "10:01"),
            jobseeker_id=worker_id,
            name=name,
            skills=skills,
            languages=["en"],
            home_area="90802",
            source_id=source_id,
            availability={"weekly": {}, "exceptions": []},
            status="pending",
        )
        if approved:
            self.feed("jobseeker.approved", at(approved), jobseeker_id=worker_id)
        return worker_id

    def booking(
        self, job_type_id: str, client_id: str, booked: datetime, *shifts: tuple[str, str, str]
    ) -> list[str]:
        """Shifts (day, start, end): their ids."""
        sent, made = self.booking_event(job_type_id, client_id, booked, *shifts)
        assert records.receive(self.uow, event=records.received(sent)) is True
        return made

    def booking_event(
        self, job_type_id: str, client_id: str, booked: datetime, *shifts: tuple[str, str, str]
    ) -> tuple[Event, list[str]]:
        """booking.created of these shifts (day, start, end), not yet received; their ids."""
        made = [ids() for _ in shifts]
        sent = event(
            "booking.created",
            self.id,
            booked,
            booking_id=ids(),
            client_id=client_id,
            site_id=ids(),
            job_type_id=job_type_id,
            positions=1,
            fill_mode="open",
            pay_rate_cents=2000,
            bill_rate_cents=3000,
            created_by_kind="staff",
            shifts=[
                {"shift_id": s, "starts_at": at(d, a), "ends_at": at(d, b)}
                for s, (d, a, b) in zip(made, shifts, strict=True)
            ],
        )
        return sent, made

    def filled(self, shift_id: str, when: datetime, worker_id: str) -> None:
        self.feed(
            "shift.filled",
            when,
            shift_id=shift_id,
            booking_id=ids(),
            client_id=ids(),
            worker_ids=[worker_id],
        )

    def attendance(
        self,
        event_type: str,
        shift_id: str,
        worker_id: str,
        day: str,
        start: str,
        end: str,
        assignment_id: str | None = None,
        correction: bool = False,
    ) -> str:
        assignment_id = assignment_id or ids()
        self.feed(
            event_type,
            at(day, end),
            assignment_id=assignment_id,
            shift_id=shift_id,
            booking_id=ids(),
            client_id=ids(),
            worker_id=worker_id,
            worker_tenant_id=self.id,
            starts_at=at(day, start),
            ends_at=at(day, end),
            correction=correction,
            reason="corrected" if correction else None,
        )
        return assignment_id

    def cascade(self, event_type: str, shift_id: str, when: datetime, **more: Any) -> None:
        self.feed(
            event_type,
            when,
            cascade_id=ids(),
            shift_id=shift_id,
            booking_id=ids(),
            client_id=ids(),
            starts_at=when,
            attempts=1,
            max_attempts=3,
            **more,
        )

    def visit(
        self, event_type: str, shift_id: str, worker_id: str, visit_id: str, **more: Any
    ) -> None:
        self.feed(
            event_type,
            at("2026-11-17", "09:00"),
            visit_id=visit_id,
            shift_id=shift_id,
            client_id=ids(),
            worker_id=worker_id,
            worker_tenant_id=self.id,
            starts_at=at("2026-11-17", "09:00"),
            ends_at=at("2026-11-17", "13:00"),
            **more,
        )

    def payroll(self, week: str, *lines: tuple[str, int, int, list[dict]]) -> None:
        self.feed(
            "payroll.completed",
            at(week, "23:00"),
            run_id=ids(),
            week_start=date.fromisoformat(week),
            completed_at=at(week, "23:00"),
            gross_cents=sum(g for _, _, g, _ in lines),
            lines=[
                {
                    "worker_id": w,
                    "worker_tenant_id": self.id,
                    "regular_minutes": m,
                    "overtime_minutes": 0,
                    "double_time_minutes": 0,
                    "premium_cents": 0,
                    "gross_cents": g,
                    "clients": parts,
                }
                for w, m, g, parts in lines
            ],
        )


@pytest.fixture
def market(uow) -> dict[str, Any]:
    """Two months of one CBO (see the module's docstring for the figures by hand)."""
    cbo = Cbo(uow, "harbor")
    deliveries = cbo.client("Harbor Deliveries", "business")
    parks = cbo.client("City Parks", "city")
    lopez = cbo.client("Lopez family", "family")
    bakery = cbo.client("Pine Ave Bakery", "business")
    driver = cbo.job_type("Driver", ["driving"])
    custodian = cbo.job_type("Custodian", ["custodial"])
    care = cbo.job_type("Home care", ["home care"])
    college = ids()
    cbo.feed(
        "source.created",
        at("2026-09-02"),
        source_id=college,
        name="LBCC",
        weekly_hour_cap=14,
        terms=[],
        active=True,
    )
    w1 = cbo.worker("Ana", "2026-10-20", ["driving", "custodial"], college, "2026-10-21")
    w2 = cbo.worker("Ben", "2026-10-20", ["driving"], None, "2026-10-21")
    w3 = cbo.worker("Chan", "2026-11-17", ["home care", "driving"], None, "2026-11-18")
    cbo.worker("Dee", "2026-11-17", ["custodial"], None, None)  # never approved

    # The week of Oct 19 (a month before the week of Nov 16): one 4 h shift, worked by Ana.
    (oct20,) = cbo.booking(custodian, parks, at("2026-10-13"), ("2026-10-20", "09:00", "13:00"))
    cbo.filled(oct20, at("2026-10-13", "11:00"), w1)  # 60 min to fill
    cbo.attendance("shift.completed", oct20, w1, "2026-10-20", "09:00", "13:00")
    cbo.payroll(
        "2026-10-19",
        (
            w1,
            240,
            8000,
            [{"client_id": parks, "job_type_id": custodian, "minutes": 240, "gross_cents": 8000}],
        ),
    )
    # The week of Nov 9 (the previous week): one 4 h home-care shift, worked by Chan.
    (nov10,) = cbo.booking(care, lopez, at("2026-11-03"), ("2026-11-10", "09:00", "13:00"))
    cbo.filled(nov10, at("2026-11-03", "10:30"), w3)  # 30 min
    cbo.attendance("shift.completed", nov10, w3, "2026-11-10", "09:00", "13:00")
    cbo.payroll("2026-11-09", (w3, 240, 10000, []))
    # The week of Nov 16.
    nov17, nov18 = cbo.booking(
        custodian,
        parks,
        at("2026-11-10"),
        ("2026-11-17", "09:00", "13:00"),
        ("2026-11-18", "09:00", "17:00"),
    )
    (nov19,) = cbo.booking(driver, deliveries, at("2026-11-12"), ("2026-11-19", "09:00", "13:00"))
    (nov20,) = cbo.booking(
        driver, deliveries, at("2026-11-13", "09:00"), ("2026-11-20", "09:00", "13:00")
    )
    # Chan gives up the Nov 17 place late; a cascade finds Ana.
    cbo.feed(
        "assignment.cancelled",
        at("2026-11-16", "20:00"),
        cancelled_by_kind="worker",
        reason="sick",
        minutes_before_start=780,
        late=True,
        assignment_id=ids(),
        shift_id=nov17,
        booking_id=ids(),
        client_id=parks,
        worker_id=w3,
        worker_tenant_id=cbo.id,
    )
    cbo.cascade(
        "cascade.started",
        nov17,
        at("2026-11-16", "20:00"),
        trigger="assignment.cancelled",
        worker_id=w3,
    )
    cbo.cascade("cascade.completed", nov17, at("2026-11-16", "21:00"), worker_id=w1, offer_id=ids())
    cbo.filled(nov17, at("2026-11-10", "12:00"), w1)  # 120 min
    cbo.filled(nov17, at("2026-11-16", "21:00"), w1)  # filled again: counted once
    cbo.filled(nov18, at("2026-11-11", "10:00"), w2)  # 1,440 min
    cbo.filled(nov20, at("2026-11-13", "09:45"), w3)  # 45 min
    # Nov 19 never fills: its cascade is exhausted and the client cancels it late.
    cbo.cascade(
        "cascade.started", nov19, at("2026-11-18", "08:00"), trigger="offer.expired", worker_id=w2
    )
    cbo.cascade("rebooking.exhausted", nov19, at("2026-11-18", "20:00"), reason="no_candidates")
    cbo.feed(
        "booking.cancelled",
        at("2026-11-18", "21:00"),
        cancelled_by_kind="client",
        reason="no worker",
        minutes_before_start=720,
        late=True,
        booking_id=ids(),
        client_id=deliveries,
        shift_ids=[nov19],
        late_shift_ids=[nov19],
        worker_ids=[],
        assignments=[],
    )
    # Attendance: Ana works Nov 17; Ben is marked a no-show on Nov 18, then corrected to
    # worked (8 h); Chan does not come on Nov 20.
    cbo.attendance("shift.completed", nov17, w1, "2026-11-17", "09:00", "13:00")
    ben = cbo.attendance("worker.no_show", nov18, w2, "2026-11-18", "09:00", "17:00")
    cbo.attendance(
        "shift.completed",
        nov18,
        w2,
        "2026-11-18",
        "09:00",
        "17:00",
        assignment_id=ben,
        correction=True,
    )
    cbo.attendance("worker.no_show", nov20, w3, "2026-11-20", "09:00", "13:00")
    # EVV: two visits, one with (two) exceptions.
    first, second = ids(), ids()
    cbo.visit(
        "visit.started",
        nov17,
        w1,
        first,
        record_id=ids(),
        clock_in_at=at("2026-11-17", "09:02"),
        delay_seconds=0,
        inside_geofence=False,
    )
    for code in ("outside_geofence", "late_clock_in"):
        cbo.visit(
            "visit.exception_raised",
            nov17,
            w1,
            first,
            exception_id=ids(),
            code=code,
            severity="acknowledge",
            detail="",
        )
    cbo.visit(
        "visit.started",
        nov18,
        w2,
        second,
        record_id=ids(),
        clock_in_at=at("2026-11-18", "09:00"),
        delay_seconds=0,
        inside_geofence=True,
    )
    cbo.payroll(
        "2026-11-16",
        (
            w1,
            240,
            8000,
            [{"client_id": parks, "job_type_id": custodian, "minutes": 240, "gross_cents": 8000}],
        ),
        (
            w2,
            480,
            16500,
            [{"client_id": parks, "job_type_id": custodian, "minutes": 480, "gross_cents": 16000}],
        ),  # 500 of premiums on no client
    )
    # Activity: a staff member's audited actions, Ana's confirmation.
    staff = ids()
    for action in ("booking.created", "booking.created", "jobseeker.approved"):
        cbo.feed(
            "audit.recorded",
            at("2026-11-17", "08:00"),
            actor_id=staff,
            actor_kind="staff",
            action=action,
            entity_type="booking",
            entity_id=ids(),
        )
    cbo.feed(
        "offer.confirmed",
        at("2026-11-16", "21:00"),
        offer_id=ids(),
        shift_id=nov17,
        booking_id=ids(),
        client_id=parks,
        worker_id=w1,
        worker_tenant_id=cbo.id,
        starts_at=at("2026-11-17", "09:00"),
        ends_at=at("2026-11-17", "13:00"),
        assignment_id=ids(),
    )
    return {
        "cbo": cbo,
        "w1": w1,
        "w2": w2,
        "w3": w3,
        "college": college,
        "staff": staff,
        "custodian": custodian,
        "parks": parks,
        "deliveries": deliveries,
        "lopez": lopez,
        "bakery": bakery,
    }


WEEK = rules.period_of(rules.WEEK, date(2026, 11, 18))
MONTH = rules.period_of(rules.MONTH, date(2026, 11, 18))


def test_the_kpis_of_a_week_beside_the_previous_one_and_a_month_before(uow, market):
    report = dashboards.kpis(uow, tenant_id=market["cbo"].id, period=WEEK)
    now = report["current"]["kpis"]
    assert report["current"]["period"]["starts_on"] == date(2026, 11, 16)
    assert now == {
        "active_jobseekers": 2,  # Ana and Ben (Chan only failed to come)
        "newly_registered": 2,  # Chan, Dee
        "newly_approved": 1,  # Chan
        "shifts_booked": 4,
        "shifts_cancelled": 1,
        "shifts_filled": 3,
        "fill_rate": 1.0,  # 3 filled of the 3 still wanted
        "time_to_fill_minutes": 535.0,  # (120 + 1440 + 45) / 3
        "places_worked": 2,
        "hours_worked": 12.0,  # 4 + 8 (the corrected no-show)
        "hours_booked": 20.0,
        "gross_earnings_cents": 24500,
        "no_shows": 1,  # Chan; Ben's was corrected
        "late_cancellations": 2,  # Chan's place, the client's shift
        "cascades": {"started": 2, "completed": 1, "exhausted": 1, "other": 0},
        "evv_visits": 2,
        "evv_exception_rate": 0.5,
    }
    before = report["previous"]["kpis"]
    assert report["previous"]["period"]["starts_on"] == date(2026, 11, 9)
    assert (before["active_jobseekers"], before["shifts_booked"], before["shifts_filled"]) == (
        1,
        1,
        1,
    )
    assert (before["time_to_fill_minutes"], before["hours_worked"]) == (30.0, 4.0)
    assert before["gross_earnings_cents"] == 10000
    month_ago = report["month_before"]["kpis"]
    assert report["month_before"]["period"]["starts_on"] == date(2026, 10, 19)
    assert (month_ago["newly_registered"], month_ago["newly_approved"]) == (2, 2)
    assert (month_ago["active_jobseekers"], month_ago["time_to_fill_minutes"]) == (1, 60.0)
    assert month_ago["gross_earnings_cents"] == 8000
    assert report["changes"]["previous"]["hours_worked"] == 2.0  # 12 h against 4 h: +200 %
    assert report["changes"]["month_before"]["gross_earnings_cents"] == round(16500 / 8000, 4)
    by_day = {point["day"]: point for point in report["series"]}
    assert len(by_day) == 7
    assert by_day[date(2026, 11, 18)]["hours_worked"] == 8.0
    assert by_day[date(2026, 11, 16)]["gross_earnings_cents"] == 24500  # the pay week's Monday
    assert sum(p["shifts_booked"] for p in report["series"]) == 4


def test_the_kpis_of_a_month_and_filtered_by_job_type_and_source(uow, market):
    cbo = market["cbo"]
    month = dashboards.kpis(uow, tenant_id=cbo.id, period=MONTH)["current"]["kpis"]
    assert month["active_jobseekers"] == 3
    assert (month["shifts_booked"], month["shifts_filled"], month["shifts_cancelled"]) == (5, 4, 1)
    assert month["time_to_fill_minutes"] == 408.8  # (30 + 120 + 1440 + 45) / 4 = 408.75
    assert month["hours_worked"] == 16.0
    assert month["gross_earnings_cents"] == 34500  # the pay weeks of Nov 9 and Nov 16
    october = dashboards.kpis(uow, tenant_id=cbo.id, period=MONTH)["previous"]["kpis"]
    assert (october["newly_registered"], october["gross_earnings_cents"]) == (2, 8000)
    custodial = dashboards.kpis(
        uow, tenant_id=cbo.id, period=WEEK, job_type_id=market["custodian"]
    )["current"]["kpis"]
    assert (custodial["shifts_booked"], custodial["hours_worked"]) == (2, 12.0)
    assert custodial["gross_earnings_cents"] == 24000  # premiums were on no job type
    college = dashboards.kpis(uow, tenant_id=cbo.id, period=WEEK, source_id=market["college"])
    assert college["current"]["kpis"]["active_jobseekers"] == 1  # Ana
    assert college["current"]["kpis"]["hours_worked"] == 4.0


def test_the_earnings_profile_in_bands_and_percentiles(uow, market):
    profile = dashboards.earnings_profile(uow, tenant_id=market["cbo"].id, period=WEEK)
    overall = profile["overall"]
    assert overall["worker_weeks"] == 2
    earnings = {(b["from"], b["to"]): b["workers"] for b in overall["earnings_cents"]["bands"]}
    assert earnings == {
        (0, 10000): 1,
        (10000, 25000): 1,
        (25000, 50000): 0,
        (50000, 100000): 0,
        (100000, None): 0,
    }
    hours = {(b["from"], b["to"]): b["workers"] for b in overall["hours"]["bands"]}
    assert hours[(0, 5)] == 1 and hours[(5, 10)] == 1 and sum(hours.values()) == 2
    assert overall["earnings_cents"]["percentiles"] == {
        "p10": 8000,
        "p25": 8000,
        "p50": 8000,
        "p75": 16500,
        "p90": 16500,
    }
    assert overall["hours"]["percentiles"]["p50"] == 4.0
    sources = {s["source_id"]: s for s in profile["by_source"]}
    assert sources[market["college"]]["name"] == "LBCC"
    assert sources[market["college"]]["worker_weeks"] == 1
    assert sources[None]["earnings_cents"]["percentiles"]["p50"] == 16500
    job_types = {j["job_type_id"]: j for j in profile["by_job_type"]}
    assert job_types[market["custodian"]]["worker_weeks"] == 2
    assert job_types[market["custodian"]]["hours"]["mean"] == 6.0
    month = dashboards.earnings_profile(uow, tenant_id=market["cbo"].id, period=MONTH)
    assert month["weeks"] == [date(2026, 11, d) for d in (2, 9, 16, 23, 30)]
    assert month["overall"]["worker_weeks"] == 3


def test_the_under_used_skills_with_their_prospects(uow, market):
    report = dashboards.skills(uow, tenant_id=market["cbo"].id, ending=date(2026, 11, 22), weeks=4)
    by_skill = {row["skill"]: row for row in report["skills"]}
    assert [row["skill"] for row in report["skills"]] == ["driving", "home care", "custodial"]
    driving = by_skill["driving"]
    # 8 h of driving (two 4 h shifts) among 3 approved drivers over 4 weeks.
    assert (driving["approved_workers"], driving["hours_booked"]) == (3, 8.0)
    assert driving["hours_per_worker_week"] == 0.67 and driving["underused"]
    # Business clients booking under 2 h a week of it: the bakery (Harbor Deliveries books
    # exactly 2 h a week).
    assert [p["name"] for p in driving["prospects"]] == ["Pine Ave Bakery"]
    care = by_skill["home care"]
    assert (care["hours_per_worker_week"], care["client_kinds"]) == (1.0, ["family"])
    assert [(p["name"], p["hours_booked"]) for p in care["prospects"]] == [("Lopez family", 4.0)]
    custodial = by_skill["custodial"]
    assert (custodial["approved_workers"], custodial["hours_per_worker_week"]) == (1, 3.0)
    assert [p["name"] for p in custodial["prospects"]] == ["Harbor Deliveries", "Pine Ave Bakery"]


def test_activity_by_user_is_paged_and_filtered(uow, market):
    cbo = market["cbo"]
    page = dashboards.activity(
        uow,
        tenant_id=cbo.id,
        start=date(2026, 11, 16),
        end=date(2026, 11, 22),
        timezone="America/Los_Angeles",
        per_page=1,
    )
    assert page["total"] >= 3  # the staff member, Ana, Chan ...
    (top,) = page["items"]
    assert top["actor_id"] == market["staff"] and top["total"] == 3
    assert top["actions"][0] == {"action": "booking.created", "count": 2}
    workers = dashboards.activity(
        uow,
        tenant_id=cbo.id,
        start=date(2026, 11, 16),
        end=date(2026, 11, 22),
        timezone="America/Los_Angeles",
        actor_kind="jobseeker",
        actor_id=market["w1"],
    )
    (ana,) = workers["items"]
    assert ana["name"] == "Ana"
    assert {a["action"] for a in ana["actions"]} == {"offer.confirmed", "visit.clocked_in"}


def test_a_replay_rebuilds_the_same_numbers_and_a_redelivery_changes_nothing(uow, market):
    cbo = market["cbo"]

    def numbers() -> list[Any]:
        return [
            dashboards.kpis(uow, tenant_id=cbo.id, period=WEEK),
            dashboards.kpis(uow, tenant_id=cbo.id, period=MONTH),
            dashboards.earnings_profile(uow, tenant_id=cbo.id, period=MONTH),
            dashboards.skills(uow, tenant_id=cbo.id, ending=date(2026, 11, 22), weeks=4),
        ]

    before = numbers()
    counted = records.counts(uow)
    rebuilt = records.rebuild(uow, caller=Caller.system(service="reporting"))
    assert rebuilt == counted
    assert numbers() == before
    # The same event delivered again (any event: here a worked place) is not applied twice.
    again = event(
        "jobseeker.registered",
        cbo.id,
        at("2026-11-17"),
        jobseeker_id=market["w1"],
        source_id=None,
        channel="staff",
    )
    assert records.receive(uow, event=records.received(again)) is True
    assert records.receive(uow, event=records.received(again)) is False
    assert numbers() == before  # Ana had registered already: nothing to count


def test_a_fact_about_a_shift_not_yet_booked_waits_for_its_booking(uow):
    """Events of one shift come on several queues: a fill and a cancellation that arrive before
    the booking are parked, and counted when it comes; a replay gives the same numbers."""
    cbo = Cbo(uow, "early")
    job, client = cbo.job_type("Driver", ["driving"]), cbo.client("Movers", "business")
    shift_id, booking_id = ids(), ids()
    cbo.feed(
        "shift.filled",
        at("2026-11-10", "12:00"),
        shift_id=shift_id,
        booking_id=booking_id,
        client_id=client,
        worker_ids=[ids()],
    )
    cbo.feed(
        "booking.cancelled",
        at("2026-11-16", "20:00"),
        cancelled_by_kind="client",
        reason="closed",
        minutes_before_start=600,
        late=True,
        booking_id=booking_id,
        client_id=client,
        shift_ids=[shift_id],
        late_shift_ids=[shift_id],
        worker_ids=[],
        assignments=[],
    )
    waiting = dashboards.kpis(uow, tenant_id=cbo.id, period=WEEK)["current"]["kpis"]
    assert (waiting["shifts_filled"], waiting["shifts_cancelled"]) == (0, 0)
    cbo.feed(
        "booking.created",
        at("2026-11-10", "10:00"),
        booking_id=booking_id,
        client_id=client,
        site_id=ids(),
        job_type_id=job,
        positions=1,
        fill_mode="open",
        pay_rate_cents=2000,
        bill_rate_cents=3000,
        created_by_kind="staff",
        shifts=[
            {
                "shift_id": shift_id,
                "starts_at": at("2026-11-17", "09:00"),
                "ends_at": at("2026-11-17", "13:00"),
            }
        ],
    )
    counted = dashboards.kpis(uow, tenant_id=cbo.id, period=WEEK)["current"]["kpis"]
    assert (counted["shifts_booked"], counted["shifts_filled"]) == (1, 1)
    assert (counted["shifts_cancelled"], counted["late_cancellations"]) == (1, 1)
    assert counted["time_to_fill_minutes"] == 120.0
    records.rebuild(uow)
    assert dashboards.kpis(uow, tenant_id=cbo.id, period=WEEK)["current"]["kpis"] == counted


def test_a_place_corrected_to_a_no_show_takes_its_worker_off_the_active_count(uow):
    cbo = Cbo(uow, "fix")
    job, client = cbo.job_type("Driver", ["driving"]), cbo.client("Movers", "business")
    worker = cbo.worker("Eve", "2026-11-02", ["driving"], None, "2026-11-02")
    (shift,) = cbo.booking(job, client, at("2026-11-10"), ("2026-11-17", "09:00", "13:00"))
    place = cbo.attendance("shift.completed", shift, worker, "2026-11-17", "09:00", "13:00")
    worked = dashboards.kpis(uow, tenant_id=cbo.id, period=WEEK)["current"]["kpis"]
    assert (worked["active_jobseekers"], worked["hours_worked"], worked["no_shows"]) == (1, 4.0, 0)
    cbo.attendance(
        "worker.no_show",
        shift,
        worker,
        "2026-11-17",
        "09:00",
        "13:00",
        assignment_id=place,
        correction=True,
    )
    for period in (WEEK, MONTH):
        fixed = dashboards.kpis(uow, tenant_id=cbo.id, period=period)["current"]["kpis"]
        assert (fixed["active_jobseekers"], fixed["hours_worked"], fixed["no_shows"]) == (0, 0, 1)
    assert (
        dashboards.earnings_profile(uow, tenant_id=cbo.id, period=WEEK)["overall"]["worker_weeks"]
        == 0
    )


def test_a_visit_staff_clocked_in_counts_once_and_a_clock_out_correction_adds_none(uow):
    cbo = Cbo(uow, "fixvisit")
    job, client = cbo.job_type("Carer", ["home care"]), cbo.client("Family Ruiz", "family")
    worker = cbo.worker("Ivy", "2026-11-02", ["home care"], None, "2026-11-02")
    (shift,) = cbo.booking(job, client, at("2026-11-10"), ("2026-11-17", "09:00", "13:00"))
    visit = ids()

    def visits() -> tuple[int, float | None]:
        found = dashboards.kpis(uow, tenant_id=cbo.id, period=WEEK)["current"]["kpis"]
        return found["evv_visits"], found["evv_exception_rate"]

    correction = {"reason_code": "105", "action_code": "12", "record_id": ids()}
    cbo.visit(
        "visit.corrected",
        shift,
        worker,
        visit,
        kind="clock_out",
        **correction,
        corrected_at=at("2026-11-17", "13:00"),
    )
    assert visits() == (0, None)
    cbo.visit(
        "visit.corrected",
        shift,
        worker,
        visit,
        kind="clock_in",
        **correction,
        corrected_at=at("2026-11-17", "09:00"),
    )
    cbo.visit(
        "visit.exception_raised",
        shift,
        worker,
        visit,
        exception_id=ids(),
        code="too_short",
        severity="acknowledge",
        detail="",
    )
    assert visits() == (1, 1.0)
    # A punch of the same visit later (the phone's queue arriving) is the same visit.
    cbo.visit(
        "visit.started",
        shift,
        worker,
        visit,
        record_id=ids(),
        clock_in_at=at("2026-11-17", "09:01"),
        delay_seconds=0,
        inside_geofence=True,
    )
    assert visits() == (1, 1.0)


def test_a_cbo_never_sees_another_cbos_numbers(uow, market):
    harbor = market["cbo"]
    other = Cbo(uow, "eastside")
    job = other.job_type("Driver", ["driving"])
    client = other.client("Eastside Movers", "business")
    other.booking(job, client, at("2026-11-10"), ("2026-11-17", "09:00", "13:00"))
    mine = dashboards.kpis(uow, tenant_id=harbor.id, period=WEEK)["current"]["kpis"]
    theirs = dashboards.kpis(uow, tenant_id=other.id, period=WEEK)["current"]["kpis"]
    platform = dashboards.kpis(uow, tenant_id=None, period=WEEK)["current"]["kpis"]
    assert (mine["shifts_booked"], theirs["shifts_booked"]) == (4, 1)
    assert platform["shifts_booked"] >= 5
    skills = dashboards.skills(uow, tenant_id=other.id, ending=date(2026, 11, 22), weeks=4)
    assert skills["skills"] == []  # none of Harbor's workers
    assert records.shares_reports_with(uow, tenant_id=harbor.id, other_id=other.id) is False
    partnership = ids()
    harbor.feed(
        "partnership.formed",
        at("2026-11-01"),
        partnership_id=partnership,
        proposer_id=harbor.id,
        partner_id=other.id,
        shares=["reports"],
    )
    assert records.shares_reports_with(uow, tenant_id=other.id, other_id=harbor.id) is True
    harbor.feed(
        "partnership.ended",
        at("2026-11-02"),
        partnership_id=partnership,
        proposer_id=harbor.id,
        partner_id=other.id,
        shares=["reports"],
    )
    assert records.shares_reports_with(uow, tenant_id=other.id, other_id=harbor.id) is False


def test_a_scheduled_delivery_is_sent_once_with_its_file(uow, market, smtp):
    cbo = market["cbo"]
    stakeholder = f"board-{uuid.uuid4().hex[:6]}@stakeholders.example.org"
    staff = Caller(
        kind="staff",
        user_id=ids(),
        tenant_id=cbo.id,
        permissions=frozenset({"reports.read", "reports.schedule"}),
    )
    made = schedules.create_schedule(
        uow,
        caller=staff,
        tenant_id=cbo.id,
        data={
            "name": "Monday KPIs",
            "recipients": [stakeholder],
            "period": "week",
            "weekday": 0,
            "hour": 8,
            "minute": 0,
            "file_format": "xlsx",
        },
        now=at("2026-11-23", "07:00"),
    )
    assert made["next_run_at"] == at("2026-11-23", "08:00")
    mailer = Mailer(Settings(smtp_host="127.0.0.1", smtp_port=smtp.port))
    due = at("2026-11-23", "08:01").astimezone(UTC)
    # Two instances (or a restart) sweep the same moment: one delivery, one email.
    for _ in range(2):
        schedules.plan_due(uow, now=due)
        schedules.deliver_due(uow, now=due, send=mailer.send, mail_domain="worklb.local")
    assert schedules.plan_due(uow, now=at("2026-11-23", "09:00")) == 0
    message = smtp.wait_for(stakeholder)
    assert len(smtp.to(stakeholder)) == 1
    assert "Week of 2026-11-16" in str(message["Subject"])
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "kpis-harbor-week-2026-11-16.xlsx"
    workbook = zipfile.ZipFile(io.BytesIO(attachment.get_content()))
    assert "xl/worksheets/sheet1.xml" in workbook.namelist()
    page = schedules.list_deliveries(
        uow, tenant_id=cbo.id, schedule_id=made["id"], page=1, per_page=10
    )
    assert [d.status for d in page["items"]] == ["sent"]
    # The next one is next Monday at 8:00 Long Beach time.
    found = schedules.get_schedule(uow, tenant_id=cbo.id, schedule_id=made["id"])
    assert found["next_run_at"] == at("2026-11-30", "08:00")


def test_a_batch_is_logged_in_its_order_and_each_event_applied_once(uow):
    cbo = Cbo(uow, "batchfield")
    registered = [
        event(
            "jobseeker.registered",
            cbo.id,
            at("2026-11-17", f"1{n}:00"),
            jobseeker_id=ids(),
            source_id=None,
            channel="staff",
        )
        for n in range(3)
    ]
    batch = [
        records.received(e) for e in [registered[0], registered[1], registered[0], registered[2]]
    ]

    assert records.receive_many(uow, events=batch) == 3
    assert records.receive_many(uow, events=batch) == 0  # redelivered: nothing twice
    logged = (
        uow.session.execute(
            select(ReceivedEvent.event_id)
            .where(
                ReceivedEvent.event_type == "jobseeker.registered",
                ReceivedEvent.tenant_id == cbo.id,
            )
            .order_by(ReceivedEvent.seq)
        )
        .scalars()
        .all()
    )
    assert logged == [e.event_id for e in registered]
    week = dashboards.kpis(uow, tenant_id=cbo.id, period=WEEK)["current"]["kpis"]
    assert week["newly_registered"] == 3


def test_a_batch_of_clock_ins_counts_each_visit_once(uow):
    """A batch of visit.started (the shifts, workers and visits read once for the batch)
    counts as the same events one at a time would: each visit once, a repeated punch of a
    visit not again, and a visit of a shift reporting has not heard of waits for it."""
    cbo = Cbo(uow, "batchvisits")
    job, client = cbo.job_type("Carer", ["home care"]), cbo.client("Family Ng", "family")
    ana = cbo.worker("Ana", "2026-11-02", ["home care"], None, "2026-11-02")
    bo = cbo.worker("Bo", "2026-11-02", ["home care"], None, "2026-11-02")
    (first, second) = cbo.booking(
        job,
        client,
        at("2026-11-10"),
        ("2026-11-17", "09:00", "13:00"),
        ("2026-11-18", "09:00", "13:00"),
    )
    visits = [ids(), ids(), ids()]
    unknown_shift = ids()

    def started(shift_id: str, worker_id: str, visit_id: str, clock: str) -> Event:
        return event(
            "visit.started",
            cbo.id,
            at("2026-11-17", clock),
            visit_id=visit_id,
            shift_id=shift_id,
            client_id=client,
            worker_id=worker_id,
            worker_tenant_id=cbo.id,
            starts_at=at("2026-11-17", "09:00"),
            ends_at=at("2026-11-17", "13:00"),
            record_id=ids(),
            clock_in_at=at("2026-11-17", clock),
            delay_seconds=0,
            inside_geofence=True,
        )

    batch = [
        started(first, ana, visits[0], "09:01"),
        started(second, bo, visits[1], "09:02"),
        started(first, ana, visits[0], "09:05"),  # the same visit punched again
        started(unknown_shift, bo, visits[2], "09:03"),
    ]
    assert records.receive_many(uow, events=[records.received(e) for e in batch]) == 4
    week = dashboards.kpis(uow, tenant_id=cbo.id, period=WEEK)["current"]["kpis"]
    assert week["evv_visits"] == 2
    # Each clock-in of a known shift is activity (written once, at the batch's end).
    clocked = uow.session.execute(
        select(ActivityEntry.event_id).where(
            ActivityEntry.tenant_id == cbo.id, ActivityEntry.action == "visit.clocked_in"
        )
    ).scalars()
    assert sorted(clocked) == sorted(e.event_id for e in batch[:3])

    # A shift booked and clocked into within one batch (a rebuild's chunk has both): the
    # batch looked for the shift before it was booked, and finds it once it is.
    later, (booked,) = cbo.booking_event(
        job, client, at("2026-11-16", "08:00"), ("2026-11-19", "09:00", "13:00")
    )
    visited = records.received(started(booked, ana, ids(), "09:04"))
    assert records.receive_many(uow, events=[records.received(later), visited]) == 2
    week = dashboards.kpis(uow, tenant_id=cbo.id, period=WEEK)["current"]["kpis"]
    assert week["evv_visits"] == 3


def test_a_batchs_figures_are_written_once_at_its_end_and_not_at_all_if_it_fails(uow):
    cbo = Cbo(uow, "figures")
    day = date(2026, 11, 17)

    def totals() -> dict[str, int]:
        found = dashboards.kpis(uow, tenant_id=cbo.id, period=WEEK)["current"]["kpis"]
        return {name: found[name] for name in ("newly_registered", "newly_approved")}

    before = totals()
    with records._applying(uow, []):
        for source in ("s1", "s2", "s1"):
            records.bump(uow, tenant_id=cbo.id, day=day, source_id=source, registered=1)
        records.bump(uow, tenant_id=cbo.id, day=day, source_id="s2", approved=1)
        assert totals() == before  # nothing written yet
    assert totals() == {
        "newly_registered": before["newly_registered"] + 3,
        "newly_approved": before["newly_approved"] + 1,
    }
    with pytest.raises(RuntimeError), records._applying(uow, []):
        records.bump(uow, tenant_id=cbo.id, day=day, registered=5)
        raise RuntimeError("the batch failed")
    assert totals()["newly_registered"] == before["newly_registered"] + 3
