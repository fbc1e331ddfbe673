"""Booking's read model of workers on booking's real database: every event it is made of
(tenancy's CBOs, time zones, clients, worker sources, partnerships; identity's job seekers),
each applied once however often it is delivered and whatever order it comes in, the replay log,
the records filled from tenancy's answer before their event arrives, and a rebuild from the log
that gives back the same model."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from chassis.context import Caller
from chassis.entrypoints import event_subscriptions
from services.booking.search import domain as search
from services.booking.search.schemas import SearchRequestSchema
from services.booking.service import BookingService
from services.booking.workers import domain
from services.booking.workers.entrypoints import WorkersEntrypoints
from services.booking.workers.models import ClientRecord, WorkerCount, WorkerDay, WorkerRecord
from tests.domain.outbox import Outbox
from tests.factories import staff_caller
from tests.market.builders import a_cbo_record, a_job_type, a_site, a_worker_record
from tests.market.search import a_score
from tests.market.workers import (
    EventStream,
    approved_tenant,
    branding,
    client,
    logged,
    new_id,
    partnership,
    profile,
    receive,
    slot,
    snapshot,
    source,
    tenant_data,
)

SERVICE = "booking"

TERMS = [
    {"starts_on": "2026-08-25", "ends_on": "2026-12-15"},
    {"starts_on": "2027-01-20", "ends_on": "2027-05-15"},
]


@pytest.fixture
def events() -> EventStream:
    return EventStream()


@pytest.fixture
def tenant_id() -> str:
    return new_id()


def worker(uow, worker_id: str) -> WorkerRecord:
    uow.session.flush()
    found = uow.session.get(WorkerRecord, worker_id, populate_existing=True)
    assert found is not None
    return found


def days_of(uow, worker_id: str) -> dict[date, list[tuple[int, int]]]:
    rows = uow.session.execute(
        select(WorkerDay).where(WorkerDay.worker_id == worker_id).order_by(WorkerDay.on_date)
    ).scalars()
    return {row.on_date: row.minutes for row in rows}


def jobseeker_event(events, event_type: str, who: str, tenant_id: str, **data):
    """One of identity's events about the job seeker `who` (`data` may name them again)."""
    return events(event_type, {"jobseeker_id": who, **data}, tenant_id=tenant_id)


# -- CBOs and their time zones ---------------------------------------------------------------


def test_a_cbo_is_kept_with_its_status_and_time_zone(uow, events, tenant_id):
    assert domain.cbo_timezone(uow, tenant_id=tenant_id) == "America/Los_Angeles"  # unknown
    receive(uow, events("tenant.approved", approved_tenant(tenant_id), tenant_id=tenant_id))
    cbo = domain.cbo_of(uow, tenant_id=tenant_id)
    assert cbo is not None
    assert (cbo.slug, cbo.status, cbo.timezone) == (
        f"cbo-{tenant_id[:8]}",
        "active",
        "America/Los_Angeles",
    )
    receive(
        uow, events("branding.updated", branding(tenant_id, "America/Denver"), tenant_id=tenant_id)
    )
    assert domain.cbo_timezone(uow, tenant_id=tenant_id) == "America/Denver"
    suspended = tenant_data(tenant_id, reason="Unpaid", name="Renamed CBO")
    receive(uow, events("tenant.suspended", suspended, tenant_id=tenant_id))
    assert (cbo.status, cbo.name) == ("suspended", "Renamed CBO")
    receive(
        uow, events("tenant.reinstated", tenant_data(tenant_id, reason=None), tenant_id=tenant_id)
    )
    assert cbo.status == "active" and cbo.timezone == "America/Denver"


def test_cbo_events_out_of_order_leave_the_newest_state(uow, events, tenant_id):
    # The time zone changed after the approval, and a suspension was lifted: the older
    # events (the approval, the suspension) arrive last.
    approval_time, suspension_time = events.earlier(60), events.earlier(30)
    later_branding = events(
        "branding.updated", branding(tenant_id, "America/Chicago"), tenant_id=tenant_id
    )
    receive(uow, later_branding)
    cbo = domain.cbo_of(uow, tenant_id=tenant_id)
    # Known by its time zone only, until a status event names it.
    assert cbo is not None and (cbo.slug, cbo.status, cbo.timezone) == (
        "",
        "active",
        "America/Chicago",
    )
    reinstated = events(
        "tenant.reinstated", tenant_data(tenant_id, reason="Paid"), tenant_id=tenant_id
    )
    receive(
        uow,
        reinstated,
        events(
            "tenant.approved",
            approved_tenant(tenant_id, "America/New_York"),
            tenant_id=tenant_id,
            at=approval_time,
        ),
        events(
            "tenant.suspended",
            tenant_data(tenant_id, reason="Unpaid", name="Old Name"),
            tenant_id=tenant_id,
            at=suspension_time,
        ),
    )
    assert (cbo.slug, cbo.name) == (f"cbo-{tenant_id[:8]}", f"CBO {tenant_id[:8]}")
    assert (cbo.status, cbo.timezone) == ("active", "America/Chicago")
    assert domain.cbo_timezone(uow, tenant_id=tenant_id) == "America/Chicago"


