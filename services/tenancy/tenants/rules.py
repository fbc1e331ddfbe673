"""A CBO's rules that need no database: its short name (slug) and its life cycle.

The life cycle: applied → approved | rejected; approved ⇄ suspended. Each move is made by one
action of the city (approve, reject, suspend, reinstate), which has its own event; rejected is
final.
"""

from __future__ import annotations

import re

APPLIED = "applied"
APPROVED = "approved"
REJECTED = "rejected"
SUSPENDED = "suspended"
STATUSES: tuple[str, ...] = (APPLIED, APPROVED, REJECTED, SUSPENDED)

# action: (the status it moves a CBO from, the status it moves it to)
ACTIONS: dict[str, tuple[str, str]] = {
    "approve": (APPLIED, APPROVED),
    "reject": (APPLIED, REJECTED),
    "suspend": (APPROVED, SUSPENDED),
    "reinstate": (SUSPENDED, APPROVED),
}

# \Z, not $: $ also matches before a final newline, and "harbor-works\n" is another slug.
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])\Z")
# Slugs that would read as the platform's own pages in URLs such as /login-box/<slug>.
RESERVED_SLUGS = frozenset(
    {"admin", "api", "app", "docs", "health", "login-box", "metrics", "platform", "public", "www"}
)


class TransitionRefused(ValueError):
    """The action cannot move a CBO in its current status; the message says why."""


def can_move(current: str, to: str) -> bool:
    """Whether some action moves a CBO from `current` to `to`."""
    return (current, to) in ACTIONS.values()


def status_after(action: str, current: str) -> str:
    """The status `action` leaves a CBO in that is `current` now; raises TransitionRefused
    when the action does not apply to that status."""
    allowed_from, to = ACTIONS[action]
    if current != allowed_from:
        raise TransitionRefused(
            f"The CBO is {current}; only a CBO that is {allowed_from} can be {to}."
        )
    return to


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name a CBO, or None if it can."""
    if not SLUG.match(slug):
        return (
            "Use 3 to 50 characters: lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit."
        )
    if slug in RESERVED_SLUGS:
        return "That name is reserved; choose another."
    return None
