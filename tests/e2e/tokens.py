"""Access tokens minted for end-to-end tests, signed with the running platform's secret.

Identity issues real tokens at sign-in; these let a test act as a CBO's staff member (with
any roles or an exact permission set) without inviting the person and accepting by email.
The claims are the ones identity puts in its tokens (services/identity/accounts/domain.py
`issue_tokens`). The gateway checks every token's session with identity, so a token minted for
nobody in particular gets an active account of its own, written straight into the platform's
identity database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.contracts.permissions import permissions_for
from chassis.db import make_engine
from chassis.tokens import ACCESS, issue
from services.identity.accounts.models import Account
from services.identity.tenants.models import Tenant
from tests.waiting import wait_for

_engines: dict[str, Engine] = {}


def minted_email(account_id: str) -> str:
    """The address of an account this module made."""
    return f"minted-{account_id}@tokens.example.org"


def _add_account(platform, *, tenant_id: str | None, kind: str, roles: list[str]) -> str:
    url = platform.settings.database_url("identity")
    engine = _engines.get(url) or _engines.setdefault(url, make_engine(url, poolclass=NullPool))
    if tenant_id is not None:
        # A CBO's people exist only once identity knows the CBO (it learns of the approval
        # from tenancy's event); until then the gateway would refuse their writes.
        def known() -> bool:
            with engine.connect() as conn:
                found = conn.execute(select(Tenant.status).where(Tenant.tenant_id == tenant_id))
                return found.scalar() is not None

        wait_for(known, what=f"identity to know the CBO {tenant_id}")
    account_id = str(uuid.uuid4())
    with Session(engine) as session, session.begin():
        session.add(
            Account(
                id=account_id,
                tenant_id=tenant_id,
                email=minted_email(account_id),
                kind=kind,
                roles=roles,
                status="active",
            )
        )
    return account_id


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
    """An access token for the platform under test. `perms` defaults to what `roles` give.
    Without `user_id`, a new active account of that CBO, kind and roles."""
    roles = list(roles)
    permissions = sorted(permissions_for(roles) if perms is None else set(perms))
    if user_id is None:
        user_id = _add_account(platform, tenant_id=tenant_id, kind=kind, roles=roles)
    token, _ = issue(
        platform.env["WORKLB_JWT_SECRET"],
        token_type=ACCESS,
        subject=user_id,
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
