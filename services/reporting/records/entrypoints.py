"""The records area's entrypoints: handlers of the other services' events that build
reporting's read model and its rollups (each keeps the event in the replay log and applies
it: see domain.py), and the operator's rebuild from that log. Every handler takes its events
in batches (chassis EventBatch): the read model is reporting's own database only, and under
load one worker and one commit serve many events."""

from __future__ import annotations

from chassis.context import Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import EVENT_BATCH, EventBatch, event_handler, rpc
from services.reporting.records import domain
from services.reporting.records.schemas import ReportModelRebuildSchema


class RecordsEntrypoints:
    """A mixin of ReportingService (which provides db and caller)."""

    db: UnitOfWork
    caller: Caller

    def _receive(self, events: EventBatch) -> None:
        domain.receive_many(self.db, events=[domain.received(event) for event in events])

    @rpc
    @requires("platform.operate")
    def rebuild_report_model(self) -> dict:
        """Empty the read model and apply every event it was built from again."""
        return ReportModelRebuildSchema().dump(domain.rebuild(self.db, caller=self.caller))

    @event_handler("tenancy", "tenant.approved", batch=EVENT_BATCH)
    def learn_tenant_approved(self, events: EventBatch) -> None:
        """Keeps the CBO's name and time zone, in which reporting counts its days."""
        self._receive(events)

    @event_handler("tenancy", "branding.updated", batch=EVENT_BATCH)
    def learn_branding_updated(self, events: EventBatch) -> None:
        """Keeps the CBO's time zone when it changes (days already counted stay where they fell)."""
        self._receive(events)

    @event_handler("tenancy", "partnership.formed", batch=EVENT_BATCH)
    def learn_partnership_formed(self, events: EventBatch) -> None:
        """Keeps the partnership and what it shares (\"reports\": each CBO reads the other's)."""
        self._receive(events)

    @event_handler("tenancy", "partnership.ended", batch=EVENT_BATCH)
    def learn_partnership_ended(self, events: EventBatch) -> None:
        """Keeps the partnership as ended: its CBOs no longer read each other's reports."""
        self._receive(events)

    @event_handler("tenancy", "client.registered", batch=EVENT_BATCH)
    def learn_client_registered(self, events: EventBatch) -> None:
        """Keeps the client's name and kind (the skills report names clients by kind)."""
        self._receive(events)

    @event_handler("tenancy", "client.updated", batch=EVENT_BATCH)
    def learn_client_updated(self, events: EventBatch) -> None:
        """Keeps the client's name and kind as they are now."""
        self._receive(events)

    @event_handler("tenancy", "source.created", batch=EVENT_BATCH)
    def learn_source_created(self, events: EventBatch) -> None:
        """Keeps the worker source's name (reports are cut by source)."""
        self._receive(events)

    @event_handler("tenancy", "source.updated", batch=EVENT_BATCH)
    def learn_source_updated(self, events: EventBatch) -> None:
        """Keeps the worker source's name as it is now."""
        self._receive(events)

    @event_handler("booking", "jobtype.created", batch=EVENT_BATCH)
    def learn_jobtype_created(self, events: EventBatch) -> None:
        """Keeps the job type's name and required skills (hours booked per skill)."""
        self._receive(events)

    @event_handler("booking", "jobtype.updated", batch=EVENT_BATCH)
    def learn_jobtype_updated(self, events: EventBatch) -> None:
        """Keeps the job type's name and required skills as they are now."""
        self._receive(events)

    @event_handler("identity", "jobseeker.registered", batch=EVENT_BATCH)
    def count_jobseeker_registered(self, events: EventBatch) -> None:
        """Counts a newly registered job seeker on the CBO's day (reporting's rollups)."""
        self._receive(events)

    @event_handler("identity", "jobseeker.profile_changed", batch=EVENT_BATCH)
    def learn_jobseeker_profile(self, events: EventBatch) -> None:
        """Keeps the job seeker's name, skills, worker source and status (reporting)."""
        self._receive(events)

    @event_handler("identity", "jobseeker.approved", batch=EVENT_BATCH)
    def count_jobseeker_approved(self, events: EventBatch) -> None:
        """Counts a newly approved job seeker on the CBO's day (reporting's rollups)."""
        self._receive(events)

    @event_handler("booking", "booking.created", batch=EVENT_BATCH)
    def count_shifts_booked(self, events: EventBatch) -> None:
        """Counts each shift booked, and its minutes, on the shift's day (reporting's rollups)."""
        self._receive(events)

    @event_handler("booking", "shift.filled", batch=EVENT_BATCH)
    def count_shift_filled(self, events: EventBatch) -> None:
        """Counts the shift filled (first time) and the minutes it took from booking to fill."""
        self._receive(events)

    @event_handler("booking", "booking.cancelled", batch=EVENT_BATCH)
    def count_shifts_cancelled(self, events: EventBatch) -> None:
        """Counts cancelled shifts, and those the client cancelled late."""
        self._receive(events)

    @event_handler("booking", "assignment.cancelled", batch=EVENT_BATCH)
    def count_place_cancelled(self, events: EventBatch) -> None:
        """Counts a late cancellation of a place; a worker's own is their activity."""
        self._receive(events)

    @event_handler("booking", "shift.completed", batch=EVENT_BATCH)
    def count_shift_worked(self, events: EventBatch) -> None:
        """Counts the place worked, its minutes, and the worker as active that week and
        month (a correction takes the no-show back)."""
        self._receive(events)

    @event_handler("booking", "worker.no_show", batch=EVENT_BATCH)
    def count_no_show(self, events: EventBatch) -> None:
        """Counts a no-show (a correction takes the completed place back)."""
        self._receive(events)

    @event_handler("booking", "offer.confirmed", batch=EVENT_BATCH)
    def note_offer_confirmed(self, events: EventBatch) -> None:
        """Keeps the worker's confirmation as their activity."""
        self._receive(events)

    @event_handler("booking", "offer.declined", batch=EVENT_BATCH)
    def note_offer_declined(self, events: EventBatch) -> None:
        """Keeps the worker's decline as their activity."""
        self._receive(events)

    @event_handler("rebooking", "cascade.started", batch=EVENT_BATCH)
    def count_cascade_started(self, events: EventBatch) -> None:
        """Counts a replacement cascade started on the shift's day."""
        self._receive(events)

    @event_handler("rebooking", "cascade.completed", batch=EVENT_BATCH)
    def count_cascade_completed(self, events: EventBatch) -> None:
        """Counts a cascade that ended with a replacement."""
        self._receive(events)

    @event_handler("rebooking", "rebooking.exhausted", batch=EVENT_BATCH)
    def count_cascade_exhausted(self, events: EventBatch) -> None:
        """Counts a cascade that ended with no replacement."""
        self._receive(events)

    @event_handler("evv", "visit.started", batch=EVENT_BATCH)
    def count_visit_started(self, events: EventBatch) -> None:
        """Counts the EVV visit (the exception rate's base); the clock-in is activity."""
        self._receive(events)

    @event_handler("evv", "visit.corrected", batch=EVENT_BATCH)
    def count_visit_corrected(self, events: EventBatch) -> None:
        """Counts the EVV visit whose clock-in staff entered (no punch from the phone)."""
        self._receive(events)

    @event_handler("evv", "visit.ended", batch=EVENT_BATCH)
    def note_visit_ended(self, events: EventBatch) -> None:
        """Keeps the worker's clock-out as their activity."""
        self._receive(events)

    @event_handler("evv", "visit.exception_raised", batch=EVENT_BATCH)
    def count_visit_exception(self, events: EventBatch) -> None:
        """Counts a visit with an EVV exception (once per visit)."""
        self._receive(events)

    @event_handler("billing", "payroll.completed", batch=EVENT_BATCH)
    def count_payroll_completed(self, events: EventBatch) -> None:
        """Counts each worker's gross pay on the pay week (by client and job type): gross
        earnings and the earnings profile."""
        self._receive(events)

    @event_handler("identity", "audit.recorded", batch=EVENT_BATCH)
    def note_identity_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @event_handler("tenancy", "audit.recorded", batch=EVENT_BATCH)
    def note_tenancy_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @event_handler("booking", "audit.recorded", batch=EVENT_BATCH)
    def note_booking_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @event_handler("rebooking", "audit.recorded", batch=EVENT_BATCH)
    def note_rebooking_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @event_handler("evv", "audit.recorded", batch=EVENT_BATCH)
    def note_evv_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @event_handler("billing", "audit.recorded", batch=EVENT_BATCH)
    def note_billing_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @event_handler("notifications", "audit.recorded", batch=EVENT_BATCH)
    def note_notifications_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)
