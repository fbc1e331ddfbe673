"""Routes of the lines area: finance staff set a worker's payroll id."""

from __future__ import annotations

from chassis.routes import Route
from services.billing.lines import schemas
from services.billing.lines.entrypoints import LinesEntrypoints as Lines

_TAG = "Payroll"

ROUTES: tuple[Route, ...] = (
    Route(
        "PUT",
        "/api/v1/payroll/workers/<worker_id>/payroll-id",
        Lines.set_payroll_id,
        "Set a worker's payroll id (the provider's employee number)",
        _TAG,
        body=schemas.PayrollIdSchema,
        response=schemas.WorkerPayrollSchema,
    ),
)
