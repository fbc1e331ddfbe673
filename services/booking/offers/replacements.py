"""Replacement offers for rebooking's cascades (`offer_next`, chassis/contracts/booking_rpc.py).

When a shift loses its offer or its worker and the CBO holds the rebooking licence, rebooking
asks booking for the next offer, with the client's preferences. Booking chooses, with the rules
every other offer follows (none are repeated here): the preferred workers in their order, each
re-checked by the search (`reasons_against`: blocked by the client, unavailable, over a cap,
not approved ...) and by identity (`eligible_now`); then, if the client allows it, the search's
ranking of eligible workers (`ranked_workers`), thinned by identity's re-check. Never a worker
this shift has offered before (`domain._offered`), nor one rebooking names in `exclude`.

It happens under the shift's lock, like every change of an offer, and is idempotent by key:
the answer is kept in `offer_commands` (per CBO) and the same key again gets the same answer
and changes nothing, so a redelivered event or a second rebooking instance never makes a
second offer.

`expire_offers` is the batch rebooking's deadline sweep sends (`expire_offers` RPC): each
offer expired as `domain.expire_offer` does it, and, when rebooking asks for it and the offer
is expired, the cascade's next step taken at once (`offer_next`, with the key rebooking would
use for it after offer.expired: the event then finds the step taken). Identity is asked once
for the whole batch's preferred workers; every item runs in a savepoint of its own, so one
that fails (409, 404, identity away) leaves the others done and says why.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from chassis.db import UnitOfWork, insert_rows
from chassis.errors import Conflict, DomainError, NotFound
from services.booking.base import new_id
from services.booking.bookings.models import FAVOURITES, Booking, Shift
from services.booking.jobtypes.models import JobType
from services.booking.offers import domain, rules
from services.booking.offers.models import EXPIRED, SENT, Offer, OfferCommand
from services.booking.offers.recheck import EligibleNow
from services.booking.search import domain as search
from services.booking.settings import domain as booking_settings
from services.booking.settings import rules as settings_rules
from services.booking.workers.models import WorkerRecord

log = logging.getLogger(__name__)

COMMAND = "offer_next"
PREFERRED = "preferred"
RANKING = "ranking"


def _answer(shift: Shift, **offer: Any) -> dict[str, Any]:
    base = {"offer_id": None, "worker_id": None, "deadline_at": None, "source": None, "why": None}
    return {
        "shift_id": shift.id,
        "booking_id": shift.booking_id,
        "client_id": shift.client_id,
        "starts_at": shift.starts_at,
        **base,
        **offer,
        "offered": offer.get("offer_id") is not None,
    }


def _stored(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer as JSON (kept in offer_commands)."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in answer.items()}


def _loaded(result: dict[str, Any]) -> dict[str, Any]:
    answer = dict(result)
    for name in ("starts_at", "deadline_at"):
        if answer.get(name):
            answer[name] = datetime.fromisoformat(answer[name])
    return answer


def _first_preferred(
    uow: UnitOfWork,
    *,
    shift: Shift,
    preferred: Sequence[str],
    skip: set[str],
    eligible_now: EligibleNow,
    now: datetime,
) -> WorkerRecord | None:
    """The first preferred worker not in `skip` whom the search and identity let take the
    shift now; those who may not are passed over (and not asked again by the ranking)."""
    for worker_id in preferred:
        if worker_id in skip:
            continue
        skip.add(worker_id)
        worker = uow.session.get(WorkerRecord, worker_id)
        if worker is None:
            continue
        if search.reasons_against(uow, shift=shift, worker_id=worker_id, now=now):
            continue
        if domain._may_work_now(
            uow,
            shift=shift,
            worker_id=worker.id,
            worker_tenant_id=worker.tenant_id,
            eligible_now=eligible_now,
        ):
            return worker
    return None


def offer_next(
    uow: UnitOfWork,
    *,
    scope: str | None,
    shift_id: str,
    idempotency_key: str,
    eligible_now: EligibleNow,
    preferred_worker_ids: Sequence[str] = (),
    use_ranking: bool = True,
    exclude_worker_ids: Sequence[str] = (),
    window_seconds: int | None = None,
    min_lead_minutes: int = 0,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Offer `shift_id` to the next worker (channel "rebooking", offer.sent) and answer the
    offer with its source (preferred | ranking), or none with why (filled, cancelled, started,
    too_close, covered, no_candidates). `scope` is the caller's CBO (None: across CBOs).
    The same `idempotency_key` again answers the same; one used for another command or shift
    is 409."""
    now = domain._now(now)
    query = select(Shift.id).where(Shift.id == shift_id)
    if scope is not None:
        query = query.where(Shift.tenant_id == scope)
    if uow.session.execute(query).scalar_one_or_none() is None:
        raise NotFound("There is no such shift.")
    shift = domain._lock_shift(uow, shift_id)
    # Looked up under the shift's lock: a concurrent command with this key has committed.
    done = uow.session.get(OfferCommand, (shift.tenant_id, idempotency_key), populate_existing=True)
    if done is not None:
        if done.command != COMMAND or done.result.get("shift_id") != shift.id:
            raise Conflict("This idempotency key was used for another command.")
        return _loaded(done.result)
    answer = _choose(
        uow,
        shift=shift,
        preferred=preferred_worker_ids,
        use_ranking=use_ranking,
        exclude=exclude_worker_ids,
        window=timedelta(seconds=window_seconds) if window_seconds else None,
        min_lead=timedelta(minutes=min_lead_minutes),
        eligible_now=eligible_now,
        now=now,
    )
    uow.session.add(
        OfferCommand(
            idempotency_key=idempotency_key,
            tenant_id=shift.tenant_id,
            command=COMMAND,
            offer_id=answer["offer_id"],
            result=_stored(answer),
        )
    )
    uow.session.flush()
    return answer


