"""The accounts area's entrypoints: signing in, tokens, invitations and password resets, and the
handlers that email their links.

Thin: each entrypoint validates with the area's schemas and calls its domain functions. All but
`whoami` serve people who are not signed in yet, so they are @public.
"""

from __future__ import annotations

from chassis.config import Settings
from chassis.context import Caller, for_services, public, requires
from chassis.contracts import identity_rpc
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, rpc
from chassis.errors import Unauthenticated
from chassis.mail import Mailer
from services.identity.accounts import contacts, domain, invitations
from services.identity.accounts.schemas import (
    AcceptedSchema,
    AcceptInvitationSchema,
    CboSignInSchema,
    EmailConfirmationSchema,
    MeSchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
    RefreshSchema,
    SignInSchema,
    TokenPairSchema,
)

RESET_ACCEPTED = {
    "status": "accepted",
    "message": "If an account has that email, a link to reset its password is on its way.",
}


class AccountsEntrypoints:
    """A mixin of IdentityService (which provides db, caller, settings and mail)."""

    db: UnitOfWork
    caller: Caller
    settings: Settings
    mail: Mailer

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
        return MeSchema().dump(domain.describe(self.db, caller=self.caller))

    # -- invitations and password resets ----------------------------------------------------

    @rpc
    @public
    def accept_invitation(self, body: dict) -> dict:
        data = AcceptInvitationSchema().load(body)
        tokens = invitations.accept_invitation(self.db, settings=self._token_settings(), **data)
        return TokenPairSchema().dump(tokens)

    @rpc
    @public
    def confirm_email(self, body: dict) -> dict:
        data = EmailConfirmationSchema().load(body)
        tokens = invitations.confirm_email(self.db, settings=self._token_settings(), **data)
        return TokenPairSchema().dump(tokens)

    @rpc
    @public
    def request_password_reset(self, body: dict) -> dict:
        data = PasswordResetRequestSchema().load(body)
        invitations.request_password_reset(
            self.db, client_address=self.caller.client_address, **data
        )
        return AcceptedSchema().dump(RESET_ACCEPTED)

    @rpc
    @public
    def confirm_password_reset(self, body: dict) -> None:
        data = PasswordResetConfirmSchema().load(body)
        invitations.confirm_password_reset(self.db, **data)

    # -- emailing the links -----------------------------------------------------------------

    def _send_link(self, event: Event) -> None:
        invitations.send_link(
            self.db,
            mailer=self.mail,
            invitation_id=event.data["invitation_id"],
            tenant_name=event.data.get("tenant_name"),
            public_url=self.settings.public_url,
        )

    @event_handler("identity", "invitation.created")
    def send_invitation_email(self, event: Event) -> None:
        """Makes the single-use token and emails the link."""
        self._send_link(event)

    @event_handler("identity", "password_reset.requested")
    def send_password_reset_email(self, event: Event) -> None:
        """Makes the single-use token and emails the link."""
        self._send_link(event)

    # -- for the notifications service ---------------------------------------------------------

    @rpc
    @requires("jobseekers.read")
    @for_services("notifications")
    def contacts(self, account_ids: list[str], tenant_id: str | None = None) -> list[dict]:
        """How to reach the named accounts of the caller's CBO (a tenant-less system caller
        names the CBO); ids outside it are left out."""
        request = identity_rpc.ContactsRequest().load(
            {"account_ids": account_ids, "tenant_id": tenant_id}
        )
        found = contacts.contacts(
            self.db,
            tenant_id=self.caller.tenant_asked_about(request["tenant_id"]),
            account_ids=request["account_ids"],
        )
        return identity_rpc.ContactSchema(many=True).dump(found)

    @rpc
    @requires("tenant.staff.manage")
    @for_services("notifications")
    def staff_to_alert(self, permission: str, tenant_id: str | None = None) -> list[dict]:
        """The CBO's active staff who hold `permission`, with how to reach them."""
        request = identity_rpc.StaffToAlertRequest().load(
            {"permission": permission, "tenant_id": tenant_id}
        )
        found = contacts.staff_to_alert(
            self.db,
            tenant_id=self.caller.tenant_asked_about(request["tenant_id"]),
            permission=request["permission"],
        )
        return identity_rpc.ContactSchema(many=True).dump(found)
