"""Routes of scheduled deliveries."""

from __future__ import annotations

from chassis.routes import Route
from services.reporting.schedules import schemas
from services.reporting.schedules.entrypoints import SchedulesEntrypoints as Schedules

_TAG = "Reports"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/report-schedules",
        Schedules.list_report_schedules,
        "The CBO's scheduled deliveries of reports",
        _TAG,
        query=schemas.ScheduleListQuerySchema,
        response=schemas.SchedulePageSchema,
    ),
    Route(
        "POST",
        "/api/v1/report-schedules",
        Schedules.create_report_schedule,
        "Schedule a delivery: a period's KPIs by email, with the file, at a local time",
        _TAG,
        body=schemas.ScheduleCreateSchema,
        response=schemas.ScheduleSchema,
        status=201,
        description=(
            "Weekly (on `weekday`) it sends last week's KPIs; monthly (on `day_of_month`) last "
            "month's; at `hour`:`minute` in the CBO's time zone. Each occurrence is sent once."
        ),
    ),
    Route(
        "GET",
        "/api/v1/report-schedules/<schedule_id>",
        Schedules.get_report_schedule,
        "A scheduled delivery",
        _TAG,
        response=schemas.ScheduleSchema,
    ),
    Route(
        "PATCH",
        "/api/v1/report-schedules/<schedule_id>",
        Schedules.update_report_schedule,
        "Change a scheduled delivery (its next occurrence is worked out again)",
        _TAG,
        body=schemas.ScheduleUpdateSchema,
        response=schemas.ScheduleSchema,
    ),
    Route(
        "DELETE",
        "/api/v1/report-schedules/<schedule_id>",
        Schedules.delete_report_schedule,
        "Delete a scheduled delivery",
        _TAG,
        status=204,
    ),
    Route(
        "GET",
        "/api/v1/report-schedules/<schedule_id>/deliveries",
        Schedules.list_report_deliveries,
        "What a schedule sent, newest first",
        _TAG,
        query=schemas.ScheduleListQuerySchema,
        response=schemas.DeliveryPageSchema,
    ),
)