def _choose(
    uow: UnitOfWork,
    *,
    shift: Shift,
    preferred: Sequence[str],
    use_ranking: bool,
    exclude: Sequence[str],
    window: timedelta | None,
    min_lead: timedelta,
    eligible_now: EligibleNow,
    now: datetime,
) -> dict[str, Any]:
    why = rules.replacement_refusal(
        shift_status=shift.status,
        starts_at=shift.starts_at,
        now=now,
        min_lead=min_lead,
        positions=shift.positions,
        filled=shift.filled,
        live_offers=len(domain._live_offers(uow, shift.id)),
    )
    if why is not None:
        return _answer(shift, why=why)
    offered = domain._offered(uow, shift.id)
    skip = offered | set(exclude)
    chosen: tuple[str, str, str] | None = None  # worker id, their CBO, source
    worker = _first_preferred(
        uow, shift=shift, preferred=preferred, skip=skip, eligible_now=eligible_now, now=now
    )
    if worker is not None:
        chosen = (worker.id, worker.tenant_id, PREFERRED)
    elif use_ranking:
        ranked = domain._cleared_ranking(
            uow, shift=shift, needed=1, tier=None, exclude=skip, eligible_now=eligible_now
        )
        if ranked:
            chosen = (ranked[0].worker_id, ranked[0].worker_tenant_id, RANKING)
    if chosen is None:
        return _answer(shift, why="no_candidates")
    worker_id, worker_tenant_id, source = chosen
    settings = booking_settings.settings_for(uow, tenant_id=shift.tenant_id)
    computed = settings_rules.confirmation_deadline(
        sent_at=now, starts_at=shift.starts_at, settings=settings
    )
    offer = domain._send(
        uow,
        shift=shift,
        worker_id=worker_id,
        worker_tenant_id=worker_tenant_id,
        channel=rules.REBOOKING_CHANNEL,
        rank=len(offered) + 1,
        now=now,
        settings=settings,
        deadline_at=rules.replacement_deadline(
            computed=computed, now=now, starts_at=shift.starts_at, window=window
        ),
    )
    return _answer(
        shift,
        offer_id=offer.id,
        worker_id=worker_id,
        deadline_at=offer.deadline_at,
        source=source,
    )


