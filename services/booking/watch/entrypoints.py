"""Market watch for staff, and rebooking's cascade events it learns from."""

from __future__ import annotations

from datetime import UTC, datetime

from chassis.context import Caller, requires
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, rpc
from services.booking.common import staff_tenant
from services.booking.watch import domain
from services.booking.watch.schemas import MarketWatchQuerySchema, MarketWatchSchema


class WatchEntrypoints:
    db: UnitOfWork
    caller: Caller

    @rpc
    @requires("bookings.read")
    def market_watch(self, query: dict) -> dict:
        options = MarketWatchQuerySchema().load(query)
        found = domain.market_watch(
            self.db, tenant_id=staff_tenant(self.caller), now=datetime.now(UTC), **options
        )
        return MarketWatchSchema().dump(found)

    def _learn(self, event: Event) -> None:
        assert event.tenant_id is not None
        domain.learn_cascade(
            self.db,
            tenant_id=event.tenant_id,
            event_type=event.event_type,
            data=event.data,
            occurred_at=event.occurred_at,
        )

    @event_handler("rebooking", "cascade.started")
    def learn_cascade_started(self, event: Event) -> None:
        self._learn(event)

    @event_handler("rebooking", "cascade.advanced")
    def learn_cascade_advanced(self, event: Event) -> None:
        self._learn(event)

    @event_handler("rebooking", "cascade.completed")
    def learn_cascade_completed(self, event: Event) -> None:
        self._learn(event)

    @event_handler("rebooking", "rebooking.exhausted")
    def learn_rebooking_exhausted(self, event: Event) -> None:
        self._learn(event)
