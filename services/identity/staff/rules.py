"""Staff rules that need no database: what a set of roles holds, and that nobody gives or touches
powers they lack. The domain functions use them; unit tests cover them."""

from __future__ import annotations

from collections.abc import Iterable

from chassis.context import Caller
from chassis.errors import Forbidden

# The built-in role of a CBO's senior user; a CBO always keeps one active owner.
OWNER = "owner"


def permissions_of_roles(roles: Iterable[str], available: dict[str, frozenset[str]]) -> set[str]:
    found: set[str] = set()
    for role in roles:
        found |= available.get(role, frozenset())
    return found


def check_holds(caller: Caller, permissions: Iterable[str], message: str) -> None:
    """Refuse unless the caller holds every one of `permissions` (the system always does)."""
    if caller.is_home_system:
        return
    missing = sorted(set(permissions) - caller.permissions)
    if missing:
        raise Forbidden(f"{message}: {', '.join(missing)}.")
