"""Routes of the timesheets area."""

from __future__ import annotations

from chassis.routes import Route
from services.evv.timesheets import schemas
from services.evv.timesheets.entrypoints import TimesheetsEntrypoints as Timesheets

_TAG = "Timesheets"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/timesheets",
        Timesheets.list_timesheets,
        "Weekly timesheets (staff: the CBO's; a worker: their own; a client user: their "
        "client's), scheduled and worked minutes side by side",
        _TAG,
        query=schemas.TimesheetQuerySchema,
        response=schemas.TimesheetPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/timesheet-lines/<visit_id>/answer",
        Timesheets.answer_timesheet_line,
        "The worker or the client approves or disputes a timesheet line",
        _TAG,
        body=schemas.AnswerSchema,
        response=schemas.LineSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        "/api/v1/timesheet-lines/<visit_id>/resolve",
        Timesheets.resolve_timesheet_line,
        "Staff resolve a disputed timesheet line (approved, with why)",
        _TAG,
        body=schemas.ResolveLineSchema,
        response=schemas.LineSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        "/api/v1/timesheet-lines/<visit_id>/amend",
        Timesheets.amend_timesheet_line,
        "Staff correct an approved line's minutes (approved again: billing pays the difference "
        "in its next run)",
        _TAG,
        body=schemas.AmendLineSchema,
        response=schemas.LineSchema,
        errors=(409,),
    ),
)
