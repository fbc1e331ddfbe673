"""Routes of the licences area: the operator's prices and monthly charges (the licence
invoices themselves are under /api/v1/invoices)."""

from __future__ import annotations

from chassis.routes import Route
from services.billing.licences import schemas
from services.billing.licences.entrypoints import LicencesEntrypoints as Licences

_TAG = "Licence charges"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/platform/licence-prices",
        Licences.list_licence_prices,
        "The monthly price of each feature licence",
        _TAG,
        response=schemas.LicencePriceListSchema,
    ),
    Route(
        "PUT",
        "/api/v1/platform/licence-prices/<feature>",
        Licences.set_licence_price,
        "Set a feature licence's monthly price (evv, rebooking)",
        _TAG,
        body=schemas.LicencePriceBodySchema,
        response=schemas.LicencePriceSchema,
    ),
    Route(
        "POST",
        "/api/v1/platform/licence-charges",
        Licences.charge_licences,
        "Draft each CBO's licence invoice for a month (part months prorated by day)",
        _TAG,
        body=schemas.ChargeMonthSchema,
        response=schemas.ChargeResultSchema,
    ),
)
