"""Search for staff and client users (the offers area calls the domain directly)."""

from __future__ import annotations

from chassis.context import CLIENT, Caller, requires_any
from chassis.contracts.billing_rpc import BillingClient
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.rpc import ServiceCaller
from services.booking.common import ensure_client
from services.booking.search import domain
from services.booking.search.schemas import SearchRequestSchema, SearchResultSchema

COST_TIMEOUT_SECONDS = 1.5


class SearchEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    @rpc
    @requires_any("bookings.read", "self.book")
    def search_workers(self, body: dict) -> dict:
        request = SearchRequestSchema().load(body)
        ensure_client(self, request.get("client_id") or self.caller.client_id)
        found = domain.search(self.db, caller=self.caller, request=request)
        # One call to billing for the whole page, bounded: a slow billing costs the search
        # at most COST_TIMEOUT_SECONDS, and the answer comes without costs.
        billing = BillingClient(self.services, timeout=COST_TIMEOUT_SECONDS)
        domain.attach_costs(
            self.db, answer=found, is_client=self.caller.kind == CLIENT, price=billing.shift_costs
        )
        return SearchResultSchema().dump(found)