# -- clients, worker sources, partnerships ---------------------------------------------------


def test_clients_are_kept_per_cbo(uow, events, tenant_id):
    cafe, other_cbo = new_id(), new_id()
    receive(uow, events("client.registered", client(cafe, channel="staff"), tenant_id=tenant_id))
    found = domain.client_of(uow, tenant_id=tenant_id, client_id=cafe)
    assert found is not None and (found.name, found.active) == ("Port Cafe", True)
    assert domain.client_of(uow, tenant_id=other_cbo, client_id=cafe) is None
    update = client(cafe, "Port Cafe & Bakery", active=False, changed=["name", "active"])
    receive(uow, events("client.updated", update, tenant_id=tenant_id))
    assert (found.name, found.active) == ("Port Cafe & Bakery", False)
    # An older update arriving late changes nothing; another CBO cannot take the client over.
    stale = client(cafe, "Old Name", active=True, changed=["name"])
    receive(uow, events("client.updated", stale, tenant_id=tenant_id, at=events.earlier()))
    receive(uow, events("client.updated", {**update, "name": "Hijack"}, tenant_id=other_cbo))
    assert (found.tenant_id, found.name, found.active) == (tenant_id, "Port Cafe & Bakery", False)


def test_a_worker_source_keeps_its_cap_in_minutes_and_its_terms(uow, events, tenant_id):
    college = new_id()
    receive(
        uow, events("source.created", source(college, cap=14, terms=TERMS), tenant_id=tenant_id)
    )
    found = domain.source_of(uow, tenant_id=tenant_id, source_id=college)
    assert found is not None
    assert (found.name, found.weekly_cap_minutes, found.terms, found.active) == (
        "LB City College",
        840,
        TERMS,
        True,
    )
    changed = source(college, cap=12.5, terms=TERMS[:1], changed=["weekly_hour_cap", "terms"])
    receive(uow, events("source.updated", changed, tenant_id=tenant_id))
    assert (found.weekly_cap_minutes, found.terms) == (750, TERMS[:1])
    uncapped = source(college, cap=None, terms=[], active=False, changed=["weekly_hour_cap"])
    receive(uow, events("source.updated", uncapped, tenant_id=tenant_id))
    assert (found.weekly_cap_minutes, found.terms, found.active) == (None, [], False)
    late = events(
        "source.created", source(college, cap=20), tenant_id=tenant_id, at=events.earlier()
    )
    receive(uow, late)
    assert found.weekly_cap_minutes is None
    assert domain.source_of(uow, tenant_id=new_id(), source_id=college) is None


def test_a_partnership_is_active_from_formed_until_ended(uow, events, tenant_id):
    harbor, bay, third = tenant_id, new_id(), new_id()
    formed_id, cancelled_id = new_id(), new_id()
    formed = partnership(formed_id, harbor, bay, ["job_types", "opportunities"])
    receive(uow, events("partnership.formed", formed, tenant_id=bay))
    assert domain.partners_of(uow, tenant_id=harbor) == [bay]
    assert domain.partners_of(uow, tenant_id=bay, share="opportunities") == [harbor]
    assert domain.partners_of(uow, tenant_id=third) == []
    # A proposal withdrawn before it was answered is no partnership.
    receive(
        uow,
        events("partnership.cancelled", partnership(cancelled_id, third, harbor), tenant_id=third),
    )
    assert domain.partners_of(uow, tenant_id=harbor) == [bay]
    receive(uow, events("partnership.ended", formed, tenant_id=harbor))
    assert domain.partners_of(uow, tenant_id=harbor) == []


def test_a_partnership_ended_before_its_forming_arrives_stays_ended(uow, events, tenant_id):
    harbor, bay, pid = tenant_id, new_id(), new_id()
    formed_at = events.earlier()
    receive(uow, events("partnership.ended", partnership(pid, harbor, bay), tenant_id=bay))
    receive(
        uow,
        events("partnership.formed", partnership(pid, harbor, bay), tenant_id=bay, at=formed_at),
    )
    assert domain.partners_of(uow, tenant_id=harbor) == []


# -- job seekers ------------------------------------------------------------------------------


