"""Reliability on booking's real database: booking's events become entries, entries a score;
redelivered events count once; corrections reverse; excuses and overturned appeals weigh
nothing; the 72-hour appeal window; one review item per crossing of the threshold; decay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from chassis.errors import Conflict, NotFound
from services.booking.attendance import domain as attendance
from services.booking.offers.models import COMPLETED, NO_SHOW
from services.booking.reliability import domain, rules
from services.booking.reliability.models import ReliabilityEntry, ReliabilityScore, ReviewItem
from services.booking.settings.models import BookingSettings
from tests.domain.outbox import Outbox
from tests.factories import staff_caller
from tests.market.attendance import a_scene, a_worker_caller
from tests.market.builders import a_cbo_record, a_worker_record, new_id

SERVICE = "booking"
NOW = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)


@pytest.fixture
def scene(uow):
    return a_scene(uow)


@pytest.fixture
def staff(scene):
    return staff_caller(scene.tenant_id, role="scheduler")


def no_show(uow, worker, *, at=NOW, assignment_id=None, now=None) -> str:
    """A worker.no_show event handled (as reliability's handler does): the assignment id."""
    assignment_id = assignment_id or new_id()
    domain.count_attendance(
        uow,
        tenant_id=worker.tenant_id,
        outcome=rules.NO_SHOW,
        assignment_id=assignment_id,
        shift_id=new_id(),
        worker_id=worker.id,
        occurred_at=at,
        now=now or at,
    )
    return assignment_id


def completed(uow, worker, *, at=NOW, minutes_late=0, assignment_id=None) -> str:
    assignment_id = assignment_id or new_id()
    domain.count_attendance(
        uow,
        tenant_id=worker.tenant_id,
        outcome=rules.COMPLETED,
        assignment_id=assignment_id,
        shift_id=new_id(),
        worker_id=worker.id,
        minutes_late=minutes_late,
        occurred_at=at,
        now=at,
    )
    return assignment_id


def view(uow, worker, now=NOW) -> dict:
    return domain.reliability_of(uow, tenant_id=worker.tenant_id, worker_id=worker.id, now=now)


def stored(uow, worker) -> ReliabilityScore:
    row = uow.session.get(ReliabilityScore, worker.id, populate_existing=True)
    assert row is not None
    return row


def entries(uow, worker) -> list[ReliabilityEntry]:
    return list(
        uow.session.execute(
            select(ReliabilityEntry)
            .where(ReliabilityEntry.worker_id == worker.id)
            .order_by(ReliabilityEntry.kind)
            .execution_options(populate_existing=True)
        ).scalars()
    )


# -- events become entries, entries a score --------------------------------------------------


def test_a_worker_with_no_history_scores_as_a_new_worker(uow, scene):
    shown = view(uow, scene.worker)
    assert (shown["score"], shown["active_points"], shown["entries"]) == (75, 0, [])
    assert not shown["reliable"]
    assert [tip["code"] for tip in shown["how_to_improve"]] == ["complete_shifts"]


def test_a_no_show_counts_4_points_and_the_score_falls_to_35(uow, scene):
    sent = Outbox(uow)
    no_show(uow, scene.worker)

    [entry] = entries(uow, scene.worker)
    assert (entry.kind, entry.points, entry.tenant_id) == (rules.NO_SHOW, 4, scene.tenant_id)
    assert (stored(uow, scene.worker).score, stored(uow, scene.worker).active_points) == (35, 4)
    changed = sent.one("reliability.changed")
    assert changed["tenant_id"] == scene.tenant_id
    assert changed["data"] == {
        "worker_id": scene.worker.id,
        "score": 35.0,
        "active_points": 4.0,
        "cause": "no_show",
        "previous_score": 75.0,
        "completed_shifts": 0,
        "entry_id": entry.id,
    }
    shown = view(uow, scene.worker)
    assert shown["score"] == 35
    [listed] = shown["entries"]
    assert (listed["kind"], listed["current_weight"], listed["state"]) == ("no_show", 4, "counts")
    assert listed["appealable_until"] == NOW + timedelta(hours=72)
    assert shown["how_to_improve"][0]["code"] == "no_show"


def test_a_redelivered_event_counts_once(uow, scene):
    assignment_id = no_show(uow, scene.worker)
    sent = Outbox(uow)
    no_show(uow, scene.worker, assignment_id=assignment_id, now=NOW + timedelta(minutes=5))
    assert len(entries(uow, scene.worker)) == 1
    assert sent.types() == []
    assert stored(uow, scene.worker).score == 35


def test_completed_shifts_lift_and_lateness_beyond_the_grace_costs_a_point(uow, scene):
    completed(uow, scene.worker, minutes_late=10)  # within the grace
    completed(uow, scene.worker, minutes_late=25)
    kinds = [e.kind for e in entries(uow, scene.worker)]
    assert sorted(kinds) == ["completed", "completed", "late_arrival"]
    # base 75 + 2 x 2.5 = 80, less 10 for the late arrival.
    assert stored(uow, scene.worker).score == 70
    assert stored(uow, scene.worker).completed_shifts == 2
    shown = view(uow, scene.worker)
    assert [e["kind"] for e in shown["entries"]] == ["late_arrival"]  # completions are counted
    assert shown["completed_shifts"] == 2 and shown["base_score"] == 80


def test_missed_confirmations_count_once_per_offer(uow, scene):
    offer_id = new_id()
    for _ in range(2):
        domain.count_missed_confirmation(
            uow,
            tenant_id=scene.tenant_id,
            worker_id=scene.worker.id,
            offer_id=offer_id,
            shift_id=new_id(),
            occurred_at=NOW,
            now=NOW,
        )
    [entry] = entries(uow, scene.worker)
    assert (entry.kind, entry.points) == ("missed_confirmation", 2)
    assert stored(uow, scene.worker).score == 55


def test_a_batch_of_missed_confirmations_scores_as_one_at_a_time(uow, scene):
    """Deadlines pass together: a batch reads each worker's history once, and gives every
    entry the score and reliability.changed that counting it alone would."""
    other = a_worker_record(uow, tenant_id=scene.tenant_id)
    offers = [new_id() for _ in range(3)]

    def miss(worker, offer_id, minutes=0):
        return domain.missed_confirmation(
            tenant_id=worker.tenant_id,
            worker_id=worker.id,
            offer_id=offer_id,
            shift_id=new_id(),
            occurred_at=NOW - timedelta(minutes=minutes),
            correlation_id=f"corr-{offer_id}",
        )

    sent = Outbox(uow)
    made = domain.count_entries(
        uow,
        entries=[
            miss(scene.worker, offers[0], 30),
            miss(other, offers[1]),
            miss(scene.worker, offers[2]),
            miss(scene.worker, offers[0], 30),  # the same offer again: a repeat
        ],
        now=NOW,
    )
    assert [entry_id is None for entry_id in made] == [False, False, False, True]
    envelopes = sent.events("reliability.changed")
    # Each carries the correlation of the event that caused it, not the batch's last.
    assert sorted(e["correlation_id"] for e in envelopes) == sorted(f"corr-{o}" for o in offers)
    changed = [e["data"] for e in envelopes]
    # A missed confirmation weighs 2 points, 10 each: 75 -> 55 -> 35 (the first was missed
    # 30 minutes before, a decay that rounding to cents does not show).
    assert sorted((c["worker_id"], c["previous_score"], c["score"]) for c in changed) == sorted(
        [
            (scene.worker.id, 75.0, 55.0),
            (scene.worker.id, 55.0, 35.0),
            (other.id, 75.0, 55.0),
        ]
    )
    assert [c["entry_id"] for c in changed if c["worker_id"] == other.id] == [made[1]]
    half_life = domain.settings_of(uow, tenant_id=scene.tenant_id).half_life_days
    history = domain._weighed(uow, tenant_id=scene.tenant_id, worker_id=scene.worker.id)
    assert len(history) == 2
    assert stored(uow, scene.worker).active_points == pytest.approx(
        rules.active_points(history, now=NOW, half_life_days=half_life)
    )
    assert stored(uow, other).score == 55


@pytest.mark.parametrize(
    ("by", "late", "counts"),
    [
        ("worker", True, True),
        ("worker", False, False),
        ("client", True, False),
        ("staff", True, False),
    ],
)
def test_only_a_workers_own_late_cancellation_counts(uow, scene, by, late, counts):
    found = domain.count_cancellation(
        uow,
        tenant_id=scene.tenant_id,
        worker_id=scene.worker.id,
        assignment_id=new_id(),
        shift_id=new_id(),
        cancelled_by_kind=by,
        late=late,
        occurred_at=NOW,
        now=NOW,
    )
    assert (found is not None) is counts
    assert [e.kind for e in entries(uow, scene.worker)] == (["late_cancellation"] if counts else [])


def test_entries_belong_to_the_workers_own_cbo(uow, scene):
    # A partner CBO's worker on this CBO's shift: the assignment knows their CBO.
    partner_worker = a_worker_record(uow, tenant_id=a_cbo_record(uow).tenant_id)
    assignment = scene.assignment(worker=partner_worker)
    assert (
        domain.worker_tenant_of(uow, assignment_id=assignment.id, default=scene.tenant_id)
        == partner_worker.tenant_id
    )
    assert domain.worker_tenant_of(uow, assignment_id=new_id(), default="x") == "x"


# -- attendance marked by staff, corrected, in any order -------------------------------------


def test_marking_then_correcting_reverses_the_reliability_effect(uow, scene, staff):
    assignment = scene.assignment(starts_at=NOW - timedelta(hours=5))
    attendance.mark_outcome(
        uow,
        caller=staff,
        tenant_id=scene.tenant_id,
        assignment_id=assignment.id,
        outcome=COMPLETED,
        minutes_late=30,
        now=NOW,
    )
    completed(uow, scene.worker, minutes_late=30, assignment_id=assignment.id)
    assert stored(uow, scene.worker).score == pytest.approx(67.5)  # 77.5 - 10

    attendance.mark_outcome(
        uow,
        caller=staff,
        tenant_id=scene.tenant_id,
        assignment_id=assignment.id,
        outcome=NO_SHOW,
        reason="Never came; the timesheet was wrong",
        now=NOW,
    )
    sent = Outbox(uow)
    no_show(uow, scene.worker, assignment_id=assignment.id)

    states = {e.kind: e.voided_at is not None for e in entries(uow, scene.worker)}
    assert states == {"completed": True, "late_arrival": True, "no_show": False}
    assert stored(uow, scene.worker).score == 35
    assert stored(uow, scene.worker).completed_shifts == 0
    assert sent.one("reliability.changed")["data"]["cause"] == "correction"
    shown = view(uow, scene.worker)
    assert {e["kind"]: e["state"] for e in shown["entries"]} == {
        "late_arrival": "corrected",
        "no_show": "counts",
    }
    # ... and corrected back: the completion counts again, the no-show no longer.
    attendance.mark_outcome(
        uow,
        caller=staff,
        tenant_id=scene.tenant_id,
        assignment_id=assignment.id,
        outcome=COMPLETED,
        minutes_late=30,
        reason="Found the sign-in sheet",
        now=NOW,
    )
    completed(uow, scene.worker, minutes_late=30, assignment_id=assignment.id)
    assert stored(uow, scene.worker).score == pytest.approx(67.5)


def test_a_stale_event_after_a_correction_changes_nothing(uow, scene, staff):
    """The correction's worker.no_show is handled before the first shift.completed."""
    assignment = scene.assignment(starts_at=NOW - timedelta(hours=5))
    for outcome, reason in ((COMPLETED, None), (NO_SHOW, "Wrong person marked")):
        attendance.mark_outcome(
            uow,
            caller=staff,
            tenant_id=scene.tenant_id,
            assignment_id=assignment.id,
            outcome=outcome,
            reason=reason,
            now=NOW,
        )
    no_show(uow, scene.worker, assignment_id=assignment.id)
    sent = Outbox(uow)
    completed(uow, scene.worker, assignment_id=assignment.id)
    assert sent.types() == []
    assert [e.kind for e in entries(uow, scene.worker)] == ["no_show"]
    assert stored(uow, scene.worker).score == 35


# -- excuses and appeals ---------------------------------------------------------------------


def the_entry(uow, worker) -> ReliabilityEntry:
    [entry] = [e for e in entries(uow, worker) if e.kind in rules.PENALTIES]
    return entry


def appeal(uow, worker, entry, now, text="My bus broke down"):
    return domain.appeal_entry(
        uow, tenant_id=worker.tenant_id, worker_id=worker.id, entry_id=entry.id, text=text, now=now
    )


def test_an_excused_entry_weighs_nothing(uow, scene, staff):
    no_show(uow, scene.worker)
    entry = the_entry(uow, scene.worker)
    sent = Outbox(uow)
    domain.excuse_entry(
        uow,
        caller=staff,
        tenant_id=scene.tenant_id,
        entry_id=entry.id,
        reason="Hospital visit, note seen",
        now=NOW + timedelta(hours=1),
    )
    assert stored(uow, scene.worker).score == 75
    assert sent.one("reliability.changed")["data"]["cause"] == "excused"
    [audited] = sent.audit()
    assert audited["action"] == "reliability.excuse"
    assert (audited["before"]["excused"], audited["after"]["excused"]) == (False, True)
    assert audited["after"]["excuse_reason"] == "Hospital visit, note seen"
    assert view(uow, scene.worker)["entries"][0]["state"] == "excused"
    with pytest.raises(Conflict, match="excused already"):
        domain.excuse_entry(
            uow, caller=staff, tenant_id=scene.tenant_id, entry_id=entry.id, reason="x", now=NOW
        )


def test_another_cbos_staff_cannot_see_or_excuse_an_entry(uow, scene):
    no_show(uow, scene.worker)
    entry = the_entry(uow, scene.worker)
    stranger = staff_caller(a_cbo_record(uow).tenant_id)
    with pytest.raises(NotFound):
        domain.excuse_entry(
            uow,
            caller=stranger,
            tenant_id=stranger.tenant_id,
            entry_id=entry.id,
            reason="Mine now",
            now=NOW,
        )
    with pytest.raises(NotFound):
        domain.staff_reliability_of(
            uow, tenant_id=stranger.tenant_id, worker_id=scene.worker.id, now=NOW
        )
    assert stored(uow, scene.worker).score == 35


def test_staff_see_a_worker_of_their_cbo_even_without_history(uow, scene):
    found = domain.staff_reliability_of(
        uow, tenant_id=scene.tenant_id, worker_id=scene.worker.id, now=NOW
    )
    assert found["score"] == 75
    with pytest.raises(NotFound):
        domain.staff_reliability_of(uow, tenant_id=scene.tenant_id, worker_id=new_id(), now=NOW)


def test_the_appeal_window_is_72_hours_to_the_second(uow, scene):
    no_show(uow, scene.worker)
    entry = the_entry(uow, scene.worker)
    with pytest.raises(Conflict, match="within 72 hours") as late:
        appeal(uow, scene.worker, entry, NOW + timedelta(hours=72, seconds=1))
    assert "ended at 2026-12-10T17:00:00+00:00" in str(late.value)
    assert entry.appeal_status == "none"

    sent = Outbox(uow)
    appealed = appeal(uow, scene.worker, entry, NOW + timedelta(hours=72))
    assert (appealed.appeal_status, appealed.appeal_text) == ("pending", "My bus broke down")
    assert sent.one("reliability.appealed")["data"] == {
        "entry_id": entry.id,
        "worker_id": scene.worker.id,
        "kind": "no_show",
    }
    # A pending appeal still counts; one appeal per entry.
    assert view(uow, scene.worker, NOW + timedelta(hours=72))["score"] == pytest.approx(
        75 - 40 * 0.5 ** (3 / 90), abs=0.01
    )
    with pytest.raises(Conflict, match="appealed already"):
        appeal(uow, scene.worker, entry, NOW + timedelta(hours=1))


def test_a_worker_appeals_only_their_own_entries(uow, scene):
    no_show(uow, scene.worker)
    entry = the_entry(uow, scene.worker)
    other = scene.another_worker()
    with pytest.raises(NotFound):
        domain.appeal_entry(
            uow,
            tenant_id=other.tenant_id,
            worker_id=other.id,
            entry_id=entry.id,
            text="Not me",
            now=NOW,
        )
    assert a_worker_caller(scene.worker).user_id == entry.worker_id


def decide(uow, staff, scene, entry, outcome, now=NOW + timedelta(hours=2)):
    return domain.decide_appeal(
        uow,
        caller=staff,
        tenant_id=scene.tenant_id,
        entry_id=entry.id,
        outcome=outcome,
        reason="Checked with the client",
        now=now,
    )


def test_an_overturned_appeal_restores_the_score(uow, scene, staff):
    no_show(uow, scene.worker)
    entry = the_entry(uow, scene.worker)
    with pytest.raises(Conflict, match="not been appealed"):
        decide(uow, staff, scene, entry, "overturned")
    appeal(uow, scene.worker, entry, NOW + timedelta(hours=1))
    sent = Outbox(uow)

    decide(uow, staff, scene, entry, "overturned")

    assert stored(uow, scene.worker).score == 75
    assert sent.types() == [
        "reliability.changed",
        "reliability.appeal_decided",
        "audit.recorded",
    ]
    assert sent.one("reliability.changed")["data"]["cause"] == "appeal_overturned"
    assert sent.one("reliability.appeal_decided")["data"]["outcome"] == "overturned"
    assert sent.audit()[0]["after"]["appeal_status"] == "overturned"
    shown = view(uow, scene.worker, NOW + timedelta(hours=2))
    assert shown["score"] == 75
    assert shown["entries"][0]["state"] == "overturned"
    with pytest.raises(Conflict, match="decided already"):
        decide(uow, staff, scene, entry, "upheld")


def test_an_upheld_appeal_keeps_counting(uow, scene, staff):
    no_show(uow, scene.worker)
    entry = the_entry(uow, scene.worker)
    appeal(uow, scene.worker, entry, NOW + timedelta(hours=1))
    sent = Outbox(uow)
    decide(uow, staff, scene, entry, "upheld")
    assert "reliability.changed" not in sent.types()
    assert stored(uow, scene.worker).score == 35
    with pytest.raises(Conflict, match="appealed already"):
        appeal(uow, scene.worker, entry, NOW + timedelta(hours=3))


# -- review items ----------------------------------------------------------------------------


def reviews(uow, worker) -> list[ReviewItem]:
    return list(
        uow.session.execute(
            select(ReviewItem).where(ReviewItem.worker_id == worker.id).order_by(ReviewItem.id)
        ).scalars()
    )


def test_passing_the_threshold_opens_one_review_item(uow, scene, staff):
    no_show(uow, scene.worker)  # 4
    no_show(uow, scene.worker)  # 8
    assert reviews(uow, scene.worker) == []
    sent = Outbox(uow)
    no_show(uow, scene.worker)  # 12: past 10
    [review] = reviews(uow, scene.worker)
    assert (review.status, review.active_points) == ("open", 12)
    assert sent.one("reliability.review_opened")["data"] == {
        "review_id": review.id,
        "worker_id": scene.worker.id,
        "active_points": 12.0,
    }
    no_show(uow, scene.worker)  # 16: the open review covers it
    assert len(reviews(uow, scene.worker)) == 1
    assert view(uow, scene.worker)["open_review_id"] == review.id

    page = domain.list_reviews(
        uow, tenant_id=scene.tenant_id, page=1, per_page=50, sort="-created_at", status="open"
    )
    assert [(r["id"], r["worker_name"]) for r in page["items"]] == [(review.id, "Sokha Chan")]

    sent = Outbox(uow)
    closed = domain.close_review(
        uow,
        caller=staff,
        tenant_id=scene.tenant_id,
        review_id=review.id,
        outcome="Talked it through; on watch for a month",
        now=NOW,
    )
    assert closed["status"] == "closed" and closed["closed_by"] == staff.user_id
    assert sent.one("reliability.review_closed")["data"]["review_id"] == review.id
    assert sent.audit()[0]["action"] == "reliability.close_review"
    with pytest.raises(Conflict, match="closed already"):
        domain.close_review(
            uow, caller=staff, tenant_id=scene.tenant_id, review_id=review.id, outcome="x", now=NOW
        )
    # Still past the threshold, a new entry opens a new review; an excuse never does.
    no_show(uow, scene.worker)
    assert [r.status for r in reviews(uow, scene.worker)].count("open") == 1
    stranger = a_cbo_record(uow).tenant_id
    assert (
        domain.list_reviews(uow, tenant_id=stranger, page=1, per_page=50, sort="-created_at")[
            "total"
        ]
        == 0
    )
    with pytest.raises(NotFound):
        domain.close_review(
            uow,
            caller=staff_caller(stranger),
            tenant_id=stranger,
            review_id=review.id,
            outcome="x",
            now=NOW,
        )


def test_the_cbos_settings_set_the_half_life_and_threshold(uow, scene):
    uow.session.add(
        BookingSettings(
            tenant_id=scene.tenant_id,
            confirm_within_minutes=60,
            confirm_before_start_minutes=120,
            late_cancel_hours=24,
            tier_delay_permille=100,
            tier_delay_min_seconds=60,
            tier_delay_max_seconds=3600,
            reliability_half_life_days=30,
            reliability_review_points=4,
        )
    )
    uow.session.flush()
    no_show(uow, scene.worker)
    assert len(reviews(uow, scene.worker)) == 1  # 4 points reach a threshold of 4
    later = view(uow, scene.worker, NOW + timedelta(days=30))
    assert (later["active_points"], later["half_life_days"]) == (2, 30)


# -- decay -----------------------------------------------------------------------------------


def test_scores_decay_at_read_time_and_in_the_periodic_recompute(uow, scene):
    no_show(uow, scene.worker)
    clean = scene.another_worker()
    completed(uow, clean)
    half_life_later = NOW + timedelta(days=90)

    assert view(uow, scene.worker, half_life_later)["score"] == 55
    assert stored(uow, scene.worker).score == 35  # until the recompute

    sent = Outbox(uow)
    moved = domain.recompute_scores(uow, now=half_life_later, tenant_id=scene.tenant_id)

    assert moved == 1  # the clean worker has nothing to decay
    assert (stored(uow, scene.worker).score, stored(uow, scene.worker).active_points) == (55, 2)
    assert sent.one("reliability.changed")["data"] == {
        "worker_id": scene.worker.id,
        "score": 55.0,
        "active_points": 2.0,
        "cause": "decay",
        "previous_score": 35.0,
        "completed_shifts": 0,
        "entry_id": None,
    }
    assert not sent.events("reliability.review_opened")
    # Run again at the same moment: nothing moved.
    assert domain.recompute_scores(uow, now=half_life_later) == 0
    # Without a tenant it covers every CBO.
    other = a_scene(uow).worker
    no_show(uow, other)
    assert domain.recompute_scores(uow, now=NOW + timedelta(days=180)) == 2
    assert stored(uow, other).score == 65  # 4 points after two half-lives: 1
    assert uow.session.execute(select(func.count()).select_from(ReviewItem)).scalar() == 0
