"""Account rules that need no database: what an account may do. The domain functions use them;
unit tests cover them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from chassis.context import OPERATOR
from chassis.contracts.permissions import permissions_for

# Account statuses: invited until the person sets a password.
ACTIVE = "active"
INVITED = "invited"
DEACTIVATED = "deactivated"


def account_permissions(
    kind: str, roles: Iterable[str], custom_roles: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    """What an account of `kind` holding `roles` may do: the built-in roles plus its CBO's
    custom roles. Whatever the roles say, the platform's own powers never reach a CBO's people."""
    found = permissions_for(list(roles), dict(custom_roles))
    if kind != OPERATOR:
        found = frozenset(p for p in found if not p.startswith("platform."))
    return found
