"""People a CBO's staff manage, other than job seekers: the CBO's owner (made when the city
approves the CBO), its staff and their roles, and client users of its client organisations.

Every change is audited and emits its event in the same transaction. Nobody changes an account
that holds permissions they lack, nor gives permissions they lack; a CBO keeps an active owner.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from chassis.audit import audit
from chassis.context import CLIENT, STAFF, Caller
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound
from chassis.paging import order_by, page_rows
from services.identity.accounts import domain as accounts
from services.identity.accounts import invitations
from services.identity.accounts.models import Account
from services.identity.sessions import domain as sessions
from services.identity.staff import roles, rules
from services.identity.staff.rules import OWNER
from services.identity.tenants import domain as tenants


def view(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "kind": account.kind,
        "roles": list(account.roles),
        "status": account.status,
        "client_id": account.client_id,
        "created_at": account.created_at.isoformat() if account.created_at else None,
    }


def _audit_view(account: Account) -> dict[str, Any]:
    found = view(account)
    found.pop("created_at")
    return found


def _tenant_name(uow: UnitOfWork, tenant_id: str) -> str | None:
    tenant = tenants.tenant_by_id(uow, tenant_id=tenant_id)
    return tenant.name if tenant else None


def _member(uow: UnitOfWork, *, tenant_id: str, account_id: str, kind: str) -> Account:
    """An account of this CBO and kind, locked for change; 404 for anything else (another
    CBO's account included, so nothing leaks across CBOs)."""
    account = uow.session.execute(
        select(Account)
        .where(Account.id == account_id, Account.tenant_id == tenant_id, Account.kind == kind)
        .with_for_update()
    ).scalar_one_or_none()
    if account is None:
        raise NotFound(f"There is no such {'staff member' if kind == STAFF else 'user'}.")
    return account


def _check_can_manage(uow: UnitOfWork, caller: Caller, account: Account) -> None:
    held = rules.permissions_of_roles(
        account.roles, roles.staff_roles(uow, tenant_id=account.tenant_id or "")
    )
    rules.check_holds(
        caller, held, "You cannot change an account that holds permissions you do not hold"
    )


def _keep_an_owner(uow: UnitOfWork, account: Account) -> None:
    """Refuse a change that would leave the CBO without an active owner."""
    if OWNER not in account.roles or account.status != accounts.ACTIVE:
        return
    others = uow.session.execute(
        select(func.count())
        .select_from(Account)
        .where(
            Account.tenant_id == account.tenant_id,
            Account.kind == STAFF,
            Account.status == accounts.ACTIVE,
            Account.roles.contains([OWNER]),
            Account.id != account.id,
        )
    ).scalar_one()
    if not others:
        raise Conflict("A CBO needs at least one active owner; make somebody else owner first.")


# The columns a list of people may be sorted by (see chassis.paging.sort_field).
_SORTABLE = {
    "created_at": Account.created_at,
    "email": func.lower(Account.email),
    "display_name": func.lower(Account.display_name),
}


def _page(uow: UnitOfWork, query: Select, *, sort: str, page: int, per_page: int) -> dict:
    ordered = order_by(query, sort, _SORTABLE, Account.id)
    return page_rows(uow.session, ordered, page=page, per_page=per_page, view=view)


# -- the owner --------------------------------------------------------------------------------


def create_owner(
    uow: UnitOfWork, *, tenant_id: str, tenant_name: str, email: str, display_name: str
) -> Account | None:
    """The CBO's first senior user, invited to set a password; None if it exists already
    (tenant.approved delivered again, or the CBO approved again after a change)."""
    if accounts.find_account(uow, email=email, tenant_id=tenant_id) is not None:
        return None
    account = accounts.create_account(
        uow,
        email=email,
        kind=STAFF,
        roles=[OWNER],
        tenant_id=tenant_id,
        display_name=display_name,
    )
    invitations.invite(uow, account=account, tenant_name=tenant_name)
    return account


# -- staff ------------------------------------------------------------------------------------


def register_staff(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    email: str,
    display_name: str,
    roles_given: list[str],
) -> dict:
    roles.check_roles(uow, caller=caller, tenant_id=tenant_id, roles=roles_given)
    account = accounts.create_account(
        uow,
        email=email,
        kind=STAFF,
        roles=sorted(set(roles_given)),
        tenant_id=tenant_id,
        display_name=display_name,
    )
    invitations.invite(uow, account=account, tenant_name=_tenant_name(uow, tenant_id))
    audit(
        uow,
        caller,
        action="staff.registered",
        entity_type="account",
        entity_id=account.id,
        after=_audit_view(account),
    )
    return view(account)


def list_staff(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    status: str | None = None,
    role: str | None = None,
    sort: str = "created_at",
    page: int = 1,
    per_page: int = 50,
) -> dict:
    query = select(Account).where(Account.tenant_id == tenant_id, Account.kind == STAFF)
    if status:
        query = query.where(Account.status == status)
    if role:
        query = query.where(Account.roles.contains([role]))
    return _page(uow, query, sort=sort, page=page, per_page=per_page)


def get_member(uow: UnitOfWork, *, tenant_id: str, account_id: str, kind: str = STAFF) -> dict:
    account = uow.session.execute(
        select(Account).where(
            Account.id == account_id, Account.tenant_id == tenant_id, Account.kind == kind
        )
    ).scalar_one_or_none()
    if account is None:
        raise NotFound("There is no such staff member.")
    return view(account)


def change_roles(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, account_id: str, roles_given: list[str]
) -> dict:
    account = _member(uow, tenant_id=tenant_id, account_id=account_id, kind=STAFF)
    _check_can_manage(uow, caller, account)
    roles.check_roles(uow, caller=caller, tenant_id=tenant_id, roles=roles_given)
    if OWNER not in roles_given:
        _keep_an_owner(uow, account)
    before = _audit_view(account)
    if sorted(set(roles_given)) != sorted(account.roles):
        sessions.end_sessions(uow, account_ids=[account.id], because="roles_changed")
    account.roles = sorted(set(roles_given))
    uow.session.flush()
    uow.emit(
        "account.roles_changed",
        {"account_id": account.id, "roles": list(account.roles)},
        tenant_id=tenant_id,
    )
    audit(
        uow,
        caller,
        action="staff.roles_changed",
        entity_type="account",
        entity_id=account.id,
        before=before,
        after=_audit_view(account),
    )
    return view(account)


def _status_changed(
    uow: UnitOfWork, caller: Caller, account: Account, change: str, before: dict, *, tenant_id: str
) -> dict:
    """The event and audit entry of an account that was deactivated or reactivated."""
    uow.session.flush()
    uow.emit(
        f"account.{change}", {"account_id": account.id, "kind": account.kind}, tenant_id=tenant_id
    )
    audit(
        uow,
        caller,
        action=f"{_noun(account.kind)}.{change}",
        entity_type="account",
        entity_id=account.id,
        before=before,
        after=_audit_view(account),
    )
    return view(account)


def deactivate(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, account_id: str, kind: str = STAFF
) -> dict:
    """The account can no longer sign in; its sessions end now."""
    account = _member(uow, tenant_id=tenant_id, account_id=account_id, kind=kind)
    if account.id == caller.user_id:
        raise Conflict("You cannot deactivate your own account.")
    _check_can_manage(uow, caller, account)
    if account.status == accounts.DEACTIVATED:
        return view(account)
    _keep_an_owner(uow, account)
    before = _audit_view(account)
    account.status = accounts.DEACTIVATED
    sessions.end_sessions(uow, account_ids=[account.id], because="deactivated")
    return _status_changed(uow, caller, account, "deactivated", before, tenant_id=tenant_id)


def reactivate(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, account_id: str, kind: str = STAFF
) -> dict:
    """A deactivated account can sign in again (or, never activated, accept its invitation)."""
    account = _member(uow, tenant_id=tenant_id, account_id=account_id, kind=kind)
    _check_can_manage(uow, caller, account)
    if account.status != accounts.DEACTIVATED:
        return view(account)
    before = _audit_view(account)
    account.status = accounts.ACTIVE if account.password_hash else accounts.INVITED
    return _status_changed(uow, caller, account, "reactivated", before, tenant_id=tenant_id)


def resend_invitation(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, account_id: str, kind: str = STAFF
) -> dict:
    account = _member(uow, tenant_id=tenant_id, account_id=account_id, kind=kind)
    if account.status != accounts.INVITED:
        raise Conflict("Only an account that is still invited can be invited again.")
    invitations.invite(uow, account=account, tenant_name=_tenant_name(uow, tenant_id))
    audit(
        uow,
        caller,
        action=f"{_noun(kind)}.invited_again",
        entity_type="account",
        entity_id=account.id,
    )
    return view(account)


def _noun(kind: str) -> str:
    return "staff" if kind == STAFF else "client_user"


# -- client users -----------------------------------------------------------------------------


def create_client_user(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    client_id: str,
    email: str,
    display_name: str,
) -> dict:
    client = tenants.client_of(uow, tenant_id=tenant_id, client_id=client_id)
    if client is None:
        raise NotFound("There is no such client in your CBO.")
    if not client.active:
        raise Conflict("This client is inactive; make it active first.")
    account = accounts.create_account(
        uow,
        email=email,
        kind=CLIENT,
        roles=[CLIENT],
        tenant_id=tenant_id,
        display_name=display_name,
        client_id=client.client_id,
    )
    invitations.invite(uow, account=account, tenant_name=_tenant_name(uow, tenant_id))
    audit(
        uow,
        caller,
        action="client_user.created",
        entity_type="account",
        entity_id=account.id,
        after=_audit_view(account),
    )
    return view(account)


def list_client_users(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    client_id: str,
    sort: str = "created_at",
    page: int = 1,
    per_page: int = 50,
) -> dict:
    if tenants.client_of(uow, tenant_id=tenant_id, client_id=client_id) is None:
        raise NotFound("There is no such client in your CBO.")
    query = select(Account).where(
        Account.tenant_id == tenant_id,
        Account.kind == CLIENT,
        Account.client_id == client_id,
    )
    return _page(uow, query, sort=sort, page=page, per_page=per_page)


def client_user(uow: UnitOfWork, *, tenant_id: str, client_id: str, account_id: str) -> Account:
    """A client user of this client of this CBO, or 404."""
    account = uow.session.execute(
        select(Account).where(
            Account.id == account_id,
            Account.tenant_id == tenant_id,
            Account.kind == CLIENT,
            Account.client_id == client_id,
        )
    ).scalar_one_or_none()
    if account is None:
        raise NotFound("There is no such user.")
    return account
