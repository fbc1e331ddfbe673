"""Bookings on booking's real database: staff book for a client and a client user for their
own organisation only; repeating shifts keep their wall-clock times across daylight-saving
changes; the lists and pages show each caller only what is theirs; and cancellations of a
booking, a shift or one worker's place, late or in time, with their offers withdrawn, their
events in the outbox and staff's audit entries."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.booking.bookings import cancellations
from services.booking.bookings import domain as bookings
from services.booking.bookings.models import Booking, Shift
from services.booking.offers.models import Offer
from services.booking.settings import domain as settings
from services.booking.workers.models import WorkerRecord
from tests.domain.outbox import Outbox
from tests.factories import jobseeker_caller, staff_caller
from tests.market.bookings import (
    WEEKDAYS_FOR_FOUR_WEEKS,
    a_booking,
    an_assignment,
    an_offer,
    client_caller,
    worker_caller,
)
from tests.market.builders import (
    a_client_record,
    a_job_type,
    a_site,
    a_worker_record,
    new_id,
)
from tests.market.offers import a_committed_market, a_market_shift, committed, in_days
from tests.market.recheck import everyone

SERVICE = "booking"

# A week before the first shift; Long Beach springs forward on Sunday 14 March 2027.
NOW = datetime(2027, 2, 22, 20, 0, tzinfo=UTC)
FIRST_MONDAY = date(2027, 3, 1)
SPRING = date(2027, 3, 14)


@pytest.fixture
def market(uow):
    """A CBO with two clients, each with a site, a shared job type and one exclusive to the
    first client; the CBO's owner and each client's user."""

    class Market:
        tenant_id = new_id()
        harbor = a_client_record(uow, tenant_id=tenant_id, name="Harbor Cafe")
        pier = a_client_record(uow, tenant_id=tenant_id, name="Pier Diner")
        job_type = a_job_type(
            uow,
            tenant_id=tenant_id,
            key="barista",
            pay_rate_cents=2100,
            bill_rate_cents=2900,
            min_shift_minutes=120,
        )
        exclusive = a_job_type(
            uow, tenant_id=tenant_id, key="harbor-cook", client_id=harbor.id, pay_rate_cents=2600
        )
        harbor_site = a_site(uow, tenant_id=tenant_id, client_id=harbor.id, name="Harbor")
        pier_site = a_site(uow, tenant_id=tenant_id, client_id=pier.id, name="Pier")
        owner = staff_caller(tenant_id)
        harbor_user = client_caller(tenant_id, harbor.id)
        pier_user = client_caller(tenant_id, pier.id)

    return Market


def book(uow, market, caller=None, *, site=None, starts_on=FIRST_MONDAY, now=NOW, **body):
    return a_booking(
        uow,
        caller=caller or market.owner,
        job_type=body.pop("job_type", market.job_type),
        site=site or market.harbor_site,
        starts_on=starts_on,
        now=now,
        **body,
    )


def refused(uow, market, caller=None, **body) -> dict:
    with pytest.raises(ValidationFailed) as raised:
        book(uow, market, caller, **body)
    return raised.value.fields


def local(shift: Shift) -> tuple[str, str]:
    view = bookings.shift_view(shift, timezone="America/Los_Angeles")
    return view["starts_local"], view["ends_local"]


# -- booking -----------------------------------------------------------------------------------


def test_staff_book_weekdays_nine_to_one_for_four_weeks_across_the_spring_change(uow, market):
    sent = Outbox(uow)
    created = book(uow, market, recurrence=WEEKDAYS_FOR_FOUR_WEEKS, positions=2)
    booking, shifts = created.booking, created.shifts
    assert len(shifts) == 20
    assert {local(s)[0][11:] for s in shifts} == {"09:00:00"}
    assert {local(s)[1][11:] for s in shifts} == {"13:00:00"}
    assert {s.starts_at.astimezone(UTC).hour for s in shifts if s.starts_at.date() < SPRING} == {17}
    assert {s.starts_at.astimezone(UTC).hour for s in shifts if s.starts_at.date() > SPRING} == {16}
    assert {(s.positions, s.filled, s.status) for s in shifts} == {(2, 0, "open")}
    assert (booking.starts_local, booking.ends_local) == (
        "2027-03-01T09:00:00",
        "2027-03-01T13:00:00",
    )
    assert booking.recurrence == WEEKDAYS_FOR_FOUR_WEEKS
    assert (booking.pay_rate_cents, booking.bill_rate_cents) == (2100, 2900)
    assert (booking.created_by, booking.created_by_kind) == (market.owner.user_id, "staff")
    assert booking.timezone == "America/Los_Angeles"

    assert sent.types() == ["booking.created", "audit.recorded"]
    event = sent.one("booking.created")
    assert event["tenant_id"] == market.tenant_id
    assert event["data"]["created_by_kind"] == "staff"
    assert [s["shift_id"] for s in event["data"]["shifts"]] == [s.id for s in shifts]
    assert event["data"]["shifts"][0]["starts_at"] == "2027-03-01T17:00:00+00:00"
    assert event["data"]["shifts"][-1]["ends_at"] == "2027-03-26T20:00:00+00:00"
    [entry] = sent.audit()
    assert (entry["action"], entry["entity_id"]) == ("booking.create", booking.id)
    assert entry["after"]["shift_count"] == 20


def test_a_client_user_books_for_their_own_organisation(uow, market):
    sent = Outbox(uow)
    created = book(uow, market, market.harbor_user, client_id=None)
    assert created.booking.client_id == market.harbor.id
    assert created.booking.created_by_kind == "client"
    assert sent.types() == ["booking.created"]  # no audit entry: not a staff action
    again = book(uow, market, market.harbor_user, job_type=market.exclusive)
    assert again.booking.pay_rate_cents == 2600


def test_a_client_user_cannot_book_for_another_client(uow, market):
    sent = Outbox(uow)
    with pytest.raises(NotFound):
        book(uow, market, market.harbor_user, site=market.pier_site)
    with pytest.raises(NotFound):
        book(uow, market, market.harbor_user, client_id=market.pier.id)
    assert sent.types() == []
    assert (
        uow.session.execute(select(Booking).where(Booking.tenant_id == market.tenant_id)).all()
        == []
    )


def test_a_client_exclusive_job_type_does_not_exist_for_other_clients(uow, market):
    with pytest.raises(NotFound):
        book(uow, market, market.pier_user, site=market.pier_site, job_type=market.exclusive)
    # Staff see it (they act for its client) and are told why it cannot be booked for another.
    with pytest.raises(ValidationFailed) as refused:
        book(uow, market, site=market.pier_site, job_type=market.exclusive)
    assert "job_type_id" in refused.value.fields
    assert book(uow, market, job_type=market.exclusive).booking.job_type_id == market.exclusive.id


def test_another_cbos_job_type_or_site_does_not_exist(uow, market):
    other = new_id()
    client = a_client_record(uow, tenant_id=other)
    foreign_type = a_job_type(uow, tenant_id=other)
    foreign_site = a_site(uow, tenant_id=other, client_id=client.id)
    with pytest.raises(NotFound):
        book(uow, market, job_type=foreign_type)
    with pytest.raises(NotFound):
        book(uow, market, site=foreign_site)
    with pytest.raises(NotFound):
        book(uow, market, staff_caller(other), job_type=market.job_type, site=foreign_site)


def test_a_site_must_be_the_clients(uow, market):
    with pytest.raises(NotFound):
        book(uow, market, client_id=market.harbor.id, site=market.pier_site)


def test_who_may_book(uow, market):
    viewer = staff_caller(market.tenant_id, role="viewer")
    with pytest.raises(Forbidden):
        book(uow, market, viewer)
    reader = client_caller(market.tenant_id, market.harbor.id, permissions=["bookings.read"])
    with pytest.raises(Forbidden):
        book(uow, market, reader)
    with pytest.raises(Forbidden):
        book(uow, market, jobseeker_caller(market.tenant_id))


def test_inactive_job_types_sites_and_clients_cannot_be_booked(uow, market):
    market.job_type.active = False
    market.harbor_site.active = False
    assert set(refused(uow, market)) == {"job_type_id", "site_id"}
    market.pier.active = False
    with pytest.raises(Conflict):
        book(uow, market, site=market.pier_site)


def test_odd_times_are_refused_per_field(uow, market):
    assert "at least 120 minutes" in refused(uow, market, end="10:00")["end_time"][0]
    assert "end_time" in refused(uow, market, end="09:00")
    assert "starts_on" in refused(uow, market, starts_on=NOW.date() - timedelta(days=1))
    assert "start_time" in refused(uow, market, starts_on=date(2027, 2, 22), start="11:00")
    assert "starts_on" in refused(uow, market, starts_on=date(2028, 12, 1))
    assert (
        "more than 200"
        in refused(uow, market, recurrence="FREQ=DAILY;UNTIL=20271231")["recurrence"][0]
    )
    skipped = refused(uow, market, starts_on=SPRING, start="02:30", end="06:30")
    assert "2027-03-14 02:30 does not exist" in skipped["start_time"][0]
    nightly = refused(
        uow,
        market,
        starts_on=date(2027, 3, 10),
        start="22:00",
        end="02:30",
        recurrence="FREQ=DAILY;COUNT=7",
    )
    assert "2027-03-14 02:30 does not exist" in nightly["end_time"][0]


def test_an_overnight_shift_ends_the_next_morning(uow, market):
    [night] = book(uow, market, start="22:00", end="06:00").shifts
    assert local(night) == ("2027-03-01T22:00:00", "2027-03-02T06:00:00")
    assert night.ends_at - night.starts_at == timedelta(hours=8)


def test_a_shift_at_a_repeated_time_starts_at_its_first_occurrence(uow, market):
    [shift] = book(uow, market, starts_on=date(2027, 11, 7), start="01:30", end="05:30").shifts
    assert shift.starts_at == datetime(2027, 11, 7, 8, 30, tzinfo=UTC)  # 01:30 PDT
    assert shift.ends_at - shift.starts_at == timedelta(hours=5)  # the clocks go back an hour


def test_a_named_booking_names_a_worker_of_the_cbo(uow, market):
    maria = a_worker_record(uow, tenant_id=market.tenant_id, name="Maria Lopez")
    created = book(uow, market, fill_mode="named", named_worker_id=maria.id)
    assert created.booking.named_worker_id == maria.id
    stranger = a_worker_record(uow, tenant_id=new_id())
    with pytest.raises(NotFound):
        book(uow, market, fill_mode="named", named_worker_id=stranger.id)


# -- reading -----------------------------------------------------------------------------------


def page(uow, market, caller, what="bookings", **options):
    listing = bookings.list_bookings if what == "bookings" else bookings.list_shifts
    sort = "-created_at" if what == "bookings" else "starts_at"
    return listing(
        uow,
        caller=caller,
        tenant_id=caller.tenant_id,
        page=1,
        per_page=200,
        sort=options.pop("sort", sort),
        **options,
    )


def test_a_client_user_sees_only_their_own_bookings_and_shifts(uow, market):
    harbor = book(uow, market, recurrence="FREQ=DAILY;COUNT=3")
    pier = book(uow, market, site=market.pier_site)
    mine = page(uow, market, market.harbor_user)
    assert [b["id"] for b in mine["items"]] == [harbor.booking.id]
    assert mine["items"][0]["shift_count"] == 3 and mine["items"][0]["pay_rate_cents"] is None
    assert page(uow, market, market.harbor_user, client_id=market.pier.id)["total"] == 0
    assert {s["client_id"] for s in page(uow, market, market.harbor_user, "shifts")["items"]} == {
        market.harbor.id
    }
    for caller in (market.harbor_user, staff_caller(new_id())):
        with pytest.raises(NotFound):
            bookings.get_booking(
                uow, caller=caller, tenant_id=caller.tenant_id, booking_id=pier.booking.id
            )
        with pytest.raises(NotFound):
            bookings.get_shift(
                uow, caller=caller, tenant_id=caller.tenant_id, shift_id=pier.shifts[0].id
            )
    everything = page(uow, market, market.owner)
    assert {b["id"] for b in everything["items"]} == {harbor.booking.id, pier.booking.id}
    assert everything["items"][0]["pay_rate_cents"] == 2100


def test_lists_filter_by_client_status_site_and_time(uow, market):
    march = book(uow, market, recurrence="FREQ=WEEKLY;COUNT=2")
    april = book(uow, market, site=market.pier_site, starts_on=date(2027, 4, 5))
    owner = market.owner
    assert [b["id"] for b in page(uow, market, owner, client_id=market.pier.id)["items"]] == [
        april.booking.id
    ]
    april_on = datetime(2027, 4, 1, tzinfo=UTC)
    assert [b["id"] for b in page(uow, market, owner, from_=april_on)["items"]] == [
        april.booking.id
    ]
    assert [b["id"] for b in page(uow, market, owner, to=april_on)["items"]] == [march.booking.id]
    assert [b["id"] for b in page(uow, market, owner, sort="starts_at")["items"]] == [
        march.booking.id,
        april.booking.id,
    ]
    shifts = page(uow, market, owner, "shifts", site_id=market.harbor_site.id)
    assert [s["starts_local"] for s in shifts["items"]] == [
        "2027-03-01T09:00:00",
        "2027-03-08T09:00:00",
    ]
    assert page(uow, market, owner, "shifts", booking_id=april.booking.id)["total"] == 1
    cancellations.cancel_booking(
        uow,
        caller=owner,
        tenant_id=market.tenant_id,
        booking_id=april.booking.id,
        reason="Closed",
        now=NOW,
    )
    assert page(uow, market, owner, status="cancelled")["total"] == 1
    assert page(uow, market, owner, "shifts", status="open")["total"] == 2


def test_a_shift_shows_its_workers_and_offers(uow, market):
    [shift] = book(uow, market, positions=3).shifts
    ana = a_worker_record(uow, tenant_id=market.tenant_id, name="Ana Ruiz")
    ben = a_worker_record(uow, tenant_id=market.tenant_id, name="Ben Ortiz")
    an_assignment(uow, shift=shift, worker=ana)
    an_offer(uow, shift=shift, worker=ben)
    an_offer(
        uow, shift=shift, worker=a_worker_record(uow, tenant_id=market.tenant_id), status="declined"
    )
    detail = bookings.shift_detail(uow, caller=market.harbor_user, shift=shift)
    assert (detail["positions"], detail["filled"], detail["status"]) == (3, 1, "open")
    assert [(a["worker_name"], a["status"]) for a in detail["assignments"]] == [
        ("Ana Ruiz", "booked")
    ]
    assert detail["offers"] == {
        "sent": 1,
        "confirmed": 1,
        "declined": 1,
        "expired": 0,
        "withdrawn": 0,
    }
    assert detail["pay_rate_cents"] is None and detail["bill_rate_cents"] == 2900


# -- cancellations -----------------------------------------------------------------------------


def staffed(uow, market, **body):
    """A booked shift with one worker placed and one offer waiting."""
    [shift] = book(uow, market, **{"positions": 2, **body}).shifts
    placed = a_worker_record(uow, tenant_id=market.tenant_id, name="Placed Worker")
    offered = a_worker_record(uow, tenant_id=market.tenant_id)
    place = an_assignment(uow, shift=shift, worker=placed)
    offer = an_offer(uow, shift=shift, worker=offered)
    return shift, place, offer


def before(shift: Shift, hours: float) -> datetime:
    return shift.starts_at - timedelta(hours=hours)


def test_a_client_cancelling_a_shift_late_owes_reporting_time(uow, market):
    shift, place, offer = staffed(uow, market)
    sent = Outbox(uow)
    cancelled = cancellations.cancel_shift(
        uow,
        caller=market.harbor_user,
        tenant_id=market.tenant_id,
        shift_id=shift.id,
        reason="Event moved",
        now=before(shift, 10),
    )
    assert (cancelled.status, cancelled.cancelled_by_kind, cancelled.late_cancellation) == (
        "cancelled",
        "client",
        True,
    )
    assert cancelled.cancel_reason == "Event moved" and cancelled.filled == 0
    assert bookings.shift_view(cancelled, timezone="UTC")["minutes_before_start"] == 600
    assert (offer.status, offer.end_reason) == ("withdrawn", "shift_cancelled")
    assert (place.status, place.cancelled_by_kind, place.minutes_before_start, place.late) == (
        "cancelled",
        "client",
        600,
        True,
    )
    assert sent.types() == ["offer.withdrawn", "booking.cancelled"]
    assert sent.one("offer.withdrawn")["data"]["worker_id"] == offer.worker_id
    event = sent.one("booking.cancelled")["data"]
    assert event["shift_ids"] == [shift.id] and event["late_shift_ids"] == [shift.id]
    assert event["worker_ids"] == [place.worker_id]
    assert event["assignments"][0]["assignment_id"] == place.id
    assert (event["cancelled_by_kind"], event["late"], event["minutes_before_start"]) == (
        "client",
        True,
        600,
    )
    booking = uow.session.get(Booking, shift.booking_id)
    assert booking.status == "cancelled"  # its only shift is cancelled


def test_a_client_cancelling_in_time_owes_nothing(uow, market):
    shift, place, _ = staffed(uow, market)
    cancellations.cancel_shift(
        uow,
        caller=market.harbor_user,
        tenant_id=market.tenant_id,
        shift_id=shift.id,
        reason="Not needed",
        now=before(shift, 48),
    )
    assert shift.late_cancellation is False and place.late is False


def test_the_late_window_is_the_cbos_setting(uow, market):
    settings.update_settings(
        uow, caller=market.owner, tenant_id=market.tenant_id, data={"late_cancel_hours": 6}
    )
    shift, _, _ = staffed(uow, market)
    cancellations.cancel_shift(
        uow,
        caller=market.harbor_user,
        tenant_id=market.tenant_id,
        shift_id=shift.id,
        reason="Not needed",
        now=before(shift, 10),
    )
    assert shift.late_cancellation is False


def test_staff_cancelling_a_shift_is_never_a_late_client_cancellation_and_is_audited(uow, market):
    shift, place, offer = staffed(uow, market)
    sent = Outbox(uow)
    cancellations.cancel_shift(
        uow,
        caller=market.owner,
        tenant_id=market.tenant_id,
        shift_id=shift.id,
        reason="Site flooded",
        now=before(shift, 2),
    )
    assert (shift.cancelled_by_kind, shift.late_cancellation, shift.cancelled_by) == (
        "staff",
        False,
        market.owner.user_id,
    )
    assert offer.status == "withdrawn" and place.status == "cancelled"
    [entry] = sent.audit()
    assert (entry["action"], entry["entity_id"], entry["after"]["reason"]) == (
        "shift.cancel",
        shift.id,
        "Site flooded",
    )


def test_only_live_offers_are_withdrawn(uow, market):
    shift, _, offer = staffed(uow, market)
    declined = an_offer(
        uow, shift=shift, worker=a_worker_record(uow, tenant_id=market.tenant_id), status="declined"
    )
    cancellations.cancel_shift(
        uow,
        caller=market.owner,
        tenant_id=market.tenant_id,
        shift_id=shift.id,
        reason="Closed",
        now=before(shift, 30),
    )
    statuses = dict(
        uow.session.execute(select(Offer.id, Offer.status).where(Offer.shift_id == shift.id)).all()
    )
    assert statuses[offer.id] == "withdrawn" and statuses[declined.id] == "declined"
    assert sorted(statuses.values()).count("confirmed") == 1  # the placed worker's answer stays


def test_a_shift_cannot_be_cancelled_twice_nor_once_started(uow, market):
    shift, _, _ = staffed(uow, market)
    with pytest.raises(Conflict) as raised:
        cancellations.cancel_shift(
            uow,
            caller=market.owner,
            tenant_id=market.tenant_id,
            shift_id=shift.id,
            reason="Too late",
            now=shift.starts_at,
        )
    assert "has started" in raised.value.message
    cancellations.cancel_shift(
        uow,
        caller=market.owner,
        tenant_id=market.tenant_id,
        shift_id=shift.id,
        reason="Closed",
        now=before(shift, 30),
    )
    with pytest.raises(Conflict) as raised:
        cancellations.cancel_shift(
            uow,
            caller=market.owner,
            tenant_id=market.tenant_id,
            shift_id=shift.id,
            reason="Closed",
            now=before(shift, 29),
        )
    assert "already cancelled" in raised.value.message


def test_another_clients_user_cannot_cancel(uow, market):
    shift, place, _ = staffed(uow, market)
    sent = Outbox(uow)
    with pytest.raises(NotFound):
        cancellations.cancel_shift(
            uow,
            caller=market.pier_user,
            tenant_id=market.tenant_id,
            shift_id=shift.id,
            reason="Mine now",
            now=NOW,
        )
    with pytest.raises(NotFound):
        cancellations.cancel_booking(
            uow,
            caller=market.pier_user,
            tenant_id=market.tenant_id,
            booking_id=shift.booking_id,
            reason="Mine now",
            now=NOW,
        )
    with pytest.raises(NotFound):
        cancellations.cancel_assignment(
            uow,
            eligible_now=everyone,
            caller=market.pier_user,
            tenant_id=market.tenant_id,
            assignment_id=place.id,
            reason="Mine now",
            now=NOW,
        )
    with pytest.raises(Forbidden):
        cancellations.cancel_shift(
            uow,
            caller=staff_caller(market.tenant_id, role="viewer"),
            tenant_id=market.tenant_id,
            shift_id=shift.id,
            reason="No",
            now=NOW,
        )
    assert sent.types() == [] and shift.status == "open"


def test_cancelling_a_booking_cancels_its_shifts_still_to_come(uow, market):
    created = book(uow, market, recurrence="FREQ=DAILY;COUNT=5")
    first, second = created.shifts[0], created.shifts[1]
    worker = a_worker_record(uow, tenant_id=market.tenant_id)
    place = an_assignment(uow, shift=second, worker=worker)
    offer = an_offer(
        uow, shift=created.shifts[2], worker=a_worker_record(uow, tenant_id=market.tenant_id)
    )
    # The first shift is under way: it stays as it is.
    now = first.starts_at + timedelta(hours=1)
    sent = Outbox(uow)
    booking = cancellations.cancel_booking(
        uow,
        caller=market.harbor_user,
        tenant_id=market.tenant_id,
        booking_id=created.booking.id,
        reason="Season over",
        now=now,
    )
    assert booking.status == "cancelled"
    assert [s.status for s in created.shifts] == ["open"] + ["cancelled"] * 4
    assert place.status == "cancelled" and offer.status == "withdrawn"
    event = sent.one("booking.cancelled")["data"]
    assert event["shift_ids"] == [s.id for s in created.shifts[1:]]
    # Only the next day's shift is inside the 24 hours.
    assert event["late_shift_ids"] == [second.id] and event["late"] is True
    assert event["minutes_before_start"] == (24 - 1) * 60
    assert event["worker_ids"] == [worker.id]
    assert sent.types() == ["offer.withdrawn", "booking.cancelled"]
    with pytest.raises(Conflict) as raised:
        cancellations.cancel_booking(
            uow,
            caller=market.owner,
            tenant_id=market.tenant_id,
            booking_id=created.booking.id,
            reason="Again",
            now=now,
        )
    assert "already cancelled" in raised.value.message


def test_staff_cancelling_a_booking_leave_an_audit_entry(uow, market):
    created = book(uow, market, recurrence="FREQ=DAILY;COUNT=2")
    sent = Outbox(uow)
    cancellations.cancel_booking(
        uow,
        caller=market.owner,
        tenant_id=market.tenant_id,
        booking_id=created.booking.id,
        reason="Client asked",
        now=NOW,
    )
    [entry] = sent.audit()
    assert (entry["action"], entry["after"]["shift_ids"]) == (
        "booking.cancel",
        [s.id for s in created.shifts],
    )
    assert sent.one("booking.cancelled")["data"]["late"] is False


def test_a_booking_with_nothing_left_to_come_cannot_be_cancelled(uow, market):
    created = book(uow, market)
    with pytest.raises(Conflict) as raised:
        cancellations.cancel_booking(
            uow,
            caller=market.owner,
            tenant_id=market.tenant_id,
            booking_id=created.booking.id,
            reason="Late",
            now=created.shifts[0].ends_at,
        )
    assert "no shifts still to come" in raised.value.message


def test_a_worker_cancelling_late_loses_reliability_and_the_position_reopens(uow, market):
    shift, place, _ = staffed(uow, market, positions=1)
    assert (shift.status, shift.filled) == ("filled", 1)
    worker = uow.session.get(WorkerRecord, place.worker_id)
    sent = Outbox(uow)
    cancelled = cancellations.cancel_assignment(
        uow,
        eligible_now=everyone,
        caller=worker_caller(worker),
        tenant_id=market.tenant_id,
        assignment_id=place.id,
        reason="I am ill",
        now=before(shift, 3),
    )
    assert (cancelled.status, cancelled.cancelled_by_kind, cancelled.late) == (
        "cancelled",
        "worker",
        True,
    )
    assert cancelled.minutes_before_start == 180 and cancelled.cancelled_by == worker.id
    assert (shift.status, shift.filled) == ("open", 0)
    event = sent.one("assignment.cancelled")
    assert event["data"] == {
        "assignment_id": place.id,
        "shift_id": shift.id,
        "booking_id": shift.booking_id,
        "client_id": market.harbor.id,
        "worker_id": worker.id,
        "cancelled_by_kind": "worker",
        "reason": "I am ill",
        "minutes_before_start": 180,
        "late": True,
    }
    assert sent.types() == ["assignment.cancelled"]  # no audit entry: not a staff action
    with pytest.raises(Conflict) as raised:
        cancellations.cancel_assignment(
            uow,
            eligible_now=everyone,
            caller=worker_caller(worker),
            tenant_id=market.tenant_id,
            assignment_id=place.id,
            reason="Again",
            now=before(shift, 2),
        )
    assert "already cancelled" in raised.value.message


def test_a_worker_cancelling_in_time_is_not_late(uow, market):
    shift, place, _ = staffed(uow, market)
    worker = uow.session.get(WorkerRecord, place.worker_id)
    cancelled = cancellations.cancel_assignment(
        uow,
        eligible_now=everyone,
        caller=worker_caller(worker),
        tenant_id=market.tenant_id,
        assignment_id=place.id,
        reason="Exam",
        now=before(shift, 30),
    )
    assert cancelled.late is False


def test_a_worker_cancels_only_their_own_place(uow, market):
    shift, place, _ = staffed(uow, market)
    someone = a_worker_record(uow, tenant_id=market.tenant_id)
    with pytest.raises(NotFound):
        cancellations.cancel_assignment(
            uow,
            eligible_now=everyone,
            caller=worker_caller(someone),
            tenant_id=market.tenant_id,
            assignment_id=place.id,
            reason="Not mine",
            now=NOW,
        )
    worker_without_permission = worker_caller(someone, permissions=[])
    with pytest.raises(Forbidden):
        cancellations.cancel_assignment(
            uow,
            eligible_now=everyone,
            caller=worker_without_permission,
            tenant_id=market.tenant_id,
            assignment_id=place.id,
            reason="No",
            now=NOW,
        )
    assert place.status == "booked"


def test_staff_and_the_client_cancel_a_workers_place(uow, market):
    shift, place, _ = staffed(uow, market)
    sent = Outbox(uow)
    by_client = cancellations.cancel_assignment(
        uow,
        eligible_now=everyone,
        caller=market.harbor_user,
        tenant_id=market.tenant_id,
        assignment_id=place.id,
        reason="Not a fit",
        now=before(shift, 5),
    )
    assert (by_client.cancelled_by_kind, by_client.late) == ("client", True)
    assert sent.types() == ["assignment.cancelled"]
    other = an_assignment(uow, shift=shift, worker=a_worker_record(uow, tenant_id=market.tenant_id))
    by_staff = cancellations.cancel_assignment(
        uow,
        eligible_now=everyone,
        caller=market.owner,
        tenant_id=market.tenant_id,
        assignment_id=other.id,
        reason="Double booked",
        now=before(shift, 5),
    )
    assert (by_staff.cancelled_by_kind, by_staff.late) == ("staff", False)
    assert sent.audit()[0]["action"] == "assignment.cancel"
    with pytest.raises(Conflict):
        cancellations.cancel_assignment(
            uow,
            eligible_now=everyone,
            caller=market.owner,
            tenant_id=market.tenant_id,
            assignment_id=other.id,
            reason="Again",
            now=before(shift, 4),
        )


def test_a_place_on_a_started_shift_cannot_be_cancelled(uow, market):
    shift, place, _ = staffed(uow, market)
    with pytest.raises(Conflict) as raised:
        cancellations.cancel_assignment(
            uow,
            eligible_now=everyone,
            caller=market.owner,
            tenant_id=market.tenant_id,
            assignment_id=place.id,
            reason="Gone",
            now=shift.starts_at + timedelta(minutes=5),
        )
    assert "has started" in raised.value.message
    assert place.status == "booked"


def test_a_partner_cbos_worker_cancels_their_place_from_their_own_cbo(uow, market):
    shift, _, _ = staffed(uow, market)
    partner_worker = a_worker_record(uow, tenant_id=new_id(), name="Partner Worker")
    place = an_assignment(uow, shift=shift, worker=partner_worker)
    cancelled = cancellations.cancel_assignment(
        uow,
        eligible_now=everyone,
        caller=worker_caller(partner_worker),
        tenant_id=partner_worker.tenant_id,
        assignment_id=place.id,
        reason="Bus strike",
        now=before(shift, 48),
    )
    assert cancelled.status == "cancelled"
    detail = bookings.shift_detail(uow, caller=market.owner, shift=shift)
    assert ("Partner Worker", "cancelled") in [
        (a["worker_name"], a["status"]) for a in detail["assignments"]
    ]


def test_a_client_user_never_sees_why_a_worker_gave_up_their_place(uow, market):
    # The worker's reason is theirs (and a stand-down's is identity's word on them): staff see
    # it on the shift; the client's users see that the place was cancelled, and by whom.
    shift, place, _ = staffed(uow, market)
    worker = uow.session.get(WorkerRecord, place.worker_id)
    cancellations.cancel_assignment(
        uow,
        eligible_now=everyone,
        caller=worker_caller(worker),
        tenant_id=market.tenant_id,
        assignment_id=place.id,
        reason="I am pregnant",
        now=before(shift, 30),
    )

    def seen(caller):
        detail = bookings.shift_detail(uow, caller=caller, shift=shift)
        return [(a["cancelled_by_kind"], a["cancel_reason"]) for a in detail["assignments"]]

    assert seen(market.owner) == [("worker", "I am pregnant")]
    assert seen(market.harbor_user) == [("worker", None)]


def test_cancelling_a_booking_locks_its_shifts_in_the_order_a_stand_down_does(domain_engine):
    # stand_down_worker locks a worker's shifts one by one in id order; cancelling a booking
    # must lock its shifts in that same order, or the two deadlock (and the cancellation is a
    # 503) when the booking's later shift has the smaller id.
    engine = domain_engine("booking")
    with committed(engine) as uow:
        market = a_committed_market(uow)
        one = a_market_shift(uow, market, fill_mode="open", starts_at=in_days(3))
        two = a_market_shift(uow, market, fill_mode="open", starts_at=in_days(4))
        two.booking_id = one.booking_id
        low, high = sorted((one, two), key=lambda s: s.id)
        low.starts_at, high.starts_at = in_days(5), in_days(4)  # the smaller id starts later
        low.ends_at, high.ends_at = in_days(5) + timedelta(hours=4), in_days(4) + timedelta(hours=4)
        uow.session.flush()
        booking_id = one.booking_id
        uow.commit()

        with committed(engine) as stand_down, committed(engine) as cancel:
            stand_down.session.execute(
                select(Shift.id).where(Shift.id == low.id).with_for_update()
            ).one()
            pid = cancel.session.execute(text("select pg_backend_pid()")).scalar_one()
            outcome: dict[str, object] = {}

            def cancel_alone() -> None:
                try:
                    cancellations.cancel_booking(
                        cancel,
                        caller=staff_caller(market.tenant_id),
                        tenant_id=market.tenant_id,
                        booking_id=booking_id,
                        reason="Closed for the day",
                    )
                    cancel.commit()
                    outcome["cancelled"] = True
                except Exception as exc:  # the deadlock this test is about
                    outcome["error"] = exc

            thread = threading.Thread(target=cancel_alone)
            thread.start()
            waiting = text("select wait_event_type = 'Lock' from pg_stat_activity where pid = :p")
            for _ in range(200):
                with engine.connect() as watcher:
                    if watcher.execute(waiting, {"p": pid}).scalar():
                        break
                threading.Event().wait(0.05)
            stand_down.session.execute(text("set local lock_timeout = '5s'"))
            stand_down.session.execute(
                select(Shift.id).where(Shift.id == high.id).with_for_update()
            ).one()
            stand_down.rollback()
            thread.join(timeout=30)
            assert outcome == {"cancelled": True}


def test_staff_may_book_other_rates_but_not_an_exclusive_job_types_pay(uow, market):
    booked = book(uow, market, pay_rate_cents=2300, bill_rate_cents=3300).booking
    assert (booked.pay_rate_cents, booked.bill_rate_cents) == (2300, 3300)
    assert "pay_rate_cents" in refused(uow, market, job_type=market.exclusive, pay_rate_cents=1)
    client_user = refused(uow, market, market.pier_user, site=market.pier_site, pay_rate_cents=2300)
    assert "pay_rate_cents" in client_user
