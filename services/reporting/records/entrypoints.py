"""The records area's entrypoints: handlers of the other services' events that build
reporting's read model and its rollups (each keeps the event in the replay log and applies
it: see domain.py), and the operator's rebuild from that log. Every handler takes its events
in batches (chassis EventBatch): the read model is reporting's own database only, and under
load one worker and one commit serve many events."""

from __future__ import annotations

from chassis.context import Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import EventBatch, read_model_handler, rpc
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

    @read_model_handler("tenancy", "tenant.approved")
    def learn_tenant_approved(self, events: EventBatch) -> None:
        """Keeps the CBO's name and time zone, in which reporting counts its days."""
        self._receive(events)

    @read_model_handler("tenancy", "branding.updated")
    def learn_branding_updated(self, events: EventBatch) -> None:
        """Keeps the CBO's time zone when it changes (days already counted stay where they fell)."""
        self._receive(events)

    @read_model_handler("tenancy", "partnership.formed")
    def learn_partnership_formed(self, events: EventBatch) -> None:
        """Keeps the partnership and what it shares (\"reports\": each CBO reads the other's)."""
        self._receive(events)

    @read_model_handler("tenancy", "partnership.ended")
    def learn_partnership_ended(self, events: EventBatch) -> None:
        """Keeps the partnership as ended: its CBOs no longer read each other's reports."""
        self._receive(events)

    @read_model_handler("tenancy", "client.registered")
    def learn_client_registered(self, events: EventBatch) -> None:
        """Keeps the client's name and kind (the skills report names clients by kind)."""
        self._receive(events)

    @read_model_handler("tenancy", "client.updated")
    def learn_client_updated(self, events: EventBatch) -> None:
        """Keeps the client's name and kind as they are now."""
        self._receive(events)

    @read_model_handler("tenancy", "source.created")
    def learn_source_created(self, events: EventBatch) -> None:
        """Keeps the worker source's name (reports are cut by source)."""
        self._receive(events)

    @read_model_handler("tenancy", "source.updated")
    def learn_source_updated(self, events: EventBatch) -> None:
        """Keeps the worker source's name as it is now."""
        self._receive(events)

    @read_model_handler("booking", "jobtype.created")
    def learn_jobtype_created(self, events: EventBatch) -> None:
        """Keeps the job type's name and required skills (hours booked per skill)."""
        self._receive(events)

    @read_model_handler("booking", "jobtype.updated")
    def learn_jobtype_updated(self, events: EventBatch) -> None:
        """Keeps the job type's name and required skills as they are now."""
        self._receive(events)

    @read_model_handler("identity", "jobseeker.registered")
    def count_jobseeker_registered(self, events: EventBatch) -> None:
        """Counts a newly registered job seeker on the CBO's day (reporting's rollups)."""
        self._receive(events)

    @read_model_handler("identity", "jobseeker.profile_changed")
    def learn_jobseeker_profile(self, events: EventBatch) -> None:
        """Keeps the job seeker's name, skills, worker source and status (reporting)."""
        self._receive(events)

    @read_model_handler("identity", "jobseeker.approved")
    def count_jobseeker_approved(self, events: EventBatch) -> None:
        """Counts a newly approved job seeker on the CBO's day (reporting's rollups)."""
        self._receive(events)

    @read_model_handler("booking", "booking.created")
    def count_shifts_booked(self, events: EventBatch) -> None:
        """Counts each shift booked, and its minutes, on the shift's day (reporting's rollups)."""
        self._receive(events)

    @read_model_handler("booking", "shift.filled")
    def count_shift_filled(self, events: EventBatch) -> None:
        """Counts the shift filled (first time) and the minutes it took from booking to fill."""
        self._receive(events)

    @read_model_handler("booking", "booking.cancelled")
    def count_shifts_cancelled(self, events: EventBatch) -> None:
        """Counts cancelled shifts, and those the client cancelled late."""
        self._receive(events)

    @read_model_handler("booking", "assignment.cancelled")
    def count_place_cancelled(self, events: EventBatch) -> None:
        """Counts a late cancellation of a place; a worker's own is their activity."""
        self._receive(events)

    @read_model_handler("booking", "shift.completed")
    def count_shift_worked(self, events: EventBatch) -> None:
        """Counts the place worked, its minutes, and the worker as active that week and
        month (a correction takes the no-show back)."""
        self._receive(events)

    @read_model_handler("booking", "worker.no_show")
    def count_no_show(self, events: EventBatch) -> None:
        """Counts a no-show (a correction takes the completed place back)."""
        self._receive(events)

    @read_model_handler("booking", "offer.confirmed")
    def note_offer_confirmed(self, events: EventBatch) -> None:
        """Keeps the worker's confirmation as their activity."""
        self._receive(events)

    @read_model_handler("booking", "offer.declined")
    def note_offer_declined(self, events: EventBatch) -> None:
        """Keeps the worker's decline as their activity."""
        self._receive(events)

    @read_model_handler("rebooking", "cascade.started")
    def count_cascade_started(self, events: EventBatch) -> None:
        """Counts a replacement cascade started on the shift's day."""
        self._receive(events)

    @read_model_handler("rebooking", "cascade.completed")
    def count_cascade_completed(self, events: EventBatch) -> None:
        """Counts a cascade that ended with a replacement."""
        self._receive(events)

    @read_model_handler("rebooking", "rebooking.exhausted")
    def count_cascade_exhausted(self, events: EventBatch) -> None:
        """Counts a cascade that ended with no replacement."""
        self._receive(events)

    @read_model_handler("evv", "visit.started")
    def count_visit_started(self, events: EventBatch) -> None:
        """Counts the EVV visit (the exception rate's base); the clock-in is activity."""
        self._receive(events)

    @read_model_handler("evv", "visit.corrected")
    def count_visit_corrected(self, events: EventBatch) -> None:
        """Counts the EVV visit whose clock-in staff entered (no punch from the phone)."""
        self._receive(events)

    @read_model_handler("evv", "visit.ended")
    def note_visit_ended(self, events: EventBatch) -> None:
        """Keeps the worker's clock-out as their activity."""
        self._receive(events)

    @read_model_handler("evv", "visit.exception_raised")
    def count_visit_exception(self, events: EventBatch) -> None:
        """Counts a visit with an EVV exception (once per visit)."""
        self._receive(events)

    @read_model_handler("billing", "payroll.completed")
    def count_payroll_completed(self, events: EventBatch) -> None:
        """Counts each worker's gross pay on the pay week (by client and job type): gross
        earnings and the earnings profile."""
        self._receive(events)

    @read_model_handler("identity", "audit.recorded")
    def note_identity_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @read_model_handler("tenancy", "audit.recorded")
    def note_tenancy_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @read_model_handler("booking", "audit.recorded")
    def note_booking_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @read_model_handler("rebooking", "audit.recorded")
    def note_rebooking_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @read_model_handler("evv", "audit.recorded")
    def note_evv_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @read_model_handler("billing", "audit.recorded")
    def note_billing_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)

    @read_model_handler("notifications", "audit.recorded")
    def note_notifications_audit(self, events: EventBatch) -> None:
        """Keeps what a person did (the audit trail) for the activity report."""
        self._receive(events)
