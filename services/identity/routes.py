"""Routes served by the identity service: accounts, invitations, staff, roles, client users,
audit."""

from __future__ import annotations

from chassis.routes import Route
from services.identity import schemas as identity
from services.identity.service import IdentityService

ACCOUNTS = "Accounts"
STAFF = "Staff and roles"
CLIENT_USERS = "Client users"
AUDIT = "Audit trail"

from services.identity.jobseeker_routes import ROUTES as JOBSEEKER_ROUTES  # noqa: E402

ROUTES: tuple[Route, ...] = (
    *JOBSEEKER_ROUTES,
    Route(
        "POST",
        "/api/v1/auth/token",
        IdentityService.sign_in,
        "Sign in with email and password",
        ACCOUNTS,
        body=identity.SignInSchema,
        response=identity.TokenPairSchema,
        auth=False,
        description="Returns a short-lived access token and a refresh token. A CBO's people "
        "give the CBO's `slug` and can sign in to that CBO only; the city's operator gives "
        "none. Repeated failures lock the account for a while; a suspended CBO's people are "
        "refused (403).",
    ),
    Route(
        "POST",
        "/api/v1/cbos/<slug>/auth/token",
        IdentityService.sign_in_to_cbo,
        "Sign in to one CBO (its site or embedded login box)",
        ACCOUNTS,
        body=identity.CboSignInSchema,
        response=identity.TokenPairSchema,
        auth=False,
        origin_checked=True,
        description="As /api/v1/auth/token with the CBO in the path. A browser request from "
        "a site the CBO has not allowed is refused.",
    ),
    Route(
        "POST",
        "/api/v1/auth/refresh",
        IdentityService.refresh,
        "Swap a refresh token for a new pair",
        ACCOUNTS,
        body=identity.RefreshSchema,
        response=identity.TokenPairSchema,
        auth=False,
    ),
    Route(
        "POST",
        "/api/v1/auth/sign-out",
        IdentityService.sign_out,
        "End a session (revoke its refresh token)",
        ACCOUNTS,
        body=identity.RefreshSchema,
        status=204,
        auth=False,
    ),
    Route(
        "GET",
        "/api/v1/me",
        IdentityService.whoami,
        "Who the token belongs to",
        ACCOUNTS,
        response=identity.MeSchema,
    ),
    Route(
        "POST",
        "/api/v1/auth/invitations/accept",
        IdentityService.accept_invitation,
        "Accept an invitation: set a first password",
        ACCOUNTS,
        body=identity.AcceptInvitationSchema,
        response=identity.TokenPairSchema,
        auth=False,
        description="The token comes from the emailed link; it works once and expires after "
        "7 days. Answers a token pair: the person is signed in.",
    ),
    Route(
        "POST",
        "/api/v1/auth/password-reset",
        IdentityService.request_password_reset,
        "Ask for a password reset link by email",
        ACCOUNTS,
        body=identity.PasswordResetRequestSchema,
        response=identity.AcceptedSchema,
        status=202,
        auth=False,
        description="Always answers 202, whether or not the account exists; the link is "
        "emailed only if it does. Give the CBO's `slug` for a CBO account.",
    ),
    Route(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        IdentityService.confirm_password_reset,
        "Set a new password from a reset link",
        ACCOUNTS,
        body=identity.PasswordResetConfirmSchema,
        status=204,
        auth=False,
        description="The link works once and expires after an hour. It unlocks the account "
        "and ends its other sessions.",
    ),
    # -- staff and roles (permission tenant.staff.manage)
    Route(
        "GET",
        "/api/v1/staff",
        IdentityService.list_staff,
        "List the CBO's staff",
        STAFF,
        query=identity.StaffQuerySchema,
        response=identity.AccountPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/staff",
        IdentityService.register_staff,
        "Register a staff member with roles (they are emailed an invitation)",
        STAFF,
        body=identity.StaffCreateSchema,
        response=identity.AccountViewSchema,
        status=201,
        description="Nobody can give roles whose permissions they do not hold themselves.",
    ),
    Route(
        "GET",
        "/api/v1/staff/<account_id>",
        IdentityService.get_staff,
        "One staff member",
        STAFF,
        response=identity.AccountViewSchema,
    ),
    Route(
        "PUT",
        "/api/v1/staff/<account_id>/roles",
        IdentityService.change_staff_roles,
        "Replace a staff member's roles",
        STAFF,
        body=identity.StaffRolesSchema,
        response=identity.AccountViewSchema,
        description="Refused for a member who holds permissions the caller lacks, and when it "
        "would leave the CBO without an active owner.",
    ),
    Route(
        "POST",
        "/api/v1/staff/<account_id>/deactivate",
        IdentityService.deactivate_staff,
        "Deactivate a staff member (ends their sessions)",
        STAFF,
        response=identity.AccountViewSchema,
    ),
    Route(
        "POST",
        "/api/v1/staff/<account_id>/reactivate",
        IdentityService.reactivate_staff,
        "Reactivate a deactivated staff member",
        STAFF,
        response=identity.AccountViewSchema,
    ),
    Route(
        "POST",
        "/api/v1/staff/<account_id>/invitation",
        IdentityService.invite_staff_again,
        "Email a staff member who has not yet accepted a new invitation",
        STAFF,
        response=identity.AccountViewSchema,
    ),
    Route(
        "GET",
        "/api/v1/roles",
        IdentityService.list_roles,
        "The roles staff can be given: built-in and the CBO's own",
        STAFF,
        response=identity.RoleViewSchema,
        many=True,
    ),
    Route(
        "POST",
        "/api/v1/roles",
        IdentityService.create_role,
        "Define a custom role from named permissions",
        STAFF,
        body=identity.RoleCreateSchema,
        response=identity.RoleViewSchema,
        status=201,
    ),
    Route(
        "PATCH",
        "/api/v1/roles/<name>",
        IdentityService.update_role,
        "Change a custom role's permissions or description",
        STAFF,
        body=identity.RoleUpdateSchema,
        response=identity.RoleViewSchema,
        description="Staff holding the role get the new permissions with their next token.",
    ),
    Route(
        "DELETE",
        "/api/v1/roles/<name>",
        IdentityService.delete_role,
        "Delete a custom role nobody holds",
        STAFF,
        status=204,
    ),
    # -- client users (clients.read / clients.manage)
    Route(
        "GET",
        "/api/v1/clients/<client_id>/users",
        IdentityService.list_client_users,
        "A client organisation's user accounts",
        CLIENT_USERS,
        query=identity.PageQuerySchema,
        response=identity.AccountPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/clients/<client_id>/users",
        IdentityService.create_client_user,
        "Create a user account for a client organisation (emailed an invitation)",
        CLIENT_USERS,
        body=identity.ClientUserCreateSchema,
        response=identity.AccountViewSchema,
        status=201,
    ),
    Route(
        "POST",
        "/api/v1/clients/<client_id>/users/<account_id>/deactivate",
        IdentityService.deactivate_client_user,
        "Deactivate a client user (ends their sessions)",
        CLIENT_USERS,
        response=identity.AccountViewSchema,
    ),
    Route(
        "POST",
        "/api/v1/clients/<client_id>/users/<account_id>/reactivate",
        IdentityService.reactivate_client_user,
        "Reactivate a client user",
        CLIENT_USERS,
        response=identity.AccountViewSchema,
    ),
    # -- audit trail (tenant.audit.read)
    Route(
        "GET",
        "/api/v1/audit",
        IdentityService.list_audit,
        "The CBO's audit trail, newest first",
        AUDIT,
        query=identity.AuditQuerySchema,
        response=identity.AuditPageSchema,
        description="Every staff action of every service: who, what, when, before and after. "
        "Filter by actor_id, entity_type, entity_id, action and a time range (from, to).",
    ),
)
