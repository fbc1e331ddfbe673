"""Handlers of tenancy's, identity's, booking's and evv's events that keep billing's read model
(lines/domain.py), and finance staff's payroll ids. Each handler runs as billing's system caller
within the event's CBO; the chassis skips a redelivered event, and each apply is idempotent
besides."""

from __future__ import annotations

import re

from chassis.context import STAFF, Caller, requires
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import EventBatch, event_handler, read_model_handler, rpc
from chassis.errors import Forbidden, NotFound
from services.billing.lines import domain
from services.billing.lines.models import APPROVED, DISPUTED
from services.billing.lines.schemas import PayrollIdSchema

ID_PATTERN = re.compile(r"[A-Za-z0-9-]{1,36}")


def _tenant(event: Event) -> str:
    tenant_id = event.tenant_id or event.data.get("tenant_id")
    if not tenant_id:
        raise ValueError(f"{event.event_type} {event.event_id} carries no tenant")
    return str(tenant_id)


class LinesEntrypoints:
    db: UnitOfWork
    caller: Caller

    # -- tenancy and identity ---------------------------------------------------------------

    @event_handler("tenancy", "tenant.approved")
    def learn_tenant_approved(self, event: Event) -> None:
        """Keeps the CBO's time zone (its pay weeks and the Tuesday run)."""
        domain.learn_timezone(
            self.db, tenant_id=_tenant(event), timezone=event.data["timezone"], at=event.occurred_at
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

    @event_handler("tenancy", "client.registered")
    def learn_client_registered(self, event: Event) -> None:
        """Keeps the client's name (exports, invoices)."""
        domain.learn_client(
            self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at
        )

    @event_handler("tenancy", "client.updated")
    def learn_client_updated(self, event: Event) -> None:
        """Keeps the client's name as it is now."""
        domain.learn_client(
            self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at
        )

    @event_handler("identity", "jobseeker.profile_changed")
    def learn_worker_profile(self, event: Event) -> None:
        """Keeps the worker's name (payroll exports)."""
        domain.learn_worker(
            self.db,
            tenant_id=_tenant(event),
            worker_id=event.data["jobseeker_id"],
            name=event.data["name"],
            at=event.occurred_at,
        )

    # -- booking ------------------------------------------------------------------------------

    @event_handler("booking", "jobtype.created")
    def learn_jobtype_created(self, event: Event) -> None:
        """Keeps the job type's default (or, client-exclusive, fixed) rates."""
        domain.learn_job_type(
            self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at
        )

    @event_handler("booking", "jobtype.updated")
    def learn_jobtype_updated(self, event: Event) -> None:
        """Keeps the job type's rates as they are now."""
        domain.learn_job_type(
            self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at
        )

    @event_handler("booking", "booking.created")
    def learn_booking_created(self, event: Event) -> None:
        """Keeps each shift: its times, client, job type and the booking's rates."""
        domain.learn_booking(self.db, tenant_id=_tenant(event), data=event.data)

    @event_handler("booking", "booking.cancelled")
    def learn_booking_cancelled(self, event: Event) -> None:
        """Keeps the places a client cancelled late (reporting-time pay)."""
        domain.learn_late_cancellations(
            self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at
        )

    @event_handler("booking", "assignment.cancelled")
    def learn_assignment_cancelled(self, event: Event) -> None:
        """Keeps a place a client cancelled late (reporting-time pay)."""
        domain.learn_late_cancellations(
            self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at
        )

    # -- evv ----------------------------------------------------------------------------------

    # Every punch's event: taken in batches (one worker and one commit for many under load).

    @read_model_handler("evv", "visit.started")
    def learn_visit_started(self, events: EventBatch) -> None:
        """Keeps the clock-in (meal periods are judged from the punches)."""
        self._learn_punches(events)

    @read_model_handler("evv", "visit.ended")
    def learn_visit_ended(self, events: EventBatch) -> None:
        """Keeps the clock-out."""
        self._learn_punches(events)

    def _learn_punches(self, events: EventBatch) -> None:
        domain.learn_punches(
            self.db, punches=[(_tenant(event), event.data, event.occurred_at) for event in events]
        )

    @event_handler("evv", "visit.corrected")
    def learn_visit_corrected(self, event: Event) -> None:
        """Keeps a punch staff corrected."""
        domain.learn_correction(
            self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at
        )

    @event_handler("evv", "visit.exception_raised")
    def learn_visit_exception(self, event: Event) -> None:
        """Counts a must-fix exception: it blocks payroll until the visit is verified."""
        domain.learn_exception(
            self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at
        )

    @event_handler("evv", "visit.verified")
    def learn_visit_verified(self, event: Event) -> None:
        """Keeps the verified punches and the six Cures Act elements."""
        domain.learn_verified(
            self.db, tenant_id=_tenant(event), data=event.data, at=event.occurred_at
        )

    @event_handler("evv", "timesheet.approved")
    def learn_line_approved(self, event: Event) -> None:
        """Keeps an approved line: payable and billable (again, corrected, if it was before)."""
        domain.learn_line(
            self.db,
            tenant_id=_tenant(event),
            data=event.data,
            status=APPROVED,
            at=event.occurred_at,
        )

    @event_handler("evv", "timesheet.disputed")
    def learn_line_disputed(self, event: Event) -> None:
        """Keeps a disputed line (a payroll blocker until staff resolve it)."""
        domain.learn_line(
            self.db,
            tenant_id=_tenant(event),
            data=event.data,
            status=DISPUTED,
            at=event.occurred_at,
        )

    # -- finance staff --------------------------------------------------------------------------

    @rpc
    @requires("payroll.run")
    def set_payroll_id(self, worker_id: str, body: dict | None = None) -> dict:
        """Finance staff give a worker the payroll provider's employee number."""
        tenant_id = self.caller.require_tenant()
        if self.caller.kind != STAFF:
            raise Forbidden("Only the CBO's staff can do this.")
        if ID_PATTERN.fullmatch(worker_id or "") is None:
            raise NotFound("There is no such worker.")
        data = PayrollIdSchema().load(body or {})
        return domain.set_payroll_id(
            self.db, tenant_id=tenant_id, worker_id=worker_id, payroll_id=data["payroll_id"]
        )
