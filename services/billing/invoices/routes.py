"""Routes of the invoices area."""

from __future__ import annotations

from chassis.routes import Route
from services.billing.invoices import schemas
from services.billing.invoices.entrypoints import InvoicesEntrypoints as Invoices

_TAG = "Invoices"
_PATH = "/api/v1/invoices/<invoice_id>"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/invoices",
        Invoices.list_invoices,
        "Invoices (finance staff: the CBO's client invoices and its licence invoices; a client "
        "user: their client's issued invoices; the operator: licence invoices)",
        _TAG,
        query=schemas.InvoiceQuerySchema,
        response=schemas.InvoicePageSchema,
    ),
    Route(
        "GET",
        _PATH,
        Invoices.get_invoice,
        "An invoice with its lines",
        _TAG,
        response=schemas.InvoiceSchema,
    ),
    Route(
        "POST",
        f"{_PATH}/issue",
        Invoices.issue_invoice,
        "Issue a draft: it takes the next number of its series (no gaps)",
        _TAG,
        response=schemas.InvoiceSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        f"{_PATH}/pay",
        Invoices.pay_invoice,
        "Mark an issued invoice paid",
        _TAG,
        body=schemas.PaySchema,
        response=schemas.InvoiceSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        f"{_PATH}/void",
        Invoices.void_invoice,
        "Void an issued or paid invoice (it keeps its number); its lines go on a new draft "
        "unless replace is false",
        _TAG,
        body=schemas.VoidSchema,
        response=schemas.VoidResultSchema,
        errors=(409,),
    ),
    Route("GET", f"{_PATH}/pdf", Invoices.invoice_pdf, "The invoice as a PDF", _TAG, download=True),
    Route(
        "GET",
        f"{_PATH}/csv",
        Invoices.invoice_csv,
        "The invoice's lines as CSV",
        _TAG,
        download=True,
    ),
    Route(
        "GET",
        f"{_PATH}/quickbooks",
        Invoices.invoice_quickbooks,
        "The invoice as a QuickBooks invoice import CSV",
        _TAG,
        download=True,
    ),
    Route(
        "GET",
        "/api/v1/invoice-exports/quickbooks",
        Invoices.quickbooks_export,
        "The period's issued and paid invoices (one client's, or all) as one QuickBooks invoice "
        "import CSV",
        _TAG,
        query=schemas.ExportQuerySchema,
        download=True,
    ),
    Route(
        "POST",
        "/api/v1/invoice-runs",
        Invoices.start_invoice_run,
        "Draft the period's invoices, a draft per client (a background job with progress): "
        "week for clients invoiced per pay week, month for those invoiced monthly",
        _TAG,
        body=schemas.InvoiceRunSchema,
        response=schemas.InvoiceRunViewSchema,
        status=202,
    ),
    Route(
        "GET",
        "/api/v1/invoice-runs/<run_id>",
        Invoices.get_invoice_run,
        "An invoice run's progress",
        _TAG,
        response=schemas.InvoiceRunViewSchema,
    ),
    Route(
        "POST",
        "/api/v1/invoice-runs/<run_id>/resume",
        Invoices.resume_invoice_run,
        "Resume an interrupted invoice run from its last step",
        _TAG,
        response=schemas.InvoiceRunViewSchema,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/clients/<client_id>/invoicing",
        Invoices.get_client_invoicing,
        "A client's invoicing settings: per pay week or per month, EVV elements, premiums, terms",
        _TAG,
        response=schemas.ClientInvoicingSchema,
    ),
    Route(
        "PUT",
        "/api/v1/clients/<client_id>/invoicing",
        Invoices.set_client_invoicing,
        "Set a client's invoicing settings",
        _TAG,
        body=schemas.ClientInvoicingSchema,
        response=schemas.ClientInvoicingSchema,
    ),
)
