"""Confirmation deadlines as durable timers in rebooking's database.

Every offer booking sends (offer.sent) becomes an `OfferDeadline` row. The sweep (the
deadlines area's chassis timer, on every rebooking instance) takes the due rows with
`FOR UPDATE SKIP LOCKED`, so two instances never take the same one and never wait for each
other, has booking expire each offer (`expire_offers`, a batch, each with the offer's own
idempotency key: rules.expiry_key) and marks the row fired, in the transaction that holds the
claim. The cascade's step an expiry causes goes in the same call (`fire_due`'s `steps`), so
the next worker is offered by the command that ends the offer. An
instance killed mid-sweep holds no claim any more (its transaction is gone): the rows are
pending again and the next sweep, of any instance, takes them; booking answers the repeated
key as the first time. A timer whose deadline passed while no instance ran fires at the
first sweep after a start.

An offer that ends first (confirmed, declined, withdrawn, or expired by staff) settles its
timer. Events arrive in any order (a queue per type): an ending seen before its offer.sent
leaves a settled row that the later offer.sent does not revive."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork
from services.rebooking.deadlines import rules
from services.rebooking.deadlines.models import FIRED, PENDING, SETTLED, OfferDeadline

# How many due timers one sweep takes at a time (the entrypoint commits after each such
# chunk, and takes the next, until none are due).
SWEEP_BATCH = 30

# (offer id, idempotency key, the cascade's next step to take with the expiry or None) ->
# each offer's outcome (rules.EXPIRED …), an error text for failures, and booking's answer to
# the next step (None when none was asked or booking could not take it): the entrypoint sends
# them to booking at once, domain code holds no RPC.
ExpireOffers = Callable[
    [list[tuple[str, str, dict[str, Any] | None]]],
    dict[str, tuple[str, str | None, Any]],
]


class PlannedStep(Protocol):
    """A cascade step planned for an expiry (cascades.domain.ExpiryStep)."""

    @property
    def request(self) -> dict[str, Any] | None: ...


class CascadeSteps(Protocol):
    """The cascades' part of a sweep: plan the step each timer's expiry will cause (None: left
    to offer.expired's handler), and take it once the offer is expired, with booking's answer
    (False: not taken, left to the handler)."""

    def plan(self, timer: OfferDeadline) -> PlannedStep | None: ...

    def take(self, planned: Any, answer: Any) -> bool: ...


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def record_deadline(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    offer_id: str,
    shift_id: str,
    worker_id: str,
    deadline_at: datetime,
    client_id: str | None = None,
) -> None:
    """Keep an offer's deadline as a pending timer (nothing when it is known already: a
    redelivered offer.sent, or a timer its offer's ending settled first)."""
    uow.session.execute(
        insert(OfferDeadline)
        .values(
            offer_id=offer_id,
            tenant_id=tenant_id,
            shift_id=shift_id,
            worker_id=worker_id,
            client_id=client_id,
            deadline_at=deadline_at,
            due_at=deadline_at,
            status=PENDING,
            tries=0,
        )
        .on_conflict_do_nothing(index_elements=["offer_id"])
    )


def settle(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    offer_id: str,
    shift_id: str,
    worker_id: str,
    outcome: str,
    now: datetime | None = None,
) -> None:
    """The offer ended before its timer fired (`outcome`: confirmed, declined, withdrawn,
    expired): the timer will not fire. Kept as a settled row if its offer.sent has not come
    yet, so that it never does."""
    now = _now(now)
    uow.session.execute(
        insert(OfferDeadline)
        .values(
            offer_id=offer_id,
            tenant_id=tenant_id,
            shift_id=shift_id,
            worker_id=worker_id,
            deadline_at=now,
            due_at=now,
            status=SETTLED,
            tries=0,
            outcome=outcome,
        )
        .on_conflict_do_nothing(index_elements=["offer_id"])
    )
    # A timer the sweep holds right now is left to it (its answer from booking says how the
    # offer ended): waiting for the sweep's batch would keep this worker, and the cascades'
    # handlers behind it, idle for the whole batch.
    row = uow.session.execute(
        select(OfferDeadline)
        .where(OfferDeadline.offer_id == offer_id, OfferDeadline.tenant_id == tenant_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is not None and row.status == PENDING:
        row.status = SETTLED
        row.outcome = outcome
    uow.session.flush()


def stepped(uow: UnitOfWork, *, offer_id: str) -> bool:
    """Whether the sweep took the cascade's step that the offer's expiry causes."""
    query = select(OfferDeadline.stepped_at).where(OfferDeadline.offer_id == offer_id)
    return uow.session.execute(query).scalar_one_or_none() is not None


def fire_due(
    uow: UnitOfWork,
    *,
    expire: ExpireOffers,
    steps: CascadeSteps | None = None,
    now: datetime | None = None,
    batch: int = SWEEP_BATCH,
) -> dict[str, str]:
    """The sweep: claim up to `batch` due pending timers across CBOs (SKIP LOCKED), have
    booking expire their offers (`expire`, all at once) and record each outcome; returns
    offer id -> outcome. Claims hold until the caller's transaction ends.

    With `steps`, the cascade's step an expiry causes goes with the expiry (one per shift in
    the batch, for timers that know their client): planned before, sent with the command,
    taken after when the offer is expired, and the timer marked stepped."""
    now = _now(now)
    query = (
        select(OfferDeadline)
        .where(OfferDeadline.status == PENDING, OfferDeadline.due_at <= now)
        .order_by(OfferDeadline.due_at, OfferDeadline.offer_id)
        .limit(batch)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    rows = list(uow.session.execute(query).scalars())
    if not rows:
        return {}
    planned: dict[str, PlannedStep] = {}
    if steps is not None:
        shifts: set[str] = set()
        for row in rows:
            if row.client_id is None or row.shift_id in shifts:
                continue  # left to offer.expired's handler, as before the sweep took steps
            shifts.add(row.shift_id)
            step = steps.plan(row)
            if step is not None:
                planned[row.offer_id] = step
    answers = expire(
        [
            (
                row.offer_id,
                rules.expiry_key(row.offer_id),
                planned[row.offer_id].request if row.offer_id in planned else None,
            )
            for row in rows
        ]
    )
    outcomes: dict[str, str] = {}
    fired_at = _now(None)
    for row in rows:
        outcome, error, next_answer = answers.get(row.offer_id, (rules.FAILED, "no answer", None))
        step = planned.get(row.offer_id)
        expired = outcome == rules.EXPIRED
        if step is not None and steps is not None and expired and steps.take(step, next_answer):
            row.stepped_at = fired_at
        row.tries += 1
        decision = rules.after_try(outcome, tries=row.tries, now=fired_at)
        if decision.done:
            row.status = FIRED
            row.fired_at = fired_at
            row.outcome = outcome if outcome != rules.ENDED else (error or outcome)
            row.last_error = None
        else:
            assert decision.due_at is not None
            row.due_at = decision.due_at
            row.last_error = (error or outcome)[:500]
        outcomes[row.offer_id] = outcome
    uow.session.flush()
    return outcomes


def pending_count(uow: UnitOfWork, *, tenant_id: str) -> int:
    """How many of the CBO's timers are still waiting (tests, health)."""
    query = select(OfferDeadline.offer_id).where(
        OfferDeadline.tenant_id == tenant_id, OfferDeadline.status == PENDING
    )
    return len(list(uow.session.execute(query).scalars()))


def timer_of(uow: UnitOfWork, *, tenant_id: str, offer_id: str) -> dict[str, Any] | None:
    row = uow.session.execute(
        select(OfferDeadline).where(
            OfferDeadline.offer_id == offer_id, OfferDeadline.tenant_id == tenant_id
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return {
        "offer_id": row.offer_id,
        "status": row.status,
        "deadline_at": row.deadline_at,
        "outcome": row.outcome,
        "tries": row.tries,
    }
