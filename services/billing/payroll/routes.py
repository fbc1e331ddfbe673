"""Routes of the payroll area."""

from __future__ import annotations

from chassis.routes import Route
from services.billing.payroll import schemas
from services.billing.payroll.entrypoints import PayrollEntrypoints as Payroll

_TAG = "Payroll"

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/payroll/runs",
        Payroll.start_payroll_run,
        "Preview a pay week (a background job: follow the run's preview_job)",
        _TAG,
        body=schemas.RunRequestSchema,
        response=schemas.RunSchema,
        status=202,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/payroll/runs",
        Payroll.list_payroll_runs,
        "The CBO's payroll runs, newest first",
        _TAG,
        query=schemas.RunQuerySchema,
        response=schemas.RunPageSchema,
    ),
    Route(
        "GET",
        "/api/v1/payroll/runs/<run_id>",
        Payroll.get_payroll_run,
        "A payroll run: its totals, blockers, jobs' progress and files",
        _TAG,
        response=schemas.RunSchema,
    ),
    Route(
        "GET",
        "/api/v1/payroll/runs/<run_id>/lines",
        Payroll.list_payroll_lines,
        "A run's lines: each worker's week, and adjustments of earlier weeks",
        _TAG,
        query=schemas.LinesQuerySchema,
        response=schemas.LinePageSchema,
    ),
    Route(
        "POST",
        "/api/v1/payroll/runs/<run_id>/complete",
        Payroll.complete_payroll_run,
        "Lock the previewed week and pay it (a background job: follow complete_job)",
        _TAG,
        response=schemas.RunSchema,
        status=202,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/payroll/runs/<run_id>/exports/<layout>",
        Payroll.download_payroll_export,
        "A completed run's file: adp (paydata), paychex (SPI), gusto or plain CSV",
        _TAG,
        download=True,
    ),
    Route(
        "PUT",
        "/api/v1/payroll/bonuses",
        Payroll.set_payroll_bonus,
        "Award a worker a non-discretionary bonus for a week (0 takes it back)",
        _TAG,
        body=schemas.BonusSchema,
        response=schemas.BonusSchema,
        errors=(409,),
    ),
)