def test_a_registered_jobseeker_is_a_worker_not_yet_approved(uow, events, tenant_id):
    maria, college = new_id(), new_id()
    registered = jobseeker_event(
        events, "jobseeker.registered", maria, tenant_id, source_id=college, channel="self"
    )
    assert receive(uow, registered) == [True]
    found = worker(uow, maria)
    assert (found.tenant_id, found.approved, found.suspended, found.active) == (
        tenant_id,
        False,
        False,
        True,
    )
    assert (found.source_id, found.weekly_minutes, found.job_types) == (college, [], [])
    assert domain.worker_of(uow, tenant_id=tenant_id, worker_id=maria) is found
    assert domain.worker_of(uow, tenant_id=new_id(), worker_id=maria) is None


def test_a_profile_gives_the_worker_coordinates_weekly_minutes_and_exception_dates(
    uow, events, tenant_id
):
    maria, college = new_id(), new_id()
    data = profile(
        maria,
        skills=["home care", "cooking"],
        languages=["es", "km"],
        home_area="90802",
        source_id=college,
        weekly={
            "monday": [slot("09:00", "13:00")],
            "friday": [slot("22:00", "24:00")],
            "saturday": [slot("00:00", "06:00")],
        },
        exceptions=[
            {"date": "2026-12-21", "kind": "unavailable", "slots": []},
            {"date": "2026-12-28", "kind": "unavailable", "slots": [slot("09:00", "10:00")]},
            {"date": "2026-12-24", "kind": "extra", "slots": [slot("08:00", "12:00")]},
        ],
    )
    receive(uow, jobseeker_event(events, "jobseeker.profile_changed", maria, tenant_id, **data))
    found = worker(uow, maria)
    assert (found.name, found.skills, found.languages) == (
        "Maria Lopez",
        ["home care", "cooking"],
        ["es", "km"],
    )
    assert (found.home_zip, found.latitude, found.longitude) == ("90802", 33.7706, -118.182)
    assert found.source_id == college
    # Monday 09-13, and Friday night into Saturday morning as one range.
    assert found.weekly_minutes == [(540, 780), (4 * 1440 + 1320, 5 * 1440 + 360)]
    assert days_of(uow, maria) == {
        date(2026, 12, 21): [],  # a Monday off
        date(2026, 12, 24): [(480, 720)],  # a Thursday with extra hours
        date(2026, 12, 28): [(600, 780)],  # a Monday starting late
    }
    # A new profile replaces every date; an unknown ZIP has no coordinates.
    newer = profile(
        maria,
        home_area="99999",
        weekly={"tuesday": [slot("10:00", "14:00")]},
        exceptions=[{"date": "2027-01-05", "kind": "unavailable", "slots": []}],
    )
    receive(uow, jobseeker_event(events, "jobseeker.profile_changed", maria, tenant_id, **newer))
    found = worker(uow, maria)
    assert (found.home_zip, found.latitude, found.longitude) == ("99999", None, None)
    assert found.weekly_minutes == [(1440 + 600, 1440 + 840)]
    assert found.source_id is None and found.skills == ["home care"]
    assert days_of(uow, maria) == {date(2027, 1, 5): []}
    # No ZIP at all, no availability at all.
    bare = profile(maria, home_area=None)
    receive(uow, jobseeker_event(events, "jobseeker.profile_changed", maria, tenant_id, **bare))
    found = worker(uow, maria)
    assert (found.latitude, found.weekly_minutes, days_of(uow, maria)) == (None, [], {})


def test_an_older_profile_arriving_late_changes_nothing(uow, events, tenant_id):
    maria = new_id()
    old_time = events.earlier()
    newest = profile(maria, home_area="90813", weekly={"monday": [slot("09:00", "17:00")]})
    receive(uow, jobseeker_event(events, "jobseeker.profile_changed", maria, tenant_id, **newest))
    stale = profile(maria, name="Old Name", home_area="90802", weekly={})
    receive(
        uow,
        events(
            "jobseeker.profile_changed",
            stale,
            tenant_id=tenant_id,
            at=old_time,
        ),
    )
    found = worker(uow, maria)
    assert (found.name, found.home_zip, found.weekly_minutes) == (
        "Maria Lopez",
        "90813",
        [(540, 1020)],
    )
    # The registration (sent with the first profile) arriving after it changes nothing either.
    registered = events(
        "jobseeker.registered",
        {"jobseeker_id": maria, "source_id": new_id(), "channel": "staff"},
        tenant_id=tenant_id,
        at=old_time,
    )
    receive(uow, registered)
    assert worker(uow, maria).source_id is None


