"""Routes of the exports area."""

from __future__ import annotations

from chassis.routes import Route
from services.evv.exports import schemas
from services.evv.exports.entrypoints import ExportsEntrypoints as Exports

_TAG = "EVV exports"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/evv/exports/sandata",
        Exports.export_sandata,
        "Verified visits as Sandata-style visits with calls and changes (CSV: one row a call)",
        _TAG,
        query=schemas.ExportQuerySchema,
        download=True,
    ),
    Route(
        "GET",
        "/api/v1/evv/exports/hhaexchange",
        Exports.export_hhaexchange,
        "Verified visits as HHAeXchange-style visits",
        _TAG,
        query=schemas.ExportQuerySchema,
        download=True,
    ),
)
