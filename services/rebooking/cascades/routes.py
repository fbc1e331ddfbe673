"""Routes of the cascades area."""

from __future__ import annotations

from chassis.routes import Route
from services.rebooking.cascades import schemas
from services.rebooking.cascades.entrypoints import CascadesEntrypoints as Cascades

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/rebooking/cascades",
        Cascades.list_cascades,
        "Replacement cascades, newest first, with the offers each made",
        "Rebooking",
        query=schemas.CascadeQuerySchema,
        response=schemas.CascadePageSchema,
    ),
)
