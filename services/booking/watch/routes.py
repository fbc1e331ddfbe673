"""Route of market watch."""

from __future__ import annotations

from chassis.routes import Route
from services.booking.watch import schemas
from services.booking.watch.entrypoints import WatchEntrypoints as Watch

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/market-watch",
        Watch.market_watch,
        "What the CBO's staff should look at now, each item with the action that resolves it",
        "Market watch",
        query=schemas.MarketWatchQuerySchema,
        response=schemas.MarketWatchSchema,
        description=(
            "One answer: offers whose deadline is near, shifts starting within `horizon_hours` "
            "that miss workers, offers that expired on shifts still to fill (nobody else is "
            "offered them without the rebooking licence), no-shows of today in the CBO's time "
            "zone, rebooking cascades running or exhausted, and workers whose reliability is "
            "falling. Each section gives its first `limit` items, soonest first, and its total."
        ),
    ),
)
