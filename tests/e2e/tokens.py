"""Access tokens minted for end-to-end tests, signed with the running platform's secret.

Identity issues real tokens at sign-in; these let a test act as a CBO's staff member (with
any roles or an exact permission set) without creating the account first. The claims are the
ones identity puts in its tokens (services/identity/accounts/domain.py `issue_tokens`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

from chassis.contracts.permissions import permissions_for
from chassis.tokens import ACCESS, issue


def mint_token(
    platform,
    *,
    tenant_id: str | None,
    kind: str = "staff",
    roles: Iterable[str] = ("owner",),
    perms: Iterable[str] | None = None,
    user_id: str | None = None,
    minutes: int = 15,
    **claims,
) -> str:
    """An access token for the platform under test. `perms` defaults to what `roles` give."""
    roles = list(roles)
    permissions = sorted(permissions_for(roles) if perms is None else set(perms))
    token, _ = issue(
        platform.env["WORKLB_JWT_SECRET"],
        token_type=ACCESS,
        subject=user_id or str(uuid.uuid4()),
        lifetime=timedelta(minutes=minutes),
        claims={"tid": tenant_id, "kind": kind, "roles": roles, "perms": permissions, **claims},
    )
    return token


def staff_token(
    platform,
    tenant_id: str,
    roles: Iterable[str] = ("owner",),
    *,
    perms: Iterable[str] | None = None,
    user_id: str | None = None,
) -> str:
    """A CBO staff member's token: `roles` (built-in) or exactly `perms`."""
    return mint_token(platform, tenant_id=tenant_id, roles=roles, perms=perms, user_id=user_id)
