"""Filling positions: offers and their life cycle.

A booking's shifts are filled in one of three ways (Booking.fill_mode), started by
`start_filling` in the transaction that creates them:

- named: one offer to the named worker, re-checked by the search (`reasons_against`); a worker
  who cannot take every one of the shifts makes the whole booking fail (409, with the reasons
  per shift), so nothing is booked;
- favourites: one live offer per open position, down the client's favourites and then the
  ranking; a declined, expired or withdrawn offer makes way for the next worker;
- open: released in tiers (favourites -> reliable -> eligible -> partners), every candidate of
  a tier (at most rules.TIER_CAP) offered at once; a tier with nobody left is skipped at once,
  and the next one is due `tier_delay` later (Shift.tier, Shift.next_tier_at), released by the
  sweep (`release_due_tiers`, booking's timer).

Booking's read model follows identity a moment late, so no offer goes out and none is confirmed
without identity's word that the worker may work now: every function that may send or confirm
one takes `eligible_now` (offers/recheck.py), which the entrypoints build from identity's RPC.
A named worker identity refuses fails the booking with the reason; favourites and tier
candidates it refuses are skipped; a confirmation it refuses is 409. When identity cannot be
reached, `eligible_now` raises ServiceUnavailable (503) and nothing is sent unchecked.

Every change of an offer's state happens with its shift's row locked (SELECT ... FOR UPDATE),
so a confirmation, a decline, an expiry, a withdrawal and a tier release of one shift happen
one after another, and the first confirmation of the last position wins it. Each change emits
its event in the same transaction (offer.sent, offer.confirmed, offer.declined, offer.expired,
offer.withdrawn, shift.filled).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import aliased

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork, owned_row
from chassis.errors import Conflict, NotFound, ValidationFailed
from chassis.paging import order_by, page_rows
from services.booking.bookings.models import FAVOURITES, NAMED, OPEN, TIERS, Booking, Shift
from services.booking.jobtypes.models import JobType
from services.booking.offers import rules
from services.booking.offers.models import (
    BOOKED,
    CANCELLED,
    CONFIRMED,
    DECLINED,
    EXPIRED,
    SENT,
    WITHDRAWN,
    Assignment,
    Offer,
    OfferCommand,
)
from services.booking.offers.recheck import EligibleNow
from services.booking.search import domain as search
from services.booking.search import rules as search_rules
from services.booking.settings import domain as booking_settings
from services.booking.settings import rules as settings_rules
from services.booking.settings.models import BookingSettings
from services.booking.sharing import grants
from services.booking.sites.models import Site
from services.booking.workers.models import ClientRecord, WorkerRecord

# Shift states the offers area reads and sets (the bookings area owns the rest).
SHIFT_OPEN = "open"
SHIFT_FILLED = "filled"

SHIFT_FILLED_REASON = "shift filled"
EXPIRED_REASON = "not confirmed by the deadline"

# How many due shifts one sweep releases (the next sweep takes the rest).
SWEEP_BATCH = 20

# How many pages of ranked candidates a favourites-mode shift reads when identity's re-check
# refuses some (each refusal is a read model a moment behind: rare).
RECHECK_ROUNDS = 3


class _Candidate(Protocol):
    """A worker as the search ranks them: who, and of which CBO."""

    @property
    def worker_id(self) -> str: ...

    @property
    def worker_tenant_id(self) -> str: ...


C = TypeVar("C", bound=_Candidate)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


# -- what the search says ------------------------------------------------------------------------


def _reason_text(reason: search_rules.Reason) -> str:
    """A search Reason as the words a person reads."""
    return reason.message


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y %H:%M")


def _refused(worker_name: str, field: str, refusals: dict[str, list[str]]) -> Conflict:
    """The 409 of a worker who cannot take one or more shifts: the reasons, per shift."""
    lines = [f"{when}: {why}" for when, whys in refusals.items() for why in whys]
    if len(refusals) == 1:
        (whys,) = refusals.values()
        message = f"{worker_name} cannot be offered this shift: {'; '.join(whys)}."
        return Conflict(message, {field: whys})
    message = f"{worker_name} cannot be offered {len(refusals)} of these shifts."
    return Conflict(message, {field: lines})


def _worker_for(
    uow: UnitOfWork, *, shift: Shift, worker_id: str, field: str, eligible_now: EligibleNow
) -> tuple[WorkerRecord, list[str]]:
    """The worker as booking knows them, with what stops them taking `shift` (none: they may):
    the search's reasons, else identity's word that they may not work now. A worker booking
    does not know, or of another CBO that may not work this shift, does not exist for this CBO
    (422 on `field`)."""
    worker = uow.session.get(WorkerRecord, worker_id)
    if worker is None:
        raise ValidationFailed(fields={field: ["There is no such job seeker."]})
    reasons = [
        _reason_text(r) for r in search.reasons_against(uow, shift=shift, worker_id=worker_id)
    ]
    if worker.tenant_id != shift.tenant_id and reasons:
        raise ValidationFailed(fields={field: ["There is no such job seeker."]})
    if not reasons and not _may_work_now(
        uow,
        shift=shift,
        worker_id=worker.id,
        worker_tenant_id=worker.tenant_id,
        eligible_now=eligible_now,
    ):
        reasons = [rules.RECHECK_REFUSED]
    return worker, reasons


def _job_type_of(uow: UnitOfWork, shift: Shift) -> JobType:
    job_type = uow.session.get(JobType, shift.job_type_id)
    assert job_type is not None  # a shift's job type (foreign key)
    return job_type


def _cleared(
    uow: UnitOfWork, *, shift: Shift, candidates: Sequence[C], eligible_now: EligibleNow
) -> list[C]:
    """The candidates (anything with worker_id and worker_tenant_id) identity says may work
    `shift` now, in their order; identity is asked once per CBO among them."""
    if not candidates:
        return []
    job_type = _job_type_of(uow, shift)
    cleared: set[tuple[str, str]] = set()
    pairs = ((c.worker_id, c.worker_tenant_id) for c in candidates)
    for tenant_id, worker_ids in rules.by_cbo(pairs).items():
        cleared |= {(w, tenant_id) for w in eligible_now(job_type, tenant_id, worker_ids)}
    return [c for c in candidates if (c.worker_id, c.worker_tenant_id) in cleared]


def _may_work_now(
    uow: UnitOfWork,
    *,
    shift: Shift,
    worker_id: str,
    worker_tenant_id: str,
    eligible_now: EligibleNow,
) -> bool:
    """Whether identity says this one worker may work `shift` now."""
    job_type = _job_type_of(uow, shift)
    return worker_id in eligible_now(job_type, worker_tenant_id, [worker_id])


def _cleared_ranking(
    uow: UnitOfWork,
    *,
    shift: Shift,
    needed: int,
    tier: str | None,
    exclude: Iterable[str],
    eligible_now: EligibleNow,
) -> list[Any]:
    """Up to `needed` of the search's ranked candidates (of `tier`) that identity clears,
    best first: a page the re-check thins out is followed by the next ones, a few times."""
    found: list[Any] = []
    skip = set(exclude)
    for _ in range(RECHECK_ROUNDS):
        wanted = needed - len(found)
        page = search.ranked_workers(uow, shift=shift, limit=wanted, tier=tier, exclude=tuple(skip))
        found += _cleared(uow, shift=shift, candidates=page, eligible_now=eligible_now)
        skip |= {c.worker_id for c in page}
        if len(found) >= needed or len(page) < wanted:
            break
    return found


# -- sending, ending -----------------------------------------------------------------------------


def _booking_of(uow: UnitOfWork, shift: Shift) -> Booking:
    booking = uow.session.get(Booking, shift.booking_id)
    assert booking is not None  # a shift belongs to a booking (foreign key)
    return booking


def _payload(offer: Offer, shift: Shift) -> dict[str, Any]:
    return offer_payload(
        offer_id=offer.id,
        worker_id=offer.worker_id,
        worker_tenant_id=offer.worker_tenant_id,
        shift=shift,
    )


def offer_payload(
    *, offer_id: str, worker_id: str, worker_tenant_id: str, shift: Shift
) -> dict[str, Any]:
    """What every offer event says of the offer and its shift."""
    return {
        "offer_id": offer_id,
        "shift_id": shift.id,
        "booking_id": shift.booking_id,
        "client_id": shift.client_id,
        "worker_id": worker_id,
        "worker_tenant_id": worker_tenant_id,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
    }


def _send(
    uow: UnitOfWork,
    *,
    shift: Shift,
    worker_id: str,
    worker_tenant_id: str,
    channel: str,
    rank: int | None,
    now: datetime,
    settings: BookingSettings,
    share_id: str | None = None,
    deadline_at: datetime | None = None,
) -> Offer:
    """Offer `shift` to a worker (offer.sent), due by the CBO's deadline (or `deadline_at`)."""
    computed = settings_rules.confirmation_deadline(
        sent_at=now, starts_at=shift.starts_at, settings=settings
    )
    offer = Offer(
        tenant_id=shift.tenant_id,
        shift_id=shift.id,
        worker_id=worker_id,
        worker_tenant_id=worker_tenant_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=SENT,
        channel=channel,
        rank=rank,
        deadline_at=deadline_at
        or rules.offer_deadline(computed=computed, now=now, starts_at=shift.starts_at),
        share_id=share_id,
    )
    uow.session.add(offer)
    uow.session.flush()
    uow.emit(
        "offer.sent",
        {**_payload(offer, shift), "deadline_at": offer.deadline_at, "channel": channel},
        tenant_id=shift.tenant_id,
    )
    return offer