# -- the deadline sweep's batch ------------------------------------------------------------------


def _error(exc: Exception) -> dict[str, str]:
    """An item's failure as the batch answers it: NotFound, Conflict, or anything else
    (identity or the database away: `failed`, tried again later)."""
    kinds: dict[type[Exception], str] = {NotFound: "not_found", Conflict: "conflict"}
    kind = kinds.get(type(exc), "failed")
    text = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
    return {"kind": kind, "message": text[:500]}


def _ask_identity_once(
    uow: UnitOfWork,
    *,
    items: Sequence[dict[str, Any]],
    shift_of: dict[str, str],
    eligible_now: EligibleNow,
) -> None:
    """Identity asked about every preferred worker of the batch's next steps in one call per
    (job type, CBO), before any shift is locked: `eligible_now` remembers the answers for the
    request, so the steps ask nothing more (the ranking's candidates, unknown yet, are asked
    as they come)."""
    wanted = {shift_of[i["offer_id"]]: i["next"] for i in items if i.get("next")}
    wanted = {s: n for s, n in wanted.items() if s is not None and n["preferred_worker_ids"]}
    if not wanted:
        return
    rows = uow.session.execute(
        select(Shift.id, Shift.job_type_id).where(Shift.id.in_(list(wanted)))
    ).all()
    by_job_type: dict[str, set[str]] = {}
    for shift_id, job_type_id in rows:
        by_job_type.setdefault(job_type_id, set()).update(wanted[shift_id]["preferred_worker_ids"])
    for job_type_id, worker_ids in by_job_type.items():
        job_type = uow.session.get(JobType, job_type_id)
        assert job_type is not None  # a shift's job type (foreign key)
        tenants = uow.session.execute(
            select(WorkerRecord.id, WorkerRecord.tenant_id).where(
                WorkerRecord.id.in_(sorted(worker_ids))
            )
        ).all()
        for tenant_id, ids in rules.by_cbo((w, t) for w, t in tenants).items():
            eligible_now(job_type, tenant_id, ids)


