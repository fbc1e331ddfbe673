"""The evv service: one class composed of its areas' entrypoint mixins.

Areas: records (the read model of booking's and tenancy's events), visits (punches,
exceptions, corrections, settings, the sweep), ledger (the signed chain and its
verification), timesheets, exports.
"""

from __future__ import annotations

from chassis.rpc import ServiceCaller, Services
from chassis.service import ServiceBase
from services.evv.exports.entrypoints import ExportsEntrypoints
from services.evv.ledger.entrypoints import LedgerEntrypoints
from services.evv.records.entrypoints import RecordsEntrypoints
from services.evv.timesheets.entrypoints import TimesheetsEntrypoints
from services.evv.visits.entrypoints import VisitsEntrypoints


class EvvService(
    RecordsEntrypoints,
    VisitsEntrypoints,
    LedgerEntrypoints,
    TimesheetsEntrypoints,
    ExportsEntrypoints,
    ServiceBase,
):
    name = "evv"

    # Asked whether a client a caller names is one of their CBO's (tenancy.client_record).
    services: ServiceCaller = Services()  # type: ignore[assignment]
