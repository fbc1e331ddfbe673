"""Pure rules of a client's rebooking preferences: their defaults, bounds and the checks a
change must pass."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_PREFERRED = 50  # booking_rpc.MAX_PREFERRED_WORKERS

DEFAULTS: dict[str, Any] = {
    # Nobody preferred: booking's ranking of eligible workers chooses.
    "preferred_worker_ids": [],
    "use_ranking": True,
    # At most this many replacement offers per cascade.
    "max_attempts": 5,
    # A replacement must be confirmed within this long (never after the shift starts).
    "confirmation_window_minutes": 60,
    # Under this long before the start the cascade stops (too close): staff step in.
    "min_lead_minutes": 120,
}

BOUNDS: dict[str, tuple[int, int]] = {
    "max_attempts": (1, 50),
    "confirmation_window_minutes": (1, 7 * 24 * 60),
    "min_lead_minutes": (0, 7 * 24 * 60),
}


def preferred_problems(worker_ids: Sequence[str]) -> list[str]:
    """What is wrong with an ordered list of preferred workers (empty: nothing)."""
    problems = []
    if len(worker_ids) > MAX_PREFERRED:
        problems.append(f"At most {MAX_PREFERRED} preferred workers.")
    repeated = sorted({w for w in worker_ids if list(worker_ids).count(w) > 1})
    if repeated:
        problems.append(f"Each worker once: {', '.join(repeated)} is listed more than once.")
    return problems


def window_seconds(minutes: int) -> int:
    """The replacement window as booking's offer_next takes it."""
    return minutes * 60
