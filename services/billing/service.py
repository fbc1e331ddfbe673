"""The billing service: one class composed of its areas' entrypoint mixins.

Areas: lines (billing's read model of approved timesheet lines, shifts, job types, visits and
late cancellations, built from events only; workers' payroll ids), rates (pay and bill rates per
client, and the rates that apply to a shift), settings (each CBO's payroll provider, Tuesday run
and pay rules), payroll (previews and runs of pay weeks, adjustments, provider files; the
Tuesday timer), costs (what a proposed shift costs each candidate, for booking's search),
invoices (client and licence invoices, their numbers, life cycle and documents; each client's
invoicing settings; invoice runs) and licences (the read model of tenancy's licences and CBO
names, the operator's prices, monthly licence charges).
payrules is the pure module of California's pay rules they all use."""

from __future__ import annotations

from chassis.jobs import JobRunner, JobStarter
from chassis.rpc import ServiceCaller, Services
from chassis.service import ServiceBase
from services.billing.costs.entrypoints import CostsEntrypoints
from services.billing.invoices.documents import PdfWarmUp
from services.billing.invoices.entrypoints import InvoicesEntrypoints
from services.billing.invoices.generation import GENERATE_JOB
from services.billing.licences.entrypoints import LicencesEntrypoints
from services.billing.lines.entrypoints import LinesEntrypoints
from services.billing.payroll.domain import COMPLETE, PREVIEW
from services.billing.payroll.entrypoints import PayrollEntrypoints
from services.billing.rates.entrypoints import RatesEntrypoints
from services.billing.settings.entrypoints import SettingsEntrypoints


class BillingService(
    LinesEntrypoints,
    RatesEntrypoints,
    SettingsEntrypoints,
    PayrollEntrypoints,
    CostsEntrypoints,
    InvoicesEntrypoints,
    LicencesEntrypoints,
    ServiceBase,
):
    name = "billing"

    # Asked whether a client a caller names is one of their CBO's (tenancy.client_record).
    services: ServiceCaller = Services()  # type: ignore[assignment]
    payroll_jobs: JobStarter = JobRunner(PREVIEW, COMPLETE)  # type: ignore[assignment]
    # Invoice runs: a period's drafts, a few clients per step (invoices/generation.py).
    invoice_runs: JobStarter = JobRunner(GENERATE_JOB)  # type: ignore[assignment]
    # Loads the PDF renderer and its fonts at start, not at the first invoice PDF.
    pdf_warm_up = PdfWarmUp()
