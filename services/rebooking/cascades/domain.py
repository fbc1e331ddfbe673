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
across instances), and its command to booking carries an idempotency key: the triggering
event's id (rules.step_key), or for an expiry the expired offer's (rules.expiry_step_key). A
step redone after a crash gets booking's first answer and records it; no offer is made twice.

An expiry's step is usually taken by the deadline sweep itself (`plan_expiry_step`, then
`take_expiry_step` with booking's answer): the sweep has booking expire the offer and make the
next offer in one call (booking's `expire_offers`), and marks the timer stepped, so that
offer.expired's handler finds the step taken and does nothing. When the sweep cannot (the
shift's lock is held, booking could not take the step), the handler takes it, with the same
key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


def _try_lock_shift(uow: UnitOfWork, shift_id: str) -> bool:
    """`_lock_shift` if no other transaction holds it now (False, without waiting, if one
    does)."""
    return bool(
        uow.session.execute(
            text("SELECT pg_try_advisory_xact_lock(hashtextextended(:shift_id, 0))"),
            {"shift_id": shift_id},
        ).scalar_one()
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


@dataclass
class _Plan:
    """What a step of a shift's cascade knows before booking is asked (under the shift's
    lock): the active cascade, the client's preferences (None: no licence today), every
    worker tried, and whether the attempts are used up."""

    cascade: Cascade | None
    prefs: dict[str, Any] | None
    tried: set[str]
    out_of_attempts: bool

    def request(self, *, shift_id: str, key: str) -> dict[str, Any] | None:
        """offer_next's arguments, or None when booking is not to be asked."""
        if self.prefs is None or self.out_of_attempts:
            return None
        prefs = self.prefs
        return {
            "shift_id": shift_id,
            "idempotency_key": key,
            "preferred_worker_ids": prefs["preferred_worker_ids"],
            "use_ranking": prefs["use_ranking"],
            "exclude_worker_ids": sorted(self.tried),
            "window_seconds": preference_rules.window_seconds(prefs["confirmation_window_minutes"]),
            "min_lead_minutes": prefs["min_lead_minutes"],
        }


def _plan(
    uow: UnitOfWork, *, tenant_id: str, client_id: str, worker_id: str, shift_id: str, now: datetime
) -> _Plan:
    cascade = _active(uow, tenant_id=tenant_id, shift_id=shift_id)
    if not licences.holds_rebooking(uow, tenant_id=tenant_id, now=now):
        return _Plan(cascade, None, set(), False)
    prefs = preferences.preferences_for(uow, tenant_id=tenant_id, client_id=client_id)
    tried = {worker_id}
    out = False
    if cascade is not None:
        tried |= {cascade.trigger_worker_id, *(s.worker_id for s in _steps(uow, cascade))}
        out = rules.out_of_attempts(attempts=cascade.attempts, max_attempts=cascade.max_attempts)
    return _Plan(cascade, prefs, tried, out)


def _without_booking(uow: UnitOfWork, plan: _Plan, *, now: datetime) -> Cascade | None:
    """A step booking is not asked about: no licence (an active cascade stops) or the
    attempts used up (exhausted)."""
    if plan.prefs is None:
        if plan.cascade is not None:
            _end(uow, plan.cascade, status=STOPPED, reason="licence", now=now)
        return None
    assert plan.cascade is not None and plan.out_of_attempts
    _end(uow, plan.cascade, status=EXHAUSTED, reason="attempts_used", now=now)
    return plan.cascade


def _after_answer(
    uow: UnitOfWork,
    plan: _Plan,
    answer: NextOffer,
    *,
    tenant_id: str,
    shift_id: str,
    trigger: str,
    worker_id: str,
    now: datetime,
) -> Cascade | None:
    """What booking's answer makes of the cascade: started, advanced, exhausted or closed."""
    assert plan.prefs is not None
    cascade = plan.cascade
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
            max_attempts=plan.prefs["max_attempts"],
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
    idempotency_key: str | None = None,
) -> Cascade | None:
    """A shift's offer expired or was declined, or its worker gave their place up (`trigger`,
    the event `event_id`): start the shift's cascade or move it on (see the module docstring).
    Returns the cascade, None when there is none (no licence; nothing to replace) or when the
    deadline sweep took this expiry's step already (`take_expiry_step`): nothing more then.
    When booking cannot answer, the step is kept (`PendingStep`, this being try number `tries`) for
    `retry_pending_steps`, with its key (`idempotency_key`, default rules.key_of)."""
    now = _now(now)
    expired = offer_id if trigger == rules.EXPIRED else None
    if expired and deadlines.stepped(uow, offer_id=expired):
        return None  # the sweep's (committed) step: no need to wait for the shift's lock
    _lock_shift(uow, shift_id)
    if expired and deadlines.stepped(uow, offer_id=expired):
        return None  # the sweep took it while this waited for the lock
    outcome = {rules.EXPIRED: "expired", rules.DECLINED: "declined"}.get(trigger)
    if outcome is not None:
        _mark_step(uow, tenant_id=tenant_id, offer_id=offer_id, outcome=outcome)
    plan = _plan(
        uow,
        tenant_id=tenant_id,
        client_id=client_id,
        worker_id=worker_id,
        shift_id=shift_id,
        now=now,
    )
    key = idempotency_key or rules.key_of(trigger, event_id=event_id, offer_id=offer_id)
    request = plan.request(shift_id=shift_id, key=key)
    if request is None:
        return _without_booking(uow, plan, now=now)
    try:
        answer = offer_next(**request)
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
                idempotency_key=key,
            )
        )
        uow.session.flush()
        return plan.cascade
    return _after_answer(
        uow,
        plan,
        answer,
        tenant_id=tenant_id,
        shift_id=shift_id,
        trigger=trigger,
        worker_id=worker_id,
        now=now,
    )


