"""Replacement cascades.

A shift's offer that expires or is declined, or a place its worker gives up, while the CBO
holds the rebooking licence today (the licences area's read model), starts a cascade, or moves
the shift's active one on: rebooking asks booking for the next offer (`offer_next`, a port the
entrypoint fills with booking's RPC) with the client's preferences and every worker the
cascade tried, and booking chooses (preferred workers, then its ranking; never anyone offered
this shift before, blocked or ineligible now). Each step emits cascade.started (the first) and
cascade.advanced; a worker the cascade offered confirming ends it (cascade.completed); the
attempts running out, nobody left, or the shift too close end it with rebooking.exhausted
(staff are alerted). A shift filled otherwise or cancelled closes it quietly; without the
licence nothing is offered and an active cascade stops.

Several instances, redeliveries and crashes: every step of one shift runs under a
transaction-scoped advisory lock on the shift (steps of a shift happen one after another,
across instances), and its command to booking carries the triggering event's id as the
idempotency key (rules.step_key): a step redone after a crash gets booking's first answer and
records it; no offer is made twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text

from chassis.contracts.booking_rpc import NextOffer
from chassis.db import UnitOfWork
from chassis.errors import ServiceUnavailable
from chassis.paging import order_by, page_rows
from services.rebooking.cascades import rules
from services.rebooking.cascades.models import (
    ACTIVE,
    CLOSED,
    COMPLETED,
    EXHAUSTED,
    STOPPED,
    Cascade,
    CascadeStep,
    PendingStep,
)
from services.rebooking.deadlines import domain as deadlines
from services.rebooking.licences import domain as licences
from services.rebooking.preferences import domain as preferences
from services.rebooking.preferences import rules as preference_rules

# Booking's offer_next, as the entrypoint calls it (keyword arguments of BookingClient's).
OfferNext = Callable[..., NextOffer]


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _lock_shift(uow: UnitOfWork, shift_id: str) -> None:
    """Until the transaction ends, no other step of this shift runs (on any instance)."""
    uow.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:shift_id, 0))"),
        {"shift_id": shift_id},
    )


def _active(uow: UnitOfWork, *, tenant_id: str, shift_id: str) -> Cascade | None:
    query = (
        select(Cascade)
        .where(
            Cascade.tenant_id == tenant_id,
            Cascade.shift_id == shift_id,
            Cascade.status == ACTIVE,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return uow.session.execute(query).scalar_one_or_none()


def _steps(uow: UnitOfWork, cascade: Cascade) -> list[CascadeStep]:
    query = (
        select(CascadeStep)
        .where(CascadeStep.cascade_id == cascade.id)
        .order_by(CascadeStep.attempt)
        .execution_options(populate_existing=True)
    )
    return list(uow.session.execute(query).scalars())


def _payload(cascade: Cascade) -> dict[str, Any]:
    return {
        "cascade_id": cascade.id,
        "shift_id": cascade.shift_id,
        "booking_id": cascade.booking_id,
        "client_id": cascade.client_id,
        "starts_at": cascade.starts_at,
        "attempts": cascade.attempts,
        "max_attempts": cascade.max_attempts,
    }


def _end(uow: UnitOfWork, cascade: Cascade, *, status: str, reason: str | None, now: datetime):
    cascade.status = status
    cascade.end_reason = reason
    cascade.ended_at = now
    uow.session.flush()
    if status == EXHAUSTED:
        uow.emit(
            "rebooking.exhausted",
            {**_payload(cascade), "reason": reason},
            tenant_id=cascade.tenant_id,
        )


def _mark_step(
    uow: UnitOfWork, *, tenant_id: str, offer_id: str | None, outcome: str
) -> CascadeStep | None:
    if offer_id is None:
        return None
    step = uow.session.execute(
        select(CascadeStep).where(
            CascadeStep.offer_id == offer_id, CascadeStep.tenant_id == tenant_id
        )
    ).scalar_one_or_none()
    if step is not None and step.outcome == "sent":
        step.outcome = outcome
    return step


def offer_lost(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    event_id: str,
    trigger: str,
    shift_id: str,
    client_id: str,
    worker_id: str,
    offer_id: str | None,
    offer_next: OfferNext,
    now: datetime | None = None,
    tries: int = 1,
) -> Cascade | None:
    """A shift's offer expired or was declined, or its worker gave their place up (`trigger`,
    the event `event_id`): start the shift's cascade or move it on (see the module docstring).
    Returns the cascade, None when there is none (no licence; nothing to replace). When booking
    cannot answer, the step is kept (`PendingStep`, this being try number `tries`) for
    `retry_pending_steps`."""
    now = _now(now)
    _lock_shift(uow, shift_id)
    cascade = _active(uow, tenant_id=tenant_id, shift_id=shift_id)
    outcome = {rules.EXPIRED: "expired", rules.DECLINED: "declined"}.get(trigger)
    if outcome is not None:
        _mark_step(uow, tenant_id=tenant_id, offer_id=offer_id, outcome=outcome)
    if not licences.holds_rebooking(uow, tenant_id=tenant_id, now=now):
        if cascade is not None:
            _end(uow, cascade, status=STOPPED, reason="licence", now=now)
        return None
    prefs = preferences.preferences_for(uow, tenant_id=tenant_id, client_id=client_id)
    tried = {worker_id}
    if cascade is not None:
        tried |= {cascade.trigger_worker_id, *(s.worker_id for s in _steps(uow, cascade))}
        if rules.out_of_attempts(attempts=cascade.attempts, max_attempts=cascade.max_attempts):
            _end(uow, cascade, status=EXHAUSTED, reason="attempts_used", now=now)
            return cascade
    try:
        answer = offer_next(
            shift_id=shift_id,
            idempotency_key=rules.step_key(event_id),
            preferred_worker_ids=prefs["preferred_worker_ids"],
            use_ranking=prefs["use_ranking"],
            exclude_worker_ids=sorted(tried),
            window_seconds=preference_rules.window_seconds(prefs["confirmation_window_minutes"]),
            min_lead_minutes=prefs["min_lead_minutes"],
        )
    except ServiceUnavailable as exc:
        # Booking is down or slow (it may even have made the offer): the step is kept and
        # tried again by the timer with the same key, so it is neither lost nor doubled.
        uow.session.add(
            PendingStep(
                event_id=event_id,
                tenant_id=tenant_id,
                trigger=trigger,
                shift_id=shift_id,
                client_id=client_id,
                worker_id=worker_id,
                offer_id=offer_id,
                due_at=now + rules.retry_delay(tries),
                tries=tries,
                last_error=str(exc)[:500],
            )
        )
        uow.session.flush()
        return cascade
    step = rules.after_answer(offered=answer.offered, why=answer.why)
    if cascade is None:
        if step.action in (rules.CLOSE, rules.WAIT):
            return None  # nothing to replace, or booking's own filling is at work
        cascade = Cascade(
            tenant_id=tenant_id,
            shift_id=shift_id,
            booking_id=answer.booking_id,
            client_id=answer.client_id,
            starts_at=answer.starts_at,
            trigger=trigger,
            trigger_worker_id=worker_id,
            status=ACTIVE,
            attempts=0,
            max_attempts=prefs["max_attempts"],
        )
        uow.session.add(cascade)
        uow.session.flush()
        uow.emit(
            "cascade.started",
            {**_payload(cascade), "trigger": trigger, "worker_id": worker_id},
            tenant_id=tenant_id,
        )
    if step.action == rules.OFFERED:
        _advance(uow, cascade, answer)
    elif step.action == rules.EXHAUST:
        _end(uow, cascade, status=EXHAUSTED, reason=step.reason, now=now)
    elif step.action == rules.CLOSE:
        _end(uow, cascade, status=CLOSED, reason=step.reason, now=now)
    return cascade


def _advance(uow: UnitOfWork, cascade: Cascade, answer: NextOffer) -> None:
    """Record the offer booking made for the cascade (cascade.advanced), and its deadline as a
    timer at once (offer.sent will say the same)."""
    assert answer.offer_id and answer.worker_id and answer.deadline_at and answer.source
    known = select(CascadeStep.offer_id).where(CascadeStep.offer_id == answer.offer_id)
    if uow.session.execute(known).first() is not None:
        return  # booking's first answer to a key this cascade has recorded already
    cascade.attempts += 1
    uow.session.add(
        CascadeStep(
            cascade_id=cascade.id,
            attempt=cascade.attempts,
            tenant_id=cascade.tenant_id,
            offer_id=answer.offer_id,
            worker_id=answer.worker_id,
            source=answer.source,
            deadline_at=answer.deadline_at,
        )
    )
    uow.session.flush()
    deadlines.record_deadline(
        uow,
        tenant_id=cascade.tenant_id,
        offer_id=answer.offer_id,
        shift_id=cascade.shift_id,
        worker_id=answer.worker_id,
        deadline_at=answer.deadline_at,
    )
    uow.emit(
        "cascade.advanced",
        {
            **_payload(cascade),
            "offer_id": answer.offer_id,
            "worker_id": answer.worker_id,
            "deadline_at": answer.deadline_at,
            "source": answer.source,
        },
        tenant_id=cascade.tenant_id,
    )


def _complete(uow: UnitOfWork, cascade: Cascade, step: CascadeStep, now: datetime) -> None:
    step.outcome = "confirmed"
    _end(uow, cascade, status=COMPLETED, reason=None, now=now)
    uow.emit(
        "cascade.completed",
        {**_payload(cascade), "worker_id": step.worker_id, "offer_id": step.offer_id},
        tenant_id=cascade.tenant_id,
    )


def offer_confirmed(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    shift_id: str,
    offer_id: str,
    worker_id: str,
    now: datetime | None = None,
) -> Cascade | None:
    """A worker confirmed: when the cascade offered them, it is complete (cascade.completed).
    shift.filled may have come first and completed it already: then nothing more."""
    now = _now(now)
    _lock_shift(uow, shift_id)
    step = _mark_step(uow, tenant_id=tenant_id, offer_id=offer_id, outcome="confirmed")
    cascade = _active(uow, tenant_id=tenant_id, shift_id=shift_id)
    if cascade is None or step is None or step.cascade_id != cascade.id:
        return None
    _complete(uow, cascade, step, now)
    return cascade


def shift_settled(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    shift_id: str,
    reason: str,
    worker_ids: Sequence[str] = (),
    now: datetime | None = None,
) -> None:
    """The shift filled or was cancelled (`reason`). Its active cascade completes when one of
    the workers holding it now (`worker_ids`) is one the cascade offered (offer.confirmed may
    come second: events of different types arrive in any order); otherwise it closes
    quietly."""
    now = _now(now)
    _lock_shift(uow, shift_id)
    cascade = _active(uow, tenant_id=tenant_id, shift_id=shift_id)
    if cascade is None:
        return
    holding = [s for s in _steps(uow, cascade) if s.worker_id in set(worker_ids)]
    if holding:
        _complete(uow, cascade, holding[-1], now)
    else:
        _end(uow, cascade, status=CLOSED, reason=reason, now=now)


def offer_withdrawn(uow: UnitOfWork, *, tenant_id: str, offer_id: str) -> None:
    """A cascade's offer was withdrawn (the shift filled or was cancelled, the worker stood
    down): the step says so."""
    _mark_step(uow, tenant_id=tenant_id, offer_id=offer_id, outcome="withdrawn")
    uow.session.flush()


def retry_pending_steps(
    uow: UnitOfWork, *, offer_next: OfferNext, now: datetime | None = None, batch: int = 50
) -> int:
    """The cascades' timer: take the kept steps that are due (SKIP LOCKED: every instance may
    run it) and try each again with its event's key; one booking still cannot take is kept
    again, later. Returns how many were tried."""
    now = _now(now)
    query = (
        select(PendingStep)
        .where(PendingStep.due_at <= now)
        .order_by(PendingStep.due_at, PendingStep.event_id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    steps = list(uow.session.execute(query).scalars())
    for step in steps:
        tenant_id, event_id, trigger = step.tenant_id, step.event_id, step.trigger
        shift_id, client_id, worker_id = step.shift_id, step.client_id, step.worker_id
        offer_id, tries = step.offer_id, step.tries + 1
        uow.session.delete(step)
        uow.session.flush()
        offer_lost(
            uow,
            tenant_id=tenant_id,
            event_id=event_id,
            trigger=trigger,
            shift_id=shift_id,
            client_id=client_id,
            worker_id=worker_id,
            offer_id=offer_id,
            offer_next=offer_next,
            now=now,
            tries=tries,
        )
    return len(steps)


# -- reading -------------------------------------------------------------------------------------


def _view(cascade: Cascade, steps: list[CascadeStep]) -> dict[str, Any]:
    return {
        "id": cascade.id,
        "shift_id": cascade.shift_id,
        "booking_id": cascade.booking_id,
        "client_id": cascade.client_id,
        "starts_at": cascade.starts_at,
        "trigger": cascade.trigger,
        "trigger_worker_id": cascade.trigger_worker_id,
        "status": cascade.status,
        "attempts": cascade.attempts,
        "max_attempts": cascade.max_attempts,
        "end_reason": cascade.end_reason,
        "created_at": cascade.created_at,
        "ended_at": cascade.ended_at,
        "steps": [
            {
                "attempt": s.attempt,
                "offer_id": s.offer_id,
                "worker_id": s.worker_id,
                "source": s.source,
                "deadline_at": s.deadline_at,
                "outcome": s.outcome,
                "created_at": s.created_at,
            }
            for s in steps
        ],
    }


def list_cascades(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    client_id: str | None,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
    shift_id: str | None = None,
) -> dict[str, Any]:
    """A page of the CBO's cascades with their steps (a client user: their own client's only);
    `status` and `shift_id` filter."""
    query = select(Cascade).where(Cascade.tenant_id == tenant_id)
    if client_id is not None:
        query = query.where(Cascade.client_id == client_id)
    if status:
        query = query.where(Cascade.status == status)
    if shift_id:
        query = query.where(Cascade.shift_id == shift_id)
    columns = {"created_at": Cascade.created_at, "starts_at": Cascade.starts_at}
    query = order_by(query, sort, columns, Cascade.id)

    def view(cascade: Cascade) -> dict[str, Any]:
        return _view(cascade, _steps(uow, cascade))

    return page_rows(uow.session, query, page=page, per_page=per_page, view=view)


def count_by_status(uow: UnitOfWork, *, tenant_id: str) -> dict[str, int]:
    query = (
        select(Cascade.status, func.count())
        .where(Cascade.tenant_id == tenant_id)
        .group_by(Cascade.status)
    )
    return {status: n for status, n in uow.session.execute(query).all()}
