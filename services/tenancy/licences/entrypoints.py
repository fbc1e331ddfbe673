"""Feature licences: granted and ended by the operator, seen by the CBO, asked about by other
services."""

from __future__ import annotations

from chassis.context import Caller, public, requires
from chassis.contracts import tenancy_rpc
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.errors import NotFound
from services.tenancy.common import staff_tenant
from services.tenancy.licences import domain
from services.tenancy.licences.schemas import (
    LicenceGrantSchema,
    LicencePageSchema,
    LicenceQuerySchema,
    LicenceRevokeSchema,
    LicenceSchema,
)

LICENCES = "platform.licences.manage"


class LicencesEntrypoints:
    db: UnitOfWork
    caller: Caller

    @rpc
    @requires(LICENCES)
    def grant_licence(self, tenant_id: str, body: dict) -> dict:
        data = LicenceGrantSchema().load(body)
        licence = domain.grant(self.db, caller=self.caller, tenant_id=tenant_id, data=data)
        return LicenceSchema().dump(licence)

    @rpc
    @requires(LICENCES)
    def revoke_licence(self, tenant_id: str, licence_id: str, body: dict) -> dict:
        data = LicenceRevokeSchema().load(body)
        licence = domain.revoke(
            self.db, caller=self.caller, tenant_id=tenant_id, licence_id=licence_id, **data
        )
        return LicenceSchema().dump(licence)

    @rpc
    @requires(LICENCES)
    def list_tenant_licences(self, tenant_id: str, query: dict | None = None) -> dict:
        options = LicenceQuerySchema().load(query or {})
        licences = domain.list_licences(self.db, tenant_id=tenant_id, **options)
        return LicencePageSchema().dump(licences)

    @rpc
    @public
    def own_licences(self, query: dict | None = None) -> dict:
        """Any of the CBO's staff may see which features their CBO is licensed for."""
        tenant_id = staff_tenant(self.caller)
        options = LicenceQuerySchema().load(query or {})
        licences = domain.list_licences(self.db, tenant_id=tenant_id, **options)
        return LicencePageSchema().dump(licences)

    @rpc
    @public
    def is_licensed(self, tenant_id: str, feature: str, on_date: str | None = None) -> bool:
        """For other services: is `feature` licensed to the CBO on `on_date` (default today)?
        A caller bound to a CBO may only ask about its own."""
        request = tenancy_rpc.IsLicensedRequest().load(
            {"tenant_id": tenant_id, "feature": feature, "on_date": on_date}
        )
        scope = self.caller.service_scope()
        if scope is not None and scope != request["tenant_id"]:
            raise NotFound("There is no such CBO.")
        return domain.is_licensed(self.db, **request)
