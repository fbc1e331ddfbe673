"""Routes of the records area: the operator's rebuild of the read model."""

from __future__ import annotations

from chassis.routes import Route
from services.reporting.records import schemas
from services.reporting.records.entrypoints import RecordsEntrypoints as Records

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/admin/reporting/rebuild",
        Records.rebuild_report_model,
        "Rebuild reporting's read model from its replay log (the operator)",
        "Reports",
        response=schemas.ReportModelRebuildSchema,
        description="Empties the rollups and applies every event received again, in order.",
    ),
)