def expire_offers(
    uow: UnitOfWork,
    *,
    scope: str | None,
    items: Sequence[dict[str, Any]],
    eligible_now: EligibleNow,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Expire each item's offer (`offer_id`, `idempotency_key`, as `domain.expire_offer`) and,
    when the item has `next` (offer_next's arguments but the shift) and the offer is expired,
    offer its shift to the next worker (`replacements.offer_next`). Answers per item, in the
    items' order: the offer's `status` and `expired` (None and False after an `error`), the
    next step's answer (`next`) or why it failed (`next_error`). The shifts are locked in the
    order of their ids, so two batches never wait on each other in a circle."""
    now = domain._now(now)
    query = select(Offer.id, Offer.shift_id).where(Offer.id.in_([i["offer_id"] for i in items]))
    if scope is not None:
        query = query.where(Offer.tenant_id == scope)
    shift_of: dict[str, str] = dict(uow.session.execute(query).all())  # type: ignore[arg-type]
    # Identity away: each step asks again, and says so if it still cannot.
    with contextlib.suppress(DomainError):
        _ask_identity_once(uow, items=items, shift_of=shift_of, eligible_now=eligible_now)
    answers: list[dict[str, Any]] = [{} for _ in items]
    savepoint = uow.session.begin_nested()
    try:
        together = _expire_together(
            uow, items=items, shift_of=shift_of, eligible_now=eligible_now, now=now
        )
        savepoint.commit()
    except Exception:  # whatever it was, each item is taken alone, as before the batch path
        savepoint.rollback()
        log.exception("expire_offers: the batch path failed; each item is taken alone")
        together = _Together({}, set())
    order = sorted(range(len(items)), key=lambda n: (shift_of.get(items[n]["offer_id"], ""), n))
    for number in order:
        if number in together.answers:
            answer = answers[number] = together.answers[number]
            if number in together.steps_left:
                answer["next"], answer["next_error"] = _take_step(
                    uow,
                    scope=scope,
                    shift_id=shift_of[items[number]["offer_id"]],
                    step=items[number]["next"],
                    eligible_now=eligible_now,
                    now=now,
                )
            continue
        answers[number] = _expire_one(
            uow,
            scope=scope,
            item=items[number],
            shift_of=shift_of,
            eligible_now=eligible_now,
            now=now,
        )
    return answers


def _expire_one(
    uow: UnitOfWork,
    *,
    scope: str | None,
    item: dict[str, Any],
    shift_of: dict[str, str],
    eligible_now: EligibleNow,
    now: datetime,
) -> dict[str, Any]:
    offer_id = item["offer_id"]
    answer: dict[str, Any] = {
        "offer_id": offer_id,
        "status": None,
        "expired": False,
        "error": None,
        "next": None,
        "next_error": None,
    }
    if offer_id not in shift_of:
        answer["error"] = _error(NotFound("There is no such offer."))
        return answer
    savepoint = uow.session.begin_nested()
    try:
        ended = domain.expire_offer(
            uow,
            scope=scope,
            offer_id=offer_id,
            idempotency_key=item["idempotency_key"],
            eligible_now=eligible_now,
            now=now,
        )
        savepoint.commit()
    except Exception as exc:  # this item only: the batch goes on
        savepoint.rollback()
        answer["error"] = _error(exc)
        return answer
    answer.update(status=ended["status"], expired=ended["expired"])
    step = item.get("next")
    if not step or ended["status"] != "expired":
        return answer
    answer["next"], answer["next_error"] = _take_step(
        uow,
        scope=scope,
        shift_id=shift_of[offer_id],
        step=step,
        eligible_now=eligible_now,
        now=now,
    )
    return answer


def _take_step(
    uow: UnitOfWork,
    *,
    scope: str | None,
    shift_id: str,
    step: dict[str, Any],
    eligible_now: EligibleNow,
    now: datetime,
) -> tuple[dict[str, Any] | None, str | None]:
    """The cascade's next step for an expired offer (`offer_next`) in a savepoint of its own:
    booking's answer, or None and why it failed."""
    savepoint = uow.session.begin_nested()
    try:
        answer = offer_next(
            uow, scope=scope, shift_id=shift_id, eligible_now=eligible_now, now=now, **step
        )
        savepoint.commit()
    except Exception as exc:  # rebooking takes this step again after offer.expired
        savepoint.rollback()
        return None, _error(exc)["message"]
    return answer, None


# -- the batch's common case, a few statements for all ----------------------------------------


@dataclass
class _Together:
    """What `_expire_together` did: the answers of the items it took (by number), and those
    of them whose next step is left to `offer_next` alone."""

    answers: dict[int, dict[str, Any]]
    steps_left: set[int]


def _expire_together(
    uow: UnitOfWork,
    *,
    items: Sequence[dict[str, Any]],
    shift_of: dict[str, str],
    eligible_now: EligibleNow,
    now: datetime,
) -> _Together:
    """The batch's usual items, with a few statements for the whole batch where one at a time
    costs ~30 statements an item: their shifts locked at once (in id order), the offers still
    sent whose deadline has passed expired by one UPDATE, and each step chosen down the
    client's preferred workers, in the shifts' order, with the search's re-check loaded once
    for all (`search.ShiftsRecheck`), the offers and the keyed answers written by one INSERT
    each. Answers as `expire_offer` and `offer_next` would, one after another, with two
    differences of order, both between shifts: every due offer of the batch is expired before
    any step is chosen (a worker whose own offer expires in the batch is free for the others'
    steps, where one at a time it depended on which shift's id came first), and the steps left
    to `offer_next` come after the batch's.

    Left to the item-at-a-time path, the whole shift (not in the answers): an offer named
    twice, a key already used or used twice, an offer not due yet (409), an expiry in
    favourites mode (its shift tops up). Left to `offer_next` (`steps_left`), with the later
    steps of the shift: a step whose preferred workers all fail when the client allows
    booking's ranking, and one whose re-check identity could not answer."""
    firsts: dict[str, int] = {}
    for number, item in enumerate(items):
        if item["offer_id"] in shift_of:
            firsts.setdefault(item["offer_id"], number)
    if not firsts:
        return _Together({}, set())
    shift_ids = sorted({shift_of[offer_id] for offer_id in firsts})
    locked = (
        select(Shift, Booking.fill_mode)
        .join(Booking, Booking.id == Shift.booking_id)
        .where(Shift.id.in_(shift_ids))
        .order_by(Shift.id)
        .with_for_update(of=Shift)
        .execution_options(populate_existing=True)
    )
    shifts: dict[str, Shift] = {}
    fill_modes: dict[str, str] = {}
    for shift, fill_mode in uow.session.execute(locked).all():
        shifts[shift.id], fill_modes[shift.id] = shift, fill_mode
    # Read under the shifts' locks: a concurrent command with one of these keys has committed.
    keys = {item["idempotency_key"] for item in items} | {
        item["next"]["idempotency_key"] for item in items if item.get("next")
    }
    used: set[tuple[str, str]] = {
        (tenant_id, key)
        for tenant_id, key in uow.session.execute(
            select(OfferCommand.tenant_id, OfferCommand.idempotency_key).where(
                OfferCommand.idempotency_key.in_(sorted(keys))
            )
        ).all()
    }
    offers = {
        offer.id: offer
        for offer in uow.session.execute(
            select(Offer)
            .where(Offer.id.in_(list(firsts)))
            .execution_options(populate_existing=True)
        ).scalars()
    }
    # A shift any of whose items the batch cannot decide goes item by item, all of it, in
    # order, as before; so do the later items that reuse a key an earlier one holds.
    aside: set[str] = set()
    decisions: dict[str, str] = {}  # offer id -> rules.expiry's decision
    for _, item in sorted(
        ((n, i) for n, i in enumerate(items) if i["offer_id"] in shift_of),
        key=lambda pair: (shift_of[pair[1]["offer_id"]], pair[0]),
    ):
        offer = offers[item["offer_id"]]
        shift = shifts[offer.shift_id]
        item_keys = {(shift.tenant_id, item["idempotency_key"])}
        if item.get("next"):
            item_keys.add((shift.tenant_id, item["next"]["idempotency_key"]))
        decision = rules.expiry(status=offer.status, deadline_at=offer.deadline_at, now=now)
        if (
            item["offer_id"] in decisions
            or item_keys & used
            or len(item_keys) < (2 if item.get("next") else 1)
            or decision == rules.TOO_EARLY
            or (decision == rules.EXPIRE and fill_modes[shift.id] == FAVOURITES)
        ):
            aside.add(shift.id)
        decisions.setdefault(item["offer_id"], decision)
        used |= item_keys
    together = _Together({}, set())
    expiring: list[Offer] = []
    commands: list[dict[str, Any]] = []
    steps: list[tuple[int, Shift, dict[str, Any]]] = []
    for offer_id, number in sorted(firsts.items(), key=lambda pair: (shift_of[pair[0]], pair[1])):
        item, offer = items[number], offers[offer_id]
        shift = shifts[offer.shift_id]
        if shift.id in aside:
            continue
        decision = decisions[offer_id]
        status = EXPIRED if decision == rules.EXPIRE else offer.status
        if decision == rules.EXPIRE:
            expiring.append(offer)
        result = {"offer_id": offer.id, "status": status, "expired": decision == rules.EXPIRE}
        commands.append(_command(offer.tenant_id, item["idempotency_key"], "expire", result))
        together.answers[number] = {**result, "error": None, "next": None, "next_error": None}
        if item.get("next") and status == EXPIRED:
            steps.append((number, shift, {**_STEP_DEFAULTS, **item["next"]}))
    if expiring:
        uow.session.execute(
            update(Offer)
            .where(Offer.id.in_([offer.id for offer in expiring]))
            .values(status=EXPIRED, end_reason=domain.EXPIRED_REASON)
            .execution_options(synchronize_session=False)
        )
        for offer in expiring:
            set_committed_value(offer, "status", EXPIRED)
            set_committed_value(offer, "end_reason", domain.EXPIRED_REASON)
    if steps:
        commands += _steps_together(
            uow, together=together, steps=steps, eligible_now=eligible_now, now=now
        )
    # After the offers' offer.sent: the relay sends events in the outbox's order, and the
    # next workers' offers are what people wait for (the expiries feed timers and scores).
    if expiring:
        uow.emit_many(
            "offer.expired",
            [(domain._payload(o, shifts[o.shift_id]), o.tenant_id) for o in expiring],
        )
    _insert_all(uow, OfferCommand, commands, key="idempotency_key")
    return together


def _insert_all(uow: UnitOfWork, model: Any, rows: list[dict[str, Any]], *, key: str) -> None:
    """Insert every row or fail (the batch's savepoint then undoes it all): a clash would mean
    something wrote under the shifts' locks, and an answer must never name a row not made."""
    written = insert_rows(uow, model, rows, returning=key)
    if len(written) != len(rows):
        raise RuntimeError(f"{model.__tablename__}: {len(rows) - len(written)} rows clashed")


def _command(tenant_id: str, key: str, command: str, result: dict[str, Any]) -> dict[str, Any]:
    """An offer_commands row (the answer to a key, as JSON)."""
    return {
        "tenant_id": tenant_id,
        "idempotency_key": key,
        "command": command,
        "offer_id": result.get("offer_id"),
        "result": _stored(result),
    }


def _steps_together(
    uow: UnitOfWork,
    *,
    together: _Together,
    steps: Sequence[tuple[int, Shift, dict[str, Any]]],
    eligible_now: EligibleNow,
    now: datetime,
) -> list[dict[str, Any]]:
    """`_choose` for each step, in the shifts' order (see `_expire_together`): the offers made
    (offer.sent), each step's answer in `together`, and the rows of their keys returned. A
    step left to `offer_next` leaves the later steps of its shift to it too, in order."""
    shift_ids = [shift.id for _, shift, _ in steps]
    live: dict[str, int] = dict(
        uow.session.execute(  # type: ignore[arg-type]
            select(Offer.shift_id, func.count())
            .where(Offer.shift_id.in_(shift_ids), Offer.status == SENT)
            .group_by(Offer.shift_id)
        ).all()
    )
    offered = domain.offered_by_shift(uow, shift_ids=shift_ids)
    candidates = {w for _, _, step in steps for w in step["preferred_worker_ids"]}
    recheck = search.ShiftsRecheck(
        uow, shifts=[shift for _, shift, _ in steps], worker_ids=sorted(candidates)
    )
    settings: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    sent: list[tuple[dict, str | None]] = []
    commands: list[dict[str, Any]] = []
    left: set[str] = set()  # shifts with a step left to offer_next
    for number, shift, step in steps:
        if shift.id in left:
            together.steps_left.add(number)
            continue
        why = rules.replacement_refusal(
            shift_status=shift.status,
            starts_at=shift.starts_at,
            now=now,
            min_lead=timedelta(minutes=step["min_lead_minutes"]),
            positions=shift.positions,
            filled=shift.filled,
            live_offers=live.get(shift.id, 0),
        )
        chosen: WorkerRecord | Any = None
        if why is None:
            skip = offered.get(shift.id, set()) | set(step["exclude_worker_ids"])
            try:
                chosen = _first_preferred_of(
                    recheck,
                    shift=shift,
                    preferred=step["preferred_worker_ids"],
                    skip=skip,
                    job_type=recheck.contexts[shift.id].job_type,
                    eligible_now=eligible_now,
                    now=now,
                )
            except DomainError:  # identity away: offer_next alone asks again, or says why
                chosen = _LEFT
            if chosen is _LEFT or (chosen is None and step["use_ranking"]):
                together.steps_left.add(number)
                left.add(shift.id)
                continue
        if why is not None or chosen is None:
            answer = _answer(shift, why=why or "no_candidates")
        else:
            if shift.tenant_id not in settings:
                settings[shift.tenant_id] = booking_settings.settings_for(
                    uow, tenant_id=shift.tenant_id
                )
            window = step["window_seconds"]
            deadline_at = rules.replacement_deadline(
                computed=settings_rules.confirmation_deadline(
                    sent_at=now, starts_at=shift.starts_at, settings=settings[shift.tenant_id]
                ),
                now=now,
                starts_at=shift.starts_at,
                window=timedelta(seconds=window) if window else None,
            )
            # The offers' row as a dict: a mapped Offer per step cost more than choosing it.
            offer_id = new_id()
            offer = {
                "id": offer_id,
                "tenant_id": shift.tenant_id,
                "shift_id": shift.id,
                "worker_id": chosen.id,
                "worker_tenant_id": chosen.tenant_id,
                "starts_at": shift.starts_at,
                "ends_at": shift.ends_at,
                "status": SENT,
                "channel": rules.REBOOKING_CHANNEL,
                "rank": len(offered.get(shift.id, ())) + 1,
                "deadline_at": deadline_at,
            }
            rows.append(offer)
            sent.append(
                (
                    {
                        **domain.offer_payload(
                            offer_id=offer_id,
                            worker_id=chosen.id,
                            worker_tenant_id=chosen.tenant_id,
                            shift=shift,
                        ),
                        "deadline_at": deadline_at,
                        "channel": rules.REBOOKING_CHANNEL,
                    },
                    shift.tenant_id,
                )
            )
            recheck.note_offer(shift=shift, worker_id=chosen.id, worker_tenant_id=chosen.tenant_id)
            # The shift's next step in this batch (another position) sees this offer.
            live[shift.id] = live.get(shift.id, 0) + 1
            offered.setdefault(shift.id, set()).add(chosen.id)
            answer = _answer(
                shift,
                offer_id=offer_id,
                worker_id=chosen.id,
                deadline_at=deadline_at,
                source=PREFERRED,
            )
        together.answers[number]["next"] = answer
        commands.append(_command(shift.tenant_id, step["idempotency_key"], COMMAND, answer))
    # Made now, not at the transaction's start (the column's default): the batch's offers
    # exist from about this moment, its commit a few statements later.
    written = datetime.now(UTC)
    _insert_all(uow, Offer, [{**row, "created_at": written} for row in rows], key="id")
    if sent:
        uow.emit_many("offer.sent", sent)
    return commands


_LEFT = object()  # a step the batch leaves to offer_next

# offer_next's defaults, for a step that leaves some out.
_STEP_DEFAULTS: dict[str, Any] = {
    "preferred_worker_ids": (),
    "use_ranking": True,
    "exclude_worker_ids": (),
    "window_seconds": None,
    "min_lead_minutes": 0,
}


def _first_preferred_of(
    recheck: search.ShiftsRecheck,
    *,
    shift: Shift,
    preferred: Sequence[str],
    skip: set[str],
    job_type: JobType,
    eligible_now: EligibleNow,
    now: datetime,
) -> Any:
    """`_first_preferred` with the batch's re-check: the worker's row (id, tenant_id), or
    None."""
    for worker_id in preferred:
        if worker_id in skip:
            continue
        skip.add(worker_id)
        if recheck.reasons_against(shift=shift, worker_id=worker_id, now=now):
            continue
        worker = recheck.workers[worker_id]
        if worker_id in eligible_now(job_type, worker.tenant_id, [worker_id]):
            return worker
    return None
