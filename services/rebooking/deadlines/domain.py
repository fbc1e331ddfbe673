"""Confirmation deadlines as durable timers in rebooking's database.

Every offer booking sends (offer.sent) becomes an `OfferDeadline` row. The sweep (the
deadlines area's chassis timer, on every rebooking instance) takes the due rows with
`FOR UPDATE SKIP LOCKED`, so two instances never take the same one and never wait for each
other, has booking expire each offer (`expire_offers`, a batch, each with the offer's own
idempotency key: rules.expiry_key) and marks the row fired, in the transaction that holds the
claim. The cascade's step an expiry causes goes in the same call (`fire_due`'s `steps`), so
the next worker is offered by the command that ends the offer. A tick (`sweep`) fires what is
due, then waits for a deadline that falls before the next tick, so that it fires at its
moment rather than up to a tick later. An instance killed mid-sweep holds no claim any more
(its transaction is gone): the rows are pending again and the next sweep, of any instance,
takes them; booking answers the repeated key as the first time. A timer whose deadline passed
while no instance ran fires at the first sweep after a start.

An offer that ends first (confirmed, declined, withdrawn, or expired by staff) settles its
timer. Events arrive in any order (a queue per type): an ending seen before its offer.sent
leaves a settled row that the later offer.sent does not revive."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork, insert_rows, update_rows
from services.rebooking.deadlines import rules
from services.rebooking.deadlines.models import FIRED, PENDING, SETTLED, OfferDeadline

# How many due timers the sweep claims at a time (each chunk committed before the next is
# claimed). A chunk costs the same few statements whatever its size (its steps planned and
# taken at once, its timers written in one statement), and booking's `expire_offers` the same
# for a batch, so a burst of deadlines is a few large chunks, not many round trips: 1,000
# passing together are one.
SWEEP_BATCH = 1000
# At most this many full chunks in one tick (the next tick takes the rest at once).
SWEEP_CHUNKS = 20

# (offer id, idempotency key, the cascade's next step to take with the expiry or None) ->
# each offer's outcome (rules.EXPIRED …), an error text for failures, and booking's answer to
# the next step (None when none was asked or booking could not take it): the entrypoint sends
# them to booking at once, domain code holds no RPC.
ExpireOffers = Callable[
    [list[tuple[str, str, dict[str, Any] | None]]],
    dict[str, tuple[str, str | None, Any]],
]


@dataclass(frozen=True)
class Due:
    """A due timer as the sweep claims it: plain values, not the ORM's objects, since the
    chunk's timers are written back with one statement."""

    offer_id: str
    tenant_id: str
    shift_id: str
    worker_id: str
    client_id: str | None
    tries: int
    due_at: datetime
    fired_at: datetime | None
    outcome: str | None
    stepped_at: datetime | None


_CLAIMED = [OfferDeadline.__table__.c[f.name] for f in fields(Due)]


class PlannedStep(Protocol):
    """A cascade step planned for an expiry (cascades.domain.ExpiryStep)."""

    @property
    def request(self) -> dict[str, Any] | None: ...


class CascadeSteps(Protocol):
    """The cascades' part of a sweep, a chunk at a time: plan the step each timer's expiry will
    cause (offer id -> step; a timer without one is left to offer.expired's handler), and take
    them once the offers are expired, with booking's answers (one bool each, in order; False:
    not taken, left to the handler)."""

    def plan(self, timers: Sequence[Due]) -> Mapping[str, PlannedStep]: ...

    def take(self, answered: Sequence[tuple[Any, Any]]) -> list[bool]: ...


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
    record_deadlines(
        uow,
        timers=[
            {
                "tenant_id": tenant_id,
                "offer_id": offer_id,
                "shift_id": shift_id,
                "worker_id": worker_id,
                "deadline_at": deadline_at,
                "client_id": client_id,
            }
        ],
    )


