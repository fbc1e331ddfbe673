"""Handlers of booking's and tenancy's events that keep EVV's read model (records/domain.py).
Each runs as EVV's system caller within the event's CBO; the chassis skips a redelivered
event, and each apply is idempotent besides."""

from __future__ import annotations

from chassis.context import Caller
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler
from services.evv.records import domain


def _tenant(event: Event) -> str:
    tenant_id = event.tenant_id or event.data.get("tenant_id")
    if not tenant_id:
        raise ValueError(f"{event.event_type} {event.event_id} carries no tenant")
    return str(tenant_id)


class RecordsEntrypoints:
    db: UnitOfWork
    caller: Caller

    @event_handler("tenancy", "tenant.approved")
    def learn_tenant_approved(self, event: Event) -> None:
        """Keeps the CBO's time zone (pay weeks and service dates)."""
        domain.learn_timezone(
            self.db,
            tenant_id=_tenant(event),
            timezone=event.data["timezone"],
            at=event.occurred_at,
        )

    @event_handler("tenancy", "branding.updated")
    def learn_branding_updated(self, event: Event) -> None:
        """Keeps the CBO's time zone when it changes."""
        if event.data.get("timezone"):
            domain.learn_timezone(
                self.db,
                tenant_id=_tenant(event),
                timezone=event.data["timezone"],
                at=event.occurred_at,
            )

    @event_handler("tenancy", "licence.granted")
    def learn_licence_granted(self, event: Event) -> None:
        """Keeps the CBO's EVV licence (its period)."""
        domain.learn_licence(self.db, tenant_id=_tenant(event), data=event.data, revoked=False)

    @event_handler("tenancy", "licence.revoked")
    def learn_licence_revoked(self, event: Event) -> None:
        """Keeps the EVV licence's early end."""
        domain.learn_licence(self.db, tenant_id=_tenant(event), data=event.data, revoked=True)

    @event_handler("booking", "site.created")
    def learn_site_created(self, event: Event) -> None:
        """Keeps the site's coordinates and geofence radius (the visit's location)."""
        domain.learn_site(self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at)

    @event_handler("booking", "site.updated")
    def learn_site_updated(self, event: Event) -> None:
        """Keeps the site's coordinates and geofence radius as they are now."""
        domain.learn_site(self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at)

    @event_handler("booking", "jobtype.created")
    def learn_jobtype_created(self, event: Event) -> None:
        """Keeps the job type (the visit's type of service)."""
        domain.learn_job_type(
            self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at
        )

    @event_handler("booking", "jobtype.updated")
    def learn_jobtype_updated(self, event: Event) -> None:
        """Keeps the job type's name as it is now."""
        domain.learn_job_type(
            self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at
        )

    @event_handler("booking", "booking.created")
    def learn_booking_created(self, event: Event) -> None:
        """Keeps each shift's site and job type."""
        domain.learn_booking(self.db, tenant_id=_tenant(event), data=event.data)

    @event_handler("booking", "offer.confirmed")
    def learn_offer_confirmed(self, event: Event) -> None:
        """A confirmed place becomes a visit the worker clocks in and out of."""
        domain.learn_confirmation(self.db, tenant_id=_tenant(event), data=event.data)

    @event_handler("booking", "assignment.cancelled")
    def learn_assignment_cancelled(self, event: Event) -> None:
        """A cancelled place is no longer a visit to clock."""
        domain.learn_cancellation(
            self.db, tenant_id=_tenant(event), assignment_ids=[event.data["assignment_id"]]
        )

    @event_handler("booking", "booking.cancelled")
    def learn_booking_cancelled(self, event: Event) -> None:
        """The cancelled shifts' places are no longer visits to clock."""
        domain.learn_cancellation(
            self.db,
            tenant_id=_tenant(event),
            assignment_ids=[place["assignment_id"] for place in event.data["assignments"]],
        )