def _end(
    uow: UnitOfWork, *, offer: Offer, shift: Shift, status: str, reason: str | None, now: datetime
) -> None:
    """End a sent offer as declined, expired or withdrawn, with its event."""
    offer.status = status
    offer.end_reason = reason
    if status == DECLINED:
        offer.responded_at = now
    uow.session.flush()
    payload = _payload(offer, shift)
    if status == DECLINED:
        uow.emit("offer.declined", {**payload, "reason": reason}, tenant_id=shift.tenant_id)
    elif status == EXPIRED:
        uow.emit("offer.expired", payload, tenant_id=shift.tenant_id)
    else:
        uow.emit("offer.withdrawn", {**payload, "reason": reason or ""}, tenant_id=shift.tenant_id)


def _live_offers(uow: UnitOfWork, shift_id: str) -> list[Offer]:
    query = (
        select(Offer)
        .where(Offer.shift_id == shift_id, Offer.status == SENT)
        .order_by(Offer.created_at, Offer.id)
        .execution_options(populate_existing=True)
    )
    return list(uow.session.execute(query).scalars())


def _offered(uow: UnitOfWork, shift_id: str) -> set[str]:
    """The workers this shift is not offered again: every one it has offered, whatever became
    of the offer, except those whose offer was withdrawn only because the shift filled (when
    it opens again, they may have it)."""
    return offered_by_shift(uow, shift_ids=[shift_id]).get(shift_id, set())


