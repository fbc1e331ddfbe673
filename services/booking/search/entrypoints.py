"""Search for staff and client users (the offers area calls the domain directly)."""

from __future__ import annotations

from chassis.context import Caller, requires_any
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.rpc import ServiceCaller
from services.booking.common import ensure_client
from services.booking.search import domain
from services.booking.search.schemas import SearchRequestSchema, SearchResultSchema


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
        return SearchResultSchema().dump(found)
