"""The cost of a shift before it is booked, for booking's search (one call per page of
candidates)."""

from __future__ import annotations

from chassis.context import CLIENT, STAFF, Caller, requires_any
from chassis.contracts.billing_rpc import ShiftCostSchema, ShiftCostsRequest
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.errors import Forbidden
from services.billing.costs import domain


class CostsEntrypoints:
    db: UnitOfWork
    caller: Caller

    @rpc
    @requires_any("bookings.read", "self.book")
    def shift_costs(self, proposed: dict, workers: list) -> list:
        """See chassis.contracts.billing_rpc (SHIFT_COSTS)."""
        tenant_id = self.caller.require_tenant()
        if self.caller.kind not in (STAFF, CLIENT):
            raise Forbidden("Only the CBO's staff and its clients' users can do this.")
        request = ShiftCostsRequest().load({"proposed": proposed, "workers": workers})
        if self.caller.kind == CLIENT and request["proposed"]["client_id"] != self.caller.client_id:
            raise Forbidden("A client's user prices shifts for their own client only.")
        found = domain.shift_costs(
            self.db,
            tenant_id=tenant_id,
            proposed=request["proposed"],
            workers=request["workers"],
        )
        return ShiftCostSchema(many=True).dump(found)
