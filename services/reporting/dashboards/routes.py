"""Routes of the reports."""

from __future__ import annotations

from chassis.routes import Route
from services.reporting.dashboards import schemas
from services.reporting.dashboards.entrypoints import DashboardsEntrypoints as Dashboards

_TAG = "Reports"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/reports/kpis",
        Dashboards.report_kpis,
        "KPIs of a week or month beside the previous one and the same period a month before",
        _TAG,
        query=schemas.KpiQuerySchema,
        response=schemas.KpiReportSchema,
        description=(
            "Weeks run Monday to Sunday and months by the calendar, in the CBO's time zone. "
            "Shift figures count on the shift's day; gross earnings on the pay week's Monday. "
            "`series` gives each day of the period. Filter by job type, worker source or client."
        ),
        errors=(404,),
    ),
    Route(
        "GET",
        "/api/v1/reports/kpis/download",
        Dashboards.download_kpis,
        "The KPI report as a CSV or XLSX file (spreadsheet formulas neutralised)",
        _TAG,
        query=schemas.KpiDownloadQuerySchema,
        download=True,
        errors=(404,),
    ),
    Route(
        "GET",
        "/api/v1/reports/earnings",
        Dashboards.report_earnings,
        "The earnings profile: weekly earnings and hours across workers, bands and percentiles",
        _TAG,
        query=schemas.EarningsQuerySchema,
        response=schemas.EarningsProfileSchema,
        description="Each worker's pay week is one observation; by worker source and job type.",
        errors=(404,),
    ),
    Route(
        "GET",
        "/api/v1/reports/activity",
        Dashboards.report_activity,
        "What each staff user, job seeker and client user did in a period, most active first",
        _TAG,
        query=schemas.ActivityQuerySchema,
        response=schemas.ActivityPageSchema,
        errors=(404,),
    ),
    Route(
        "GET",
        "/api/v1/reports/skills",
        Dashboards.report_skills,
        "Skills of approved workers against hours booked for them, under-used ones first",
        _TAG,
        query=schemas.SkillsQuerySchema,
        response=schemas.SkillsReportSchema,
        description=(
            "Each under-used skill names the kinds of client that buy it and the CBO's clients "
            "of those kinds that book little of it."
        ),
        errors=(404,),
    ),
)
