"""Pure rules of a cascade: which events start or move one, the idempotency key of each step,
and what booking's answer (or the attempts used) makes of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# What ends a shift's offer or place and may start a cascade.
EXPIRED = "offer.expired"
DECLINED = "offer.declined"
CANCELLED = "assignment.cancelled"
TRIGGERS = (EXPIRED, DECLINED, CANCELLED)

# What a step comes to.
OFFERED = "offered"
EXHAUST = "exhaust"  # rebooking.exhausted with `reason`
CLOSE = "close"  # the shift needs no replacement: filled, cancelled (closed quietly)
WAIT = "wait"  # live offers cover the shift (booking's own filling): nothing to do now


def is_trigger(event_type: str, *, cancelled_by_kind: str | None = None) -> bool:
    """An expired or declined offer, or a place the worker themself gave up (a place the
    client or staff cancelled is not to be filled again)."""
    if event_type == CANCELLED:
        return cancelled_by_kind == "worker"
    return event_type in (EXPIRED, DECLINED)


def step_key(event_id: str) -> str:
    """The idempotency key of the offer_next a triggering event causes: a redelivery of the
    event, on any instance, gets booking's first answer again and makes no second offer."""
    return f"rebooking:next:{event_id}"


def expiry_step_key(offer_id: str) -> str:
    """The idempotency key of the step an offer's expiry causes: one per offer, so the deadline
    sweep (which takes the step in the call that expires the offer) and offer.expired's handler
    (which takes it when the sweep could not) send the same key, and booking answers the
    second as the first."""
    return f"rebooking:next:expired:{offer_id}"


def key_of(trigger: str, *, event_id: str, offer_id: str | None) -> str:
    """The key of the step `trigger` (the event `event_id`, about `offer_id`) causes."""
    if trigger == EXPIRED and offer_id:
        return expiry_step_key(offer_id)
    return step_key(event_id)


@dataclass(frozen=True)
class Step:
    action: str
    reason: str | None = None


def out_of_attempts(*, attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts


def after_answer(*, offered: bool, why: str | None) -> Step:
    """What booking's answer to offer_next makes of the cascade."""
    if offered:
        return Step(OFFERED)
    if why in ("too_close", "started"):
        return Step(EXHAUST, "too_close")
    if why == "no_candidates":
        return Step(EXHAUST, "no_candidates")
    if why == "covered":
        return Step(WAIT)
    return Step(CLOSE, why)


RETRY_MAX_SECONDS = 60


def retry_delay(tries: int) -> timedelta:
    """When a step booking could not take is tried again: 1, 2, 4 … 60 s after try `tries`."""
    return timedelta(seconds=min(2 ** max(tries - 1, 0), RETRY_MAX_SECONDS))