def test_an_approval_may_arrive_before_the_registration(uow, events, tenant_id):
    maria, college = new_id(), new_id()
    approved = jobseeker_event(events, "jobseeker.approved", maria, tenant_id)
    typed = jobseeker_event(
        events, "jobseeker.jobtype_approved", maria, tenant_id, job_type="forklift"
    )
    receive(uow, approved, typed)
    found = worker(uow, maria)
    assert (found.approved, found.job_types, found.name) == (True, ["forklift"], "")
    # Then the registration and its profile, sent before the approval, arrive.
    earlier = events.earlier()
    receive(
        uow,
        events(
            "jobseeker.registered",
            {"jobseeker_id": maria, "source_id": college, "channel": "staff"},
            tenant_id=tenant_id,
            at=earlier,
        ),
        events(
            "jobseeker.profile_changed",
            profile(maria, source_id=college, status="pending"),
            tenant_id=tenant_id,
            at=earlier,
        ),
    )
    found = worker(uow, maria)
    # An approval is never undone by an older "pending".
    assert (found.approved, found.name, found.source_id) == (True, "Maria Lopez", college)


def test_job_type_approvals_add_up_once_each(uow, events, tenant_id):
    maria = new_id()
    for job_type in ("home_care", "forklift", "home_care"):
        receive(
            uow,
            jobseeker_event(
                events, "jobseeker.jobtype_approved", maria, tenant_id, job_type=job_type
            ),
        )
    assert worker(uow, maria).job_types == ["forklift", "home_care"]


def test_suspension_and_reinstatement_in_any_order(uow, events, tenant_id):
    maria = new_id()
    receive(
        uow,
        jobseeker_event(
            events, "jobseeker.registered", maria, tenant_id, source_id=None, channel="self"
        ),
        jobseeker_event(events, "jobseeker.approved", maria, tenant_id),
        jobseeker_event(events, "jobseeker.suspended", maria, tenant_id, reason="Two no-shows"),
    )
    found = worker(uow, maria)
    assert (found.approved, found.suspended) == (True, True)
    receive(
        uow, jobseeker_event(events, "jobseeker.reinstated", maria, tenant_id, reason="Explained")
    )
    assert (worker(uow, maria).approved, worker(uow, maria).suspended) == (True, False)

    # Suspended again, then reinstated, the two arriving the wrong way round.
    suspended_at = events.earlier(0.5)
    receive(uow, jobseeker_event(events, "jobseeker.reinstated", maria, tenant_id, reason="Sorted"))
    receive(
        uow,
        events(
            "jobseeker.suspended",
            {"jobseeker_id": maria, "reason": "Late"},
            tenant_id=tenant_id,
            at=suspended_at,
        ),
    )
    assert worker(uow, maria).suspended is False
    # A profile sent while suspended, arriving after the reinstatement, does not suspend.
    receive(
        uow,
        events(
            "jobseeker.profile_changed",
            profile(maria, status="suspended"),
            tenant_id=tenant_id,
            at=suspended_at,
        ),
    )
    assert (worker(uow, maria).suspended, worker(uow, maria).name) == (False, "Maria Lopez")
    # The newest profile says suspended: so it is.
    receive(
        uow,
        jobseeker_event(
            events,
            "jobseeker.profile_changed",
            maria,
            tenant_id,
            **profile(maria, status="suspended"),
        ),
    )
    assert worker(uow, maria).suspended is True


def test_a_deactivated_jobseeker_is_inactive_and_staff_accounts_are_not_kept(
    uow, events, tenant_id
):
    maria, staff_member = new_id(), new_id()
    receive(uow, jobseeker_event(events, "jobseeker.approved", maria, tenant_id))
    deactivated = events(
        "account.deactivated", {"account_id": maria, "kind": "jobseeker"}, tenant_id=tenant_id
    )
    assert receive(uow, deactivated) == [True]
    assert worker(uow, maria).active is False
    reactivated = events(
        "account.reactivated", {"account_id": maria, "kind": "jobseeker"}, tenant_id=tenant_id
    )
    stale = events(
        "account.deactivated",
        {"account_id": maria, "kind": "jobseeker"},
        tenant_id=tenant_id,
        at=events.earlier(),
    )
    receive(uow, reactivated, stale)
    assert worker(uow, maria).active is True
    staff_event = events(
        "account.deactivated", {"account_id": staff_member, "kind": "staff"}, tenant_id=tenant_id
    )
    assert receive(uow, staff_event) == [False]
    assert uow.session.get(WorkerRecord, staff_member) is None
    assert staff_event.event_id not in [event_id for _, event_id in logged(uow)]


def test_a_redelivered_event_is_applied_once_and_logged_once(uow, events, tenant_id):
    maria = new_id()
    typed = jobseeker_event(
        events, "jobseeker.jobtype_approved", maria, tenant_id, job_type="forklift"
    )
    data = profile(maria, weekly={"monday": [slot("09:00", "13:00")]})
    changed = jobseeker_event(events, "jobseeker.profile_changed", maria, tenant_id, **data)
    assert receive(uow, typed, changed) == [True, True]
    before = snapshot(uow)
    assert receive(uow, typed, changed, typed) == [False, False, False]
    assert snapshot(uow) == before
    assert logged(uow) == [
        ("jobseeker.jobtype_approved", typed.event_id),
        ("jobseeker.profile_changed", changed.event_id),
    ]


