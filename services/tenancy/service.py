"""The tenancy service's nameko entrypoints: thin, over the domain modules beside them.

Each entrypoint states its permission (or @public), validates its input with the schemas in
schemas.py, takes the CBO from the signed caller (never from a body) and calls plain functions.
The gateway routes in routes.py map HTTP onto these names.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError, fields

from chassis.context import public, requires
from chassis.entrypoints import rpc
from chassis.errors import NotFound, ValidationFailed
from chassis.service import ServiceBase
from services.tenancy import (
    branding,
    client_import,
    clients,
    licences,
    partnerships,
    sources,
    tenants,
)
from services.tenancy.common import active_tenant, service_scope, staff_tenant, tenant_by_id
from services.tenancy.schemas import (
    ApplicationReceiptSchema,
    ApplicationSchema,
    BrandingInputSchema,
    ClientImportOptionsSchema,
    ClientInputSchema,
    ClientQuerySchema,
    ClientUpdateSchema,
    LicenceGrantSchema,
    LicenceRevokeSchema,
    LoginBoxInputSchema,
    LoginBoxRulesSchema,
    MouInputSchema,
    PageQuerySchema,
    PartnershipProposalSchema,
    PartnershipQuerySchema,
    ReasonSchema,
    SourceInputSchema,
    SourceUpdateSchema,
    TenantQuerySchema,
)

APPROVE = "platform.tenants.approve"
LICENCES = "platform.licences.manage"
SETTINGS = "tenant.settings.manage"
SOURCES = "tenant.sources.manage"
PARTNERSHIPS = "tenant.partnerships.manage"
CLIENTS_READ = "clients.read"
CLIENTS_MANAGE = "clients.manage"


def _date_arg(value: Any, name: str) -> date | None:
    """An optional ISO date passed by another service."""
    if value is None or isinstance(value, date):
        return value
    try:
        return fields.Date().deserialize(value)
    except ValidationError as exc:
        raise ValidationFailed(fields={name: exc.messages}) from exc


class TenancyService(ServiceBase):
    name = "tenancy"

    def _public_url(self) -> str:
        # Where browsers reach the platform; the login-box snippet points there.
        configured = getattr(self.settings, "public_url", "")
        return configured or f"http://{self.settings.gateway_host}:{self.settings.gateway_port}"

    # -- CBO applications and their approval (the platform operator) --------------------------

    @rpc
    @public
    def apply(self, body: dict) -> dict:
        tenant = tenants.apply(self.db, ApplicationSchema().load(body))
        return ApplicationReceiptSchema().dump(tenant)

    @rpc
    @requires(APPROVE)
    def list_tenants(self, query: dict | None = None) -> dict:
        return tenants.list_tenants(self.db, TenantQuerySchema().load(query or {}))

    @rpc
    @requires(APPROVE)
    def get_tenant(self, tenant_id: str) -> dict:
        return tenants.tenant_view(tenant_by_id(self.db, tenant_id))

    @rpc
    @requires(APPROVE)
    def approve_tenant(self, tenant_id: str) -> dict:
        return tenants.tenant_view(tenants.approve(self.db, self.caller, tenant_id))

    @rpc
    @requires(APPROVE)
    def reject_tenant(self, tenant_id: str, body: dict) -> dict:
        reason = ReasonSchema().load(body)["reason"]
        return tenants.tenant_view(tenants.reject(self.db, self.caller, tenant_id, reason))

    @rpc
    @requires(APPROVE)
    def suspend_tenant(self, tenant_id: str, body: dict) -> dict:
        reason = ReasonSchema().load(body)["reason"]
        return tenants.tenant_view(tenants.suspend(self.db, self.caller, tenant_id, reason))

    @rpc
    @requires(APPROVE)
    def reinstate_tenant(self, tenant_id: str, body: dict) -> dict:
        reason = ReasonSchema().load(body)["reason"]
        return tenants.tenant_view(tenants.reinstate(self.db, self.caller, tenant_id, reason))

    # -- MOUs ----------------------------------------------------------------------------------

    @rpc
    @requires(APPROVE)
    def record_mou(self, tenant_id: str, body: dict) -> dict:
        data = MouInputSchema().load(body)
        return tenants.mou_view(tenants.record_mou(self.db, self.caller, tenant_id, data))

    @rpc
    @requires(APPROVE)
    def attach_mou_document(self, tenant_id: str, mou_id: str, body: dict) -> dict:
        mou = tenants.attach_mou_document(self.db, self.caller, tenant_id, mou_id, body)
        return tenants.mou_view(mou)

    @rpc
    @requires(APPROVE)
    def list_tenant_mous(self, tenant_id: str) -> list[dict]:
        tenant_by_id(self.db, tenant_id)
        return tenants.list_mous(self.db, tenant_id)

    @rpc
    @requires(APPROVE)
    def tenant_mou_document(self, tenant_id: str, mou_id: str) -> dict:
        return tenants.mou_document(self.db, tenant_id, mou_id)

    @rpc
    @requires(SETTINGS)
    def list_own_mous(self) -> list[dict]:
        return tenants.list_mous(self.db, staff_tenant(self.caller))

    @rpc
    @requires(SETTINGS)
    def own_mou_document(self, mou_id: str) -> dict:
        return tenants.mou_document(self.db, staff_tenant(self.caller), mou_id)

    # -- Branding, words, languages, time zone -------------------------------------------------

    @rpc
    @requires(SETTINGS)
    def get_branding(self) -> dict:
        return branding.get_branding(self.db, staff_tenant(self.caller))

    @rpc
    @requires(SETTINGS)
    def update_branding(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = BrandingInputSchema().load(body)
        active_tenant(self.db, tenant_id)
        return branding.update_branding(self.db, self.caller, tenant_id, data)

    @rpc
    @requires(SETTINGS)
    def set_logo(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        active_tenant(self.db, tenant_id)
        return branding.set_logo(self.db, self.caller, tenant_id, body)

    @rpc
    @requires(SETTINGS)
    def remove_logo(self) -> None:
        tenant_id = staff_tenant(self.caller)
        active_tenant(self.db, tenant_id)
        branding.remove_logo(self.db, self.caller, tenant_id)

    @rpc
    @public
    def public_branding(self, slug: str) -> dict:
        return branding.public_branding(self.db, slug)

    @rpc
    @public
    def public_logo(self, slug: str) -> dict:
        return branding.public_logo(self.db, slug)

    # -- The embeddable login box --------------------------------------------------------------

    @rpc
    @requires(SETTINGS)
    def get_login_box(self) -> dict:
        return branding.get_login_box(self.db, staff_tenant(self.caller), self._public_url())

    @rpc
    @requires(SETTINGS)
    def set_login_box(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        origins = LoginBoxInputSchema().load(body)["allowed_origins"]
        active_tenant(self.db, tenant_id)
        return branding.set_allowed_origins(
            self.db, self.caller, tenant_id, origins, self._public_url()
        )

    @rpc
    @public
    def login_box(self, slug: str) -> dict:
        """For the gateway's origin check: the CBO's id, status and allowed origins."""
        return LoginBoxRulesSchema().dump(branding.login_box_rules(self.db, slug))

    # -- Client organisations ------------------------------------------------------------------

    @rpc
    @requires(CLIENTS_READ)
    def list_clients(self, query: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        return clients.list_clients(self.db, tenant_id, ClientQuerySchema().load(query or {}))

    @rpc
    @requires(CLIENTS_READ)
    def get_client(self, client_id: str) -> dict:
        return clients.get_client(self.db, staff_tenant(self.caller), client_id)

    @rpc
    @requires(CLIENTS_MANAGE)
    def create_client(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = ClientInputSchema().load(body)
        active_tenant(self.db, tenant_id)
        return clients.create_client(self.db, self.caller, tenant_id, data)

    @rpc
    @requires(CLIENTS_MANAGE)
    def update_client(self, client_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = ClientUpdateSchema().load(body)
        active_tenant(self.db, tenant_id)
        return clients.update_client(self.db, self.caller, tenant_id, client_id, data)

    @rpc
    @requires(CLIENTS_MANAGE)
    def import_clients(self, body: dict) -> dict:
        """A CSV of client organisations: checked (dry run) or imported; see client_import."""
        tenant_id = staff_tenant(self.caller)
        options = ClientImportOptionsSchema().load(body)
        if not options["dry_run"]:
            active_tenant(self.db, tenant_id)
        return client_import.run_import(
            self.db,
            self.caller,
            tenant_id,
            options.get("file"),
            dry_run=options["dry_run"],
            mode=options["mode"],
        )

    @rpc
    @requires(CLIENTS_MANAGE)
    def list_client_imports(self, query: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        return client_import.list_imports(self.db, tenant_id, PageQuerySchema().load(query or {}))

    @rpc
    @requires(CLIENTS_MANAGE)
    def get_client_import(self, import_id: str) -> dict:
        return client_import.get_import(self.db, staff_tenant(self.caller), import_id)

    # -- Worker sources ------------------------------------------------------------------------

    @rpc
    @requires(SOURCES)
    def list_sources(self) -> list[dict]:
        return sources.list_sources(self.db, staff_tenant(self.caller))

    @rpc
    @requires(SOURCES)
    def get_source(self, source_id: str) -> dict:
        return sources.get_source(self.db, staff_tenant(self.caller), source_id)

    @rpc
    @requires(SOURCES)
    def create_source(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = SourceInputSchema().load(body)
        active_tenant(self.db, tenant_id)
        return sources.create_source(self.db, self.caller, tenant_id, data)

    @rpc
    @requires(SOURCES)
    def update_source(self, source_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = SourceUpdateSchema().load(body)
        active_tenant(self.db, tenant_id)
        return sources.update_source(self.db, self.caller, tenant_id, source_id, data)

    @rpc
    @public
    def source_rules(self, source_id: str, on_date: str | None = None) -> dict:
        """For other services (booking enforces the cap): the source's weekly hour cap and
        whether it applies on `on_date`. Scoped to the caller's CBO."""
        scope = service_scope(self.caller)
        return sources.source_rules(self.db, scope, source_id, _date_arg(on_date, "on_date"))

    # -- Partnerships --------------------------------------------------------------------------

    @rpc
    @requires(PARTNERSHIPS)
    def list_partnerships(self, query: dict | None = None) -> list[dict]:
        status = PartnershipQuerySchema().load(query or {}).get("status")
        return partnerships.list_partnerships(self.db, staff_tenant(self.caller), status)

    @rpc
    @requires(PARTNERSHIPS)
    def get_partnership(self, partnership_id: str) -> dict:
        return partnerships.get_partnership(self.db, staff_tenant(self.caller), partnership_id)

    @rpc
    @requires(PARTNERSHIPS)
    def propose_partnership(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = PartnershipProposalSchema().load(body)
        return partnerships.propose(self.db, self.caller, tenant_id, data)

    @rpc
    @requires(PARTNERSHIPS)
    def accept_partnership(self, partnership_id: str) -> dict:
        tenant_id = staff_tenant(self.caller)
        return partnerships.answer(self.db, self.caller, tenant_id, partnership_id, accept=True)

    @rpc
    @requires(PARTNERSHIPS)
    def decline_partnership(self, partnership_id: str) -> dict:
        tenant_id = staff_tenant(self.caller)
        return partnerships.answer(self.db, self.caller, tenant_id, partnership_id, accept=False)

    @rpc
    @requires(PARTNERSHIPS)
    def end_partnership(self, partnership_id: str) -> dict:
        return partnerships.end(self.db, self.caller, staff_tenant(self.caller), partnership_id)

    @rpc
    @public
    def partners(self, share: str | None = None) -> list[dict]:
        """For other services: the caller's CBO's current partners (sharing `share`)."""
        tenant_id = service_scope(self.caller)
        if tenant_id is None:
            raise NotFound("Partners belong to a CBO; call within one.")
        return partnerships.partners(self.db, tenant_id, share)

    # -- Feature licences ----------------------------------------------------------------------

    @rpc
    @requires(LICENCES)
    def grant_licence(self, tenant_id: str, body: dict) -> dict:
        data = LicenceGrantSchema().load(body)
        return licences.grant(self.db, self.caller, tenant_id, data)

    @rpc
    @requires(LICENCES)
    def revoke_licence(self, tenant_id: str, licence_id: str, body: dict) -> dict:
        data = LicenceRevokeSchema().load(body)
        return licences.revoke(self.db, self.caller, tenant_id, licence_id, data)

    @rpc
    @requires(LICENCES)
    def list_tenant_licences(self, tenant_id: str) -> list[dict]:
        return licences.list_licences(self.db, tenant_id)

    @rpc
    @public
    def own_licences(self) -> list[dict]:
        """Any of the CBO's staff may see which features their CBO is licensed for."""
        return licences.list_licences(self.db, staff_tenant(self.caller))

    @rpc
    @public
    def is_licensed(self, tenant_id: str, feature: str, on_date: str | None = None) -> bool:
        """For other services: is `feature` licensed to the CBO on `on_date` (default today)?
        A caller bound to a CBO may only ask about its own."""
        scope = service_scope(self.caller)
        if scope is not None and scope != tenant_id:
            raise NotFound("There is no such CBO.")
        return licences.is_licensed(self.db, tenant_id, feature, _date_arg(on_date, "on_date"))

    # -- For identity's projections --------------------------------------------------------------

    @rpc
    @public
    def projection_record(self, kind: str, record_id: str) -> dict:
        """For identity, whose copies of clients and worker sources follow tenancy's events: one
        client (kind "client") or worker source ("source") of the caller's own CBO, with the
        fields those events carry, so that something just created is usable in the very next
        request. NotFound for anything else; callers bound to no CBO are refused."""
        tenant_id = self.caller.require_tenant()
        if kind == "client":
            client = clients.get_client(self.db, tenant_id, record_id)
            return {"client_id": client["id"], "name": client["name"], "active": client["active"]}
        if kind == "source":
            source = sources.get_source(self.db, tenant_id, record_id)
            return {
                "source_id": source["id"],
                "name": source["name"],
                "weekly_hour_cap": source["weekly_hour_cap"],
                "active": source["active"],
            }
        raise NotFound(f"There is no {kind!r} record here.")
