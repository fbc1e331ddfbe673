"""Reliability rules against hand-computed cases: weights, decay by half-life, what counts,
the score and its lift by completed shifts, the review threshold, the 72-hour appeal window,
and the tips on how to improve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.booking.reliability import rules
from services.booking.reliability.rules import Entry

NOW = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
HALF_LIFE = 90


def entry(kind: str = rules.NO_SHOW, days_ago: float = 0, **state) -> Entry:
    return Entry(
        kind=kind,
        points=rules.WEIGHTS[kind],
        occurred_at=NOW - timedelta(days=days_ago),
        **state,
    )


def points(*entries: Entry, now: datetime = NOW, half_life: float = HALF_LIFE) -> float:
    return rules.active_points(entries, now=now, half_life_days=half_life)


# -- weights ---------------------------------------------------------------------------------


def test_a_no_show_weighs_most_then_missed_confirmation_and_late_cancellation_then_lateness():
    w = rules.WEIGHTS
    assert w[rules.NO_SHOW] == 4
    assert w[rules.MISSED_CONFIRMATION] == w[rules.LATE_CANCELLATION] == 2
    assert w[rules.LATE_ARRIVAL] == 1
    assert w[rules.COMPLETED] == 0
    assert rules.PENALTIES == (
        rules.NO_SHOW,
        rules.MISSED_CONFIRMATION,
        rules.LATE_CANCELLATION,
        rules.LATE_ARRIVAL,
    )


def test_the_thresholds_other_areas_read_keep_their_values():
    assert rules.NEW_WORKER_SCORE == 75.0
    assert rules.RELIABLE_SCORE == 80.0


# -- decay -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "factor"),
    [(0, 1.0), (45, 2**-0.5), (90, 0.5), (180, 0.25), (270, 0.125), (900, 2**-10)],
)
def test_decay_halves_the_weight_every_half_life(days, factor):
    assert rules.decay_factor(timedelta(days=days), 90) == pytest.approx(factor)


def test_an_entry_from_the_future_weighs_as_a_new_one_and_the_half_life_must_be_positive():
    assert rules.decay_factor(timedelta(days=-3), 90) == 1.0
    with pytest.raises(ValueError):
        rules.decay_factor(timedelta(days=1), 0)


def test_one_no_show_today_weighs_4_points_and_leaves_a_new_worker_35():
    today = entry(rules.NO_SHOW)
    assert points(today) == 4
    assert rules.score(points(today), 0) == 35


def test_the_same_no_show_after_one_half_life_weighs_half():
    old = entry(rules.NO_SHOW, days_ago=90)
    assert points(old) == pytest.approx(2)
    assert rules.score(points(old), 0) == pytest.approx(55)
    # ... and a quarter after two; a CBO's shorter half-life decays faster.
    assert points(entry(rules.NO_SHOW, days_ago=180)) == pytest.approx(1)
    assert points(entry(rules.NO_SHOW, days_ago=30), half_life=30) == pytest.approx(2)


# -- what counts -----------------------------------------------------------------------------


def test_an_excused_entry_counts_zero():
    excused = entry(rules.NO_SHOW, excused_at=NOW)
    assert rules.state(excused) == rules.EXCUSED
    assert points(excused) == 0
    assert rules.score(points(excused), 0) == rules.NEW_WORKER_SCORE


def test_an_overturned_appeal_counts_zero_while_pending_and_upheld_ones_count():
    overturned = entry(rules.NO_SHOW, appeal_status=rules.OVERTURNED)
    assert rules.state(overturned) == rules.OVERTURNED_STATE
    assert points(overturned) == 0
    assert rules.score(points(overturned), 0) == 75
    for still in (rules.APPEAL_PENDING, rules.UPHELD):
        assert points(entry(rules.NO_SHOW, appeal_status=still)) == 4


def test_an_entry_voided_by_a_correction_counts_zero():
    corrected = entry(rules.NO_SHOW, voided_at=NOW)
    assert rules.state(corrected) == rules.CORRECTED
    assert points(corrected) == 0
    # A corrected entry shows as corrected, whatever else happened to it.
    assert rules.state(entry(rules.NO_SHOW, voided_at=NOW, excused_at=NOW)) == rules.CORRECTED


def test_several_kinds_combined():
    history = (
        entry(rules.NO_SHOW),  # 4
        entry(rules.MISSED_CONFIRMATION, days_ago=90),  # 2 x 1/2 = 1
        entry(rules.LATE_ARRIVAL, days_ago=180),  # 1 x 1/4 = 0.25
        entry(rules.LATE_CANCELLATION),  # 2
        entry(rules.LATE_CANCELLATION, excused_at=NOW),  # 0
        entry(rules.COMPLETED),  # 0
    )
    assert points(*history) == pytest.approx(7.25)
    completed = rules.completed_shifts(history)
    assert completed == 1
    # base 75 + 2.5 = 77.5, less 72.5
    assert rules.score(points(*history), completed) == pytest.approx(5)


# -- the score -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "base"), [(0, 75), (1, 77.5), (2, 80), (4, 85), (9, 97.5), (10, 100), (25, 100)]
)
def test_completed_shifts_lift_a_new_worker_towards_100(completed, base):
    assert rules.base_score(completed) == base
    assert rules.score(0, completed) == base


def test_two_clean_shifts_make_a_new_worker_reliable():
    assert not rules.is_reliable(rules.score(0, 0))
    assert not rules.is_reliable(rules.score(0, 1))
    assert rules.is_reliable(rules.score(0, 2))


def test_the_score_is_floored_at_zero():
    three = (entry(), entry(), entry())
    assert points(*three) == 12
    assert rules.score(points(*three), 0) == 0
    assert rules.score(12, 10) == 0


def test_a_completed_shift_voided_by_a_correction_does_not_lift():
    assert (
        rules.completed_shifts([entry(rules.COMPLETED), entry(rules.COMPLETED, voided_at=NOW)]) == 1
    )


def test_the_score_is_monotonic():
    grid = [x / 4 for x in range(0, 61)]
    for completed in range(0, 14):
        values = [rules.score(p, completed) for p in grid]
        assert values == sorted(values, reverse=True)  # more points never raise it
        assert all(0 <= v <= 100 for v in values)
    for p in grid:
        values = [rules.score(p, c) for c in range(0, 14)]
        assert values == sorted(values)  # more completed shifts never lower it


def test_the_explanation_names_each_part():
    assert rules.explanation(0, 0) == (
        "A new worker starts at 75, and nothing counts against you: 75.0."
    )
    assert rules.explanation(4, 0) == (
        "A new worker starts at 75, less 10 for each of your 4.00 active points: 35.0."
    )
    assert rules.explanation(1.5, 4) == (
        "With 4 completed shifts you start at 85 (75 + 2.5 a shift), less 10 for each of your "
        "1.50 active points: 70.0."
    )
    assert rules.explanation(0, 12).startswith("With 12 completed shifts you start at 100")


# -- lateness, review, appeal ----------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "late"), [(None, False), (0, False), (10, False), (11, True)])
def test_lateness_beyond_the_grace_is_a_late_arrival(minutes, late):
    assert rules.is_late_arrival(minutes) is late


@pytest.mark.parametrize(
    ("before", "after", "has_open", "opens"),
    [
        (6, 10, False, True),  # reaches the threshold exactly
        (8, 12, False, True),  # passes it
        (12, 16, False, True),  # a new entry while above it, the last review closed
        (6, 9.99, False, False),  # below it
        (8, 12, True, False),  # one is open already
        (12, 11, False, False),  # decay, an excuse or an appeal lowered the points
        (12, 12, False, False),  # nothing changed (a redelivered event)
    ],
)
def test_a_review_opens_when_a_change_takes_the_worker_to_the_threshold(
    before, after, has_open, opens
):
    assert rules.opens_review(before=before, after=after, threshold=10, has_open=has_open) is opens


def test_two_no_shows_and_a_missed_confirmation_today_reach_the_default_threshold():
    history = (entry(), entry(), entry(rules.MISSED_CONFIRMATION))
    assert points(*history) == rules.DEFAULT_REVIEW_POINTS == 10


def test_the_appeal_window_is_72_hours_the_72nd_included():
    recorded = NOW - timedelta(hours=72)
    assert rules.can_appeal(recorded, NOW)
    assert not rules.can_appeal(recorded - timedelta(seconds=1), NOW)
    assert rules.appeal_deadline(recorded) == NOW


def test_why_an_entry_cannot_be_appealed():
    assert rules.appeal_refusal(entry(days_ago=3), now=NOW) is None  # exactly 72 h
    late = rules.appeal_refusal(entry(days_ago=3.01), now=NOW)
    assert late is not None and "within 72 hours" in late
    assert "nothing to appeal" in (rules.appeal_refusal(entry(rules.COMPLETED), now=NOW) or "")
    pending = rules.appeal_refusal(entry(appeal_status=rules.APPEAL_PENDING), now=NOW)
    assert "appealed already" in (pending or "")
    assert "excused" in (rules.appeal_refusal(entry(excused_at=NOW), now=NOW) or "")
    assert "corrected" in (rules.appeal_refusal(entry(voided_at=NOW), now=NOW) or "")


def test_why_an_entry_cannot_be_excused():
    assert rules.excuse_refusal(entry()) is None
    assert rules.excuse_refusal(entry(appeal_status=rules.APPEAL_PENDING)) is None
    assert "already" in (rules.excuse_refusal(entry(excused_at=NOW)) or "")
    assert "overturned" in (rules.excuse_refusal(entry(appeal_status=rules.OVERTURNED)) or "")
    assert "corrected" in (rules.excuse_refusal(entry(voided_at=NOW)) or "")
    assert "nothing to excuse" in (rules.excuse_refusal(entry(rules.COMPLETED)) or "")


# -- how to improve --------------------------------------------------------------------------


def codes(entries, now=NOW) -> list[str]:
    return [t.code for t in rules.how_to_improve(entries, now=now, half_life_days=HALF_LIFE)]


def test_a_new_worker_is_told_that_completed_shifts_raise_the_score():
    tips = rules.how_to_improve([], now=NOW, half_life_days=HALF_LIFE)
    assert [t.code for t in tips] == ["complete_shifts"]
    assert "raises your score by 2.5; you have completed 0" in tips[0].text


def test_a_clean_experienced_worker_is_told_to_keep_going():
    assert codes([entry(rules.COMPLETED) for _ in range(10)]) == ["keep_going"]


def test_tips_name_the_heaviest_kinds_first_then_appeal_then_decay():
    history = [
        entry(rules.LATE_ARRIVAL, days_ago=10),
        entry(rules.NO_SHOW, days_ago=1),
        entry(rules.MISSED_CONFIRMATION, days_ago=30, excused_at=NOW),  # weighs nothing
    ]
    assert codes(history) == [
        rules.NO_SHOW,
        rules.LATE_ARRIVAL,
        "appeal",
        "decay",
        "complete_shifts",
    ]
    tips = {t.code: t.text for t in rules.how_to_improve(history, now=NOW, half_life_days=90)}
    assert "weighs 4 points" in tips[rules.NO_SHOW]
    assert "more than 10 minutes late" in tips[rules.LATE_ARRIVAL]
    assert "1 can still be appealed" in tips["appeal"]
    no_show = 4 * 0.5 ** (1 / 90)
    late = 0.5 ** (10 / 90)
    assert f"your {no_show + late:.2f} points will be {(no_show + late) / 2:.2f}" in tips["decay"]


def test_no_appeal_tip_once_the_window_closed():
    assert "appeal" not in codes([entry(rules.NO_SHOW, days_ago=4)])
