"""Pure reliability rules: how a worker's history becomes a score (see the area's domain).

The design, in one place (docs/ARCHITECTURE.md repeats it):

- **Entries.** Each fact of a worker's history that counts is an entry with points
  (`WEIGHTS`): a no-show weighs most (4), then a missed confirmation (2) and a late
  cancellation by the worker (2), then lateness beyond the grace (1). A completed shift is an
  entry of 0 points: it does not cost anything, it lifts a new worker's base (below).
- **Decay.** An entry's current weight is `points × 0.5^(age_days / half_life_days)`: it
  loses half its weight every half-life (a CBO setting, 90 days by default). Its age runs from
  when it was recorded (`occurred_at`).
- **What counts.** An entry excused by staff, one whose appeal was overturned, and one voided
  by a correction of the attendance outcome weigh 0. A pending (or upheld) appeal still counts.
- **Score.** `active points` is the sum of the current weights. The score is
  `max(0, base − 10 × active points)`, where the base starts at `NEW_WORKER_SCORE` (75) for a
  worker with no completed shift and rises by 2.5 for each completed shift, up to 100 after 10.
  So a worker with no history scores 75, two clean shifts make them reliable (80), and ten
  make 100. The score never rises with more points and never falls with more completed shifts
  (monotonic), and each part can be said in one sentence (`explanation`).
- **Review.** When an entry raises a worker's active points to the CBO's review threshold or
  beyond (10 points by default: e.g. two no-shows and a missed confirmation in a short time)
  and no review of that worker is open, staff get one review item. Nothing is automatic:
  decay, excuses and appeals never open one, and no worker is suspended by the score.
- **Appeal.** A worker may appeal an entry within 72 hours of it being recorded; staff uphold
  it (it keeps counting) or overturn it (it weighs 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.booking.settings import rules as settings_rules

# The score of a worker with no history yet, and the score from which a worker counts as
# reliable (open shifts reach reliable workers a tier before everyone else).
NEW_WORKER_SCORE = 75.0
RELIABLE_SCORE = 80.0
MAX_SCORE = 100.0

# Kinds of entry.
NO_SHOW = "no_show"
MISSED_CONFIRMATION = "missed_confirmation"
LATE_CANCELLATION = "late_cancellation"
LATE_ARRIVAL = "late_arrival"
COMPLETED = "completed"

# Points of each kind when it is new (before decay).
WEIGHTS: dict[str, int] = {
    NO_SHOW: 4,
    MISSED_CONFIRMATION: 2,
    LATE_CANCELLATION: 2,
    LATE_ARRIVAL: 1,
    COMPLETED: 0,
}
KINDS = tuple(WEIGHTS)
# The kinds that cost points (all but a completed shift), heaviest first.
PENALTIES = tuple(sorted((k for k, w in WEIGHTS.items() if w > 0), key=lambda k: -WEIGHTS[k]))

# Score lost per active point, and gained per completed shift (until the base reaches 100).
SCORE_PER_POINT = 10.0
SCORE_PER_COMPLETED_SHIFT = 2.5
SHIFTS_TO_FULL_BASE = round((MAX_SCORE - NEW_WORKER_SCORE) / SCORE_PER_COMPLETED_SHIFT)

# Arriving up to this many minutes late costs nothing; later is a late arrival.
LATE_GRACE_MINUTES = 10
# A worker may appeal an entry within this long of it being recorded.
APPEAL_WINDOW = timedelta(hours=72)

# Defaults of the CBO settings (services/booking/settings): half-life and review threshold.
DEFAULT_HALF_LIFE_DAYS = settings_rules.DEFAULTS["reliability_half_life_days"]
DEFAULT_REVIEW_POINTS = settings_rules.DEFAULTS["reliability_review_points"]

# Appeal states.
APPEAL_NONE = "none"
APPEAL_PENDING = "pending"
UPHELD = "upheld"
OVERTURNED = "overturned"
APPEAL_STATES = (APPEAL_NONE, APPEAL_PENDING, UPHELD, OVERTURNED)
DECISIONS = (UPHELD, OVERTURNED)

# What an entry does to the score now, as the worker sees it.
COUNTS = "counts"
EXCUSED = "excused"
OVERTURNED_STATE = "overturned"
CORRECTED = "corrected"  # voided: staff corrected the attendance outcome it came from

_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Entry:
    """What the rules need of an entry (models.ReliabilityEntry has these attributes)."""

    kind: str
    points: int
    occurred_at: datetime
    excused_at: datetime | None = None
    appeal_status: str = APPEAL_NONE
    voided_at: datetime | None = None


def state(entry: Any) -> str:
    """counts | excused | overturned | corrected: whether the entry weighs anything, and why
    not (a correction first, then an overturned appeal, then an excuse)."""
    if entry.voided_at is not None:
        return CORRECTED
    if entry.appeal_status == OVERTURNED:
        return OVERTURNED_STATE
    if entry.excused_at is not None:
        return EXCUSED
    return COUNTS


def decay_factor(age: timedelta, half_life_days: float) -> float:
    """0.5^(age in days / half-life): 1 when new, ½ after one half-life, ¼ after two. An entry
    from the future (clock skew) does not weigh more than a new one."""
    if half_life_days <= 0:
        raise ValueError("the half-life must be positive")
    days = max(age.total_seconds(), 0.0) / _SECONDS_PER_DAY
    return float(0.5 ** (days / half_life_days))


def current_weight(entry: Any, *, now: datetime, half_life_days: float) -> float:
    """The points `entry` weighs at `now`: decayed, or 0 if it does not count."""
    if state(entry) != COUNTS or entry.points <= 0:
        return 0.0
    return entry.points * decay_factor(now - entry.occurred_at, half_life_days)


def active_points(entries: Iterable[Any], *, now: datetime, half_life_days: float) -> float:
    return sum(current_weight(e, now=now, half_life_days=half_life_days) for e in entries)


def completed_shifts(entries: Iterable[Any]) -> int:
    """The completed shifts that count (a completion corrected to a no-show does not)."""
    return sum(1 for e in entries if e.kind == COMPLETED and e.voided_at is None)


def base_score(completed: int) -> float:
    """75 for a new worker, 2.5 more for each completed shift, 100 from the tenth on."""
    return min(MAX_SCORE, NEW_WORKER_SCORE + SCORE_PER_COMPLETED_SHIFT * max(completed, 0))


def score(points: float, completed: int) -> float:
    """The score 0-100: the base less 10 per active point, never below 0."""
    return max(0.0, base_score(completed) - SCORE_PER_POINT * max(points, 0.0))


def is_reliable(value: float) -> bool:
    return value >= RELIABLE_SCORE


def explanation(points: float, completed: int) -> str:
    """The score in one sentence, with each of its parts."""
    base = base_score(completed)
    shifts = "shift" if completed == 1 else "shifts"
    if completed == 0:
        start = f"A new worker starts at {NEW_WORKER_SCORE:g}"
    elif completed >= SHIFTS_TO_FULL_BASE:
        start = f"With {completed} completed {shifts} you start at {MAX_SCORE:g}"
    else:
        start = (
            f"With {completed} completed {shifts} you start at {base:g} "
            f"({NEW_WORKER_SCORE:g} + {SCORE_PER_COMPLETED_SHIFT:g} a shift)"
        )
    if points < 0.005:
        return f"{start}, and nothing counts against you: {score(points, completed):.1f}."
    return (
        f"{start}, less {SCORE_PER_POINT:g} for each of your {points:.2f} active points: "
        f"{score(points, completed):.1f}."
    )


def is_late_arrival(minutes_late: int | None) -> bool:
    """Later than the grace costs a point; within it, nothing."""
    return (minutes_late or 0) > LATE_GRACE_MINUTES


def appeal_deadline(occurred_at: datetime) -> datetime:
    return occurred_at + APPEAL_WINDOW


def can_appeal(occurred_at: datetime, now: datetime) -> bool:
    """Within 72 hours of the entry, the 72nd hour included."""
    return now <= appeal_deadline(occurred_at)


def appeal_refusal(entry: Any, *, now: datetime) -> str | None:
    """Why the worker may not appeal `entry` now (None: they may)."""
    if entry.kind not in PENALTIES:
        return "A completed shift does not count against you: there is nothing to appeal."
    if entry.voided_at is not None:
        return "This entry was corrected by staff and no longer counts."
    if entry.appeal_status != APPEAL_NONE:
        return f"This entry was appealed already (the appeal is {entry.appeal_status})."
    if entry.excused_at is not None:
        return "This entry was excused by staff and no longer counts."
    if not can_appeal(entry.occurred_at, now):
        hours = int(APPEAL_WINDOW.total_seconds() // 3600)
        return (
            f"An entry can be appealed only within {hours} hours of it; the time to appeal "
            f"this one ended at {appeal_deadline(entry.occurred_at).isoformat()}."
        )
    return None


def excuse_refusal(entry: Any) -> str | None:
    """Why staff may not excuse `entry` (None: they may)."""
    if entry.kind not in PENALTIES:
        return "A completed shift does not count against the worker: there is nothing to excuse."
    if entry.voided_at is not None:
        return "This entry was corrected and no longer counts."
    if entry.excused_at is not None:
        return "This entry is excused already."
    if entry.appeal_status == OVERTURNED:
        return "This entry's appeal was overturned: it no longer counts."
    return None


def opens_review(*, before: float, after: float, threshold: float, has_open: bool) -> bool:
    """A change that raised the active points to the threshold or beyond opens a review, unless
    one is open already. Points that fell (decay, an excuse, an appeal) never open one."""
    return not has_open and after >= threshold and after > before


# -- How to improve --------------------------------------------------------------------------

_ADVICE = {
    NO_SHOW: (
        "Come to every shift you confirm. If you cannot, cancel as early as you can: a "
        "no-show weighs {weight} points, more than anything else."
    ),
    MISSED_CONFIRMATION: (
        "Answer offers before their deadline: confirm, or decline if you cannot go. An offer "
        "left to expire weighs {weight} points."
    ),
    LATE_CANCELLATION: (
        "Cancel at least 24 hours before a shift starts; a later cancellation weighs {weight} "
        "points."
    ),
    LATE_ARRIVAL: ("Arrive on time: more than {grace} minutes late weighs {weight} point."),
}


@dataclass(frozen=True)
class Tip:
    code: str
    text: str


def how_to_improve(entries: Iterable[Any], *, now: datetime, half_life_days: float) -> list[Tip]:
    """What the worker can do to raise their score, the most useful first: advice on each kind
    of entry that weighs on them now (heaviest first), the entries they may still appeal, how
    the points will decay, and completed shifts while their base is below 100."""
    entries = list(entries)
    tips: list[Tip] = []
    weights: dict[str, float] = {}
    for entry in entries:
        weight = current_weight(entry, now=now, half_life_days=half_life_days)
        if weight > 0:
            weights[entry.kind] = weights.get(entry.kind, 0.0) + weight
    for kind in sorted(weights, key=lambda k: (-weights[k], PENALTIES.index(k))):
        advice = _ADVICE[kind].format(weight=WEIGHTS[kind], grace=LATE_GRACE_MINUTES)
        tips.append(Tip(kind, f"{advice} Yours weigh {weights[kind]:.2f} points now."))
    appealable = [e for e in entries if appeal_refusal(e, now=now) is None]
    if appealable:
        soonest = min(appeal_deadline(e.occurred_at) for e in appealable)
        tips.append(
            Tip(
                "appeal",
                f"If an entry was not your fault, appeal it within 72 hours of it "
                f"({len(appealable)} can still be appealed; the time for the first ends at "
                f"{soonest.isoformat()}).",
            )
        )
    points = sum(weights.values())
    completed = completed_shifts(entries)
    if points > 0:
        later = points * 0.5
        tips.append(
            Tip(
                "decay",
                f"Points lose half their weight every {half_life_days:g} days: with no new "
                f"entries, your {points:.2f} points will be {later:.2f} in {half_life_days:g} "
                f"days, and your score {score(later, completed):.1f}.",
            )
        )
    if completed < SHIFTS_TO_FULL_BASE:
        tips.append(
            Tip(
                "complete_shifts",
                f"Each of your first {SHIFTS_TO_FULL_BASE} completed shifts raises your score "
                f"by {SCORE_PER_COMPLETED_SHIFT:g}; you have completed {completed}.",
            )
        )
    if not tips:
        tips.append(
            Tip(
                "keep_going",
                "Nothing counts against you: keep confirming on time and coming to every shift.",
            )
        )
    return tips
