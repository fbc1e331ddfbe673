"""Pure rules of filling positions, without a database: which open-shift tier goes out next,
how many offers a shift in favourites mode still needs and to whom, when an offer's deadline
falls, and what stops a worker confirming, declining or an offer expiring.

The domain (offers/domain.py) asks the search for candidates and the settings for delays and
deadlines, and hands them to these rules; unit tests cover every case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from services.booking.bookings.models import TIERS
from services.booking.offers.models import CONFIRMED, DECLINED, EXPIRED, SENT, WITHDRAWN

# At most this many workers get an open shift's offer when one tier is released.
TIER_CAP = 50

# Channels: how an offer came (Offer.channel).
NAMED_CHANNEL = "named"
FAVOURITES_CHANNEL = "favourites"
RANKING_CHANNEL = "ranking"
STAFF_CHANNEL = "staff"
# A partner CBO's staff offered a shift shared with their CBO (sharing.grants).
SHARED_CHANNEL = "shared"


def tier_channel(tier: int) -> str:
    """The channel of an offer sent when tier number `tier` was released: `tier:<name>`."""
    return f"tier:{TIERS[tier]}"


T = TypeVar("T")


@dataclass(frozen=True)
class Release(Generic[T]):
    """What releasing an open shift's next tier does: `tier` is the index (into TIERS) now
    released, `candidates` get an offer, `next_at` is when the tier after it is due (None: no
    tier is left). A release that found nobody in any tier left has `tier` the last index,
    no candidates and no `next_at`: the open shift has gone through every tier."""

    tier: int
    candidates: list[T]
    next_at: datetime | None

    @property
    def exhausted(self) -> bool:
        return not self.candidates


def release_next_tier(
    *,
    released: int | None,
    candidates_in: Callable[[str], Sequence[T]],
    now: datetime,
    delay: timedelta,
) -> Release[T]:
    """Release the first tier after `released` (None: none yet) that has candidates; tiers
    with nobody in them are skipped at once. `candidates_in(tier_name)` gives a tier's
    candidates (the search, leaving out workers the shift has offered already). The tier
    after the one released is due `delay` later; after the last tier nothing is."""
    first = 0 if released is None else released + 1
    for tier in range(first, len(TIERS)):
        candidates = list(candidates_in(TIERS[tier]))
        if candidates:
            last = tier == len(TIERS) - 1
            return Release(tier, candidates, None if last else now + delay)
    return Release(len(TIERS) - 1, [], None)


def offers_needed(*, positions: int, filled: int, live_offers: int) -> int:
    """Favourites mode keeps one live offer per open position: how many more to send."""
    return max(0, positions - filled - live_offers)


def next_candidates(
    *,
    needed: int,
    favourites: Iterable[T],
    ranking: Iterable[T],
    key: Callable[[T], str],
    exclude: Iterable[str] = (),
) -> list[tuple[T, str]]:
    """The next `needed` workers of a favourites-mode shift, each with its channel: the
    client's favourites first, then the ranking, never one in `exclude` (already offered this
    shift) and never one twice (a favourite is in the ranking too)."""
    chosen: list[tuple[T, str]] = []
    seen = set(exclude)
    for candidates, channel in ((favourites, FAVOURITES_CHANNEL), (ranking, RANKING_CHANNEL)):
        for candidate in candidates:
            if len(chosen) >= needed:
                return chosen
            if key(candidate) in seen:
                continue
            seen.add(key(candidate))
            chosen.append((candidate, channel))
    return chosen


def offer_deadline(*, computed: datetime, now: datetime, starts_at: datetime) -> datetime:
    """An offer's deadline: the settings' deadline (`computed`), never before the offer is
    made and never after the shift starts."""
    return min(max(computed, now), starts_at)


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def ended_offer_message(
    status: str, *, deadline_at: datetime, end_reason: str | None, done: str = "confirmed"
) -> str:
    """Why an offer that is no longer `sent` cannot be `done` (confirmed, or declined)."""
    if status == CONFIRMED:
        return "You have already confirmed this offer."
    if status == DECLINED:
        return f"You declined this offer; it can no longer be {done}."
    if status == EXPIRED:
        return f"This offer expired at {_at(deadline_at)}; it can no longer be {done}."
    if status == WITHDRAWN:
        why = f" ({end_reason})" if end_reason else ""
        return f"This offer was withdrawn{why}; it can no longer be {done}."
    return f"This offer is {status}."


def answer_refusal(
    *,
    status: str,
    deadline_at: datetime,
    end_reason: str | None,
    now: datetime,
    shift_status: str,
    starts_at: datetime,
    done: str = "confirmed",
) -> str | None:
    """Why a worker may not answer their offer now (`done`: confirmed, or declined); None if
    they may."""
    if status != SENT:
        return ended_offer_message(
            status, deadline_at=deadline_at, end_reason=end_reason, done=done
        )
    if now >= deadline_at:
        return f"The time to answer this offer ended at {_at(deadline_at)}."
    if shift_status == "cancelled":
        return "This shift was cancelled."
    if now >= starts_at:
        return "This shift has already started."
    return None


def confirm_refusal(
    *,
    status: str,
    deadline_at: datetime,
    end_reason: str | None,
    now: datetime,
    shift_status: str,
    starts_at: datetime,
    positions: int,
    filled: int,
) -> str | None:
    """Why a worker may not confirm their offer now (a 409's message); None if they may. The
    shift is locked while this is decided, so `filled` is the truth."""
    refusal = answer_refusal(
        status=status,
        deadline_at=deadline_at,
        end_reason=end_reason,
        now=now,
        shift_status=shift_status,
        starts_at=starts_at,
    )
    if refusal is None and (shift_status != "open" or filled >= positions):
        return "Every position of this shift is taken."
    return refusal


# What `expire_offer` does with an offer.
EXPIRE = "expire"
ALREADY_ENDED = "already_ended"
TOO_EARLY = "too_early"


def expiry(*, status: str, deadline_at: datetime, now: datetime) -> str:
    """EXPIRE a still-sent offer whose deadline has passed; ALREADY_ENDED if it was answered,
    withdrawn or expired (a no-op); TOO_EARLY before its deadline."""
    if status != SENT:
        return ALREADY_ENDED
    if now < deadline_at:
        return TOO_EARLY
    return EXPIRE


# -- the re-check with identity (offers/recheck.py) -------------------------------------------

# Why identity's re-check refuses a worker: the words staff read (a named booking, a staff
# offer) and those the worker reads (their confirmation).
RECHECK_REFUSED = "not cleared to work now (suspended, not approved, or account closed)"
RECHECK_REFUSED_YOU = "your CBO has suspended you, not approved you, or closed your account"


def cbo_to_ask(
    *, caller_tenant_id: str | None, caller_is_system: bool, worker_tenant_id: str
) -> str | None:
    """Which CBO to name when asking identity about workers of `worker_tenant_id` for this
    caller: identity answers a caller bound to a CBO only about that CBO, and a system caller
    acting across CBOs (booking's tier sweep) about any CBO it names. None when identity will
    not answer this caller about them (a partner CBO's workers, asked for by this CBO's staff,
    client or event handler): then booking's read model is the word on them."""
    if caller_tenant_id == worker_tenant_id:
        return worker_tenant_id
    if caller_tenant_id is None and caller_is_system:
        return worker_tenant_id
    return None


def batches(ids: Iterable[str], size: int) -> list[list[str]]:
    """`ids` without repeats, in order, in lists of at most `size`."""
    unique = list(dict.fromkeys(ids))
    return [unique[start : start + size] for start in range(0, len(unique), size)]


def by_cbo(workers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(worker id, their CBO) pairs as each CBO's worker ids, in order, without repeats."""
    found: dict[str, list[str]] = {}
    for worker_id, tenant_id in workers:
        ids = found.setdefault(tenant_id, [])
        if worker_id not in ids:
            ids.append(worker_id)
    return found


# -- replacements (rebooking's offer_next) -------------------------------------------------------

REBOOKING_CHANNEL = "rebooking"


def replacement_refusal(
    *,
    shift_status: str,
    starts_at: datetime,
    now: datetime,
    min_lead: timedelta,
    positions: int,
    filled: int,
    live_offers: int,
) -> str | None:
    """Why a shift takes no replacement offer now (booking_rpc.NO_OFFER_REASONS), None when it
    does: filled, cancelled (or completed: started), started, too close to its start, or its
    free positions already covered by live offers."""
    if shift_status == "filled":
        return "filled"
    if shift_status == "cancelled":
        return "cancelled"
    if shift_status != "open" or starts_at <= now:
        return "started"
    if starts_at - now < min_lead:
        return "too_close"
    if not offers_needed(positions=positions, filled=filled, live_offers=live_offers):
        return "covered"
    return None


def replacement_deadline(
    *, computed: datetime, now: datetime, starts_at: datetime, window: timedelta | None
) -> datetime:
    """A replacement offer's deadline: the client's window for replacements when it has one
    (else the CBO's usual deadline, `computed`), never after the shift starts."""
    if window is None:
        return offer_deadline(computed=computed, now=now, starts_at=starts_at)
    return min(now + window, starts_at)
