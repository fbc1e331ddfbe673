"""Notice rules that need no database: what each event tells whom, and how a failed dispatch
waits before its next try."""

from __future__ import annotations

from datetime import datetime, timedelta

# Who an event's notice goes to by SMS as well as email and the inbox: the workers. Staff
# alerts go to the inbox and by email only.
SMS_KINDS = frozenset(
    {"offer_sent", "offer_confirmed", "offer_withdrawn", "shift_cancelled", "shift_reminder"}
)

# Staff who manage bookings are the ones alerted when rebooking gives up.
ALERT_PERMISSION = "bookings.manage"

MAX_DISPATCH_ATTEMPTS = 8
_DISPATCH_DELAYS_SECONDS = (2, 5, 15, 60, 120, 300, 600)


def redispatch_at(attempts: int, *, now: datetime) -> datetime | None:
    """When a notice whose dispatch failed `attempts` times (identity or tenancy did not
    answer) is tried again; None when it has had all its tries."""
    if attempts >= MAX_DISPATCH_ATTEMPTS:
        return None
    delay = _DISPATCH_DELAYS_SECONDS[min(attempts, len(_DISPATCH_DELAYS_SECONDS)) - 1]
    return now + timedelta(seconds=delay)


def tells_worker_of_cancellation(cancelled_by_kind: str) -> bool:
    """A worker who cancelled their own place is not told of it; staff's and the client's
    cancellations are."""
    return cancelled_by_kind != "worker"
