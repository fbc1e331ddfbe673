"""A CBO's branding, logo and login box for its staff; its public face for anybody; the login
box's rules for the gateway."""

from __future__ import annotations

from chassis.config import Settings
from chassis.context import Caller, for_services, public, requires
from chassis.contracts import tenancy_rpc
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from services.tenancy.branding import domain
from services.tenancy.branding.schemas import (
    BrandingInputSchema,
    BrandingSchema,
    LoginBoxInputSchema,
    LoginBoxSchema,
    PublicBrandingSchema,
    UploadReceiptSchema,
)
from services.tenancy.common import staff_tenant

SETTINGS = "tenant.settings.manage"


class BrandingEntrypoints:
    db: UnitOfWork
    caller: Caller
    settings: Settings

    def _public_url(self) -> str:
        # Where browsers reach the platform; the login-box snippet points there.
        configured = getattr(self.settings, "public_url", "")
        return configured or f"http://{self.settings.gateway_host}:{self.settings.gateway_port}"

    @rpc
    @requires(SETTINGS)
    def get_branding(self) -> dict:
        branding = domain.get_branding(self.db, tenant_id=staff_tenant(self.caller))
        return BrandingSchema().dump(branding)

    @rpc
    @requires(SETTINGS)
    def update_branding(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = BrandingInputSchema().load(body)
        branding = domain.update_branding(
            self.db, caller=self.caller, tenant_id=tenant_id, data=data
        )
        return BrandingSchema().dump(branding)

    @rpc
    @requires(SETTINGS)
    def set_logo(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        info = domain.set_logo(
            self.db, caller=self.caller, tenant_id=tenant_id, file=body.get("file")
        )
        return UploadReceiptSchema().dump(info)

    @rpc
    @requires(SETTINGS)
    def remove_logo(self) -> None:
        domain.remove_logo(self.db, caller=self.caller, tenant_id=staff_tenant(self.caller))

    @rpc
    @public
    def public_branding(self, slug: str) -> dict:
        return PublicBrandingSchema().dump(domain.public_branding(self.db, slug=slug))

    @rpc
    @public
    def public_logo(self, slug: str) -> dict:
        return domain.public_logo(self.db, slug=slug)

    # -- The embeddable login box ------------------------------------------------------------

    @rpc
    @requires(SETTINGS)
    def get_login_box(self) -> dict:
        box = domain.get_login_box(
            self.db, tenant_id=staff_tenant(self.caller), public_url=self._public_url()
        )
        return LoginBoxSchema().dump(box)

    @rpc
    @requires(SETTINGS)
    def set_login_box(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        origins = LoginBoxInputSchema().load(body)["allowed_origins"]
        box = domain.set_allowed_origins(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            origins=origins,
            public_url=self._public_url(),
        )
        return LoginBoxSchema().dump(box)

    @rpc
    @public
    def login_box(self, slug: str) -> dict:
        """For the gateway's origin check: the CBO's id, status and allowed origins."""
        return tenancy_rpc.LoginBoxSchema().dump(domain.login_box_rules(self.db, slug=slug))

    @rpc
    @requires(SETTINGS)
    @for_services("notifications")
    def message_profile(self, tenant_id: str | None = None) -> dict:
        """For the notifications service: the CBO's display name, time zone, languages and
        words (a CBO's caller asks of its own; a tenant-less system caller names one)."""
        request = tenancy_rpc.MessageProfileRequest().load({"tenant_id": tenant_id})
        profile = domain.message_profile(
            self.db, tenant_id=self.caller.tenant_asked_about(request["tenant_id"])
        )
        return tenancy_rpc.MessageProfileSchema().dump(profile)