def test_every_apply_function_is_idempotent_on_its_own(uow, events, tenant_id):
    """Even applied twice outside the log (a rebuild re-applies what a handler applied), each
    event leaves the model as once."""
    maria, college, cafe, partner = new_id(), new_id(), new_id(), new_id()
    story = [
        events("tenant.approved", approved_tenant(tenant_id), tenant_id=tenant_id),
        events("branding.updated", branding(tenant_id, "America/Denver"), tenant_id=tenant_id),
        events("client.registered", client(cafe), tenant_id=tenant_id),
        events("source.created", source(college, terms=TERMS), tenant_id=tenant_id),
        events("partnership.formed", partnership(new_id(), tenant_id, partner), tenant_id=partner),
        jobseeker_event(
            events, "jobseeker.registered", maria, tenant_id, source_id=college, channel="self"
        ),
        jobseeker_event(
            events,
            "jobseeker.profile_changed",
            maria,
            tenant_id,
            **profile(
                maria, exceptions=[{"date": "2026-12-24", "kind": "unavailable", "slots": []}]
            ),
        ),
        jobseeker_event(events, "jobseeker.approved", maria, tenant_id),
        jobseeker_event(events, "jobseeker.jobtype_approved", maria, tenant_id, job_type="cook"),
        jobseeker_event(events, "jobseeker.suspended", maria, tenant_id, reason="Late"),
    ]
    receive(uow, *story)
    before = snapshot(uow)
    for event in story:
        domain.apply(uow, event=event)
    assert snapshot(uow) == before


# -- records named before their event arrives --------------------------------------------------


def test_a_client_just_created_in_tenancy_is_asked_for_and_kept(uow, events, tenant_id):
    cafe = new_id()
    asked: list[str] = []

    def tenancy_says(answer):
        def ask():
            asked.append(cafe)
            return answer

        return ask

    answer = {"client_id": cafe, "name": "Port Cafe", "active": True}
    found = domain.ensure_client(uow, tenant_id=tenant_id, client_id=cafe, ask=tenancy_says(answer))
    assert found is not None and (found.tenant_id, found.name) == (tenant_id, "Port Cafe")
    # Known now: tenancy is not asked again.
    assert (
        domain.ensure_client(uow, tenant_id=tenant_id, client_id=cafe, ask=tenancy_says(None))
        is found
    )
    assert asked == [cafe]
    # Its event, arriving after, still applies.
    receive(
        uow,
        events(
            "client.updated",
            client(cafe, "Port Cafe Inc", active=True, changed=["name"]),
            tenant_id=tenant_id,
        ),
    )
    assert found.name == "Port Cafe Inc"
    # Not tenancy's (for this CBO), or an answer about another record: none.
    unknown = new_id()
    assert (
        domain.ensure_client(uow, tenant_id=tenant_id, client_id=unknown, ask=tenancy_says(None))
        is None
    )
    assert (
        domain.ensure_client(uow, tenant_id=tenant_id, client_id=unknown, ask=tenancy_says(answer))
        is None
    )
    assert (
        domain.ensure_client(uow, tenant_id=new_id(), client_id=cafe, ask=tenancy_says(None))
        is None
    )
    assert uow.session.get(ClientRecord, unknown) is None


# -- rebuilding from the replay log -----------------------------------------------------------