def record_deadlines(uow: UnitOfWork, *, timers: Sequence[Mapping[str, Any]]) -> None:
    """`record_deadline` of each of `timers` (its keywords), in one statement. In the order of
    the offers' ids, as every writer of timers takes them, so that two transactions writing the
    same new timers (the sweep's next offers, their offer.sent) never wait on each other in a
    circle."""
    insert_rows(
        uow,
        OfferDeadline,
        [
            {
                "offer_id": t["offer_id"],
                "tenant_id": t["tenant_id"],
                "shift_id": t["shift_id"],
                "worker_id": t["worker_id"],
                "client_id": t.get("client_id"),
                "deadline_at": t["deadline_at"],
                "due_at": t["deadline_at"],
                "status": PENDING,
                "tries": 0,
            }
            for t in sorted(timers, key=lambda t: str(t["offer_id"]))
        ],
        on_conflict="(offer_id) DO NOTHING",
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
    taken after when the offer is expired, and the timer marked stepped. The same few
    statements for any number of timers."""
    now = _now(now)
    query = (
        select(*_CLAIMED)
        .where(OfferDeadline.status == PENDING, OfferDeadline.due_at <= now)
        .order_by(OfferDeadline.due_at, OfferDeadline.offer_id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    rows = [Due(*row) for row in uow.session.execute(query)]
    if not rows:
        return {}
    planned = steps.plan(_one_per_shift(rows)) if steps is not None else {}
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
    got = {
        row.offer_id: answers.get(row.offer_id, (rules.FAILED, "no answer", None)) for row in rows
    }
    taken: set[str] = set()
    if steps is not None:
        expired = [o for o in planned if got[o][0] == rules.EXPIRED]
        took = steps.take([(planned[o], got[o][2]) for o in expired])
        taken = {offer_id for offer_id, done in zip(expired, took, strict=True) if done}
    fired_at = _now(None)
    update_rows(
        uow,
        OfferDeadline,
        [
            _after_try(row, *got[row.offer_id][:2], stepped=row.offer_id in taken, at=fired_at)
            for row in rows
        ],
        key="offer_id",
    )
    return {row.offer_id: got[row.offer_id][0] for row in rows}


def _one_per_shift(rows: Sequence[Due]) -> list[Due]:
    """The timers whose steps the sweep plans: those that know their client, the first of each
    shift (a second in the chunk is left to offer.expired's handler, which takes it after the
    first under the shift's lock, as before the sweep took steps)."""
    shifts: set[str] = set()
    chosen = []
    for row in rows:
        if row.client_id is not None and row.shift_id not in shifts:
            shifts.add(row.shift_id)
            chosen.append(row)
    return chosen


def _after_try(
    row: Due, outcome: str, error: str | None, *, stepped: bool, at: datetime
) -> dict[str, Any]:
    """A claimed timer's columns after its try (rules.after_try): fired, or pending again."""
    tries = row.tries + 1
    decision = rules.after_try(outcome, tries=tries, now=at)
    values = {
        "offer_id": row.offer_id,
        "tries": tries,
        "status": PENDING,
        "fired_at": row.fired_at,
        "outcome": row.outcome,
        "last_error": None,
        "due_at": row.due_at,
        "stepped_at": at if stepped else row.stepped_at,
    }
    if decision.done:
        values["status"] = FIRED
        values["fired_at"] = at
        values["outcome"] = outcome if outcome != rules.ENDED else (error or outcome)
    else:
        assert decision.due_at is not None
        values["due_at"] = decision.due_at
        values["last_error"] = (error or outcome)[:500]
    return values


def next_due(uow: UnitOfWork, *, after: datetime) -> datetime | None:
    """When the earliest pending timer not due yet at `after` falls due (None: none waits).
    Due ones are not asked about: another instance's claim holds them."""
    query = select(func.min(OfferDeadline.due_at)).where(
        OfferDeadline.status == PENDING, OfferDeadline.due_at > after
    )
    return uow.session.execute(query).scalar()


def sweep(
    uow: UnitOfWork,
    *,
    expire: ExpireOffers,
    steps: CascadeSteps | None = None,
    interval: float,
    sleep: Callable[[float], Any],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    batch: int = SWEEP_BATCH,
    chunks: int = SWEEP_CHUNKS,
) -> dict[str, str]:
    """One tick of the sweep (the next begins `interval` seconds after this one): fire the due
    timers a chunk at a time (`fire_due`), each chunk committed before the next is claimed,
    until none are due (at most `chunks` full ones: the next tick takes the rest at once);
    then, while the earliest pending timer falls due before the next tick, wait for its moment
    (`sleep`) and fire again, so that a deadline fires as it passes, not up to a tick later.
    Nothing is held while it waits (committed first). Returns offer id -> outcome."""
    ends = clock() + timedelta(seconds=interval)
    outcomes: dict[str, str] = {}
    full = 0
    while True:
        now = clock()
        fired = fire_due(uow, expire=expire, steps=steps, now=now, batch=batch)
        outcomes.update(fired)
        if len(fired) >= batch:
            uow.checkpoint()
            full += 1
            if full >= chunks:
                return outcomes
            continue  # more may be due
        coming = next_due(uow, after=now)
        uow.checkpoint()
        if coming is None or coming >= ends:
            return outcomes
        sleep(max((coming - clock()).total_seconds(), 0.0))


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
