"""Tenancy's events about licences and CBOs' time zones, kept in rebooking's read model."""

from __future__ import annotations

from datetime import date

from chassis.context import Caller
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler
from services.rebooking.licences import domain


def _day(value: str | date | None) -> date | None:
    """A date of an event's data (loaded by its schema; ISO text if not)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


class LicencesEntrypoints:
    db: UnitOfWork
    caller: Caller

    def _learn_licence(self, event: Event) -> None:
        if event.tenant_id is None:
            return  # a licence always belongs to a CBO
        starts_on = _day(event.data["starts_on"])
        assert starts_on is not None  # required by the contract
        domain.learn_licence(
            self.db,
            tenant_id=event.tenant_id,
            licence_id=event.data["licence_id"],
            feature=event.data["feature"],
            starts_on=starts_on,
            ends_on=_day(event.data.get("ends_on")),
            event_at=event.occurred_at,
        )

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
