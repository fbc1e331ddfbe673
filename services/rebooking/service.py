"""The rebooking service: one class composed of its areas' entrypoint mixins.

Areas: preferences (each client's rebooking preferences), licences (the read model of
tenancy's licences and CBO time zones), deadlines (every offer's confirmation deadline as a
durable timer) and cascades (replacement offers until a worker confirms, or exhaustion)."""

from __future__ import annotations

from chassis.rpc import ServiceCaller, Services
from chassis.service import ServiceBase
from services.rebooking.cascades.entrypoints import CascadesEntrypoints
from services.rebooking.deadlines.entrypoints import DeadlinesEntrypoints
from services.rebooking.licences.entrypoints import LicencesEntrypoints
from services.rebooking.preferences.entrypoints import PreferencesEntrypoints


class RebookingService(
    PreferencesEntrypoints,
    LicencesEntrypoints,
    DeadlinesEntrypoints,
    CascadesEntrypoints,
    ServiceBase,
):
    name = "rebooking"

    # Booking (expire_offer, offer_next) and tenancy (client_record).
    services: ServiceCaller = Services()  # type: ignore[assignment]
