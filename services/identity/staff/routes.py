"""The staff area's routes: staff, custom roles and client users."""

from __future__ import annotations

from chassis.routes import Route
from services.identity.staff import schemas
from services.identity.staff.entrypoints import StaffEntrypoints

STAFF = "Staff and roles"
CLIENT_USERS = "Client users"

ROUTES: tuple[Route, ...] = (
    # -- staff and roles (permission tenant.staff.manage)
    Route(
        "GET",
        "/api/v1/staff",
        StaffEntrypoints.list_staff,
        "List the CBO's staff",
        STAFF,
        query=schemas.StaffQuerySchema,
        response=schemas.AccountPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/staff",
        StaffEntrypoints.register_staff,
        "Register a staff member with roles (they are emailed an invitation)",
        STAFF,
        body=schemas.StaffCreateSchema,
        response=schemas.AccountViewSchema,
        status=201,
        description="Nobody can give roles whose permissions they do not hold themselves.",
    ),
    Route(
        "GET",
        "/api/v1/staff/<account_id>",
        StaffEntrypoints.get_staff,
        "One staff member",
        STAFF,
        response=schemas.AccountViewSchema,
    ),
    Route(
        "PUT",
        "/api/v1/staff/<account_id>/roles",
        StaffEntrypoints.change_staff_roles,
        "Replace a staff member's roles",
        STAFF,
        body=schemas.StaffRolesSchema,
        response=schemas.AccountViewSchema,
        description="Refused for a member who holds permissions the caller lacks, and when it "
        "would leave the CBO without an active owner.",
    ),
    Route(
        "POST",
        "/api/v1/staff/<account_id>/deactivate",
        StaffEntrypoints.deactivate_staff,
        "Deactivate a staff member (ends their sessions)",
        STAFF,
        response=schemas.AccountViewSchema,
    ),
    Route(
        "POST",
        "/api/v1/staff/<account_id>/reactivate",
        StaffEntrypoints.reactivate_staff,
        "Reactivate a deactivated staff member",
        STAFF,
        response=schemas.AccountViewSchema,
    ),
    Route(
        "POST",
        "/api/v1/staff/<account_id>/invitation",
        StaffEntrypoints.invite_staff_again,
        "Email a staff member who has not yet accepted a new invitation",
        STAFF,
        response=schemas.AccountViewSchema,
        description="The new link replaces the earlier ones: only the newest works.",
    ),
    Route(
        "GET",
        "/api/v1/roles",
        StaffEntrypoints.list_roles,
        "The roles staff can be given: built-in and the CBO's own",
        STAFF,
        response=schemas.RoleViewSchema,
        many=True,
    ),
    Route(
        "POST",
        "/api/v1/roles",
        StaffEntrypoints.create_role,
        "Define a custom role from named permissions",
        STAFF,
        body=schemas.RoleCreateSchema,
        response=schemas.RoleViewSchema,
        status=201,
    ),
    Route(
        "PATCH",
        "/api/v1/roles/<name>",
        StaffEntrypoints.update_role,
        "Change a custom role's permissions or description",
        STAFF,
        body=schemas.RoleUpdateSchema,
        response=schemas.RoleViewSchema,
        description="Staff holding the role get the new permissions with their next token.",
    ),
    Route(
        "DELETE",
        "/api/v1/roles/<name>",
        StaffEntrypoints.delete_role,
        "Delete a custom role nobody holds",
        STAFF,
        status=204,
    ),
    # -- client users (clients.read / clients.manage)
    Route(
        "GET",
        "/api/v1/clients/<client_id>/users",
        StaffEntrypoints.list_client_users,
        "A client organisation's user accounts",
        CLIENT_USERS,
        query=schemas.ClientUserQuerySchema,
        response=schemas.AccountPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/clients/<client_id>/users",
        StaffEntrypoints.create_client_user,
        "Create a user account for a client organisation (emailed an invitation)",
        CLIENT_USERS,
        body=schemas.ClientUserCreateSchema,
        response=schemas.AccountViewSchema,
        status=201,
    ),
    Route(
        "POST",
        "/api/v1/clients/<client_id>/users/<account_id>/deactivate",
        StaffEntrypoints.deactivate_client_user,
        "Deactivate a client user (ends their sessions)",
        CLIENT_USERS,
        response=schemas.AccountViewSchema,
    ),
    Route(
        "POST",
        "/api/v1/clients/<client_id>/users/<account_id>/reactivate",
        StaffEntrypoints.reactivate_client_user,
        "Reactivate a client user",
        CLIENT_USERS,
        response=schemas.AccountViewSchema,
    ),
)
