"""The identity service's nameko entrypoints: thin, over the domain modules beside it.

Every RPC states its permission; the tenant always comes from the caller. Event handlers keep
the projections of tenancy's facts, invite a newly approved CBO's owner, send the emails of
invitations and resets, and keep the audit trail of every service.
"""

from __future__ import annotations

from chassis.context import CLIENT, public, requires
from chassis.contracts.events import Event
from chassis.entrypoints import event_handler, rpc
from chassis.errors import Unauthenticated
from chassis.mail import Mail, Mailer
from chassis.service import ServiceBase
from services.identity import audit_trail, domain, invitations, roles, staff, tenants
from services.identity.jobseeker_service import JobseekerEntrypoints
from services.identity.schemas import (
    AcceptedSchema,
    AcceptInvitationSchema,
    AccountPageSchema,
    AccountViewSchema,
    AuditPageSchema,
    AuditQuerySchema,
    CboSignInSchema,
    ClientUserCreateSchema,
    MeSchema,
    PageQuerySchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
    RefreshSchema,
    RoleCreateSchema,
    RoleUpdateSchema,
    RoleViewSchema,
    SignInSchema,
    StaffCreateSchema,
    StaffQuerySchema,
    StaffRolesSchema,
    TokenPairSchema,
)
from services.identity.sessions.entrypoints import SessionEntrypoints

RESET_ACCEPTED = {
    "status": "accepted",
    "message": "If an account has that email, a link to reset its password is on its way.",
}


