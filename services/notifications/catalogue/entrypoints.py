"""Booking's events that name sites, job types and bookings."""

from __future__ import annotations

from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler
from services.notifications.catalogue import domain


class CatalogueEntrypoints:
    db: UnitOfWork

    def _site(self, event: Event) -> None:
        domain.learn_site(
            self.db,
            tenant_id=event.tenant_id or "",
            site_id=event.data["site_id"],
            name=event.data["name"],
            event_at=event.occurred_at,
        )

    @event_handler("booking", "site.created")
    def learn_site_created(self, event: Event) -> None:
        """Keeps the site's name, for messages that say where a shift is."""
        self._site(event)

    @event_handler("booking", "site.updated")
    def learn_site_updated(self, event: Event) -> None:
        """Keeps the site's new name (an older event changes nothing)."""
        self._site(event)

    def _job_type(self, event: Event) -> None:
        domain.learn_job_type(
            self.db,
            tenant_id=event.tenant_id or "",
            job_type_id=event.data["job_type_id"],
            name=event.data["name"],
            event_at=event.occurred_at,
        )

    @event_handler("booking", "jobtype.created")
    def learn_job_type_created(self, event: Event) -> None:
        """Keeps the job type's name, for messages that say what the work is."""
        self._job_type(event)

    @event_handler("booking", "jobtype.updated")
    def learn_job_type_updated(self, event: Event) -> None:
        """Keeps the job type's new name (an older event changes nothing)."""
        self._job_type(event)

    @event_handler("booking", "booking.created")
    def learn_booking_created(self, event: Event) -> None:
        """Keeps which site and job type the booking's shifts are."""
        domain.learn_booking(
            self.db,
            tenant_id=event.tenant_id or "",
            booking_id=event.data["booking_id"],
            site_id=event.data["site_id"],
            job_type_id=event.data["job_type_id"],
        )