def a_realistic_story(events: EventStream, harbor: str) -> list:
    """Two CBOs and what happens to them for a while, in the order booking received it (some
    of it out of order, some of it twice)."""
    bay = new_id()
    college, walk_ins, cafe, city = new_id(), new_id(), new_id(), new_id()
    maria, ana, tomas = new_id(), new_id(), new_id()
    harbor_bay = new_id()
    monday_mornings = {"monday": [slot("09:00", "13:00")], "wednesday": [slot("09:00", "13:00")]}
    nights = {"friday": [slot("22:00", "24:00")], "saturday": [slot("00:00", "06:00")]}

    def js(event_type, who, tenant=harbor, **data):
        return jobseeker_event(events, event_type, who, tenant, **data)

    story = [
        events("tenant.approved", approved_tenant(harbor), tenant_id=harbor),
        events("tenant.approved", approved_tenant(bay, "America/Denver"), tenant_id=bay),
        events("branding.updated", branding(harbor, "America/Los_Angeles"), tenant_id=harbor),
        events("source.created", source(college, terms=TERMS), tenant_id=harbor),
        events("source.created", source(walk_ins, name="Walk-ins", cap=None), tenant_id=harbor),
        events("client.registered", client(cafe), tenant_id=harbor),
        events(
            "client.registered", client(city, "City of Long Beach", kind="city"), tenant_id=harbor
        ),
        js("jobseeker.registered", maria, source_id=college, channel="self"),
        js(
            "jobseeker.profile_changed",
            maria,
            **profile(maria, source_id=college, weekly=monday_mornings),
        ),
        js("jobseeker.registered", ana, source_id=None, channel="staff"),
        js(
            "jobseeker.profile_changed",
            ana,
            **profile(ana, name="Ana Ruiz", home_area="90813", weekly=nights),
        ),
        js("jobseeker.registered", tomas, source_id=walk_ins, channel="import"),
        js(
            "jobseeker.profile_changed",
            tomas,
            **profile(tomas, name="Tomas Chan", home_area=None, source_id=walk_ins),
        ),
        js("jobseeker.approved", maria),
        js("jobseeker.jobtype_approved", maria, job_type="home_care"),
        js("jobseeker.jobtype_approved", maria, job_type="cook"),
        js("jobseeker.approved", ana),
        js("jobseeker.jobtype_approved", ana, job_type="forklift"),
        js(
            "jobseeker.profile_changed",
            maria,
            **profile(
                maria,
                source_id=college,
                status="approved",
                weekly=monday_mornings,
                exceptions=[
                    {"date": "2026-12-21", "kind": "unavailable", "slots": []},
                    {
                        "date": "2026-12-23",
                        "kind": "unavailable",
                        "slots": [slot("09:00", "10:00")],
                    },
                    {"date": "2026-12-26", "kind": "extra", "slots": [slot("10:00", "14:00")]},
                ],
            ),
        ),
        events(
            "source.updated",
            source(college, cap=12, terms=TERMS, changed=["weekly_hour_cap"]),
            tenant_id=harbor,
        ),
        events(
            "client.updated",
            client(city, "City of Long Beach", kind="city", active=False, changed=["active"]),
            tenant_id=harbor,
        ),
        js("jobseeker.suspended", ana, reason="Two no-shows"),
        js("jobseeker.reinstated", ana, reason="Explained"),
        js("jobseeker.suspended", tomas, reason="Unverified"),
        events("account.deactivated", {"account_id": tomas, "kind": "jobseeker"}, tenant_id=harbor),
        events("partnership.formed", partnership(harbor_bay, harbor, bay), tenant_id=bay),
        events("partnership.ended", partnership(harbor_bay, harbor, bay), tenant_id=harbor),
        events("tenant.suspended", tenant_data(bay, reason="MOU lapsed"), tenant_id=bay),
    ]
    # A stale profile of Ana's and the approval of the bay CBO's branding arrive late.
    story.append(
        events(
            "jobseeker.profile_changed",
            profile(ana, name="Ana R.", weekly={}),
            tenant_id=harbor,
            at=events.earlier(3600),
        )
    )
    story.append(events("branding.updated", branding(bay, "America/Phoenix"), tenant_id=bay))
    return story


def test_a_rebuild_from_the_replay_log_gives_back_the_same_model(uow, events, tenant_id):
    story = a_realistic_story(events, tenant_id)
    # Delivered at least once: a few of them twice.
    assert receive(uow, *story, story[3], story[8], story[21]).count(True) == len(story)
    built = snapshot(uow)
    assert len(built["workers"]) == 3 and len(built["worker_days"]) == 3
    assert len(built["cbo_records"]) == 2 and len(built["partnership_records"]) == 1
    maria, ana, tomas = (
        {w["name"]: w for w in built["workers"]}[name]
        for name in ("Maria Lopez", "Ana Ruiz", "Tomas Chan")
    )
    assert (maria["approved"], maria["suspended"], maria["job_types"]) == (
        True,
        False,
        ["cook", "home_care"],
    )
    assert (ana["approved"], ana["suspended"], ana["latitude"] is not None) == (True, False, True)
    assert (tomas["approved"], tomas["suspended"], tomas["active"]) == (False, True, False)
    assert [p["active"] for p in built["partnership_records"]] == [False]

    sent = Outbox(uow)
    counts = domain.rebuild(uow)
    assert snapshot(uow) == built
    assert counts == {
        "events": len(story),
        "cbos": 2,
        "clients": 2,
        "sources": 2,
        "partnerships": 1,
        "workers": 3,
        "worker_days": 3,
    }
    assert sent.events() == []  # no caller, no audit entry (and no events)
    # Rebuilt twice: still the model the events make.
    domain.rebuild(uow)
    assert snapshot(uow) == built