class IdentityService(JobseekerEntrypoints, SessionEntrypoints, ServiceBase):
    name = "identity"

    mail: Mailer = Mail()  # type: ignore[assignment]

    def _token_settings(self) -> domain.TokenSettings:
        return domain.TokenSettings(
            self.settings.jwt_secret,
            self.settings.access_token_minutes,
            self.settings.refresh_token_days,
        )

    # -- signing in ------------------------------------------------------------------------

    @rpc
    @public
    def sign_in(self, body: dict) -> dict:
        data = SignInSchema().load(body)
        tokens = domain.sign_in(self.db, settings=self._token_settings(), **data)
        return TokenPairSchema().dump(tokens)

    @rpc
    @public
    def sign_in_to_cbo(self, slug: str, body: dict) -> dict:
        data = CboSignInSchema().load(body)
        tokens = domain.sign_in(self.db, settings=self._token_settings(), slug=slug, **data)
        return TokenPairSchema().dump(tokens)

    @rpc
    @public
    def refresh(self, body: dict) -> dict:
        data = RefreshSchema().load(body)
        tokens = domain.refresh(self.db, settings=self._token_settings(), **data)
        return TokenPairSchema().dump(tokens)

    @rpc
    @public
    def sign_out(self, body: dict) -> None:
        data = RefreshSchema().load(body)
        domain.sign_out(self.db, settings=self._token_settings(), **data)

    @rpc
    @public
    def whoami(self) -> dict:
        if not self.caller.authenticated:
            raise Unauthenticated("Sign in first.")
        return MeSchema().dump(domain.describe(self.db, self.caller))

    # -- invitations and password resets ----------------------------------------------------

    @rpc
    @public
    def accept_invitation(self, body: dict) -> dict:
        data = AcceptInvitationSchema().load(body)
        tokens = invitations.accept_invitation(self.db, settings=self._token_settings(), **data)
        return TokenPairSchema().dump(tokens)

    @rpc
    @public
    def request_password_reset(self, body: dict) -> dict:
        data = PasswordResetRequestSchema().load(body)
        invitations.request_password_reset(self.db, **data)
        return AcceptedSchema().dump(RESET_ACCEPTED)

    @rpc
    @public
    def confirm_password_reset(self, body: dict) -> None:
        data = PasswordResetConfirmSchema().load(body)
        invitations.confirm_password_reset(self.db, **data)

    # -- staff ------------------------------------------------------------------------------

    @rpc
    @requires("tenant.staff.manage")
    def list_staff(self, query: dict) -> dict:
        filters = StaffQuerySchema().load(query)
        page = staff.list_staff(self.db, tenant_id=self.caller.require_tenant(), **filters)
        return AccountPageSchema().dump(page)

    @rpc
    @requires("tenant.staff.manage")
    def register_staff(self, body: dict) -> dict:
        data = StaffCreateSchema().load(body)
        member = staff.register_staff(
            self.db,
            self.caller,
            tenant_id=self.caller.require_tenant(),
            email=data["email"],
            display_name=data["display_name"],
            roles_given=data["roles"],
        )
        return AccountViewSchema().dump(member)

    @rpc
    @requires("tenant.staff.manage")
    def get_staff(self, account_id: str) -> dict:
        member = staff.get_member(
            self.db, tenant_id=self.caller.require_tenant(), account_id=account_id
        )
        return AccountViewSchema().dump(member)

    @rpc
    @requires("tenant.staff.manage")
    def change_staff_roles(self, account_id: str, body: dict) -> dict:
        data = StaffRolesSchema().load(body)
        member = staff.change_roles(
            self.db,
            self.caller,
            tenant_id=self.caller.require_tenant(),
            account_id=account_id,
            roles_given=data["roles"],
        )
        return AccountViewSchema().dump(member)

    @rpc
    @requires("tenant.staff.manage")
    def deactivate_staff(self, account_id: str) -> dict:
        member = staff.deactivate(
            self.db, self.caller, tenant_id=self.caller.require_tenant(), account_id=account_id
        )
        return AccountViewSchema().dump(member)

    @rpc
    @requires("tenant.staff.manage")
    def reactivate_staff(self, account_id: str) -> dict:
        member = staff.reactivate(
            self.db, self.caller, tenant_id=self.caller.require_tenant(), account_id=account_id
        )
        return AccountViewSchema().dump(member)

    @rpc
    @requires("tenant.staff.manage")
    def invite_staff_again(self, account_id: str) -> dict:
        member = staff.resend_invitation(
            self.db, self.caller, tenant_id=self.caller.require_tenant(), account_id=account_id
        )
        return AccountViewSchema().dump(member)

    # -- custom roles -----------------------------------------------------------------------

    @rpc
    @requires("tenant.staff.manage")
    def list_roles(self) -> list[dict]:
        found = roles.list_roles(self.db, tenant_id=self.caller.require_tenant())
        return RoleViewSchema(many=True).dump(found)

    @rpc
    @requires("tenant.staff.manage")
    def create_role(self, body: dict) -> dict:
        data = RoleCreateSchema().load(body)
        role = roles.create_role(
            self.db, self.caller, tenant_id=self.caller.require_tenant(), **data
        )
        return RoleViewSchema().dump(role)

    @rpc
    @requires("tenant.staff.manage")
    def update_role(self, name: str, body: dict) -> dict:
        data = RoleUpdateSchema().load(body)
        role = roles.update_role(
            self.db, self.caller, tenant_id=self.caller.require_tenant(), name=name, **data
        )
        return RoleViewSchema().dump(role)

    @rpc
    @requires("tenant.staff.manage")
    def delete_role(self, name: str) -> None:
        roles.delete_role(self.db, self.caller, tenant_id=self.caller.require_tenant(), name=name)

    # -- client users -----------------------------------------------------------------------

    @rpc
    @requires("clients.read")
    def list_client_users(self, client_id: str, query: dict) -> dict:
        paging = PageQuerySchema().load(query)
        page = staff.list_client_users(
            self.db, tenant_id=self.caller.require_tenant(), client_id=client_id, **paging
        )
        return AccountPageSchema().dump(page)

    @rpc
    @requires("clients.manage")
    def create_client_user(self, client_id: str, body: dict) -> dict:
        data = ClientUserCreateSchema().load(body)
        user = staff.create_client_user(
            self.db,
            self.caller,
            tenant_id=self.caller.require_tenant(),
            client_id=client_id,
            **data,
        )
        return AccountViewSchema().dump(user)

    @rpc
    @requires("clients.manage")
    def deactivate_client_user(self, client_id: str, account_id: str) -> dict:
        tenant_id = self.caller.require_tenant()
        staff.client_user(self.db, tenant_id=tenant_id, client_id=client_id, account_id=account_id)
        user = staff.deactivate(
            self.db, self.caller, tenant_id=tenant_id, account_id=account_id, kind=CLIENT
        )
        return AccountViewSchema().dump(user)

    @rpc
    @requires("clients.manage")
    def reactivate_client_user(self, client_id: str, account_id: str) -> dict:
        tenant_id = self.caller.require_tenant()
        staff.client_user(self.db, tenant_id=tenant_id, client_id=client_id, account_id=account_id)
        user = staff.reactivate(
            self.db, self.caller, tenant_id=tenant_id, account_id=account_id, kind=CLIENT
        )
        return AccountViewSchema().dump(user)

    # -- audit trail ------------------------------------------------------------------------

    @rpc
    @requires("tenant.audit.read")
    def list_audit(self, query: dict) -> dict:
        filters = AuditQuerySchema().load(query)
        page = audit_trail.search(self.db, tenant_id=self.caller.require_tenant(), **filters)
        return AuditPageSchema().dump(page)

    @event_handler("identity", "audit.recorded")
    def record_identity_audit(self, event: Event) -> None:
        audit_trail.record(self.db, event)

    @event_handler("tenancy", "audit.recorded")
    def record_tenancy_audit(self, event: Event) -> None:
        audit_trail.record(self.db, event)

    # -- tenancy's facts --------------------------------------------------------------------

    def _apply_tenant(self, event: Event, status: str) -> bool:
        data = event.data
        return tenants.apply_tenant(
            self.db,
            tenant_id=data["tenant_id"],
            slug=data["slug"],
            name=data["name"],
            status=status,
            occurred_at=event.occurred_at,
        )

    @event_handler("tenancy", "tenant.approved")
    def on_tenant_approved(self, event: Event) -> None:
        data = event.data
        self._apply_tenant(event, tenants.ACTIVE)
        staff.create_owner(
            self.db,
            tenant_id=data["tenant_id"],
            tenant_name=data["name"],
            email=data["owner_email"],
            display_name=data["owner_name"],
        )

    @event_handler("tenancy", "tenant.suspended")
    def on_tenant_suspended(self, event: Event) -> None:
        if self._apply_tenant(event, tenants.SUSPENDED):
            domain.end_sessions(self.db, tenant_id=event.data["tenant_id"])

    @event_handler("tenancy", "tenant.reinstated")
    def on_tenant_reinstated(self, event: Event) -> None:
        self._apply_tenant(event, tenants.ACTIVE)

    def _record_client(self, event: Event) -> None:
        tenants.record_client(
            self.db,
            client_id=event.data["client_id"],
            tenant_id=event.tenant_id,
            name=event.data["name"],
            active=event.data.get("active", True),
        )

    @event_handler("tenancy", "client.registered")
    def on_client_registered(self, event: Event) -> None:
        self._record_client(event)

    @event_handler("tenancy", "client.updated")
    def on_client_updated(self, event: Event) -> None:
        self._record_client(event)

    def _record_source(self, event: Event) -> None:
        tenants.record_source(
            self.db,
            source_id=event.data["source_id"],
            tenant_id=event.tenant_id,
            name=event.data["name"],
            weekly_hour_cap=event.data.get("weekly_hour_cap"),
            active=event.data.get("active", True),
        )

    @event_handler("tenancy", "source.created")
    def on_source_created(self, event: Event) -> None:
        self._record_source(event)

    @event_handler("tenancy", "source.updated")
    def on_source_updated(self, event: Event) -> None:
        self._record_source(event)

    # -- email ------------------------------------------------------------------------------

    def _send_link(self, event: Event) -> None:
        invitations.send_link(
            self.db,
            self.mail,
            invitation_id=event.data["invitation_id"],
            tenant_name=event.data.get("tenant_name"),
            public_url=self.settings.public_url,
        )

    @event_handler("identity", "invitation.created")
    def send_invitation_email(self, event: Event) -> None:
        self._send_link(event)

    @event_handler("identity", "password_reset.requested")
    def send_password_reset_email(self, event: Event) -> None:
        self._send_link(event)
