"""How to reach a CBO's people, for the notifications service: names, emails, a job seeker's
phone and preferred language, and which staff to alert. Identity keeps these; notifications asks
when it has something to tell (and never keeps them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from chassis.context import STAFF
from chassis.contracts.identity_rpc import CONTACTS_MAX
from chassis.contracts.permissions import permissions_for
from chassis.db import UnitOfWork
from services.identity.accounts import rules
from services.identity.accounts.models import Account
from services.identity.jobseekers.models import JobseekerProfile
from services.identity.staff import roles as custom_roles


def _contact(account: Account, profile: JobseekerProfile | None) -> dict[str, Any]:
    return {
        "account_id": account.id,
        "kind": account.kind,
        "name": account.display_name or "",
        "email": account.email or None,
        "phone": profile.phone if profile is not None else None,
        "preferred_language": profile.preferred_language if profile is not None else None,
        "active": account.status == rules.ACTIVE,
    }


def contacts(uow: UnitOfWork, *, tenant_id: str, account_ids: list[str]) -> list[dict[str, Any]]:
    """The named accounts of the CBO with how to reach them; others are left out."""
    wanted = list(dict.fromkeys(account_ids))[:CONTACTS_MAX]
    if not wanted:
        return []
    rows = uow.session.execute(
        select(Account, JobseekerProfile)
        .outerjoin(JobseekerProfile, JobseekerProfile.account_id == Account.id)
        .where(Account.tenant_id == tenant_id, Account.id.in_(wanted))
        .order_by(Account.id)
    )
    return [_contact(account, profile) for account, profile in rows]


def staff_to_alert(uow: UnitOfWork, *, tenant_id: str, permission: str) -> list[dict[str, Any]]:
    """The CBO's active staff whose roles (built-in or the CBO's custom ones) hold
    `permission`, with how to reach them (at most CONTACTS_MAX, by id)."""
    custom = custom_roles.custom_roles_of(uow, tenant_id=tenant_id)
    staff = uow.session.execute(
        select(Account)
        .where(
            Account.tenant_id == tenant_id,
            Account.kind == STAFF,
            Account.status == rules.ACTIVE,
        )
        .order_by(Account.id)
    ).scalars()
    found = [
        _contact(account, None)
        for account in staff
        if permission in permissions_for(list(account.roles), custom)
    ]
    return found[:CONTACTS_MAX]
