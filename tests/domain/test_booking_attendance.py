"""Attendance on booking's real database: staff mark outcomes after a shift starts (and correct
them with a reason), a shift is completed when every worker on it has an outcome; clients rate
the workers who worked for them and keep their preferences, within their own client only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from chassis.errors import Conflict, NotFound, ValidationFailed
from services.booking.attendance import domain
from services.booking.attendance.models import AttendanceMark, ClientPreference
from services.booking.bookings.models import Shift
from services.booking.offers.models import CANCELLED, COMPLETED, NO_SHOW
from tests.domain.outbox import Outbox
from tests.factories import staff_caller
from tests.market.attendance import a_client_user, a_scene, an_assignment
from tests.market.builders import a_cbo_record

SERVICE = "booking"
NOW = datetime.now(UTC)


@pytest.fixture
def scene(uow):
    return a_scene(uow)


@pytest.fixture
def staff(scene):
    return staff_caller(scene.tenant_id, role="scheduler")


def includes(found: dict, expected: dict) -> bool:
    return found.items() >= expected.items()


def mark(uow, scene, staff, assignment, outcome, **kwargs):
    return domain.mark_outcome(
        uow,
        caller=staff,
        tenant_id=scene.tenant_id,
        assignment_id=assignment.id,
        outcome=outcome,
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


# -- marking outcomes ------------------------------------------------------------------------


def test_staff_mark_a_completed_shift_with_minutes_late(uow, scene, staff):
    assignment = scene.assignment()
    sent = Outbox(uow)

    marked = mark(uow, scene, staff, assignment, COMPLETED, minutes_late=25)

    assert marked["status"] == COMPLETED and marked["minutes_late"] == 25
    assert (assignment.status, assignment.outcome_by, assignment.outcome_at) == (
        COMPLETED,
        staff.user_id,
        NOW,
    )
    event = sent.one("shift.completed")
    assert event["tenant_id"] == scene.tenant_id
    assert includes(
        event["data"],
        {
            "assignment_id": assignment.id,
            "shift_id": assignment.shift_id,
            "worker_id": scene.worker.id,
            "worker_tenant_id": scene.tenant_id,
            "client_id": scene.client.id,
            "minutes_late": 25,
            "correction": False,
        },
    )
    [entry] = sent.audit()
    assert entry["action"] == "attendance.mark" and entry["entity_id"] == assignment.id
    assert entry["before"] == {"status": "booked"}
    assert entry["after"]["status"] == COMPLETED
    # The only worker of the shift has an outcome: the shift is completed.
    assert marked["shift_status"] == "completed"


def test_staff_mark_a_no_show(uow, scene, staff):
    assignment = scene.assignment()
    sent = Outbox(uow)
    marked = mark(uow, scene, staff, assignment, NO_SHOW)
    assert marked["status"] == NO_SHOW and marked["minutes_late"] is None
    assert sent.one("worker.no_show")["data"]["assignment_id"] == assignment.id
    assert not sent.events("shift.completed")


def test_marking_before_the_shift_starts_is_a_conflict(uow, scene, staff):
    assignment = scene.assignment(starts_at=NOW + timedelta(hours=2))
    with pytest.raises(Conflict, match="has not started yet"):
        mark(uow, scene, staff, assignment, NO_SHOW)
    # From its very start it can be marked.
    assert mark(uow, scene, staff, assignment, NO_SHOW, now=assignment.starts_at)


def test_marking_twice_is_a_conflict_and_a_correction_needs_a_reason(uow, scene, staff):
    assignment = scene.assignment()
    mark(uow, scene, staff, assignment, COMPLETED)
    sent = Outbox(uow)
    with pytest.raises(Conflict, match="completed for this shift already"):
        mark(uow, scene, staff, assignment, COMPLETED)
    with pytest.raises(Conflict, match="give a reason"):
        mark(uow, scene, staff, assignment, NO_SHOW)
    assert sent.types() == []

    corrected = mark(uow, scene, staff, assignment, NO_SHOW, reason="Signed in for someone else")

    assert corrected["status"] == NO_SHOW
    event = sent.one("worker.no_show")["data"]
    assert event["correction"] is True and event["reason"] == "Signed in for someone else"
    [entry] = sent.audit()
    assert entry["action"] == "attendance.correct"
    assert (entry["before"], entry["after"]["status"]) == ({"status": COMPLETED}, NO_SHOW)
    marks = uow.session.execute(
        select(AttendanceMark.outcome, AttendanceMark.corrects)
        .where(AttendanceMark.assignment_id == assignment.id)
        .order_by(AttendanceMark.marked_at, AttendanceMark.corrects.nulls_first())
    ).all()
    assert [tuple(m) for m in marks] == [(COMPLETED, None), (NO_SHOW, COMPLETED)]


def test_a_cancelled_place_has_no_attendance(uow, scene, staff):
    assignment = scene.assignment(status=CANCELLED)
    with pytest.raises(Conflict, match="cancelled"):
        mark(uow, scene, staff, assignment, NO_SHOW)


def test_only_a_worker_who_came_can_be_late(uow, scene, staff):
    assignment = scene.assignment()
    with pytest.raises(ValidationFailed) as refused:
        mark(uow, scene, staff, assignment, NO_SHOW, minutes_late=5)
    assert "minutes_late" in refused.value.fields


def test_another_cbos_assignment_does_not_exist(uow, scene):
    assignment = scene.assignment()
    stranger = staff_caller(a_cbo_record(uow).tenant_id)
    with pytest.raises(NotFound):
        domain.mark_outcome(
            uow,
            caller=stranger,
            tenant_id=stranger.tenant_id,
            assignment_id=assignment.id,
            outcome=NO_SHOW,
            now=NOW,
        )
    assert assignment.status == "booked"


def test_a_shift_is_completed_once_every_live_assignment_has_an_outcome(uow, scene, staff):
    shift = scene.shift(starts_at=NOW - timedelta(hours=3), positions=3)
    first = an_assignment(uow, shift=shift, worker=scene.worker)
    second = an_assignment(uow, shift=shift, worker=scene.another_worker())
    an_assignment(uow, shift=shift, worker=scene.another_worker(), status=CANCELLED)

    assert mark(uow, scene, staff, first, COMPLETED)["shift_status"] == "open"
    assert mark(uow, scene, staff, second, NO_SHOW)["shift_status"] == "completed"
    assert uow.session.get(Shift, shift.id).status == "completed"


# -- ratings ---------------------------------------------------------------------------------


def rate(uow, scene, caller, assignment, rating, note=None):
    return domain.rate_worker(
        uow,
        caller=caller,
        tenant_id=scene.tenant_id,
        assignment_id=assignment.id,
        rating=rating,
        note=note,
    )


def preferences(uow, scene, client_id):
    return uow.session.execute(
        select(ClientPreference.worker_id, ClientPreference.rating).where(
            ClientPreference.client_id == client_id
        )
    ).all()


def test_the_client_rates_a_worker_after_a_completed_shift(uow, scene, staff):
    assignment = scene.assignment()
    mark(uow, scene, staff, assignment, COMPLETED)
    user = a_client_user(scene.tenant_id, scene.client.id)
    sent = Outbox(uow)

    rated = rate(uow, scene, user, assignment, "favourite", note="  Great with kids ")

    assert includes(
        rated,
        {
            "client_id": scene.client.id,
            "worker_id": scene.worker.id,
            "worker_name": "Sokha Chan",
            "rating": "favourite",
            "note": "  Great with kids ",  # the schema trims; the domain keeps what it is given
            "shift_id": assignment.shift_id,
            "rated_by": user.user_id,
        },
    )
    assert includes(
        sent.one("worker.rated")["data"],
        {
            "rating": "favourite",
            "rated_by_kind": "client",
            "shift_id": assignment.shift_id,
        },
    )
    # Rated again (staff for the client): still one preference, the latest.
    rate(uow, scene, staff, assignment, "blocked", note="Left early")
    assert preferences(uow, scene, scene.client.id) == [(scene.worker.id, "blocked")]
    assert [a["action"] for a in sent.audit()] == ["preference.set", "preference.set"]


def test_a_worker_is_rated_only_after_a_completed_shift(uow, scene, staff):
    booked = scene.assignment()
    user = a_client_user(scene.tenant_id, scene.client.id)
    with pytest.raises(Conflict, match="completed shift"):
        rate(uow, scene, user, booked, "ok")
    mark(uow, scene, staff, booked, NO_SHOW)
    with pytest.raises(Conflict):
        rate(uow, scene, user, booked, "blocked")


def test_a_client_user_of_another_client_finds_nothing(uow, scene, staff):
    assignment = scene.assignment()
    mark(uow, scene, staff, assignment, COMPLETED)
    other = a_client_user(scene.tenant_id, scene.another_client().id)
    with pytest.raises(NotFound):
        rate(uow, scene, other, assignment, "blocked")
    with pytest.raises(NotFound):
        domain.attendance_of(
            uow, caller=other, tenant_id=scene.tenant_id, assignment_id=assignment.id
        )
    for call in (
        lambda: domain.list_preferences(
            uow,
            caller=other,
            tenant_id=scene.tenant_id,
            client_id=scene.client.id,
            page=1,
            per_page=50,
            sort="-updated_at",
        ),
        lambda: domain.set_preference(
            uow,
            caller=other,
            tenant_id=scene.tenant_id,
            client_id=scene.client.id,
            worker_id=scene.worker.id,
            rating="blocked",
        ),
        lambda: domain.remove_preference(
            uow,
            caller=other,
            tenant_id=scene.tenant_id,
            client_id=scene.client.id,
            worker_id=scene.worker.id,
        ),
    ):
        with pytest.raises(NotFound):
            call()
    assert preferences(uow, scene, scene.client.id) == []


# -- preferences set directly ----------------------------------------------------------------


def put(uow, scene, caller, rating, *, worker=None, client=None, note=None):
    return domain.set_preference(
        uow,
        caller=caller,
        tenant_id=scene.tenant_id,
        client_id=(client or scene.client).id,
        worker_id=(worker or scene.worker).id,
        rating=rating,
        note=note,
    )


def test_preferences_need_a_shift_the_worker_worked_for_the_client(uow, scene, staff):
    user = a_client_user(scene.tenant_id, scene.client.id)
    for rating in ("favourite", "ok", "blocked"):
        with pytest.raises(Conflict):
            put(uow, scene, user, rating)
    # A no-show at this client is enough to block them, not to make them a favourite.
    missed = scene.assignment()
    mark(uow, scene, staff, missed, NO_SHOW)
    with pytest.raises(Conflict):
        put(uow, scene, user, "favourite")
    assert put(uow, scene, user, "blocked")["rating"] == "blocked"
    # A completed shift at another client does not count for this one.
    elsewhere = scene.another_worker()
    other_client = scene.another_client()
    worked = scene.assignment(worker=elsewhere, client=other_client)
    mark(uow, scene, staff, worked, COMPLETED)
    with pytest.raises(Conflict):
        put(uow, scene, user, "ok", worker=elsewhere)
    assert put(uow, scene, staff, "ok", worker=elsewhere, client=other_client)["rating"] == "ok"


def test_staff_may_rate_any_worker_of_their_cbo_saying_why(uow, scene, staff):
    with pytest.raises(ValidationFailed) as refused:
        put(uow, scene, staff, "blocked")
    assert "note" in refused.value.fields
    with pytest.raises(ValidationFailed):
        put(uow, scene, staff, "favourite")
    # The roster a client brings with it: favourites before any shift here.
    roster = put(uow, scene, staff, "favourite", note="On the client's own roster")
    assert roster["rating"] == "favourite"
    sent = Outbox(uow)
    blocked = put(uow, scene, staff, "blocked", note="Harassed a client's staff elsewhere")
    assert blocked["rating"] == "blocked" and blocked["shift_id"] is None
    assert sent.one("worker.rated")["data"]["rated_by_kind"] == "staff"
    # A worker of another CBO is nobody here.
    stranger = a_scene(uow).worker
    with pytest.raises(NotFound):
        put(uow, scene, staff, "blocked", worker=stranger, note="Unknown")


def test_preferences_of_another_cbos_client_do_not_exist(uow, scene):
    stranger = staff_caller(a_cbo_record(uow).tenant_id)
    with pytest.raises(NotFound):
        domain.list_preferences(
            uow,
            caller=stranger,
            tenant_id=stranger.tenant_id,
            client_id=scene.client.id,
            page=1,
            per_page=50,
            sort="-updated_at",
        )


def test_list_filter_and_remove_preferences(uow, scene, staff):
    others = [scene.another_worker() for _ in range(2)]
    for worker in [scene.worker, *others]:
        mark(uow, scene, staff, scene.assignment(worker=worker), COMPLETED)
    user = a_client_user(scene.tenant_id, scene.client.id)
    put(uow, scene, user, "favourite")
    put(uow, scene, user, "blocked", worker=others[0], note="Late twice")
    put(uow, scene, user, "favourite", worker=others[1])

    def listed(**options):
        page = domain.list_preferences(
            uow,
            caller=user,
            tenant_id=scene.tenant_id,
            client_id=scene.client.id,
            page=1,
            per_page=50,
            sort="worker_name",
            **options,
        )
        return page["total"], {item["worker_id"] for item in page["items"]}

    assert listed() == (3, {scene.worker.id, *(w.id for w in others)})
    assert listed(rating="favourite") == (2, {scene.worker.id, others[1].id})
    assert listed(q="sokha") == (1, {scene.worker.id})
    assert listed(q="%") == (0, set())

    sent = Outbox(uow)
    domain.remove_preference(
        uow,
        caller=user,
        tenant_id=scene.tenant_id,
        client_id=scene.client.id,
        worker_id=others[0].id,
    )
    assert sent.one("worker.unrated")["data"]["rating"] == "blocked"
    assert sent.audit()[0]["action"] == "preference.remove"
    assert listed(rating="blocked") == (0, set())
    with pytest.raises(NotFound):
        domain.remove_preference(
            uow,
            caller=user,
            tenant_id=scene.tenant_id,
            client_id=scene.client.id,
            worker_id=others[0].id,
        )