# -- the deadline sweep's steps ------------------------------------------------------------------


@dataclass
class ExpiryStep:
    """The step an offer's expiry causes, planned by the deadline sweep before it has booking
    expire the offer: `request` is offer_next's arguments (None: booking is not asked)."""

    tenant_id: str
    shift_id: str
    worker_id: str
    offer_id: str
    plan: _Plan
    request: dict[str, Any] | None


def plan_expiry_step(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    shift_id: str,
    client_id: str,
    worker_id: str,
    offer_id: str,
    now: datetime | None = None,
) -> ExpiryStep | None:
    """The step the expiry of `offer_id` will cause, planned under the shift's lock, which the
    sweep's transaction keeps until the step is recorded; None when another step of the shift
    holds the lock (offer.expired's handler then takes it, as before the sweep took any)."""
    now = _now(now)
    if not _try_lock_shift(uow, shift_id):
        return None
    plan = _plan(
        uow,
        tenant_id=tenant_id,
        client_id=client_id,
        worker_id=worker_id,
        shift_id=shift_id,
        now=now,
    )
    request = plan.request(shift_id=shift_id, key=rules.expiry_step_key(offer_id))
    return ExpiryStep(tenant_id, shift_id, worker_id, offer_id, plan, request)


def take_expiry_step(
    uow: UnitOfWork, *, step: ExpiryStep, answer: NextOffer | None, now: datetime | None = None
) -> bool:
    """The offer expired: record the planned step with booking's `answer` to its request (what
    offer_lost would have done after offer.expired). False, recording nothing, when booking
    was asked and could not take it: offer.expired's handler takes it, with the same key."""
    now = _now(now)
    if step.request is not None and answer is None:
        return False
    _mark_step(uow, tenant_id=step.tenant_id, offer_id=step.offer_id, outcome="expired")
    if step.request is None:
        _without_booking(uow, step.plan, now=now)
    else:
        assert answer is not None
        _after_answer(
            uow,
            step.plan,
            answer,
            tenant_id=step.tenant_id,
            shift_id=step.shift_id,
            trigger=rules.EXPIRED,
            worker_id=step.worker_id,
            now=now,
        )
    uow.session.flush()
    return True


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
        client_id=cascade.client_id,
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
        key = step.idempotency_key or rules.step_key(event_id)
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
            idempotency_key=key,
        )
    return len(steps)


class ExpirySteps:
    """The cascades' part of the deadline sweep (deadlines.domain.CascadeSteps), in the
    sweep's unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def plan(self, timer: Any) -> ExpiryStep | None:
        return plan_expiry_step(
            self.uow,
            tenant_id=timer.tenant_id,
            shift_id=timer.shift_id,
            client_id=timer.client_id,
            worker_id=timer.worker_id,
            offer_id=timer.offer_id,
        )

    def take(self, planned: ExpiryStep, answer: NextOffer | None) -> bool:
        return take_expiry_step(self.uow, step=planned, answer=answer)


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
