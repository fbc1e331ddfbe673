"""Routes of the attendance area: outcomes of a worker's shift, ratings, client preferences."""

from __future__ import annotations

from chassis.routes import Route
from services.booking.attendance import schemas
from services.booking.attendance.entrypoints import AttendanceEntrypoints as Attendance

_TAG = "Attendance and ratings"
_PREFERENCES = "/api/v1/clients/<client_id>/preferences"

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/assignments/<assignment_id>/attendance",
        Attendance.mark_attendance,
        "Mark a worker's shift completed (with minutes late) or a no-show, or correct it",
        _TAG,
        body=schemas.AttendanceInputSchema,
        response=schemas.AttendanceSchema,
        errors=(409,),
        description="Once the shift has started. Marking the same outcome twice is a 409; "
        "marking the other outcome corrects the first and needs a `reason`.",
    ),
    Route(
        "GET",
        "/api/v1/assignments/<assignment_id>/attendance",
        Attendance.get_attendance,
        "A worker's outcome of a shift",
        _TAG,
        response=schemas.AttendanceSchema,
    ),
    Route(
        "POST",
        "/api/v1/assignments/<assignment_id>/rating",
        Attendance.rate_worker,
        "Rate the worker of a completed shift: favourite, OK to book again, or blocked",
        _TAG,
        body=schemas.WorkerRatingSchema,
        response=schemas.ClientPreferenceSchema,
        errors=(409,),
    ),
    Route(
        "GET",
        _PREFERENCES,
        Attendance.list_client_preferences,
        "List a client's preferences: favourites, OK to book again, blocked",
        _TAG,
        query=schemas.ClientPreferenceQuerySchema,
        response=schemas.ClientPreferencePageSchema,
    ),
    Route(
        "PUT",
        f"{_PREFERENCES}/<jobseeker_id>",
        Attendance.set_client_preference,
        "Set a client's preference for a worker who worked for it",
        _TAG,
        body=schemas.WorkerRatingSchema,
        response=schemas.ClientPreferenceSchema,
        errors=(409,),
        description="Favourite and OK need a shift the worker completed for the client; a "
        "block, one they completed or missed. Staff may block any worker of their CBO, with a "
        "note saying why.",
    ),
    Route(
        "DELETE",
        f"{_PREFERENCES}/<jobseeker_id>",
        Attendance.remove_client_preference,
        "Remove a client's preference for a worker",
        _TAG,
        status=204,
    ),
)