def test_a_rebuild_runs_in_batches_and_is_audited(uow, events, tenant_id, monkeypatch):
    story = a_realistic_story(events, tenant_id)
    receive(uow, *story)
    built = snapshot(uow)
    monkeypatch.setattr(domain, "REBUILD_BATCH", 4)
    sent = Outbox(uow)
    operator = Caller(
        kind="operator", user_id=new_id(), permissions=frozenset({"platform.operate"})
    )
    counts = domain.rebuild(uow, caller=operator)
    assert snapshot(uow) == built and counts["events"] == len(story)
    [trail] = sent.audit()
    assert (trail["action"], trail["actor_id"], trail["after"]) == (
        "booking.worker_model_rebuilt",
        operator.user_id,
        counts,
    )
    assert sent.one("audit.recorded")["tenant_id"] is None  # the platform's trail


def test_a_rebuild_of_an_empty_log_empties_the_model(uow, tenant_id):
    a_cbo_record(uow, tenant_id=tenant_id)
    a_worker_record(uow, tenant_id=tenant_id)
    counts = domain.rebuild(uow)
    assert counts == dict.fromkeys(
        ("events", "cbos", "clients", "sources", "partnerships", "workers", "worker_days"), 0
    )
    assert all(rows == [] for rows in snapshot(uow).values())


def counted_workers(uow) -> tuple[dict[str, int], dict[str, int]]:
    """The counts the triggers keep, and the workers counted per CBO."""
    kept = dict(uow.session.execute(select(WorkerCount.tenant_id, WorkerCount.workers)).all())
    counted = dict(
        uow.session.execute(
            select(WorkerRecord.tenant_id, func.count()).group_by(WorkerRecord.tenant_id)
        ).all()
    )
    return {t: n for t, n in kept.items() if n}, counted


def test_each_cbos_worker_count_follows_its_workers_through_rebuilds(uow, events, tenant_id):
    other = new_id()
    a_worker_record(uow, tenant_id=other)
    receive(uow, *a_realistic_story(events, tenant_id))
    kept, counted = counted_workers(uow)
    assert kept == counted and kept[other] == 1 and kept[tenant_id] == 3
    # A rebuild deletes the model and writes it again in bulk: the counts follow both
    # statements (the hand-made worker of the other CBO has no event: it is gone).
    domain.rebuild(uow)
    kept, counted = counted_workers(uow)
    assert kept == counted == {tenant_id: 3}
    uow.session.execute(text("TRUNCATE workers, worker_days"))
    assert counted_workers(uow) == ({}, {})


def test_the_day_rows_of_a_worker_follow_the_date_of_each_exception(uow, events, tenant_id):
    maria = new_id()
    exceptions = [
        {
            "date": (date(2026, 12, 21) + timedelta(days=i)).isoformat(),
            "kind": "unavailable",
            "slots": [],
        }
        for i in range(10)
    ]
    receive(
        uow,
        jobseeker_event(
            events,
            "jobseeker.profile_changed",
            maria,
            tenant_id,
            **profile(maria, exceptions=exceptions),
        ),
    )
    assert len(days_of(uow, maria)) == 10
    assert all(
        row.tenant_id == tenant_id for row in uow.session.execute(select(WorkerDay)).scalars()
    )


# -- every event the model is made of -----------------------------------------------------------


def one_of_each(events: EventStream, tenant_id: str) -> dict[str, object]:
    """One event of every type the model is made of."""
    maria, other = new_id(), new_id()
    js = {"jobseeker_id": maria}
    deal = partnership(new_id(), tenant_id, other)
    return {
        "tenant.approved": events(
            "tenant.approved", approved_tenant(tenant_id), tenant_id=tenant_id
        ),
        "tenant.suspended": events(
            "tenant.suspended", tenant_data(tenant_id, reason="Unpaid"), tenant_id=tenant_id
        ),
        "tenant.reinstated": events(
            "tenant.reinstated", tenant_data(tenant_id, reason=None), tenant_id=tenant_id
        ),
        "branding.updated": events(
            "branding.updated", branding(tenant_id, "America/Denver"), tenant_id=tenant_id
        ),
        "client.registered": events("client.registered", client(new_id()), tenant_id=tenant_id),
        "client.updated": events(
            "client.updated",
            client(new_id(), active=False, changed=["active"]),
            tenant_id=tenant_id,
        ),
        "source.created": events(
            "source.created", source(new_id(), terms=TERMS), tenant_id=tenant_id
        ),
        "source.updated": events(
            "source.updated", source(new_id(), changed=["terms"]), tenant_id=tenant_id
        ),
        "partnership.formed": events("partnership.formed", deal, tenant_id=other),
        "partnership.ended": events("partnership.ended", deal, tenant_id=tenant_id),
        "partnership.cancelled": events(
            "partnership.cancelled", partnership(new_id(), other, tenant_id), tenant_id=other
        ),
        "jobseeker.registered": events(
            "jobseeker.registered",
            {**js, "source_id": None, "channel": "self"},
            tenant_id=tenant_id,
        ),
        "jobseeker.profile_changed": events(
            "jobseeker.profile_changed",
            profile(maria, exceptions=[{"date": "2026-12-24", "kind": "unavailable", "slots": []}]),
            tenant_id=tenant_id,
        ),
        "jobseeker.approved": events("jobseeker.approved", js, tenant_id=tenant_id),
        "jobseeker.jobtype_approved": events(
            "jobseeker.jobtype_approved", {**js, "job_type": "cook"}, tenant_id=tenant_id
        ),
        "jobseeker.suspended": events(
            "jobseeker.suspended", {**js, "reason": "x"}, tenant_id=tenant_id
        ),
        "jobseeker.reinstated": events(
            "jobseeker.reinstated", {**js, "reason": "y"}, tenant_id=tenant_id
        ),
        "account.deactivated": events(
            "account.deactivated", {"account_id": maria, "kind": "jobseeker"}, tenant_id=tenant_id
        ),
        "account.reactivated": events(
            "account.reactivated", {"account_id": maria, "kind": "jobseeker"}, tenant_id=tenant_id
        ),
    }