def offered_by_shift(uow: UnitOfWork, *, shift_ids: Sequence[str]) -> dict[str, set[str]]:
    """`_offered` of many shifts in one query (shifts that offered nobody are left out)."""
    query = (
        select(Offer.shift_id, Offer.worker_id)
        .where(
            Offer.shift_id.in_(list(shift_ids)),
            or_(Offer.status != WITHDRAWN, Offer.end_reason.is_distinct_from(SHIFT_FILLED_REASON)),
        )
        .distinct()
    )
    found: dict[str, set[str]] = {}
    for shift_id, worker_id in uow.session.execute(query).all():
        found.setdefault(shift_id, set()).add(worker_id)
    return found


def _lock_shift(uow: UnitOfWork, shift_id: str) -> Shift:
    """The shift, locked until the transaction ends, as it is now (not as this session last
    saw it)."""
    query = (
        select(Shift)
        .where(Shift.id == shift_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return uow.session.execute(query).scalar_one()


def lock_shift(uow: UnitOfWork, *, shift_id: str) -> Shift:
    """The shift locked for a change of its offers (or shares: the sharing area), as it is
    now."""
    return _lock_shift(uow, shift_id)


def _fresh_offer(uow: UnitOfWork, offer_id: str) -> Offer:
    query = select(Offer).where(Offer.id == offer_id).execution_options(populate_existing=True)
    return uow.session.execute(query).scalar_one()


def withdraw_live_offers(
    uow: UnitOfWork,
    *,
    shift: Shift,
    reason: str,
    now: datetime | None = None,
    worker: tuple[str, str] | None = None,
    share_id: str | None = None,
) -> list[Offer]:
    """Withdraw the live offers of a (locked) shift, telling each worker why (offer.withdrawn):
    every one when the shift filled or was cancelled (the bookings area calls it then: its
    shares with partner CBOs end too); only `worker`'s (worker id, their CBO) when identity
    suspended them or closed their account, or only those made under `share_id` when that
    share ended (the shift's filling is then the caller's to resume: `after_offers_ended`)."""
    now = _now(now)
    offers = [
        o
        for o in _live_offers(uow, shift.id)
        if (worker is None or (o.worker_id, o.worker_tenant_id) == worker)
        and (share_id is None or o.share_id == share_id)
    ]
    for offer in offers:
        _end(uow, offer=offer, shift=shift, status=WITHDRAWN, reason=reason, now=now)
    if worker is None and share_id is None:
        grants.close_shares(uow, shift=shift, reason=reason, now=now)
    return offers


# -- the fill modes ------------------------------------------------------------------------------


def _release_next_tier(
    uow: UnitOfWork,
    *,
    shift: Shift,
    now: datetime,
    settings: BookingSettings,
    eligible_now: EligibleNow,
) -> None:
    """Offer an open shift to every candidate of its next tier with anyone in it whom
    identity clears (a tier it clears nobody of is skipped like an empty one)."""
    offered = _offered(uow, shift.id)

    def candidates_in(tier: str) -> Sequence[Any]:
        found = search.ranked_workers(
            uow, shift=shift, limit=rules.TIER_CAP, tier=tier, exclude=tuple(offered)
        )
        return _cleared(uow, shift=shift, candidates=found, eligible_now=eligible_now)

    delay = settings_rules.tier_delay(now=now, starts_at=shift.starts_at, settings=settings)
    release = rules.release_next_tier(
        released=shift.tier, candidates_in=candidates_in, now=now, delay=delay
    )
    state = dict(shift.fill_state or {})
    if release.exhausted:
        state["exhausted_at"] = now.isoformat()
    else:
        state["released"] = {**state.get("released", {}), TIERS[release.tier]: now.isoformat()}
    shift.tier = release.tier
    shift.next_tier_at = release.next_at
    shift.fill_state = state
    channel = rules.tier_channel(release.tier)
    for rank, candidate in enumerate(release.candidates, start=1):
        _send(
            uow,
            shift=shift,
            worker_id=candidate.worker_id,
            worker_tenant_id=candidate.worker_tenant_id,
            channel=channel,
            rank=rank,
            now=now,
            settings=settings,
        )


def _top_up(
    uow: UnitOfWork,
    *,
    shift: Shift,
    now: datetime,
    settings: BookingSettings,
    eligible_now: EligibleNow,
) -> list[Offer]:
    """Favourites mode: one live offer per open position, down the client's favourites, then
    the ranking, skipping those identity does not clear; never the same worker twice for one
    shift."""
    if shift.status != SHIFT_OPEN or shift.starts_at <= now:
        return []
    live = len(_live_offers(uow, shift.id))
    needed = rules.offers_needed(positions=shift.positions, filled=shift.filled, live_offers=live)
    if not needed:
        return []
    offered = _offered(uow, shift.id)
    favourites = _cleared_ranking(
        uow,
        shift=shift,
        needed=needed,
        tier="favourites",
        exclude=offered,
        eligible_now=eligible_now,
    )
    ranking: Sequence[Any] = ()
    if len(favourites) < needed:
        skip = offered | {c.worker_id for c in favourites}
        ranking = _cleared_ranking(
            uow, shift=shift, needed=needed, tier=None, exclude=skip, eligible_now=eligible_now
        )
    chosen = rules.next_candidates(
        needed=needed,
        favourites=favourites,
        ranking=ranking,
        key=lambda c: c.worker_id,
        exclude=offered,
    )
    sent = [
        _send(
            uow,
            shift=shift,
            worker_id=candidate.worker_id,
            worker_tenant_id=candidate.worker_tenant_id,
            channel=channel,
            rank=len(offered) + number,
            now=now,
            settings=settings,
        )
        for number, (candidate, channel) in enumerate(chosen, start=1)
    ]
    if not chosen and not live:
        shift.fill_state = {**(shift.fill_state or {}), "exhausted_at": now.isoformat()}
    return sent


def after_offers_ended(
    uow: UnitOfWork, *, shift: Shift, eligible_now: EligibleNow, now: datetime | None = None
) -> None:
    """A (locked) shift one or more of whose offers were declined, expired or withdrawn:
    favourites mode moves on to the next worker; named mode waits for staff (the event tells
    them); open mode waits for its next tier."""
    now = _now(now)
    if _booking_of(uow, shift).fill_mode == FAVOURITES:
        settings = booking_settings.settings_for(uow, tenant_id=shift.tenant_id)
        _top_up(uow, shift=shift, now=now, settings=settings, eligible_now=eligible_now)


def start_filling(
    uow: UnitOfWork,
    *,
    caller: Caller,
    shifts: Iterable[Shift],
    eligible_now: EligibleNow,
    now: datetime | None = None,
) -> list[Offer]:
    """Send the first offers of shifts just created, by their booking's fill mode (see the
    module docstring); returns the offers sent. A named worker who cannot take every shift
    (by the read model, or by identity's re-check) raises Conflict (409) naming the reasons
    per shift, and the caller's transaction (the booking with it) rolls back."""
    now = _now(now)
    shifts = list(shifts)
    sent: list[Offer] = []
    settings_of: dict[str, BookingSettings] = {}
    named: list[tuple[Shift, WorkerRecord]] = []
    refusals: dict[str, list[str]] = {}
    worker_name = ""
    for shift in shifts:
        booking = _booking_of(uow, shift)
        if shift.tenant_id not in settings_of:
            settings_of[shift.tenant_id] = booking_settings.settings_for(
                uow, tenant_id=shift.tenant_id
            )
        settings = settings_of[shift.tenant_id]
        if booking.fill_mode == NAMED:
            if not booking.named_worker_id:
                raise ValidationFailed(fields={"named_worker_id": ["Name the worker to offer."]})
            worker, reasons = _worker_for(
                uow,
                shift=shift,
                worker_id=booking.named_worker_id,
                field="named_worker_id",
                eligible_now=eligible_now,
            )
            worker_name = worker.name or "The worker"
            if reasons:
                refusals[_local(shift.starts_at, booking.timezone)] = reasons
            named.append((shift, worker))
        elif booking.fill_mode == FAVOURITES:
            sent += _top_up(uow, shift=shift, now=now, settings=settings, eligible_now=eligible_now)
        elif booking.fill_mode == OPEN:
            _release_next_tier(
                uow, shift=shift, now=now, settings=settings, eligible_now=eligible_now
            )
    if refusals:
        raise _refused(worker_name, "named_worker_id", refusals)
    for shift, worker in named:
        sent.append(
            _send(
                uow,
                shift=shift,
                worker_id=worker.id,
                worker_tenant_id=worker.tenant_id,
                channel=rules.NAMED_CHANNEL,
                rank=1,
                now=now,
                settings=settings_of[shift.tenant_id],
            )
        )
    return sent


def resume_filling(
    uow: UnitOfWork, *, shift: Shift, eligible_now: EligibleNow, now: datetime | None = None
) -> None:
    """A (locked) shift that is open again (an assignment was cancelled): favourites mode
    offers the next worker; an open shift that went through every tier goes through them
    again; named mode waits for staff."""
    now = _now(now)
    if shift.status != SHIFT_OPEN or shift.starts_at <= now:
        return
    mode = _booking_of(uow, shift).fill_mode
    settings = booking_settings.settings_for(uow, tenant_id=shift.tenant_id)
    if mode == FAVOURITES:
        _top_up(uow, shift=shift, now=now, settings=settings, eligible_now=eligible_now)
    elif mode == OPEN and shift.next_tier_at is None:
        shift.tier = None
        _release_next_tier(uow, shift=shift, now=now, settings=settings, eligible_now=eligible_now)


def release_due_tiers(
    uow: UnitOfWork,
    *,
    eligible_now: EligibleNow,
    now: datetime | None = None,
    batch: int = SWEEP_BATCH,
) -> int:
    """The sweep: release the next tier of open shifts whose `next_tier_at` has come, across
    every CBO; returns how many shifts it took. The shifts are locked with SKIP LOCKED, so two
    sweeps (two booking instances) never take the same shift, and once a release commits the
    shift's `next_tier_at` has moved on: no tier goes out twice. A shift that has started gets
    no more tiers."""
    now = _now(now)
    query = (
        select(Shift)
        .where(
            Shift.status == SHIFT_OPEN,
            Shift.next_tier_at.is_not(None),
            Shift.next_tier_at <= now,
        )
        .order_by(Shift.next_tier_at, Shift.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    shifts = list(uow.session.execute(query).scalars())
    for shift in shifts:
        if shift.starts_at <= now:
            shift.next_tier_at = None
            continue
        settings = booking_settings.settings_for(uow, tenant_id=shift.tenant_id)
        _release_next_tier(uow, shift=shift, now=now, settings=settings, eligible_now=eligible_now)
    uow.session.flush()
    return len(shifts)


# -- a worker answers ----------------------------------------------------------------------------


def _own_offer_shift(uow: UnitOfWork, *, tenant_id: str, worker_id: str, offer_id: str) -> str:
    """The shift of the caller's own offer; another worker's offer does not exist (404)."""
    query = select(Offer.shift_id).where(
        Offer.id == offer_id, Offer.worker_id == worker_id, Offer.worker_tenant_id == tenant_id
    )
    shift_id = uow.session.execute(query).scalar_one_or_none()
    if shift_id is None:
        raise NotFound("There is no such offer.")
    return shift_id


def confirm_offer(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    worker_id: str,
    offer_id: str,
    eligible_now: EligibleNow,
    now: datetime | None = None,
) -> Assignment:
    """The worker takes one position of the shift their offer is for: an assignment (and
    offer.confirmed). The shift is locked first; the offer must still be sent and within its
    deadline, the shift open, not started and with a position free, and the search must
    still find nothing against the worker (a suspension, a new overlapping shift, a cap), nor
    identity's re-check. Otherwise 409 with the reason. The confirmation that fills the shift
    withdraws every other live offer ("shift filled", offer.withdrawn) and emits
    shift.filled."""
    now = _now(now)
    shift_id = _own_offer_shift(uow, tenant_id=tenant_id, worker_id=worker_id, offer_id=offer_id)
    # Identity is asked before the shift is locked, so twenty workers confirming one shift do
    # not wait on each other's call; a suspension landing after this answer is caught by the
    # jobseeker.suspended handler, which cancels the place (cancellations.stand_down_worker).
    if _fresh_offer(uow, offer_id).status == SENT and not _may_work_now(
        uow,
        shift=uow.session.get_one(Shift, shift_id),
        worker_id=worker_id,
        worker_tenant_id=tenant_id,
        eligible_now=eligible_now,
    ):
        reason = rules.RECHECK_REFUSED_YOU
        raise Conflict(f"You can no longer be booked: {reason}.", {"reasons": [reason]})
    shift = _lock_shift(uow, shift_id)
    offer = _fresh_offer(uow, offer_id)
    if offer.share_id is not None and offer.status == SENT:
        # A partner CBO's worker: only while the shift is still shared with their CBO.
        refused = grants.refusal(uow, share=grants.fresh_share(uow, share_id=offer.share_id))
        if refused:
            raise Conflict(refused, {"reasons": [refused]})
    refusal = rules.confirm_refusal(
        status=offer.status,
        deadline_at=offer.deadline_at,
        end_reason=offer.end_reason,
        now=now,
        shift_status=shift.status,
        starts_at=shift.starts_at,
        positions=shift.positions,
        filled=shift.filled,
    )
    if refusal:
        raise Conflict(refusal)
    found = search.reasons_against(uow, shift=shift, worker_id=worker_id, now=now)
    if offer.share_id is not None:
        found = grants.without_not_shared(found)
    reasons = [_reason_text(r) for r in found]
    if reasons:
        raise Conflict(
            f"You can no longer take this shift: {'; '.join(reasons)}.", {"reasons": reasons}
        )
    assignment = Assignment(
        tenant_id=shift.tenant_id,
        shift_id=shift.id,
        offer_id=offer.id,
        worker_id=offer.worker_id,
        worker_tenant_id=offer.worker_tenant_id,
        client_id=shift.client_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=BOOKED,
    )
    uow.session.add(assignment)
    offer.status = CONFIRMED
    offer.responded_at = now
    shift.filled += 1
    uow.session.flush()
    uow.emit(
        "offer.confirmed",
        {**_payload(offer, shift), "assignment_id": assignment.id},
        tenant_id=shift.tenant_id,
    )
    if offer.share_id is not None:
        grants.record_fill(
            uow,
            share_id=offer.share_id,
            shift=shift,
            offer_id=offer.id,
            worker_id=offer.worker_id,
            worker_tenant_id=offer.worker_tenant_id,
            assignment_id=assignment.id,
        )
    if shift.filled >= shift.positions:
        shift.status = SHIFT_FILLED
        shift.next_tier_at = None
        withdraw_live_offers(uow, shift=shift, reason=SHIFT_FILLED_REASON, now=now)
        workers = select(Assignment.worker_id).where(
            Assignment.shift_id == shift.id, Assignment.status != CANCELLED
        )
        uow.emit(
            "shift.filled",
            {
                "shift_id": shift.id,
                "booking_id": shift.booking_id,
                "client_id": shift.client_id,
                "worker_ids": sorted(uow.session.execute(workers).scalars()),
            },
            tenant_id=shift.tenant_id,
        )
    uow.session.flush()
    return assignment


def decline_offer(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    worker_id: str,
    offer_id: str,
    eligible_now: EligibleNow,
    reason: str | None = None,
    now: datetime | None = None,
) -> Offer:
    """The worker turns their offer down (offer.declined, with their reason if they gave one);
    a favourites-mode shift then offers the next worker. Only a sent offer within its deadline
    can be declined (409 otherwise)."""
    now = _now(now)
    shift_id = _own_offer_shift(uow, tenant_id=tenant_id, worker_id=worker_id, offer_id=offer_id)
    shift = _lock_shift(uow, shift_id)
    offer = _fresh_offer(uow, offer_id)
    refusal = rules.answer_refusal(
        status=offer.status,
        deadline_at=offer.deadline_at,
        end_reason=offer.end_reason,
        now=now,
        shift_status=shift.status,
        starts_at=shift.starts_at,
        done="declined",
    )
    if refusal:
        raise Conflict(refusal)
    _end(uow, offer=offer, shift=shift, status=DECLINED, reason=reason, now=now)
    after_offers_ended(uow, shift=shift, eligible_now=eligible_now, now=now)
    return offer


# -- staff and rebooking -------------------------------------------------------------------------


def expire_offer(
    uow: UnitOfWork,
    *,
    scope: str | None,
    offer_id: str,
    idempotency_key: str,
    eligible_now: EligibleNow,
    now: datetime | None = None,
    caller: Caller | None = None,
) -> dict[str, Any]:
    """End a still-sent offer whose deadline has passed as expired (offer.expired: reliability
    counts a missed confirmation); a favourites-mode shift then offers the next worker. Staff
    who expire one (`caller`, not rebooking's system) leave an audit entry.

    Idempotent by `idempotency_key`: the same key again answers what it answered the first
    time and changes nothing (a key used for another offer is 409). An offer already ended is
    a no-op answer (`expired: false`, with its status); before the deadline it is 409.
    `scope` is the caller's CBO (None: a caller acting across CBOs)."""
    now = _now(now)
    query = select(Offer.shift_id).where(Offer.id == offer_id)
    if scope is not None:
        query = query.where(Offer.tenant_id == scope)
    shift_id = uow.session.execute(query).scalar_one_or_none()
    if shift_id is None:
        raise NotFound("There is no such offer.")
    shift = _lock_shift(uow, shift_id)
    # Looked up under the shift's lock: a concurrent command with the same key has committed.
    done = uow.session.get(OfferCommand, (shift.tenant_id, idempotency_key), populate_existing=True)
    if done is not None:
        if done.offer_id != offer_id or done.command != "expire":
            raise Conflict("This idempotency key was used for another command.")
        return dict(done.result)
    offer = _fresh_offer(uow, offer_id)
    decision = rules.expiry(status=offer.status, deadline_at=offer.deadline_at, now=now)
    if decision == rules.TOO_EARLY:
        raise Conflict(
            f"This offer can be confirmed until {offer.deadline_at.isoformat()}; "
            "it has not expired yet."
        )
    if decision == rules.EXPIRE:
        _end(uow, offer=offer, shift=shift, status=EXPIRED, reason=EXPIRED_REASON, now=now)
        if caller is not None and not caller.is_system:
            audit(
                uow,
                caller,
                action="offer.expire",
                entity_type="offer",
                entity_id=offer.id,
                before={"status": SENT},
                after={"status": EXPIRED},
                tenant_id=offer.tenant_id,
            )
        after_offers_ended(uow, shift=shift, eligible_now=eligible_now, now=now)
    result = {"offer_id": offer.id, "status": offer.status, "expired": decision == rules.EXPIRE}
    uow.session.add(
        OfferCommand(
            idempotency_key=idempotency_key,
            tenant_id=offer.tenant_id,
            command="expire",
            offer_id=offer.id,
            result=result,
        )
    )
    uow.session.flush()
    return result


def withdraw_offer(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    offer_id: str,
    reason: str,
    eligible_now: EligibleNow,
    now: datetime | None = None,
) -> Offer:
    """Staff take a sent offer back, with a reason the worker is told (offer.withdrawn);
    a favourites-mode shift then offers the next worker. An offer that has ended is 409 (a
    confirmed one is an assignment: cancel that instead)."""
    now = _now(now)
    query = select(Offer.shift_id).where(Offer.id == offer_id, Offer.tenant_id == tenant_id)
    shift_id = uow.session.execute(query).scalar_one_or_none()
    if shift_id is None:
        raise NotFound("There is no such offer.")
    shift = _lock_shift(uow, shift_id)
    offer = _fresh_offer(uow, offer_id)
    if offer.status == CONFIRMED:
        raise Conflict("This offer was confirmed: cancel the worker's assignment instead.")
    if offer.status != SENT:
        raise Conflict(f"This offer is already {offer.status}.")
    _end(uow, offer=offer, shift=shift, status=WITHDRAWN, reason=reason, now=now)
    audit(
        uow,
        caller,
        action="offer.withdraw",
        entity_type="offer",
        entity_id=offer.id,
        before={"status": SENT},
        after={"status": WITHDRAWN, "reason": reason},
        tenant_id=tenant_id,
    )
    after_offers_ended(uow, shift=shift, eligible_now=eligible_now, now=now)
    return offer


def offer_shift(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    shift_id: str,
    worker_id: str,
    eligible_now: EligibleNow,
    now: datetime | None = None,
) -> Offer:
    """Staff offer an open shift to a worker they name, re-checked by the search and by
    identity: what stops the worker is 409 with the reasons (on `jobseeker_id`); a worker
    this CBO does not know is 422. The shift must be open and not started, and the worker
    hold no live offer or place on it."""
    now = _now(now)
    owned_row(uow, Shift, tenant_id=tenant_id, row_id=shift_id, what="shift")
    shift = _lock_shift(uow, shift_id)
    if shift.status != SHIFT_OPEN:
        raise Conflict(f"This shift is {shift.status}: it takes no more offers.")
    if shift.starts_at <= now:
        raise Conflict("This shift has already started.")
    holding = select(Offer.status).where(
        Offer.shift_id == shift.id,
        Offer.worker_id == worker_id,
        Offer.status.in_((SENT, CONFIRMED)),
    )
    held = uow.session.execute(holding).scalar_one_or_none()
    if held is not None:
        what = "an offer for" if held == SENT else "a place on"
        raise Conflict(f"This job seeker already has {what} this shift.")
    worker, reasons = _worker_for(
        uow, shift=shift, worker_id=worker_id, field="jobseeker_id", eligible_now=eligible_now
    )
    if reasons:
        when = _local(shift.starts_at, _booking_of(uow, shift).timezone)
        raise _refused(worker.name or "This job seeker", "jobseeker_id", {when: reasons})
    settings = booking_settings.settings_for(uow, tenant_id=shift.tenant_id)
    offer = _send(
        uow,
        shift=shift,
        worker_id=worker.id,
        worker_tenant_id=worker.tenant_id,
        channel=rules.NAMED_CHANNEL,
        rank=len(_offered(uow, shift.id)) + 1,
        now=now,
        settings=settings,
    )
    audit(
        uow,
        caller,
        action="offer.create",
        entity_type="offer",
        entity_id=offer.id,
        after={
            "shift_id": shift.id,
            "worker_id": worker.id,
            "deadline_at": offer.deadline_at.isoformat(),
        },
        tenant_id=tenant_id,
    )
    return offer


def offer_under_share(
    uow: UnitOfWork,
    *,
    caller: Caller,
    share_id: str,
    worker_ids: Sequence[str],
    named: bool,
    eligible_now: EligibleNow,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[Offer]:
    """A partner CBO's staff offer a shift shared with their CBO to their own workers, under
    the share (sharing.grants): each worker re-checked by the search (less "another CBO that
    does not share": the shift itself is shared) and by identity, as any offer. `named`: one
    worker, whose refusal is 409 with the reasons (on `jobseeker_id`); otherwise a release to
    the given candidates, skipping those refused. The shift must be open and not started; a
    worker already holding an offer or place on it is skipped (named: 409); at most `limit`
    are sent. The share's partner is the workers' CBO: any other CBO's worker does not exist
    here (422)."""
    now = _now(now)
    share = grants.fresh_share(uow, share_id=share_id)
    if share is None:
        raise NotFound("There is no such shared opportunity.")
    shift = _lock_shift(uow, share.shift_id)
    share = grants.fresh_share(uow, share_id=share_id)
    refused = grants.refusal(uow, share=share)
    if refused or share is None:
        raise Conflict(refused or grants.NO_LONGER_SHARED)
    if shift.status != SHIFT_OPEN:
        raise Conflict(f"This shift is {shift.status}: it takes no more offers.")
    if shift.starts_at <= now:
        raise Conflict("This shift has already started.")
    holding = select(Offer.worker_id).where(
        Offer.shift_id == shift.id, Offer.status.in_((SENT, CONFIRMED))
    )
    held = set(uow.session.execute(holding).scalars())
    settings = booking_settings.settings_for(uow, tenant_id=shift.tenant_id)
    job_type = _job_type_of(uow, shift)
    sent: list[Offer] = []
    for worker_id in worker_ids:
        if limit is not None and len(sent) >= limit:
            break
        worker = uow.session.get(WorkerRecord, worker_id)
        if worker is None or worker.tenant_id != share.partner_tenant_id:
            if named:
                raise ValidationFailed(fields={"jobseeker_id": ["There is no such job seeker."]})
            continue
        if worker_id in held:
            if named:
                raise Conflict("This job seeker already has an offer for or a place on this shift.")
            continue
        found = grants.without_not_shared(
            search.reasons_against(uow, shift=shift, worker_id=worker_id, now=now)
        )
        reasons = [_reason_text(r) for r in found]
        if not reasons and worker_id not in eligible_now(job_type, worker.tenant_id, [worker_id]):
            reasons = [rules.RECHECK_REFUSED]
        if reasons:
            if named:
                when = _local(shift.starts_at, _booking_of(uow, shift).timezone)
                raise _refused(worker.name or "This job seeker", "jobseeker_id", {when: reasons})
            continue
        offer = _send(
            uow,
            shift=shift,
            worker_id=worker.id,
            worker_tenant_id=worker.tenant_id,
            channel=rules.SHARED_CHANNEL,
            rank=None,
            now=now,
            settings=settings,
            share_id=share.id,
        )
        held.add(worker_id)
        sent.append(offer)
        audit(
            uow,
            caller,
            action="offer.create",
            entity_type="offer",
            entity_id=offer.id,
            after={"shift_id": shift.id, "worker_id": worker.id, "share_id": share.id},
            tenant_id=share.partner_tenant_id,
        )
    return sent


# -- reading -------------------------------------------------------------------------------------


def _shift_view(
    shift: Shift, site: Site, job_type: JobType, booking: Booking, client: str | None
) -> dict[str, Any]:
    zone = ZoneInfo(site.timezone)
    return {
        "id": shift.id,
        "status": shift.status,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "starts_local": shift.starts_at.astimezone(zone).replace(tzinfo=None),
        "ends_local": shift.ends_at.astimezone(zone).replace(tzinfo=None),
        "timezone": site.timezone,
        "site": site,
        "job_type": job_type,
        "client": {"id": shift.client_id, "name": client},
        "pay_rate_cents": booking.pay_rate_cents,
        "requirements": booking.requirements,
    }


def _worker_rows(first: Any, on: Any) -> Select:
    return (
        select(first, Shift, Site, JobType, Booking, ClientRecord.name)
        .join(Shift, Shift.id == on)
        .join(Site, Site.id == Shift.site_id)
        .join(JobType, JobType.id == Shift.job_type_id)
        .join(Booking, Booking.id == Shift.booking_id)
        .outerjoin(ClientRecord, ClientRecord.id == Shift.client_id)
    )


def _my_offers_query(*, tenant_id: str, worker_id: str) -> Select:
    confirmed = aliased(Assignment)
    return (
        _worker_rows(Offer, Offer.shift_id)
        .add_columns(confirmed.id)
        .outerjoin(confirmed, confirmed.offer_id == Offer.id)
        .where(Offer.worker_id == worker_id, Offer.worker_tenant_id == tenant_id)
    )


def _my_offer_view(row: Any) -> dict[str, Any]:
    offer, shift, site, job_type, booking, client, assignment_id = row
    return {
        "id": offer.id,
        "status": offer.status,
        "channel": offer.channel,
        "deadline_at": offer.deadline_at,
        "responded_at": offer.responded_at,
        "end_reason": offer.end_reason,
        "created_at": offer.created_at,
        "assignment_id": assignment_id,
        "shift": _shift_view(shift, site, job_type, booking, client),
    }


def my_offer(uow: UnitOfWork, *, tenant_id: str, worker_id: str, offer_id: str) -> dict[str, Any]:
    """One of the job seeker's own offers, with its shift (404 for anyone else's)."""
    query = _my_offers_query(tenant_id=tenant_id, worker_id=worker_id).where(Offer.id == offer_id)
    row = uow.session.execute(query).one_or_none()
    if row is None:
        raise NotFound("There is no such offer.")
    return _my_offer_view(row)


def list_my_offers(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    worker_id: str,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
) -> dict[str, Any]:
    """A page of the job seeker's own offers, each with its shift's time, site, job type and
    pay; `status` filters."""
    query = _my_offers_query(tenant_id=tenant_id, worker_id=worker_id)
    if status:
        query = query.where(Offer.status == status)
    columns = {
        "created_at": Offer.created_at,
        "starts_at": Offer.starts_at,
        "deadline_at": Offer.deadline_at,
    }
    query = order_by(query, sort, columns, Offer.id)
    return page_rows(uow.session, query, page=page, per_page=per_page, view=_my_offer_view)


def _my_shift_view(row: Any) -> dict[str, Any]:
    assignment, shift, site, job_type, booking, client = row
    return {
        "id": assignment.id,
        "status": assignment.status,
        "offer_id": assignment.offer_id,
        "cancelled_at": assignment.cancelled_at,
        "created_at": assignment.created_at,
        "shift": _shift_view(shift, site, job_type, booking, client),
    }


def list_my_shifts(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    worker_id: str,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
) -> dict[str, Any]:
    """A page of the job seeker's assignments (the shifts they hold or held), with each
    shift's time, site, job type and pay; `status` filters."""
    query = _worker_rows(Assignment, Assignment.shift_id).where(
        Assignment.worker_id == worker_id, Assignment.worker_tenant_id == tenant_id
    )
    if status:
        query = query.where(Assignment.status == status)
    columns = {"starts_at": Assignment.starts_at, "created_at": Assignment.created_at}
    query = order_by(query, sort, columns, Assignment.id)
    return page_rows(uow.session, query, page=page, per_page=per_page, view=_my_shift_view)


def _shift_offer_view(row: Any, *, for_client: bool = False) -> dict[str, Any]:
    """An offer of a shift; a client user does not see why it ended (a worker's decline reason
    is their own, a stand-down is identity's word on them)."""
    offer, name = row
    return {
        "id": offer.id,
        "shift_id": offer.shift_id,
        "worker": {"id": offer.worker_id, "name": name},
        "worker_tenant_id": offer.worker_tenant_id,
        "status": offer.status,
        "channel": offer.channel,
        "rank": offer.rank,
        "deadline_at": offer.deadline_at,
        "responded_at": offer.responded_at,
        "end_reason": None if for_client else offer.end_reason,
        "created_at": offer.created_at,
    }


def _visible_shift(
    uow: UnitOfWork, *, tenant_id: str, client_id: str | None, shift_id: str
) -> Shift:
    """A shift of the caller's CBO, and of their own client for a client user (404 else)."""
    shift = owned_row(uow, Shift, tenant_id=tenant_id, row_id=shift_id, what="shift")
    if client_id is not None and shift.client_id != client_id:
        raise NotFound("There is no such shift.")
    return shift


def list_shift_offers(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    client_id: str | None,
    shift_id: str,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
) -> dict[str, Any]:
    """A page of a shift's offers with each worker's name; `client_id` is a client user's own
    client (their shifts only, without why offers ended), None for staff."""
    _visible_shift(uow, tenant_id=tenant_id, client_id=client_id, shift_id=shift_id)
    query = (
        select(Offer, WorkerRecord.name)
        .outerjoin(WorkerRecord, WorkerRecord.id == Offer.worker_id)
        .where(Offer.shift_id == shift_id, Offer.tenant_id == tenant_id)
    )
    if status:
        query = query.where(Offer.status == status)
    columns = {
        "created_at": Offer.created_at,
        "deadline_at": Offer.deadline_at,
        "status": Offer.status,
    }
    query = order_by(query, sort, columns, Offer.id)
    return page_rows(
        uow.session,
        query,
        page=page,
        per_page=per_page,
        view=lambda row: _shift_offer_view(row, for_client=client_id is not None),
    )


def shift_offer(uow: UnitOfWork, *, tenant_id: str, offer_id: str) -> dict[str, Any]:
    """One offer as staff see it in a shift's list."""
    query = (
        select(Offer, WorkerRecord.name)
        .outerjoin(WorkerRecord, WorkerRecord.id == Offer.worker_id)
        .where(Offer.id == offer_id, Offer.tenant_id == tenant_id)
    )
    row = uow.session.execute(query).one_or_none()
    if row is None:
        raise NotFound("There is no such offer.")
    return _shift_offer_view(row)
