"""Routes of the rebooking-preferences area."""

from __future__ import annotations

from chassis.routes import Route
from services.rebooking.preferences import schemas
from services.rebooking.preferences.entrypoints import PreferencesEntrypoints as Preferences

_TAG = "Rebooking"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/clients/<client_id>/rebooking-preferences",
        Preferences.get_rebooking_preferences,
        "A client's rebooking preferences (the defaults until set)",
        _TAG,
        response=schemas.PreferencesSchema,
    ),
    Route(
        "PATCH",
        "/api/v1/clients/<client_id>/rebooking-preferences",
        Preferences.update_rebooking_preferences,
        "Change some of a client's rebooking preferences",
        _TAG,
        body=schemas.PreferencesUpdateSchema,
        response=schemas.PreferencesSchema,
    ),
)
