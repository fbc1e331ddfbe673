"""What the platform is made of: each process and the class it runs."""

from __future__ import annotations

import importlib

from chassis.config import SERVICE_NAMES

SERVICE_CLASSES: dict[str, str] = {
    "identity": "services.identity.service:IdentityService",
    "tenancy": "services.tenancy.service:TenancyService",
    "booking": "services.booking.service:BookingService",
    "rebooking": "services.rebooking.service:RebookingService",
    "evv": "services.evv.service:EvvService",
    "billing": "services.billing.service:BillingService",
    "reporting": "services.reporting.service:ReportingService",
    "notifications": "services.notifications.service:NotificationsService",
}
GATEWAY_CLASS = "gateway.service:Gateway"

assert tuple(SERVICE_CLASSES) == SERVICE_NAMES


def load_class(path: str):
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)