def test_booking_handles_exactly_the_events_the_model_applies():
    handled = {
        (s.source, s.event_type)
        for s in event_subscriptions(BookingService)
        if s.method in vars(WorkersEntrypoints)
    }
    assert {event_type for _, event_type in handled} == set(domain.APPLY)
    assert len(handled) == len(domain.APPLY)
    assert set(one_of_each(EventStream(), new_id())) == set(domain.APPLY)


@pytest.mark.parametrize("event_type", sorted(domain.APPLY))
def test_each_event_redelivered_is_applied_once(uow, events, tenant_id, event_type):
    event = one_of_each(events, tenant_id)[event_type]
    assert receive(uow, event) == [True]
    once = snapshot(uow)
    assert any(once.values()), f"{event_type} left the model empty"
    assert receive(uow, event, event) == [False, False]
    assert snapshot(uow) == once
    assert logged(uow) == [(event_type, event.event_id)]


def test_a_rebuilt_model_gives_the_same_search_answers(uow, events, tenant_id):
    """The read model's purpose is the search: after a rebuild from the replay log, searches
    for several shifts answer exactly as before (eligible, ranked, and left out with why)."""
    receive(uow, *a_realistic_story(events, tenant_id))
    cafe = uow.session.execute(
        select(ClientRecord).where(
            ClientRecord.tenant_id == tenant_id, ClientRecord.name == "Port Cafe"
        )
    ).scalar_one()
    home_care = a_job_type(uow, tenant_id=tenant_id, key="home_care", needs_approval=True)
    site = a_site(uow, tenant_id=tenant_id, client_id=cafe.id)
    staff = staff_caller(tenant_id, permissions=["bookings.read"])

    def answers() -> list[dict]:
        found = []
        # An exception day off, one with an hour off, and an ordinary Monday.
        for day in ("2026-12-21", "2026-12-23", "2026-12-28"):
            request = SearchRequestSchema().load(
                {
                    "job_type_id": home_care.id,
                    "client_id": cafe.id,
                    "site_id": site.id,
                    "date": day,
                    "start_time": "09:00",
                    "end_time": "13:00",
                }
            )
            found.append(search.search(uow, caller=staff, request=request))
        return found

    before = answers()
    eligible = [[w["name"] for w in answer["eligible"]["items"]] for answer in before]
    assert eligible == [[], [], ["Maria Lopez"]]
    assert all(answer["excluded"]["total"] >= 2 for answer in before)
    domain.rebuild(uow)
    assert answers() == before


def test_the_workers_row_carries_their_score_through_changes_and_a_rebuild(uow, events, tenant_id):
    """workers.score is PostgreSQL's copy of reliability_scores.score (triggers of
    booking_0030): the search ranks by it without a join."""
    receive(uow, *a_realistic_story(events, tenant_id))
    maria = uow.session.execute(
        select(WorkerRecord).where(WorkerRecord.name == "Maria Lopez")
    ).scalar_one()

    def score_on_row() -> float | None:
        return uow.session.execute(
            select(WorkerRecord.score).where(WorkerRecord.id == maria.id)
        ).scalar_one()

    assert score_on_row() is None  # never scored
    scored = a_score(uow, tenant_id=tenant_id, worker_id=maria.id, score=62.5)
    assert score_on_row() == 62.5
    scored.score = 48.0
    uow.session.flush()
    assert score_on_row() == 48.0
    # A rebuild writes the row again: it takes the score there is.
    domain.rebuild(uow)
    assert score_on_row() == 48.0
    uow.session.delete(scored)
    uow.session.flush()
    assert score_on_row() is None
