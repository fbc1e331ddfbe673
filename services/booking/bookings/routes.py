"""Routes of the bookings area: bookings, their shifts, and cancellations."""

from __future__ import annotations

from chassis.routes import Route
from services.booking.bookings import schemas
from services.booking.bookings.entrypoints import BookingsEntrypoints as Bookings

_TAG = "Bookings"

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/bookings",
        Bookings.create_booking,
        "Book one shift or a repeating series for a client (staff), or for one's own "
        "organisation (a client user)",
        _TAG,
        body=schemas.BookingInputSchema,
        response=schemas.BookingSchema,
        status=201,
        errors=(404, 409),
    ),
    Route(
        "GET",
        "/api/v1/bookings",
        Bookings.list_bookings,
        "List bookings (a client user: their own organisation's)",
        _TAG,
        query=schemas.BookingQuerySchema,
        response=schemas.BookingPageSchema,
    ),
    Route(
        "GET",
        "/api/v1/bookings/<booking_id>",
        Bookings.get_booking,
        "One booking with its shifts",
        _TAG,
        response=schemas.BookingSchema,
    ),
    Route(
        "POST",
        "/api/v1/bookings/<booking_id>/cancel",
        Bookings.cancel_booking,
        "Cancel every shift of a booking still to come, with a reason",
        _TAG,
        body=schemas.CancelSchema,
        response=schemas.BookingSchema,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/shifts",
        Bookings.list_shifts,
        "List shifts (a client user: their own organisation's)",
        _TAG,
        query=schemas.ShiftQuerySchema,
        response=schemas.ShiftPageSchema,
    ),
    Route(
        "GET",
        "/api/v1/shifts/<shift_id>",
        Bookings.get_shift,
        "One shift with its workers and offers",
        _TAG,
        response=schemas.ShiftDetailSchema,
    ),
    Route(
        "POST",
        "/api/v1/shifts/<shift_id>/cancel",
        Bookings.cancel_shift,
        "Cancel one shift, with a reason",
        _TAG,
        body=schemas.CancelSchema,
        response=schemas.ShiftDetailSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        "/api/v1/assignments/<assignment_id>/cancel",
        Bookings.cancel_assignment,
        "Cancel one worker's place on a shift (the worker, staff or the client), with a reason",
        _TAG,
        body=schemas.CancelSchema,
        response=schemas.AssignmentSchema,
        errors=(409,),
    ),
)
