"""Reliability: entries from booking's own events, the score they make, excuses, appeals and
review items (the rules are in rules.py).

Entries come only from booking's events (entrypoints.py): a no-show, a missed confirmation
(an expired offer), a worker's late cancellation, a late arrival and each completed shift.
Each is recorded once (its `dedupe_key`), so a redelivered or repeated event changes nothing.
Each change recomputes the worker's stored score (a search ranks by it) and emits
`reliability.changed`; a change that takes the worker to the CBO's review threshold opens one
review item. Scores decay with time: `recompute_scores` refreshes the stored ones (a timer
calls it), and every read computes the score for the moment it is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork, owned_row
from chassis.errors import Conflict, NotFound
from chassis.paging import order_by, page_rows
from services.booking.base import new_id
from services.booking.offers.models import COMPLETED as ASSIGNMENT_COMPLETED
from services.booking.offers.models import NO_SHOW as ASSIGNMENT_NO_SHOW
from services.booking.offers.models import Assignment
from services.booking.reliability import rules
from services.booking.reliability.models import ReliabilityEntry, ReliabilityScore, ReviewItem
from services.booking.settings.domain import settings_for
from services.booking.workers.models import WorkerRecord

OPEN = "open"
CLOSED = "closed"


# -- Settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReliabilitySettings:
    half_life_days: int
    review_points: int


def settings_of(uow: UnitOfWork, *, tenant_id: str) -> ReliabilitySettings:
    """The CBO's half-life and review threshold, from its booking settings (the defaults until
    it changes them). The one place reliability reads settings."""
    row = settings_for(uow, tenant_id=tenant_id)
    return ReliabilitySettings(row.reliability_half_life_days, row.reliability_review_points)


# -- Recording entries -----------------------------------------------------------------------


def _lock_worker(uow: UnitOfWork, *, tenant_id: str, worker_id: str) -> ReliabilityScore:
    """The worker's score row, made if new and locked: changes to one worker's history run one
    after another, whichever events arrive together."""
    uow.session.execute(
        insert(ReliabilityScore)
        .values(
            worker_id=worker_id,
            tenant_id=tenant_id,
            score=rules.NEW_WORKER_SCORE,
            active_points=0.0,
            completed_shifts=0,
        )
        .on_conflict_do_nothing(index_elements=["worker_id"])
    )
    return uow.session.execute(
        select(ReliabilityScore)
        .where(ReliabilityScore.worker_id == worker_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _entries(uow: UnitOfWork, *, tenant_id: str, worker_id: str) -> list[ReliabilityEntry]:
    return list(
        uow.session.execute(
            select(ReliabilityEntry)
            .where(ReliabilityEntry.tenant_id == tenant_id, ReliabilityEntry.worker_id == worker_id)
            .order_by(ReliabilityEntry.occurred_at.desc(), ReliabilityEntry.id)
        ).scalars()
    )


class _Weighed(NamedTuple):
    """An entry as the score reads it (the columns `_weighed` selects, in its order)."""

    kind: str
    points: int
    occurred_at: datetime
    voided_at: datetime | None
    appeal_status: str
    excused_at: datetime | None


def _weighed(uow: UnitOfWork, *, tenant_id: str, worker_id: str) -> list[Any]:
    """The worker's entries as the score reads them: only the columns rules.active_points and
    rules.completed_shifts need, as plain rows (every event recomputes a worker's score from
    their whole history: whole ORM objects made that the most of a burst's cost)."""
    e = ReliabilityEntry
    return list(
        uow.session.execute(
            select(
                e.kind, e.points, e.occurred_at, e.voided_at, e.appeal_status, e.excused_at
            ).where(e.tenant_id == tenant_id, e.worker_id == worker_id)
        ).all()
    )


def _points_now(uow: UnitOfWork, *, tenant_id: str, worker_id: str, now: datetime) -> float:
    half_life = settings_of(uow, tenant_id=tenant_id).half_life_days
    entries = _weighed(uow, tenant_id=tenant_id, worker_id=worker_id)
    return rules.active_points(entries, now=now, half_life_days=half_life)


def _recompute(
    uow: UnitOfWork,
    *,
    row: ReliabilityScore,
    now: datetime,
    cause: str,
    before: float,
    entry_id: str | None = None,
    settings: ReliabilitySettings | None = None,
    figures: tuple[float, int] | None = None,
) -> ReliabilityScore:
    """Store the worker's score as of `now`, emit reliability.changed, and open a review item
    if this change took them to the review threshold (rules.opens_review). `figures`: the
    worker's active points and completed shifts, when the caller has counted them (else read
    from their history)."""
    tenant_id, worker_id = row.tenant_id, row.worker_id
    if settings is None:
        settings = settings_of(uow, tenant_id=tenant_id)
    if figures is None:
        entries = _weighed(uow, tenant_id=tenant_id, worker_id=worker_id)
        figures = (
            rules.active_points(entries, now=now, half_life_days=settings.half_life_days),
            rules.completed_shifts(entries),
        )
    points, completed = figures
    previous = row.score
    row.active_points = points
    row.completed_shifts = completed
    row.score = rules.score(points, completed)
    row.computed_at = now
    uow.session.flush()
    uow.emit(
        "reliability.changed",
        {
            "worker_id": worker_id,
            "score": round(row.score, 2),
            "active_points": round(points, 4),
            "cause": cause,
            "previous_score": round(previous, 2),
            "completed_shifts": completed,
            "entry_id": entry_id,
        },
        tenant_id=tenant_id,
    )
    has_open = uow.session.execute(
        select(
            exists().where(
                ReviewItem.worker_id == worker_id,
                ReviewItem.tenant_id == tenant_id,
                ReviewItem.status == OPEN,
            )
        )
    ).scalar_one()
    if rules.opens_review(
        before=before, after=points, threshold=settings.review_points, has_open=has_open
    ):
        review = ReviewItem(tenant_id=tenant_id, worker_id=worker_id, active_points=points)
        uow.session.add(review)
        uow.session.flush()
        uow.emit(
            "reliability.review_opened",
            {"review_id": review.id, "worker_id": worker_id, "active_points": round(points, 4)},
            tenant_id=tenant_id,
        )
    return row


def _add_entry(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    worker_id: str,
    kind: str,
    occurred_at: datetime,
    dedupe_key: str,
    shift_id: str | None,
) -> str | None:
    """Insert the entry unless its dedupe key is taken; its id, or None for a repeat."""
    return uow.session.execute(
        insert(ReliabilityEntry)
        .values(
            id=new_id(),
            tenant_id=tenant_id,
            worker_id=worker_id,
            kind=kind,
            points=rules.WEIGHTS[kind],
            occurred_at=occurred_at,
            shift_id=shift_id,
            dedupe_key=dedupe_key,
            appeal_status=rules.APPEAL_NONE,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(ReliabilityEntry.id)
    ).scalar_one_or_none()


class NewEntry(NamedTuple):
    """One entry to record (count_entries): of `kind`, for the worker of CBO `tenant_id`, once
    per `dedupe_key`."""

    tenant_id: str
    worker_id: str
    kind: str
    occurred_at: datetime
    dedupe_key: str
    shift_id: str | None = None
    # The event's, for what recording it emits (a batch's entries come from several events).
    correlation_id: str | None = None


def count_entry(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    worker_id: str,
    kind: str,
    occurred_at: datetime,
    dedupe_key: str,
    shift_id: str | None = None,
    now: datetime,
) -> ReliabilityEntry | None:
    """Record one entry of `kind` for the worker (of CBO `tenant_id`) and recompute their
    score; None, and nothing changed, if `dedupe_key` was recorded before."""
    new = NewEntry(tenant_id, worker_id, kind, occurred_at, dedupe_key, shift_id)
    return _count_one(uow, new, now=now)


def _count_one(uow: UnitOfWork, new: NewEntry, *, now: datetime) -> ReliabilityEntry | None:
    (entry_id,) = count_entries(uow, entries=[new], now=now)
    return None if entry_id is None else uow.session.get(ReliabilityEntry, entry_id)


def count_entries(
    uow: UnitOfWork, *, entries: Sequence[NewEntry], now: datetime
) -> list[str | None]:
    """Record each entry as `count_entry` does (a score recomputed and reliability.changed
    emitted per entry), reading each worker's history once however many of their entries
    come together (a burst of expired offers): the new entry's weight is added to what the
    history weighed. Workers are locked in their ids' order; returns each entry's id, or None
    for a repeat."""
    for new in entries:
        if new.kind not in rules.WEIGHTS:
            raise ValueError(f"no reliability entry kind {new.kind!r}")
    made: dict[int, str | None] = {}
    by_worker: dict[tuple[str, str], list[int]] = {}
    for number, new in enumerate(entries):
        by_worker.setdefault((new.worker_id, new.tenant_id), []).append(number)
    for (worker_id, tenant_id), numbers in sorted(by_worker.items()):
        row = _lock_worker(uow, tenant_id=tenant_id, worker_id=worker_id)
        # The history is read once (the worker's row is locked: nobody adds to it meanwhile);
        # each new entry is added to its figures for the score after it.
        history = _weighed(uow, tenant_id=tenant_id, worker_id=worker_id)
        settings = settings_of(uow, tenant_id=tenant_id)
        points = rules.active_points(history, now=now, half_life_days=settings.half_life_days)
        completed = rules.completed_shifts(history)
        for number in numbers:
            new = entries[number]
            entry_id = made[number] = _add_entry(
                uow,
                tenant_id=tenant_id,
                worker_id=worker_id,
                kind=new.kind,
                occurred_at=new.occurred_at,
                dedupe_key=new.dedupe_key,
                shift_id=new.shift_id,
            )
            if entry_id is None:
                continue
            if new.correlation_id is not None:
                uow.correlation_id = new.correlation_id
            added = _Weighed(
                new.kind, rules.WEIGHTS[new.kind], new.occurred_at, None, rules.APPEAL_NONE, None
            )
            before = points
            points += rules.current_weight(added, now=now, half_life_days=settings.half_life_days)
            completed += rules.completed_shifts([added])
            _recompute(
                uow,
                row=row,
                now=now,
                cause=new.kind,
                before=before,
                entry_id=entry_id,
                settings=settings,
                figures=(points, completed),
            )
    return [made[number] for number in range(len(entries))]


def attendance_key(kind: str, assignment_id: str) -> str:
    """The dedupe key of an entry that comes from an assignment's outcome."""
    return f"{kind}:{assignment_id}"


def count_attendance(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    outcome: str,
    assignment_id: str,
    shift_id: str,
    worker_id: str,
    minutes_late: int | None = None,
    occurred_at: datetime,
    now: datetime,
) -> bool:
    """Bring the worker's entries for one assignment in line with its outcome (`completed` or
    `no_show`), from a shift.completed or worker.no_show event: a completed shift (and a late
    arrival beyond the grace), or a no-show; the entries of the other outcome are voided, so a
    correction reverses its effect. If the assignment's outcome is no longer the event's (a
    correction followed it), the event is stale and the correction's own event settles the
    entries: events may arrive in any order. `tenant_id` is the worker's CBO. True if
    anything changed."""
    if outcome not in (rules.COMPLETED, rules.NO_SHOW):
        raise ValueError(f"no attendance outcome {outcome!r}")
    assignment = uow.session.get(Assignment, assignment_id)
    current = assignment.status if assignment is not None else outcome
    if current in (ASSIGNMENT_COMPLETED, ASSIGNMENT_NO_SHOW) and current != outcome:
        return False
    wanted = {
        rules.COMPLETED: outcome == rules.COMPLETED,
        rules.LATE_ARRIVAL: outcome == rules.COMPLETED and rules.is_late_arrival(minutes_late),
        rules.NO_SHOW: outcome == rules.NO_SHOW,
    }
    row = _lock_worker(uow, tenant_id=tenant_id, worker_id=worker_id)
    before = _points_now(uow, tenant_id=tenant_id, worker_id=worker_id, now=now)
    keys = {attendance_key(kind, assignment_id): kind for kind in wanted}
    existing = {
        entry.dedupe_key: entry
        for entry in uow.session.execute(
            select(ReliabilityEntry)
            .where(ReliabilityEntry.tenant_id == tenant_id, ReliabilityEntry.dedupe_key.in_(keys))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars()
    }
    changed = False
    corrected = False
    main_id: str | None = None
    for key, kind in keys.items():
        entry = existing.get(key)
        entry_id = entry.id if entry is not None else None
        if wanted[kind]:
            if entry is None:
                entry_id = _add_entry(
                    uow,
                    tenant_id=tenant_id,
                    worker_id=worker_id,
                    kind=kind,
                    occurred_at=occurred_at,
                    dedupe_key=key,
                    shift_id=shift_id,
                )
                changed = changed or entry_id is not None
            elif entry.voided_at is not None:
                entry.voided_at = None
                entry.void_reason = None
                changed = corrected = True
        elif entry is not None and entry.voided_at is None:
            entry.voided_at = now
            entry.void_reason = f"The outcome was corrected to {outcome.replace('_', '-')}."
            changed = corrected = True
        if kind == outcome:
            main_id = entry_id
    if not changed:
        return False
    uow.session.flush()
    cause = "correction" if corrected else outcome
    _recompute(uow, row=row, now=now, cause=cause, before=before, entry_id=main_id)
    return True


def count_missed_confirmation(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    worker_id: str,
    offer_id: str,
    shift_id: str,
    occurred_at: datetime,
    now: datetime,
) -> ReliabilityEntry | None:
    """An offer the worker let expire (offer.expired)."""
    new = missed_confirmation(
        tenant_id=tenant_id,
        worker_id=worker_id,
        offer_id=offer_id,
        shift_id=shift_id,
        occurred_at=occurred_at,
    )
    return _count_one(uow, new, now=now)


def missed_confirmation(
    *,
    tenant_id: str,
    worker_id: str,
    offer_id: str,
    shift_id: str,
    occurred_at: datetime,
    correlation_id: str | None = None,
) -> NewEntry:
    """The entry an offer the worker let expire makes (offer.expired), for count_entries."""
    return NewEntry(
        tenant_id=tenant_id,
        worker_id=worker_id,
        kind=rules.MISSED_CONFIRMATION,
        occurred_at=occurred_at,
        dedupe_key=f"{rules.MISSED_CONFIRMATION}:{offer_id}",
        shift_id=shift_id,
        correlation_id=correlation_id,
    )


def count_cancellation(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    worker_id: str,
    assignment_id: str,
    shift_id: str,
    cancelled_by_kind: str,
    late: bool,
    occurred_at: datetime,
    now: datetime,
) -> ReliabilityEntry | None:
    """A cancelled assignment (assignment.cancelled): only the worker's own late cancellation
    counts; a client's or staff's never does."""
    if cancelled_by_kind != "worker" or not late:
        return None
    return count_entry(
        uow,
        tenant_id=tenant_id,
        worker_id=worker_id,
        kind=rules.LATE_CANCELLATION,
        occurred_at=occurred_at,
        dedupe_key=attendance_key(rules.LATE_CANCELLATION, assignment_id),
        shift_id=shift_id,
        now=now,
    )


def worker_tenant_of(uow: UnitOfWork, *, assignment_id: str, default: str) -> str:
    """The CBO of the worker holding an assignment (a partner CBO's worker has their own)."""
    found = uow.session.execute(
        select(Assignment.worker_tenant_id).where(Assignment.id == assignment_id)
    ).scalar_one_or_none()
    return found or default


# -- Staff: excuses, appeal decisions, reviews -----------------------------------------------


def get_entry(
    uow: UnitOfWork, *, tenant_id: str, entry_id: str, lock: bool = False
) -> ReliabilityEntry:
    return owned_row(
        uow,
        ReliabilityEntry,
        tenant_id=tenant_id,
        row_id=entry_id,
        what="reliability entry",
        lock=lock,
    )


def _entry_for_change(uow: UnitOfWork, *, tenant_id: str, entry_id: str) -> ReliabilityEntry:
    """The entry, locked after its worker's score row: the order the event handlers lock in,
    so a staff change and an event for the same worker wait for each other, never deadlock."""
    entry = get_entry(uow, tenant_id=tenant_id, entry_id=entry_id)
    _lock_worker(uow, tenant_id=entry.tenant_id, worker_id=entry.worker_id)
    return uow.session.execute(
        select(ReliabilityEntry)
        .where(ReliabilityEntry.id == entry.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _entry_record(entry: ReliabilityEntry) -> dict[str, Any]:
    """The entry as the audit trail records it."""
    return {
        "worker_id": entry.worker_id,
        "kind": entry.kind,
        "occurred_at": entry.occurred_at.isoformat(),
        "excused": entry.excused_at is not None,
        "excuse_reason": entry.excuse_reason,
        "appeal_status": entry.appeal_status,
        "appeal_decision_reason": entry.appeal_decision_reason,
    }


def _changed_entry(uow: UnitOfWork, *, entry: ReliabilityEntry, now: datetime, cause: str) -> None:
    """Recompute the score of the entry's worker after it stopped counting (which lowers the
    points, so it never opens a review)."""
    row = _lock_worker(uow, tenant_id=entry.tenant_id, worker_id=entry.worker_id)
    _recompute(uow, row=row, now=now, cause=cause, before=float("inf"), entry_id=entry.id)


def excuse_entry(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    entry_id: str,
    reason: str,
    now: datetime,
) -> ReliabilityEntry:
    """Staff excuse an entry with a reason: it weighs nothing from now on (audited)."""
    entry = _entry_for_change(uow, tenant_id=tenant_id, entry_id=entry_id)
    refusal = rules.excuse_refusal(entry)
    if refusal:
        raise Conflict(refusal)
    before = _entry_record(entry)
    entry.excused_at = now
    entry.excused_by = caller.user_id
    entry.excuse_reason = reason
    uow.session.flush()
    _changed_entry(uow, entry=entry, now=now, cause="excused")
    audit(
        uow,
        caller,
        action="reliability.excuse",
        entity_type="reliability_entry",
        entity_id=entry.id,
        before=before,
        after=_entry_record(entry),
        tenant_id=tenant_id,
    )
    return entry


def appeal_entry(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    worker_id: str,
    entry_id: str,
    text: str,
    now: datetime,
) -> ReliabilityEntry:
    """The worker appeals one of their own entries, within 72 hours of it (rules.can_appeal).
    It keeps counting until staff decide."""
    entry = get_entry(uow, tenant_id=tenant_id, entry_id=entry_id, lock=True)
    if entry.worker_id != worker_id:
        raise NotFound("There is no such reliability entry.")
    refusal = rules.appeal_refusal(entry, now=now)
    if refusal:
        raise Conflict(refusal)
    entry.appeal_status = rules.APPEAL_PENDING
    entry.appeal_text = text
    entry.appealed_at = now
    uow.session.flush()
    uow.emit(
        "reliability.appealed",
        {"entry_id": entry.id, "worker_id": entry.worker_id, "kind": entry.kind},
        tenant_id=tenant_id,
    )
    return entry


def decide_appeal(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    entry_id: str,
    outcome: str,
    reason: str,
    now: datetime,
) -> ReliabilityEntry:
    """Staff decide a pending appeal: upheld (the entry keeps counting) or overturned (it
    weighs nothing; the score is recomputed). Audited."""
    if outcome not in rules.DECISIONS:
        raise ValueError(f"no appeal decision {outcome!r}")
    entry = _entry_for_change(uow, tenant_id=tenant_id, entry_id=entry_id)
    if entry.appeal_status != rules.APPEAL_PENDING:
        if entry.appeal_status == rules.APPEAL_NONE:
            raise Conflict("This entry has not been appealed.")
        raise Conflict(f"This appeal was decided already ({entry.appeal_status}).")
    before = _entry_record(entry)
    entry.appeal_status = outcome
    entry.appeal_decided_by = caller.user_id
    entry.appeal_decided_at = now
    entry.appeal_decision_reason = reason
    uow.session.flush()
    if outcome == rules.OVERTURNED:
        _changed_entry(uow, entry=entry, now=now, cause="appeal_overturned")
    uow.emit(
        "reliability.appeal_decided",
        {
            "entry_id": entry.id,
            "worker_id": entry.worker_id,
            "kind": entry.kind,
            "outcome": outcome,
        },
        tenant_id=tenant_id,
    )
    audit(
        uow,
        caller,
        action="reliability.decide_appeal",
        entity_type="reliability_entry",
        entity_id=entry.id,
        before=before,
        after=_entry_record(entry),
        tenant_id=tenant_id,
    )
    return entry


def list_reviews(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
    worker_id: str | None = None,
) -> dict[str, Any]:
    """A page of the CBO's review items, with each worker's name where booking knows it."""
    statement = (
        select(ReviewItem, WorkerRecord.name)
        .outerjoin(WorkerRecord, WorkerRecord.id == ReviewItem.worker_id)
        .where(ReviewItem.tenant_id == tenant_id)
    )
    if status is not None:
        statement = statement.where(ReviewItem.status == status)
    if worker_id is not None:
        statement = statement.where(ReviewItem.worker_id == worker_id)
    columns = {"created_at": ReviewItem.created_at, "active_points": ReviewItem.active_points}
    statement = order_by(statement, sort, columns, ReviewItem.id)
    return page_rows(
        uow.session, statement, page=page, per_page=per_page, view=lambda r: _review_view(*r)
    )


def _review_view(review: ReviewItem, name: str | None) -> dict[str, Any]:
    return {
        "id": review.id,
        "worker_id": review.worker_id,
        "worker_name": name,
        "active_points": round(review.active_points, 2),
        "status": review.status,
        "outcome": review.outcome,
        "closed_by": review.closed_by,
        "closed_at": review.closed_at,
        "created_at": review.created_at,
    }


def close_review(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    review_id: str,
    outcome: str,
    now: datetime,
) -> dict[str, Any]:
    """Staff close an open review with what they decided (audited)."""
    review = owned_row(
        uow, ReviewItem, tenant_id=tenant_id, row_id=review_id, what="review item", lock=True
    )
    if review.status != OPEN:
        raise Conflict("This review is closed already.")
    review.status = CLOSED
    review.outcome = outcome
    review.closed_by = caller.user_id
    review.closed_at = now
    uow.session.flush()
    uow.emit(
        "reliability.review_closed",
        {"review_id": review.id, "worker_id": review.worker_id, "outcome": outcome},
        tenant_id=tenant_id,
    )
    audit(
        uow,
        caller,
        action="reliability.close_review",
        entity_type="reliability_review",
        entity_id=review.id,
        before={"status": OPEN},
        after={"status": CLOSED, "outcome": outcome},
        tenant_id=tenant_id,
    )
    name = uow.session.execute(
        select(WorkerRecord.name).where(WorkerRecord.id == review.worker_id)
    ).scalar_one_or_none()
    return _review_view(review, name)


# -- Reads -----------------------------------------------------------------------------------


def entry_view(entry: ReliabilityEntry, *, now: datetime, half_life_days: int) -> dict[str, Any]:
    """An entry as the worker and staff see it: its points, what it weighs now, and why."""
    appealable = rules.appeal_refusal(entry, now=now) is None
    return {
        "id": entry.id,
        "worker_id": entry.worker_id,
        "kind": entry.kind,
        "points": entry.points,
        "current_weight": round(
            rules.current_weight(entry, now=now, half_life_days=half_life_days), 4
        ),
        "state": rules.state(entry),
        "occurred_at": entry.occurred_at,
        "shift_id": entry.shift_id,
        "excused_at": entry.excused_at,
        "excuse_reason": entry.excuse_reason,
        "appeal_status": entry.appeal_status,
        "appeal_text": entry.appeal_text,
        "appealed_at": entry.appealed_at,
        "appeal_decided_at": entry.appeal_decided_at,
        "appeal_decision_reason": entry.appeal_decision_reason,
        "appealable_until": rules.appeal_deadline(entry.occurred_at) if appealable else None,
        "voided_at": entry.voided_at,
        "void_reason": entry.void_reason,
    }


# A worker's page lists the entries that weigh at least this much now, and any from the last
# two half-lives (so an excused or overturned one stays in sight a while).
_SHOWN_WEIGHT = 0.01
_SHOWN_ENTRIES = 500


def reliability_of(
    uow: UnitOfWork, *, tenant_id: str, worker_id: str, now: datetime
) -> dict[str, Any]:
    """A worker's reliability as of `now` (computed now, not as last stored): the score and
    its parts, every entry that moves it with its current weight (completed shifts are
    counted, not listed), and how to improve it."""
    half_life = settings_of(uow, tenant_id=tenant_id).half_life_days
    entries = _entries(uow, tenant_id=tenant_id, worker_id=worker_id)
    points = rules.active_points(entries, now=now, half_life_days=half_life)
    completed = rules.completed_shifts(entries)
    value = rules.score(points, completed)
    recent = now.timestamp() - 2 * half_life * 86_400
    shown = [
        entry
        for entry in entries
        if entry.kind in rules.PENALTIES
        and (
            rules.current_weight(entry, now=now, half_life_days=half_life) >= _SHOWN_WEIGHT
            or entry.occurred_at.timestamp() >= recent
        )
    ][:_SHOWN_ENTRIES]
    open_review = uow.session.execute(
        select(ReviewItem.id).where(
            ReviewItem.tenant_id == tenant_id,
            ReviewItem.worker_id == worker_id,
            ReviewItem.status == OPEN,
        )
    ).scalar_one_or_none()
    return {
        "worker_id": worker_id,
        "score": round(value, 2),
        "reliable": rules.is_reliable(value),
        "active_points": round(points, 4),
        "completed_shifts": completed,
        "base_score": rules.base_score(completed),
        "explanation": rules.explanation(points, completed),
        "half_life_days": half_life,
        "appeal_window_hours": int(rules.APPEAL_WINDOW.total_seconds() // 3600),
        "computed_at": now,
        "open_review_id": open_review,
        "entries": [entry_view(e, now=now, half_life_days=half_life) for e in shown],
        "how_to_improve": [
            {"code": tip.code, "text": tip.text}
            for tip in rules.how_to_improve(entries, now=now, half_life_days=half_life)
        ],
    }


def worker_in_cbo(uow: UnitOfWork, *, tenant_id: str, worker_id: str) -> bool:
    """Whether booking knows the worker as one of the CBO's: in its read model of workers, or
    by a reliability history kept for the CBO."""
    known = or_(
        exists().where(WorkerRecord.id == worker_id, WorkerRecord.tenant_id == tenant_id),
        exists().where(
            ReliabilityScore.worker_id == worker_id, ReliabilityScore.tenant_id == tenant_id
        ),
    )
    return bool(uow.session.execute(select(known)).scalar())


def staff_reliability_of(
    uow: UnitOfWork, *, tenant_id: str, worker_id: str, now: datetime
) -> dict[str, Any]:
    """A worker's reliability for the staff of their CBO; another CBO's worker is NotFound."""
    if not worker_in_cbo(uow, tenant_id=tenant_id, worker_id=worker_id):
        raise NotFound("There is no such job seeker.")
    return reliability_of(uow, tenant_id=tenant_id, worker_id=worker_id, now=now)


def list_entries(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    now: datetime,
    page: int,
    per_page: int,
    sort: str,
    worker_id: str | None = None,
    kind: str | None = None,
    appeal_status: str | None = None,
) -> dict[str, Any]:
    """A page of the CBO's entries (appeals to decide: `appeal_status=pending`)."""
    half_life = settings_of(uow, tenant_id=tenant_id).half_life_days
    statement = select(ReliabilityEntry).where(ReliabilityEntry.tenant_id == tenant_id)
    if worker_id is not None:
        statement = statement.where(ReliabilityEntry.worker_id == worker_id)
    if kind is not None:
        statement = statement.where(ReliabilityEntry.kind == kind)
    if appeal_status is not None:
        statement = statement.where(ReliabilityEntry.appeal_status == appeal_status)
    columns = {
        "occurred_at": ReliabilityEntry.occurred_at,
        "appealed_at": func.coalesce(ReliabilityEntry.appealed_at, ReliabilityEntry.occurred_at),
    }
    statement = order_by(statement, sort, columns, ReliabilityEntry.id)
    return page_rows(
        uow.session,
        statement,
        page=page,
        per_page=per_page,
        view=lambda e: entry_view(e, now=now, half_life_days=half_life),
    )


# -- Decay -----------------------------------------------------------------------------------


def recompute_scores(
    uow: UnitOfWork, *, now: datetime, tenant_id: str | None = None, min_change: float = 0.05
) -> int:
    """Refresh every stored score (of one CBO, or all) to `now`, as decay lowers the points:
    a timer calls it (daily is enough; reads compute their own). A score that moved by at
    least `min_change` is stored and emits reliability.changed (cause `decay`); decay never
    opens a review. Returns how many scores moved."""
    statement = select(ReliabilityScore).where(ReliabilityScore.active_points > 0)
    if tenant_id is not None:
        statement = statement.where(ReliabilityScore.tenant_id == tenant_id)
    moved = 0
    half_lives: dict[str, int] = {}
    for row in uow.session.execute(
        statement.order_by(ReliabilityScore.worker_id).with_for_update(skip_locked=True)
    ).scalars():
        if row.tenant_id not in half_lives:
            half_lives[row.tenant_id] = settings_of(uow, tenant_id=row.tenant_id).half_life_days
        entries = _weighed(uow, tenant_id=row.tenant_id, worker_id=row.worker_id)
        points = rules.active_points(entries, now=now, half_life_days=half_lives[row.tenant_id])
        completed = rules.completed_shifts(entries)
        value = rules.score(points, completed)
        if abs(value - row.score) < min_change and abs(points - row.active_points) < 0.005:
            continue
        previous = row.score
        row.active_points = points
        row.completed_shifts = completed
        row.score = value
        row.computed_at = now
        uow.emit(
            "reliability.changed",
            {
                "worker_id": row.worker_id,
                "score": round(value, 2),
                "active_points": round(points, 4),
                "cause": "decay",
                "previous_score": round(previous, 2),
                "completed_shifts": completed,
                "entry_id": None,
            },
            tenant_id=row.tenant_id,
        )
        moved += 1
    uow.session.flush()
    return moved
