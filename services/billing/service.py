"""The billing service: one class composed of its areas' entrypoint mixins.

Areas: invoices (client and licence invoices, their numbers, life cycle and documents; each
client's invoicing settings), licences (the read model of tenancy's licences, the operator's
prices, monthly licence charges)."""

from __future__ import annotations

from chassis.rpc import ServiceCaller, Services
from chassis.service import ServiceBase
from services.billing.invoices.entrypoints import InvoicesEntrypoints
from services.billing.licences.entrypoints import LicencesEntrypoints


class BillingService(InvoicesEntrypoints, LicencesEntrypoints, ServiceBase):
    name = "billing"

    # Tenancy (client_record: a client a caller names is one of their CBO's).
    services: ServiceCaller = Services()  # type: ignore[assignment]
