"""Market watch for staff, and rebooking's cascade events it learns from."""

from __future__ import annotations

from datetime import UTC, datetime

from chassis.context import Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import EVENT_BATCH, EventBatch, event_handler, rpc
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

    # A cascade's events come in bursts (deadlines pass together): taken in batches.

    def _learn(self, events: EventBatch) -> None:
        # Each event locks its cascade's row: in the ids' order, so that two batches (of two
        # event types) never wait on each other in a circle.
        for event in sorted(events, key=lambda e: e.data["cascade_id"]):
            assert event.tenant_id is not None
            domain.learn_cascade(
                self.db,
                tenant_id=event.tenant_id,
                event_type=event.event_type,
                data=event.data,
                occurred_at=event.occurred_at,
            )

    @event_handler("rebooking", "cascade.started", batch=EVENT_BATCH)
    def learn_cascade_started(self, events: EventBatch) -> None:
        self._learn(events)

    @event_handler("rebooking", "cascade.advanced", batch=EVENT_BATCH)
    def learn_cascade_advanced(self, events: EventBatch) -> None:
        self._learn(events)

    @event_handler("rebooking", "cascade.completed", batch=EVENT_BATCH)
    def learn_cascade_completed(self, events: EventBatch) -> None:
        self._learn(events)

    @event_handler("rebooking", "rebooking.exhausted", batch=EVENT_BATCH)
    def learn_rebooking_exhausted(self, events: EventBatch) -> None:
        self._learn(events)
