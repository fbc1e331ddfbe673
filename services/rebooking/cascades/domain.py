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

An expiry's step is usually taken by the deadline sweep itself (`plan_expiry_steps`, then
`take_expiry_steps` with booking's answers, a chunk of timers at a time): the sweep has booking
expire the offer and make the next offer in one call (booking's `expire_offers`), and marks the
timer stepped, so that offer.expired's handler finds the step taken and does nothing. When the
sweep cannot (the shift's lock is held, booking could not take the step), the handler takes
it, with the same key. A chunk's steps are planned and taken with the same few statements
whatever its size (`_plans` reads, `_write` writes, for one step or many).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.orm.attributes import set_committed_value

from chassis.contracts.booking_rpc import NextOffer
from chassis.db import UnitOfWork, update_rows
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


# `_lock_shift`'s lock of each shift no other transaction holds now (without waiting), in the
# ids' order (the array's, as the scan evaluates it): the shifts locked.
_TRY_LOCK_SHIFTS = text(
    "SELECT s FROM unnest(CAST(:ids AS text[])) AS u(s) "
    "WHERE pg_try_advisory_xact_lock(hashtextextended(s, 0))"
)


def _try_lock_shifts(uow: UnitOfWork, shift_ids: Iterable[str]) -> set[str]:
    """Lock the shifts whose locks are free (one statement); the others are left, unwaited
    for. Returns the shifts locked."""
    ids = sorted(set(shift_ids))
    if not ids:
        return set()
    return set(uow.session.execute(_TRY_LOCK_SHIFTS, {"ids": ids}).scalars())


def _active(uow: UnitOfWork, *, tenant_id: str, shift_id: str) -> Cascade | None:
    return _actives(uow, shifts=[(tenant_id, shift_id)]).get((tenant_id, shift_id))


def _actives(
    uow: UnitOfWork, *, shifts: Collection[tuple[str, str]]
) -> dict[tuple[str, str], Cascade]:
    """The active cascade of each (CBO, shift), locked for update, in one statement."""
    if not shifts:
        return {}
    query = (
        select(Cascade)
        .where(
            tuple_(Cascade.tenant_id, Cascade.shift_id).in_(list(shifts)),
            Cascade.status == ACTIVE,
        )
        .order_by(Cascade.shift_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {(c.tenant_id, c.shift_id): c for c in uow.session.execute(query).scalars()}


def _steps(uow: UnitOfWork, cascade: Cascade) -> list[CascadeStep]:
    query = (
        select(CascadeStep)
        .where(CascadeStep.cascade_id == cascade.id)
        .order_by(CascadeStep.attempt)
        .execution_options(populate_existing=True)
    )
    return list(uow.session.execute(query).scalars())


def _tried(uow: UnitOfWork, cascade_ids: Collection[str]) -> dict[str, set[str]]:
    """The workers each cascade offered, in one statement."""
    if not cascade_ids:
        return {}
    query = select(CascadeStep.cascade_id, CascadeStep.worker_id).where(
        CascadeStep.cascade_id.in_(list(cascade_ids))
    )
    tried: dict[str, set[str]] = {}
    for cascade_id, worker_id in uow.session.execute(query).tuples():
        tried.setdefault(cascade_id, set()).add(worker_id)
    return tried


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


def _mark_steps(uow: UnitOfWork, *, offers: Collection[tuple[str, str]], outcome: str) -> None:
    """`_mark_step` of each (CBO, offer id), in one statement (the session's steps follow)."""
    if not offers:
        return
    uow.session.execute(
        update(CascadeStep)
        .where(
            tuple_(CascadeStep.tenant_id, CascadeStep.offer_id).in_(list(offers)),
            CascadeStep.outcome == "sent",
        )
        .values(outcome=outcome)
        .execution_options(synchronize_session="fetch")
    )


@dataclass(frozen=True)
class _Loss:
    """A shift's offer or place lost, whose step is to be planned: the CBO, the shift, whose
    preferences apply and the worker lost."""

    tenant_id: str
    shift_id: str
    client_id: str
    worker_id: str


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


def _plans(uow: UnitOfWork, losses: Sequence[_Loss], *, now: datetime) -> list[_Plan]:
    """The plan of each loss's step (their shifts locked; one loss a shift), in the losses'
    order: the active cascades, the licences, the preferences and the workers tried each read
    once for all of them."""
    active = _actives(uow, shifts={(x.tenant_id, x.shift_id) for x in losses})
    licensed = licences.holding_rebooking(uow, tenant_ids={x.tenant_id for x in losses}, now=now)
    asking = [x for x in losses if x.tenant_id in licensed]
    prefs = preferences.preferences_of(uow, clients={(x.tenant_id, x.client_id) for x in asking})
    running = [
        active[(x.tenant_id, x.shift_id)] for x in asking if (x.tenant_id, x.shift_id) in active
    ]
    tried = _tried(uow, [c.id for c in running])
    plans = []
    for loss in losses:
        cascade = active.get((loss.tenant_id, loss.shift_id))
        if loss.tenant_id not in licensed:
            plans.append(_Plan(cascade, None, set(), False))
            continue
        workers = {loss.worker_id}
        out = False
        if cascade is not None:
            workers |= {cascade.trigger_worker_id, *tried.get(cascade.id, ())}
            out = rules.out_of_attempts(
                attempts=cascade.attempts, max_attempts=cascade.max_attempts
            )
        plans.append(_Plan(cascade, prefs[(loss.tenant_id, loss.client_id)], workers, out))
    return plans


@dataclass
class _Changes:
    """What steps do to cascades, gathered so that any number of them is written with the same
    few statements (`_write`), in the steps' order: cascades started (with the trigger and the
    worker lost), offers booking made, cascades ended (status, reason), cascades completed."""

    started: list[tuple[Cascade, str, str]] = field(default_factory=list)
    offered: list[tuple[Cascade, NextOffer]] = field(default_factory=list)
    ended: list[tuple[Cascade, str, str | None]] = field(default_factory=list)
    completed: list[tuple[Cascade, CascadeStep]] = field(default_factory=list)


def _take(
    uow: UnitOfWork,
    changes: _Changes,
    plan: _Plan,
    answer: NextOffer | None,
    *,
    tenant_id: str,
    shift_id: str,
    trigger: str,
    worker_id: str,
) -> Cascade | None:
    """What a step comes to (gathered in `changes`): with booking's `answer`, the cascade
    started, advanced, exhausted or closed; without one (booking not asked), no licence stops
    an active cascade and used-up attempts exhaust it. Returns the cascade, None when there is
    none or the licence stopped it."""
    if answer is None:
        if plan.prefs is None:
            if plan.cascade is not None:
                changes.ended.append((plan.cascade, STOPPED, "licence"))
            return None
        assert plan.cascade is not None and plan.out_of_attempts
        changes.ended.append((plan.cascade, EXHAUSTED, "attempts_used"))
        return plan.cascade
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
        changes.started.append((cascade, trigger, worker_id))
    if step.action == rules.OFFERED:
        changes.offered.append((cascade, answer))
    elif step.action == rules.EXHAUST:
        changes.ended.append((cascade, EXHAUSTED, step.reason))
    elif step.action == rules.CLOSE:
        changes.ended.append((cascade, CLOSED, step.reason))
    return cascade


# The columns of a cascade that steps change (with `updated_at`: chassis.db.update_rows).
_STEPPED_COLUMNS = ("attempts", "status", "end_reason", "ended_at")


def _write(uow: UnitOfWork, changes: _Changes, *, now: datetime) -> None:
    """Record what steps did: the new cascades in one insert; each offer booking made as the
    cascade's next step (its attempt; one booking made for a key recorded already is not
    recorded again) and its deadline as a timer at once (offer.sent will say the same), each
    kind in one statement; every cascade changed in one update; and the events, one statement
    per type, in the steps' order within a type."""
    session = uow.session
    if changes.started:
        session.flush()
        uow.emit_many(
            "cascade.started",
            [
                ({**_payload(c), "trigger": trigger, "worker_id": worker}, c.tenant_id)
                for c, trigger, worker in changes.started
            ],
        )
    # Each cascade's columns as the steps leave them; written at once, below.
    after: dict[str, dict[str, Any]] = {}
    touched: dict[str, Cascade] = {}

    def row_of(cascade: Cascade) -> dict[str, Any]:
        if cascade.id not in after:
            touched[cascade.id] = cascade
            after[cascade.id] = {
                "id": cascade.id,
                **{name: getattr(cascade, name) for name in _STEPPED_COLUMNS},
            }
        return after[cascade.id]

    advanced: list[tuple[dict[str, Any], str | None]] = []
    new_steps: list[CascadeStep] = []
    timers: list[dict[str, Any]] = []
    if changes.offered:
        offer_ids = [answer.offer_id for _, answer in changes.offered]
        known = select(CascadeStep.offer_id).where(CascadeStep.offer_id.in_(offer_ids))
        recorded = set(session.execute(known).scalars())
        for cascade, answer in changes.offered:
            assert answer.offer_id and answer.worker_id and answer.deadline_at and answer.source
            if answer.offer_id in recorded:
                continue  # booking's first answer to a key this cascade has recorded already
            recorded.add(answer.offer_id)
            row = row_of(cascade)
            row["attempts"] += 1
            new_steps.append(
                CascadeStep(
                    cascade_id=cascade.id,
                    attempt=row["attempts"],
                    tenant_id=cascade.tenant_id,
                    offer_id=answer.offer_id,
                    worker_id=answer.worker_id,
                    source=answer.source,
                    deadline_at=answer.deadline_at,
                )
            )
            timers.append(
                {
                    "tenant_id": cascade.tenant_id,
                    "offer_id": answer.offer_id,
                    "shift_id": cascade.shift_id,
                    "worker_id": answer.worker_id,
                    "deadline_at": answer.deadline_at,
                    "client_id": cascade.client_id,
                }
            )
            data = {
                **_payload(cascade),
                "attempts": row["attempts"],
                "offer_id": answer.offer_id,
                "worker_id": answer.worker_id,
                "deadline_at": answer.deadline_at,
                "source": answer.source,
            }
            advanced.append((data, cascade.tenant_id))
    exhausted: list[tuple[dict[str, Any], str | None]] = []
    for cascade, status, reason in changes.ended:
        row = row_of(cascade)
        row.update(status=status, end_reason=reason, ended_at=now)
        if status == EXHAUSTED:
            data = {**_payload(cascade), "attempts": row["attempts"], "reason": reason}
            exhausted.append((data, cascade.tenant_id))
    update_rows(uow, Cascade, list(after.values()), key="id")
    for cascade_id, cascade in touched.items():
        # The session's objects say what the update wrote, without a flush of their own.
        for name in _STEPPED_COLUMNS:
            set_committed_value(cascade, name, after[cascade_id][name])
        session.expire(cascade, ["updated_at"])
    if new_steps:
        session.add_all(new_steps)
        session.flush()
        deadlines.record_deadlines(uow, timers=timers)
    if advanced:
        uow.emit_many("cascade.advanced", advanced)
    if exhausted:
        uow.emit_many("rebooking.exhausted", exhausted)
    if changes.completed:
        uow.emit_many(
            "cascade.completed",
            [
                ({**_payload(c), "worker_id": s.worker_id, "offer_id": s.offer_id}, c.tenant_id)
                for c, s in changes.completed
            ],
        )


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
    deadline sweep took this expiry's step already (`take_expiry_steps`): nothing more then.
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
    (plan,) = _plans(uow, [_Loss(tenant_id, shift_id, client_id, worker_id)], now=now)
    key = idempotency_key or rules.key_of(trigger, event_id=event_id, offer_id=offer_id)
    request = plan.request(shift_id=shift_id, key=key)
    answer = None
    if request is not None:
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
    changes = _Changes()
    cascade = _take(
        uow,
        changes,
        plan,
        answer,
        tenant_id=tenant_id,
        shift_id=shift_id,
        trigger=trigger,
        worker_id=worker_id,
    )
    _write(uow, changes, now=now)
    return cascade


# -- the deadline sweep's steps ------------------------------------------------------------------


class Expiring(Protocol):
    """A timer whose offer the sweep is about to expire (deadlines.domain.Due)."""

    @property
    def offer_id(self) -> str: ...

    @property
    def tenant_id(self) -> str: ...

    @property
    def shift_id(self) -> str: ...

    @property
    def worker_id(self) -> str: ...

    @property
    def client_id(self) -> str | None: ...


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


def plan_expiry_steps(
    uow: UnitOfWork, *, timers: Sequence[Expiring], now: datetime | None = None
) -> dict[str, ExpiryStep]:
    """The step each timer's expiry will cause (offer id -> step), planned under the shifts'
    locks, which the sweep's transaction keeps until the steps are recorded; the same few
    statements for any number of timers. One timer a shift (a second would be planned on the
    state before the first's step). None for a shift whose lock another step holds, nor for a
    timer that does not know its client: offer.expired's handler takes those, as before the
    sweep took any."""
    now = _now(now)
    if len({t.shift_id for t in timers}) < len(timers):
        raise ValueError("plan_expiry_steps: one timer per shift")
    locked = _try_lock_shifts(uow, [t.shift_id for t in timers if t.client_id is not None])
    mine: list[tuple[Expiring, _Loss]] = []
    for t in timers:
        if t.client_id is not None and t.shift_id in locked:
            mine.append((t, _Loss(t.tenant_id, t.shift_id, t.client_id, t.worker_id)))
    plans = _plans(uow, [loss for _, loss in mine], now=now) if mine else []
    return {
        t.offer_id: ExpiryStep(
            t.tenant_id,
            t.shift_id,
            t.worker_id,
            t.offer_id,
            plan,
            plan.request(shift_id=t.shift_id, key=rules.expiry_step_key(t.offer_id)),
        )
        for (t, _), plan in zip(mine, plans, strict=True)
    }


def take_expiry_steps(
    uow: UnitOfWork,
    *,
    answered: Sequence[tuple[ExpiryStep, NextOffer | None]],
    now: datetime | None = None,
) -> list[bool]:
    """The offers expired: record each planned step with booking's answer to its request (what
    offer_lost would have done after offer.expired), all with the same few statements. False,
    recording nothing, for a step booking was asked and could not take: offer.expired's
    handler takes it, with the same key."""
    now = _now(now)
    taken = [step.request is None or answer is not None for step, answer in answered]
    todo = [pair for pair, ok in zip(answered, taken, strict=True) if ok]
    if not todo:
        return taken
    _mark_steps(uow, offers=[(s.tenant_id, s.offer_id) for s, _ in todo], outcome="expired")
    changes = _Changes()
    for step, answer in todo:
        _take(
            uow,
            changes,
            step.plan,
            answer if step.request is not None else None,
            tenant_id=step.tenant_id,
            shift_id=step.shift_id,
            trigger=rules.EXPIRED,
            worker_id=step.worker_id,
        )
    _write(uow, changes, now=now)
    return taken


def _complete(changes: _Changes, cascade: Cascade, step: CascadeStep) -> None:
    step.outcome = "confirmed"
    changes.ended.append((cascade, COMPLETED, None))
    changes.completed.append((cascade, step))


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
    changes = _Changes()
    _complete(changes, cascade, step)
    _write(uow, changes, now=now)
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
    changes = _Changes()
    if holding:
        _complete(changes, cascade, holding[-1])
    else:
        changes.ended.append((cascade, CLOSED, reason))
    _write(uow, changes, now=now)


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
    """The cascades' part of the deadline sweep (deadlines.domain.CascadeSteps), a chunk at a
    time, in the sweep's unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def plan(self, timers: Sequence[Expiring]) -> dict[str, ExpiryStep]:
        return plan_expiry_steps(self.uow, timers=timers)

    def take(self, answered: Sequence[tuple[ExpiryStep, NextOffer | None]]) -> list[bool]:
        return take_expiry_steps(self.uow, answered=answered)


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
