"""The city's decisions on CBOs and their MOUs, and the application anybody may send."""

from __future__ import annotations

from chassis.context import Caller, public, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.schemas import ReasonSchema
from services.tenancy.common import staff_tenant
from services.tenancy.tenants import domain
from services.tenancy.tenants.schemas import (
    ApplicationReceiptSchema,
    ApplicationSchema,
    MouInputSchema,
    MouPageSchema,
    MouQuerySchema,
    MouSchema,
    TenantPageSchema,
    TenantQuerySchema,
    TenantSchema,
)

APPROVE = "platform.tenants.approve"
SETTINGS = "tenant.settings.manage"


class TenantsEntrypoints:
    db: UnitOfWork
    caller: Caller

    @rpc
    @public
    def apply(self, body: dict) -> dict:
        tenant = domain.apply(self.db, data=ApplicationSchema().load(body))
        return ApplicationReceiptSchema().dump(tenant)

    @rpc
    @requires(APPROVE)
    def list_tenants(self, query: dict | None = None) -> dict:
        found = domain.list_tenants(self.db, **TenantQuerySchema().load(query or {}))
        return TenantPageSchema().dump(found)

    @rpc
    @requires(APPROVE)
    def get_tenant(self, tenant_id: str) -> dict:
        return TenantSchema().dump(domain.get_tenant(self.db, tenant_id=tenant_id))

    @rpc
    @requires(APPROVE)
    def approve_tenant(self, tenant_id: str) -> dict:
        return self._decide(tenant_id, "approve", None)

    @rpc
    @requires(APPROVE)
    def reject_tenant(self, tenant_id: str, body: dict) -> dict:
        return self._decide(tenant_id, "reject", ReasonSchema().load(body)["reason"])

    @rpc
    @requires(APPROVE)
    def suspend_tenant(self, tenant_id: str, body: dict) -> dict:
        return self._decide(tenant_id, "suspend", ReasonSchema().load(body)["reason"])

    @rpc
    @requires(APPROVE)
    def reinstate_tenant(self, tenant_id: str, body: dict) -> dict:
        return self._decide(tenant_id, "reinstate", ReasonSchema().load(body)["reason"])

    def _decide(self, tenant_id: str, action: str, reason: str | None) -> dict:
        tenant = domain.decide(
            self.db, caller=self.caller, tenant_id=tenant_id, action=action, reason=reason
        )
        return TenantSchema().dump(tenant)

    # -- MOUs ----------------------------------------------------------------------------------

    @rpc
    @requires(APPROVE)
    def record_mou(self, tenant_id: str, body: dict) -> dict:
        data = MouInputSchema().load(body)
        mou = domain.record_mou(self.db, caller=self.caller, tenant_id=tenant_id, data=data)
        return MouSchema().dump(mou)

    @rpc
    @requires(APPROVE)
    def attach_mou_document(self, tenant_id: str, mou_id: str, body: dict) -> dict:
        mou = domain.attach_mou_document(
            self.db, caller=self.caller, tenant_id=tenant_id, mou_id=mou_id, file=body.get("file")
        )
        return MouSchema().dump(mou)

    @rpc
    @requires(APPROVE)
    def list_tenant_mous(self, tenant_id: str, query: dict | None = None) -> dict:
        options = MouQuerySchema().load(query or {})
        return MouPageSchema().dump(domain.list_mous(self.db, tenant_id=tenant_id, **options))

    @rpc
    @requires(APPROVE)
    def tenant_mou_document(self, tenant_id: str, mou_id: str) -> dict:
        return domain.mou_document(self.db, tenant_id=tenant_id, mou_id=mou_id)

    @rpc
    @requires(SETTINGS)
    def list_own_mous(self, query: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        options = MouQuerySchema().load(query or {})
        return MouPageSchema().dump(domain.list_mous(self.db, tenant_id=tenant_id, **options))

    @rpc
    @requires(SETTINGS)
    def own_mou_document(self, mou_id: str) -> dict:
        return domain.mou_document(self.db, tenant_id=staff_tenant(self.caller), mou_id=mou_id)
