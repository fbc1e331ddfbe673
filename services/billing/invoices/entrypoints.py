"""Invoices for the CBO's finance staff (`payroll.run`: issue, pay, void, documents), a
client's users (their own client's issued invoices) and the operator (licence invoices)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from chassis.context import STAFF, Caller, requires, requires_any
from chassis.contracts.tenancy_rpc import TenancyClient
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.errors import Forbidden, NotFound
from chassis.jobs import JobStarter
from chassis.rpc import ServiceCaller
from services.billing.invoices import documents, domain, generation
from services.billing.invoices.schemas import (
    ClientInvoicingSchema,
    ExportQuerySchema,
    InvoicePageSchema,
    InvoiceQuerySchema,
    InvoiceRunSchema,
    InvoiceRunViewSchema,
    InvoiceSchema,
    PaySchema,
    VoidResultSchema,
    VoidSchema,
)

# Who may read invoices: finance staff, a client's users (their own), the operator (licences).
READERS = ("payroll.run", "self.book", "platform.licences.manage")
# Who may change them: finance staff (client invoices), the operator (licence invoices).
WRITERS = ("payroll.run", "platform.licences.manage")


def _now() -> datetime:
    return datetime.now(UTC)


def _id(value: str) -> str:
    """An id from the path: anything that cannot be one is simply not found."""
    if not 1 <= len(value) <= 36:
        raise NotFound("There is no such invoice.")
    return value


def _finance_tenant(caller: Caller) -> str:
    tenant_id = caller.require_tenant()
    if caller.kind != STAFF:
        raise Forbidden("Only the CBO's staff can do this.")
    return tenant_id


class InvoicesEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller
    invoice_runs: JobStarter

    def _view(self, invoice) -> dict:
        return InvoiceSchema().dump(domain.invoice_view(self.db, invoice=invoice))

    @rpc
    @requires_any(*READERS)
    def list_invoices(self, query: dict | None = None) -> dict:
        options = InvoiceQuerySchema().load(query or {})
        return InvoicePageSchema().dump(
            domain.list_invoices(self.db, caller=self.caller, **options)
        )

    @rpc
    @requires_any(*READERS)
    def get_invoice(self, invoice_id: str) -> dict:
        invoice = domain.find_invoice(self.db, caller=self.caller, invoice_id=_id(invoice_id))
        return self._view(invoice)

    @rpc
    @requires_any(*WRITERS)
    def issue_invoice(self, invoice_id: str) -> dict:
        invoice = domain.issue_invoice(
            self.db, caller=self.caller, invoice_id=_id(invoice_id), now=_now()
        )
        return self._view(invoice)

    @rpc
    @requires_any(*WRITERS)
    def pay_invoice(self, invoice_id: str, body: dict) -> dict:
        # Somebody else's invoice is not found before the body is judged.
        domain.find_invoice(self.db, caller=self.caller, invoice_id=_id(invoice_id))
        data = PaySchema().load(body)
        invoice = domain.pay_invoice(
            self.db,
            caller=self.caller,
            invoice_id=invoice_id,
            now=_now(),
            paid_at=data["paid_at"],
            reference=data["reference"],
        )
        return self._view(invoice)

    @rpc
    @requires_any(*WRITERS)
    def void_invoice(self, invoice_id: str, body: dict) -> dict:
        domain.find_invoice(self.db, caller=self.caller, invoice_id=_id(invoice_id))
        data = VoidSchema().load(body)
        voided, replacement = domain.void_invoice(
            self.db,
            caller=self.caller,
            invoice_id=invoice_id,
            reason=data["reason"],
            replace=data["replace"],
            now=_now(),
        )
        return VoidResultSchema().dump(
            {
                "voided": domain.invoice_view(self.db, invoice=voided),
                "replacement": domain.invoice_view(self.db, invoice=replacement)
                if replacement
                else None,
            }
        )

    def _document(self, invoice_id: str, extension: str) -> dict:
        invoice = domain.find_invoice(self.db, caller=self.caller, invoice_id=_id(invoice_id))
        view = domain.invoice_view(self.db, invoice=invoice)
        if extension == "pdf":
            data, content_type = documents.invoice_pdf(view), documents.PDF_TYPE
        elif extension == "csv":
            data, content_type = documents.invoice_csv(view), documents.CSV_TYPE
        else:
            data, content_type = documents.quickbooks_csv([view]), documents.CSV_TYPE
            extension = "quickbooks.csv"
        return {
            "filename": documents.filename(view, extension),
            "content_type": content_type,
            "data": base64.b64encode(data).decode("ascii"),
        }

    @rpc
    @requires_any(*READERS)
    def invoice_pdf(self, invoice_id: str) -> dict:
        return self._document(invoice_id, "pdf")

    @rpc
    @requires_any(*READERS)
    def invoice_csv(self, invoice_id: str) -> dict:
        return self._document(invoice_id, "csv")

    @rpc
    @requires_any(*READERS)
    def invoice_quickbooks(self, invoice_id: str) -> dict:
        return self._document(invoice_id, "quickbooks")

    @rpc
    @requires("payroll.run")
    def quickbooks_export(self, query: dict | None = None) -> dict:
        _finance_tenant(self.caller)
        options = ExportQuerySchema().load(query or {})
        found = domain.issued_for_export(self.db, caller=self.caller, **options)
        data = documents.quickbooks_csv(found)
        return {
            "filename": f"invoices-{options['period_start']}.quickbooks.csv",
            "content_type": documents.CSV_TYPE,
            "data": base64.b64encode(data).decode("ascii"),
        }

    @rpc
    @requires("payroll.run")
    def start_invoice_run(self, body: dict) -> dict:
        tenant_id = _finance_tenant(self.caller)
        data = InvoiceRunSchema().load(body)
        run_id = generation.start_run(
            self.db, caller_id=self.caller.user_id, tenant_id=tenant_id, **data
        )
        self.invoice_runs.start(run_id)
        view = generation.run_view(self.db, tenant_id=tenant_id, run_id=run_id)
        return InvoiceRunViewSchema().dump(view)

    @rpc
    @requires("payroll.run")
    def get_invoice_run(self, run_id: str) -> dict:
        tenant_id = _finance_tenant(self.caller)
        if not 1 <= len(run_id) <= 36:
            raise NotFound("There is no such job.")
        view = generation.run_view(self.db, tenant_id=tenant_id, run_id=run_id)
        return InvoiceRunViewSchema().dump(view)

    @rpc
    @requires("payroll.run")
    def resume_invoice_run(self, run_id: str) -> dict:
        tenant_id = _finance_tenant(self.caller)
        if not 1 <= len(run_id) <= 36:
            raise NotFound("There is no such job.")
        generation.resume_run(self.db, tenant_id=tenant_id, run_id=run_id)
        self.invoice_runs.start(run_id)
        view = generation.run_view(self.db, tenant_id=tenant_id, run_id=run_id)
        return InvoiceRunViewSchema().dump(view)

    @rpc
    @requires("payroll.run")
    def get_client_invoicing(self, client_id: str) -> dict:
        tenant_id = _finance_tenant(self.caller)
        self._check_client(client_id)
        found = domain.client_settings(self.db, tenant_id=tenant_id, client_id=client_id)
        return ClientInvoicingSchema().dump(found)

    @rpc
    @requires("payroll.run")
    def set_client_invoicing(self, client_id: str, body: dict) -> dict:
        tenant_id = _finance_tenant(self.caller)
        self._check_client(client_id)
        data = ClientInvoicingSchema().load(body)
        found = domain.set_client_settings(
            self.db, caller=self.caller, tenant_id=tenant_id, client_id=client_id, settings=data
        )
        return ClientInvoicingSchema().dump(found)

    def _check_client(self, client_id: str) -> None:
        if not 1 <= len(client_id) <= 36:
            raise NotFound("There is no such client.")
        # Tenancy answers only for a client of the caller's own CBO (NotFound otherwise).
        TenancyClient(self.services).client_record(client_id=client_id)
