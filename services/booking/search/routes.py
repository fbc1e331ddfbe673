"""Routes of the search area."""

from __future__ import annotations

from chassis.routes import Route
from services.booking.search import schemas
from services.booking.search.entrypoints import SearchEntrypoints as Search

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/worker-search",
        Search.search_workers,
        "Search the workers who may work a shift, ranked (staff also see who is left out, why)",
        "Search",
        body=schemas.SearchRequestSchema,
        response=schemas.SearchResultSchema,
        errors=(404, 422),
        description=(
            "For a job type, a client and its site, and a window (starts_at/ends_at, or a "
            "local date with start and end times) or a repeating one (recurrence: an RFC 5545 "
            "RRULE; a worker must be eligible for every occurrence). Eligible workers come "
            "ranked: the client's favourites first, then reliability, distance from home to "
            "the site, and fewer hours already booked that week. Staff (bookings.read) may "
            "search for any client of their CBO and also get `excluded`; a client user "
            "(self.book) only for their own client, whose other clients and their exclusive "
            "job types do not exist (404)."
        ),
    ),
)
