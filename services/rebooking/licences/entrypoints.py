"""Tenancy's events about licences and CBOs' time zones, kept in rebooking's read model."""

from __future__ import annotations

from chassis.context import Caller
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler
from chassis.licence_records import learn_licence_event
from services.rebooking.licences import domain
from services.rebooking.licences.models import LicenceRecord


class LicencesEntrypoints:
    db: UnitOfWork
    caller: Caller

    def _learn_licence(self, event: Event) -> None:
        learn_licence_event(self.db, model=LicenceRecord, event=event)

    @event_handler("tenancy", "licence.granted")
    def learn_licence_granted(self, event: Event) -> None:
        """Keeps the CBO's licence (rebooking's read model: cascades run only while it holds)."""
        self._learn_licence(event)

    @event_handler("tenancy", "licence.revoked")
    def learn_licence_revoked(self, event: Event) -> None:
        """Keeps the licence's new last day: no cascade starts or goes on after it."""
        self._learn_licence(event)

    @event_handler("tenancy", "tenant.approved")
    def learn_tenant_timezone(self, event: Event) -> None:
        """Keeps the CBO's time zone, in whose calendar its licence days fall."""
        if event.tenant_id is not None:
            domain.learn_timezone(
                self.db,
                tenant_id=event.tenant_id,
                timezone=event.data["timezone"],
                event_at=event.occurred_at,
            )

    @event_handler("tenancy", "branding.updated")
    def learn_branding_timezone(self, event: Event) -> None:
        """Keeps the CBO's time zone when it changes."""
        timezone = event.data.get("timezone")
        if event.tenant_id is not None and timezone:
            domain.learn_timezone(
                self.db, tenant_id=event.tenant_id, timezone=timezone, event_at=event.occurred_at
            )
