"""A client's rebooking preferences: the CBO's staff for any client of their CBO, a client
user for their own organisation only (any other client does not exist for them: 404)."""

from __future__ import annotations

from chassis.context import CLIENT, STAFF, Caller, requires_any
from chassis.contracts.tenancy_rpc import TenancyClient
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.errors import Forbidden, NotFound
from chassis.rpc import ServiceCaller
from services.rebooking.preferences import domain
from services.rebooking.preferences.schemas import PreferencesSchema, PreferencesUpdateSchema

READ = ("bookings.read", "self.book")
CHANGE = ("bookings.manage", "self.book")


class PreferencesEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    def _client_tenant(self, client_id: str) -> str:
        """The caller's CBO, once `client_id` is a client they may act for (404 otherwise):
        a client user's own; for staff, one tenancy knows in their CBO."""
        tenant_id = self.caller.require_tenant()
        if self.caller.kind == CLIENT:
            if self.caller.client_id != client_id:
                raise NotFound("There is no such client.")
        elif self.caller.kind == STAFF:
            # Tenancy answers only about the caller's own CBO (NotFound for any other).
            TenancyClient(self.services).client_record(client_id=client_id)
        else:
            raise Forbidden("Only the CBO's staff and the client's users can do this.")
        return tenant_id

    @rpc
    @requires_any(*READ)
    def get_rebooking_preferences(self, client_id: str) -> dict:
        tenant_id = self._client_tenant(client_id)
        found = domain.preferences_for(self.db, tenant_id=tenant_id, client_id=client_id)
        return PreferencesSchema().dump(found)

    @rpc
    @requires_any(*CHANGE)
    def update_rebooking_preferences(self, client_id: str, body: dict) -> dict:
        data = PreferencesUpdateSchema().load(body)
        if self.caller.kind == STAFF and not self.caller.can("bookings.manage"):
            raise Forbidden("You do not have the 'bookings.manage' permission.")
        tenant_id = self._client_tenant(client_id)
        changed = domain.update_preferences(
            self.db, caller=self.caller, tenant_id=tenant_id, client_id=client_id, data=data
        )
        return PreferencesSchema().dump(changed)
