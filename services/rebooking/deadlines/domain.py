"""Confirmation deadlines as durable timers in rebooking's database.

Every offer booking sends (offer.sent) becomes an `OfferDeadline` row. The sweep (the
deadlines area's chassis timer, on every rebooking instance) takes the due rows with
`FOR UPDATE SKIP LOCKED`, so two instances never take the same one and never wait for each
other, has booking expire each offer (`expire_offer`, with the offer's own idempotency key:
rules.expiry_key) and marks the row fired, in the transaction that holds the claim. An
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
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork
from services.rebooking.deadlines import rules
from services.rebooking.deadlines.models import FIRED, PENDING, SETTLED, OfferDeadline

# How many due timers one sweep of one instance takes.
SWEEP_BATCH = 200

# (offer id, idempotency key) pairs -> each offer's outcome (rules.EXPIRED …), with an error
# text for failures: the entrypoint sends them to booking at once, domain code holds no RPC.
ExpireOffers = Callable[[list[tuple[str, str]]], dict[str, tuple[str, str | None]]]


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


def fire_due(
    uow: UnitOfWork,
    *,
    expire: ExpireOffers,
    now: datetime | None = None,
    batch: int = SWEEP_BATCH,
) -> dict[str, str]:
    """The sweep: claim up to `batch` due pending timers across CBOs (SKIP LOCKED), have
    booking expire their offers (`expire`, all at once) and record each outcome; returns
    offer id -> outcome. Claims hold until the caller's transaction ends."""
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
    answers = expire([(row.offer_id, rules.expiry_key(row.offer_id)) for row in rows])
    outcomes: dict[str, str] = {}
    fired_at = _now(None)
    for row in rows:
        outcome, error = answers.get(row.offer_id, (rules.FAILED, "no answer"))
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
