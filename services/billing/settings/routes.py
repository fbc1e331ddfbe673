"""Routes of the billing settings area."""

from __future__ import annotations

from chassis.routes import Route
from services.billing.settings import schemas
from services.billing.settings.entrypoints import SettingsEntrypoints as Settings

_TAG = "Payroll"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/payroll/settings",
        Settings.get_billing_settings,
        "The CBO's payroll provider, Tuesday run and pay rules (California's by default)",
        _TAG,
        response=schemas.SettingsSchema,
    ),
    Route(
        "PATCH",
        "/api/v1/payroll/settings",
        Settings.update_billing_settings,
        "Change some of the CBO's payroll settings and pay rules",
        _TAG,
        body=schemas.SettingsUpdateSchema,
        response=schemas.SettingsSchema,
    ),
)
