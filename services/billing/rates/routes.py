"""Routes of the rates area."""

from __future__ import annotations

from chassis.routes import Route
from services.billing.rates import schemas
from services.billing.rates.entrypoints import RatesEntrypoints as Rates

_TAG = "Billing rates"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/clients/<client_id>/billing-rates",
        Rates.get_client_rates,
        "A client's markup and its own rates per job type",
        _TAG,
        response=schemas.ClientRatesViewSchema,
    ),
    Route(
        "PUT",
        "/api/v1/clients/<client_id>/billing-rates",
        Rates.set_client_rates,
        "Replace a client's markup and its own rates per job type",
        _TAG,
        body=schemas.ClientRatesSchema,
        response=schemas.ClientRatesViewSchema,
    ),
)
