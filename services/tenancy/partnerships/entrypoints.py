"""Partnerships for the CBO's staff, and the current partners for other services."""

from __future__ import annotations

from chassis.context import Caller, public, requires
from chassis.contracts import tenancy_rpc
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.errors import NotFound
from services.tenancy.common import staff_tenant
from services.tenancy.partnerships import domain
from services.tenancy.partnerships.schemas import (
    PartnershipPageSchema,
    PartnershipProposalSchema,
    PartnershipQuerySchema,
    PartnershipSchema,
)

PARTNERSHIPS = "tenant.partnerships.manage"


class PartnershipsEntrypoints:
    db: UnitOfWork
    caller: Caller

    @rpc
    @requires(PARTNERSHIPS)
    def list_partnerships(self, query: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        options = PartnershipQuerySchema().load(query or {})
        found = domain.list_partnerships(self.db, tenant_id=tenant_id, **options)
        return PartnershipPageSchema().dump(found)

    @rpc
    @requires(PARTNERSHIPS)
    def get_partnership(self, partnership_id: str) -> dict:
        found = domain.get_partnership(
            self.db, tenant_id=staff_tenant(self.caller), partnership_id=partnership_id
        )
        return PartnershipSchema().dump(found)

    @rpc
    @requires(PARTNERSHIPS)
    def propose_partnership(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = PartnershipProposalSchema().load(body)
        proposal = domain.propose(self.db, caller=self.caller, tenant_id=tenant_id, data=data)
        return PartnershipSchema().dump(proposal)

    @rpc
    @requires(PARTNERSHIPS)
    def accept_partnership(self, partnership_id: str) -> dict:
        return self._answer(partnership_id, accept=True)

    @rpc
    @requires(PARTNERSHIPS)
    def decline_partnership(self, partnership_id: str) -> dict:
        return self._answer(partnership_id, accept=False)

    def _answer(self, partnership_id: str, *, accept: bool) -> dict:
        answered = domain.answer(
            self.db,
            caller=self.caller,
            tenant_id=staff_tenant(self.caller),
            partnership_id=partnership_id,
            accept=accept,
        )
        return PartnershipSchema().dump(answered)

    @rpc
    @requires(PARTNERSHIPS)
    def end_partnership(self, partnership_id: str) -> dict:
        ended = domain.end(
            self.db,
            caller=self.caller,
            tenant_id=staff_tenant(self.caller),
            partnership_id=partnership_id,
        )
        return PartnershipSchema().dump(ended)

    @rpc
    @public
    def partners(self, share: str | None = None) -> list[dict]:
        """For other services: the caller's CBO's current partners (sharing `share`)."""
        tenant_id = self.caller.service_scope()
        if tenant_id is None:
            raise NotFound("Partners belong to a CBO; call within one.")
        request = tenancy_rpc.PartnersRequest().load({"share": share})
        found = domain.partners(self.db, tenant_id=tenant_id, **request)
        return tenancy_rpc.PartnerSchema(many=True).dump(found)
