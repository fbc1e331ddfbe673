"""Routes of the records area: the operator's rebuild of the read model."""

from __future__ import annotations

from chassis.routes import Route
from services.reporting.records import schemas
from services.reporting.records.entrypoints import RecordsEntrypoints as Records

REBUILD_SECONDS = 300.0

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/admin/reporting/rebuild",
        Records.rebuild_report_model,
        "Rebuild reporting's read model from its replay log (the operator)",
        "Reports",
        response=schemas.ReportModelRebuildSchema,
        description="Empties the rollups and applies every event received again, in order.",
        # The whole replay log in one transaction (events arriving meanwhile wait for it): it
        # takes as long as the log is long, more than a request usually gets.
        timeout=REBUILD_SECONDS,
    ),
)
