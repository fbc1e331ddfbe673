"""The staff area's entrypoints: a CBO's staff and their roles, its custom roles, and the user
accounts of its client organisations. Every one needs a permission and acts on the caller's
own CBO."""

from __future__ import annotations

from collections.abc import Callable

from chassis.context import CLIENT, Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from services.identity.staff import domain, roles
from services.identity.staff.schemas import (
    AccountPageSchema,
    AccountViewSchema,
    ClientUserCreateSchema,
    ClientUserQuerySchema,
    RoleCreateSchema,
    RolePageSchema,
    RoleQuerySchema,
    RoleUpdateSchema,
    RoleViewSchema,
    StaffCreateSchema,
    StaffQuerySchema,
    StaffRolesSchema,
)

MANAGE_STAFF = "tenant.staff.manage"


class StaffEntrypoints:
    """A mixin of IdentityService (which provides db and caller, and TenantsEntrypoints'
    _ensure_client)."""

    db: UnitOfWork
    caller: Caller
    _ensure_client: Callable[[str], None]

    # -- staff ------------------------------------------------------------------------------

    @rpc
    @requires(MANAGE_STAFF)
    def list_staff(self, query: dict) -> dict:
        filters = StaffQuerySchema().load(query)
        page = domain.list_staff(self.db, tenant_id=self.caller.require_tenant(), **filters)
        return AccountPageSchema().dump(page)

    @rpc
    @requires(MANAGE_STAFF)
    def register_staff(self, body: dict) -> dict:
        data = StaffCreateSchema().load(body)
        member = domain.register_staff(
            self.db,
            caller=self.caller,
            tenant_id=self.caller.require_tenant(),
            email=data["email"],
            display_name=data["display_name"],
            roles_given=data["roles"],
        )
        return AccountViewSchema().dump(member)

    @rpc
    @requires(MANAGE_STAFF)
    def get_staff(self, account_id: str) -> dict:
        member = domain.get_member(
            self.db, tenant_id=self.caller.require_tenant(), account_id=account_id
        )
        return AccountViewSchema().dump(member)

    @rpc
    @requires(MANAGE_STAFF)
    def change_staff_roles(self, account_id: str, body: dict) -> dict:
        data = StaffRolesSchema().load(body)
        member = domain.change_roles(
            self.db,
            caller=self.caller,
            tenant_id=self.caller.require_tenant(),
            account_id=account_id,
            roles_given=data["roles"],
        )
        return AccountViewSchema().dump(member)

    @rpc
    @requires(MANAGE_STAFF)
    def deactivate_staff(self, account_id: str) -> dict:
        member = domain.deactivate(
            self.db,
            caller=self.caller,
            tenant_id=self.caller.require_tenant(),
            account_id=account_id,
        )
        return AccountViewSchema().dump(member)

    @rpc
    @requires(MANAGE_STAFF)
    def reactivate_staff(self, account_id: str) -> dict:
        member = domain.reactivate(
            self.db,
            caller=self.caller,
            tenant_id=self.caller.require_tenant(),
            account_id=account_id,
        )
        return AccountViewSchema().dump(member)

    @rpc
    @requires(MANAGE_STAFF)
    def invite_staff_again(self, account_id: str) -> dict:
        member = domain.resend_invitation(
            self.db,
            caller=self.caller,
            tenant_id=self.caller.require_tenant(),
            account_id=account_id,
        )
        return AccountViewSchema().dump(member)

    # -- custom roles -----------------------------------------------------------------------

    @rpc
    @requires(MANAGE_STAFF)
    def list_roles(self, query: dict | None = None) -> dict:
        options = RoleQuerySchema().load(query or {})
        found = roles.list_roles(self.db, tenant_id=self.caller.require_tenant(), **options)
        return RolePageSchema().dump(found)

    @rpc
    @requires(MANAGE_STAFF)
    def create_role(self, body: dict) -> dict:
        data = RoleCreateSchema().load(body)
        role = roles.create_role(
            self.db, caller=self.caller, tenant_id=self.caller.require_tenant(), **data
        )
        return RoleViewSchema().dump(role)

    @rpc
    @requires(MANAGE_STAFF)
    def update_role(self, name: str, body: dict) -> dict:
        data = RoleUpdateSchema().load(body)
        role = roles.update_role(
            self.db, caller=self.caller, tenant_id=self.caller.require_tenant(), name=name, **data
        )
        return RoleViewSchema().dump(role)

    @rpc
    @requires(MANAGE_STAFF)
    def delete_role(self, name: str) -> None:
        roles.delete_role(
            self.db, caller=self.caller, tenant_id=self.caller.require_tenant(), name=name
        )

    # -- client users -----------------------------------------------------------------------

    @rpc
    @requires("clients.read")
    def list_client_users(self, client_id: str, query: dict) -> dict:
        paging = ClientUserQuerySchema().load(query)
        self._ensure_client(client_id)
        page = domain.list_client_users(
            self.db, tenant_id=self.caller.require_tenant(), client_id=client_id, **paging
        )
        return AccountPageSchema().dump(page)

    @rpc
    @requires("clients.manage")
    def create_client_user(self, client_id: str, body: dict) -> dict:
        data = ClientUserCreateSchema().load(body)
        self._ensure_client(client_id)
        user = domain.create_client_user(
            self.db,
            caller=self.caller,
            tenant_id=self.caller.require_tenant(),
            client_id=client_id,
            **data,
        )
        return AccountViewSchema().dump(user)

    @rpc
    @requires("clients.manage")
    def deactivate_client_user(self, client_id: str, account_id: str) -> dict:
        tenant_id = self.caller.require_tenant()
        domain.client_user(self.db, tenant_id=tenant_id, client_id=client_id, account_id=account_id)
        user = domain.deactivate(
            self.db, caller=self.caller, tenant_id=tenant_id, account_id=account_id, kind=CLIENT
        )
        return AccountViewSchema().dump(user)

    @rpc
    @requires("clients.manage")
    def reactivate_client_user(self, client_id: str, account_id: str) -> dict:
        tenant_id = self.caller.require_tenant()
        domain.client_user(self.db, tenant_id=tenant_id, client_id=client_id, account_id=account_id)
        user = domain.reactivate(
            self.db, caller=self.caller, tenant_id=tenant_id, account_id=account_id, kind=CLIENT
        )
        return AccountViewSchema().dump(user)
