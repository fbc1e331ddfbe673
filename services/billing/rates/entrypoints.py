"""A client's rates, for finance staff (payroll.run) of the client's CBO; any other client does
not exist for them (404)."""

from __future__ import annotations

from chassis.context import STAFF, Caller, requires
from chassis.contracts.tenancy_rpc import TenancyClient
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.errors import Forbidden
from chassis.rpc import ServiceCaller
from services.billing.rates import domain
from services.billing.rates.schemas import ClientRatesSchema, ClientRatesViewSchema


class RatesEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    def _client_tenant(self, client_id: str) -> str:
        tenant_id = self.caller.require_tenant()
        if self.caller.kind != STAFF:
            raise Forbidden("Only the CBO's staff can do this.")
        # Tenancy answers only about the caller's own CBO (NotFound for any other).
        TenancyClient(self.services).client_record(client_id=client_id)
        return tenant_id

    @rpc
    @requires("payroll.run")
    def get_client_rates(self, client_id: str) -> dict:
        tenant_id = self._client_tenant(client_id)
        found = domain.client_rates(self.db, tenant_id=tenant_id, client_id=client_id)
        return ClientRatesViewSchema().dump(found)

    @rpc
    @requires("payroll.run")
    def set_client_rates(self, client_id: str, body: dict) -> dict:
        data = ClientRatesSchema().load(body)
        tenant_id = self._client_tenant(client_id)
        changed = domain.set_client_rates(
            self.db, caller=self.caller, tenant_id=tenant_id, client_id=client_id, data=data
        )
        return ClientRatesViewSchema().dump(changed)
