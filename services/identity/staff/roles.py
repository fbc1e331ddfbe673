"""Roles: the built-in staff roles plus each CBO's custom roles (a name and a set of
permissions). Nobody grants a permission they lack; the operator's powers never reach a CBO."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from chassis.audit import audit
from chassis.context import Caller
from chassis.contracts.permissions import BUILTIN_ROLES, CBO_PERMISSIONS, STAFF_ROLES
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound, ValidationFailed
from services.identity.accounts.models import Account
from services.identity.sessions import domain as sessions
from services.identity.staff import rules
from services.identity.staff.models import CustomRole


def custom_roles_of(uow: UnitOfWork, *, tenant_id: str) -> dict[str, frozenset[str]]:
    rows = uow.session.execute(
        select(CustomRole.name, CustomRole.permissions).where(CustomRole.tenant_id == tenant_id)
    )
    return {name: frozenset(perms) & CBO_PERMISSIONS for name, perms in rows}


def staff_roles(uow: UnitOfWork, *, tenant_id: str) -> dict[str, frozenset[str]]:
    """Every role a CBO may give its staff, with its permissions."""
    return {
        **custom_roles_of(uow, tenant_id=tenant_id),
        **{name: BUILTIN_ROLES[name] for name in STAFF_ROLES},
    }


def check_roles(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, roles: list[str]
) -> dict[str, frozenset[str]]:
    """Validate roles a caller wants to give a staff member; returns the CBO's roles."""
    available = staff_roles(uow, tenant_id=tenant_id)
    unknown = [role for role in roles if role not in available]
    if unknown:
        raise ValidationFailed(
            fields={"roles": [f"There is no role '{role}' in this CBO." for role in unknown]}
        )
    rules.check_holds(
        caller,
        rules.permissions_of_roles(roles, available),
        "You cannot give permissions you do not hold",
    )
    return available


def _view(role: CustomRole | None, name: str, permissions: Iterable[str], description: str = ""):
    return {
        "id": role.id if role else None,
        "name": name,
        "description": description,
        "permissions": sorted(permissions),
        "builtin": role is None,
    }


def list_roles(
    uow: UnitOfWork, *, tenant_id: str, page: int, per_page: int, builtin: bool | None = None
) -> dict[str, Any]:
    """A page of the roles staff can be given ({items, total, page, per_page}): the built-in
    roles first, in their fixed order, then the CBO's own by name; `builtin` keeps one kind."""
    builtins = [] if builtin is False else list(STAFF_ROLES)
    custom = select(CustomRole).where(CustomRole.tenant_id == tenant_id)
    custom_total = (
        0
        if builtin
        else uow.session.execute(select(func.count()).select_from(custom.subquery())).scalar_one()
    )
    # The built-in roles are not rows: a page takes what it can from them, then goes on into
    # the custom roles from where the built-in ones end.
    start = (page - 1) * per_page
    items = [
        _view(None, name, BUILTIN_ROLES[name], "Built-in role.")
        for name in builtins[start : start + per_page]
    ]
    room = per_page - len(items)
    if room and custom_total:
        rows = uow.session.execute(
            custom.order_by(CustomRole.name, CustomRole.id)
            .offset(max(0, start - len(builtins)))
            .limit(room)
        ).scalars()
        items += [_view(r, r.name, r.permissions, r.description) for r in rows]
    return {
        "items": items,
        "total": len(builtins) + custom_total,
        "page": page,
        "per_page": per_page,
    }


def _custom_role(uow: UnitOfWork, tenant_id: str, name: str) -> CustomRole:
    role = uow.session.execute(
        select(CustomRole)
        .where(CustomRole.tenant_id == tenant_id, CustomRole.name == name)
        .with_for_update()
    ).scalar_one_or_none()
    if role is None:
        if name in BUILTIN_ROLES:
            raise Conflict(f"'{name}' is a built-in role; it cannot be changed.")
        raise NotFound(f"There is no custom role '{name}'.")
    return role


def _role_event(role: CustomRole) -> dict:
    return {"role_id": role.id, "name": role.name, "permissions": sorted(role.permissions)}


def create_role(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    name: str,
    permissions: list[str],
    description: str = "",
) -> dict:
    if name in BUILTIN_ROLES:
        raise ValidationFailed(fields={"name": ["That is the name of a built-in role."]})
    rules.check_holds(caller, permissions, "You cannot give permissions you do not hold")
    exists = uow.session.execute(
        select(CustomRole.id).where(CustomRole.tenant_id == tenant_id, CustomRole.name == name)
    ).first()
    if exists:
        raise Conflict("A role with that name exists.", {"name": ["Already exists."]})
    role = CustomRole(
        tenant_id=tenant_id,
        name=name,
        description=description,
        permissions=sorted(set(permissions)),
    )
    uow.session.add(role)
    uow.session.flush()
    view = _view(role, role.name, role.permissions, role.description)
    uow.emit("role.created", _role_event(role), tenant_id=tenant_id)
    audit(uow, caller, action="role.created", entity_type="role", entity_id=role.id, after=view)
    return view


def update_role(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    name: str,
    permissions: list[str] | None = None,
    description: str | None = None,
) -> dict:
    role = _custom_role(uow, tenant_id, name)
    # Changing a role that holds more than the caller would let them take powers away, or
    # give them back, beyond their own.
    rules.check_holds(caller, role.permissions, "This role holds permissions you do not hold")
    before = _view(role, role.name, role.permissions, role.description)
    if permissions is not None:
        rules.check_holds(caller, permissions, "You cannot give permissions you do not hold")
        if set(permissions) != set(role.permissions):
            sessions.end_sessions_of_role(
                uow, tenant_id=tenant_id, role=role.name, because="role_updated"
            )
        role.permissions = sorted(set(permissions))
    if description is not None:
        role.description = description
    uow.session.flush()
    after = _view(role, role.name, role.permissions, role.description)
    uow.emit("role.updated", _role_event(role), tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="role.updated",
        entity_type="role",
        entity_id=role.id,
        before=before,
        after=after,
    )
    return after


def delete_role(uow: UnitOfWork, *, caller: Caller, tenant_id: str, name: str) -> None:
    role = _custom_role(uow, tenant_id, name)
    rules.check_holds(caller, role.permissions, "This role holds permissions you do not hold")
    holders = uow.session.execute(
        select(func.count())
        .select_from(Account)
        .where(Account.tenant_id == tenant_id, Account.roles.contains([name]))
    ).scalar_one()
    if holders:
        raise Conflict(
            f"{holders} account(s) hold the role '{name}'; take it from them first.",
            {"name": ["In use."]},
        )
    before = _view(role, role.name, role.permissions, role.description)
    uow.emit("role.deleted", _role_event(role), tenant_id=tenant_id)
    uow.session.delete(role)
    audit(uow, caller, action="role.deleted", entity_type="role", entity_id=role.id, before=before)
