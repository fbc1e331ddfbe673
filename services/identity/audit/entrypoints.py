"""The audit trail's entrypoints: the handlers that keep every service's audit.recorded events,
and the CBO's staff reading their own trail."""

from __future__ import annotations

from chassis.context import Caller, requires
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, rpc
from services.identity.audit import domain
from services.identity.audit.schemas import AuditPageSchema, AuditQuerySchema


class AuditEntrypoints:
    """A mixin of IdentityService (which provides db and caller)."""

    db: UnitOfWork
    caller: Caller

    @rpc
    @requires("tenant.audit.read")
    def list_audit(self, query: dict) -> dict:
        filters = AuditQuerySchema().load(query)
        page = domain.search(self.db, tenant_id=self.caller.require_tenant(), **filters)
        return AuditPageSchema().dump(page)

    @event_handler("identity", "audit.recorded")
    def record_identity_audit(self, event: Event) -> None:
        """Keeps identity's own staff actions in the audit trail."""
        domain.record(self.db, event=event)

    @event_handler("tenancy", "audit.recorded")
    def record_tenancy_audit(self, event: Event) -> None:
        """Keeps tenancy's staff and operator actions in the audit trail."""
        domain.record(self.db, event=event)

    @event_handler("booking", "audit.recorded")
    def record_booking_audit(self, event: Event) -> None:
        """Keeps the market's staff and client actions (job types, sites, bookings, offers,
        attendance, reliability) in the audit trail."""
        domain.record(self.db, event=event)

    @event_handler("notifications", "audit.recorded")
    def record_notifications_audit(self, event: Event) -> None:
        """Keeps changes of a CBO's notification settings (channels, webhook subscriptions,
        replays; never their secrets) in the audit trail."""
        domain.record(self.db, event=event)
