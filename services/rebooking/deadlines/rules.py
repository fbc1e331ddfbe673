"""Pure rules of the deadline timers: the idempotency key of an expiry, what booking's answer
makes of a timer, and when a failed try is tried again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# What a try can come to (the entrypoint's call to booking gives one per offer).
EXPIRED = "expired"  # booking expired the offer (this try or an earlier one with the key)
ENDED = "ended"  # the offer had ended otherwise: nothing to do
TOO_EARLY = "too_early"  # booking's clock says the deadline has not come yet
MISSING = "missing"  # booking knows no such offer
FAILED = "failed"  # booking could not be reached or failed: try again

RETRY_MAX_SECONDS = 60


def expiry_key(offer_id: str) -> str:
    """The idempotency key of the command that expires an offer: one per offer, whichever
    instance sends it and however often."""
    return f"rebooking:expire:{offer_id}"


@dataclass(frozen=True)
class Decision:
    # The timer's next state: fired (done), pending (try again at `due_at`).
    done: bool
    due_at: datetime | None = None


def after_try(outcome: str, *, tries: int, now: datetime) -> Decision:
    """What a try's outcome makes of the timer: done when booking expired the offer, or it
    had ended, or does not exist; tried again soon when booking's clock is a moment behind;
    after a failure, again with a backoff (1, 2, 4 … 60 s) so an outage is not hammered."""
    if outcome in (EXPIRED, ENDED, MISSING):
        return Decision(done=True)
    if outcome == TOO_EARLY:
        return Decision(done=False, due_at=now + timedelta(seconds=1))
    delay = min(2 ** max(tries - 1, 0), RETRY_MAX_SECONDS)
    return Decision(done=False, due_at=now + timedelta(seconds=delay))
