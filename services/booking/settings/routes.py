"""Routes of the booking-settings area."""

from __future__ import annotations

from chassis.routes import Route
from services.booking.settings import schemas
from services.booking.settings.entrypoints import SettingsEntrypoints as Settings

_TAG = "Booking settings"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/booking-settings",
        Settings.get_booking_settings,
        "The CBO's booking settings (the defaults until changed)",
        _TAG,
        response=schemas.BookingSettingsSchema,
    ),
    Route(
        "PATCH",
        "/api/v1/booking-settings",
        Settings.update_booking_settings,
        "Change some of the CBO's booking settings",
        _TAG,
        body=schemas.BookingSettingsUpdateSchema,
        response=schemas.BookingSettingsSchema,
    ),
)
