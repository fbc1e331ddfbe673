"""The workers area's entrypoints: handlers of identity's and tenancy's events that build
booking's read model of workers (each keeps the event in the replay log and applies it: see
domain.py) and the operator's rebuild. Before other areas use a client a caller names, they
call `common.ensure_client`, so that one created in tenancy a moment ago is usable before its
event arrives."""

from __future__ import annotations

from chassis.context import Caller, requires
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, rpc
from chassis.rpc import ServiceCaller
from services.booking.workers import domain
from services.booking.workers.schemas import RebuildSchema


class WorkersEntrypoints:
    """A mixin of BookingService (which provides db, caller and services)."""

    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    # -- records the caller names that the model may not have yet ----------------------------

    def _receive(self, event: Event) -> None:
        domain.receive(self.db, event=domain.received(event))

    # -- the operator's rebuild -----------------------------------------------------------------

    @rpc
    @requires("platform.operate")
    def rebuild_worker_model(self) -> dict:
        """Empty the read model and apply every event it was built from again."""
        return RebuildSchema().dump(domain.rebuild(self.db, caller=self.caller))

    # -- CBOs -----------------------------------------------------------------------------------

    @event_handler("tenancy", "tenant.approved")
    def learn_tenant_approved(self, event: Event) -> None:
        """Keeps the CBO as active, with its time zone (booking's read model)."""
        self._receive(event)

    @event_handler("tenancy", "tenant.suspended")
    def learn_tenant_suspended(self, event: Event) -> None:
        """Keeps the CBO as suspended (booking's read model)."""
        self._receive(event)

    @event_handler("tenancy", "tenant.reinstated")
    def learn_tenant_reinstated(self, event: Event) -> None:
        """Keeps the CBO as active again (booking's read model)."""
        self._receive(event)

    @event_handler("tenancy", "branding.updated")
    def learn_branding_updated(self, event: Event) -> None:
        """Keeps the CBO's time zone, in which its shifts and availability are read."""
        self._receive(event)

    # -- clients, worker sources, partnerships ----------------------------------------------

    @event_handler("tenancy", "client.registered")
    def learn_client_registered(self, event: Event) -> None:
        """Keeps the client organisation (booking's read model)."""
        self._receive(event)

    @event_handler("tenancy", "client.updated")
    def learn_client_updated(self, event: Event) -> None:
        """Keeps the client's name and active flag (booking's read model)."""
        self._receive(event)

    @event_handler("tenancy", "source.created")
    def learn_source_created(self, event: Event) -> None:
        """Keeps the worker source's weekly cap (in minutes) and term calendar."""
        self._receive(event)

    @event_handler("tenancy", "source.updated")
    def learn_source_updated(self, event: Event) -> None:
        """Keeps the worker source's name, cap, terms and active flag."""
        self._receive(event)

    @event_handler("tenancy", "partnership.formed")
    def learn_partnership_formed(self, event: Event) -> None:
        """Keeps the partnership as active, with what the two CBOs share."""
        self._receive(event)

    @event_handler("tenancy", "partnership.ended")
    def learn_partnership_ended(self, event: Event) -> None:
        """Keeps the partnership as no longer active."""
        self._receive(event)

    @event_handler("tenancy", "partnership.cancelled")
    def learn_partnership_cancelled(self, event: Event) -> None:
        """Keeps a withdrawn proposal as not active."""
        self._receive(event)

    # -- job seekers --------------------------------------------------------------------------

    @event_handler("identity", "jobseeker.registered")
    def learn_jobseeker_registered(self, event: Event) -> None:
        """Adds the worker (not approved) to booking's read model."""
        self._receive(event)

    @event_handler("identity", "jobseeker.profile_changed")
    def learn_jobseeker_profile_changed(self, event: Event) -> None:
        """Keeps the worker's name, skills, languages, home ZIP as coordinates, worker source
        and availability (as minutes of the CBO's local week and of exception dates)."""
        self._receive(event)

    @event_handler("identity", "jobseeker.approved")
    def learn_jobseeker_approved(self, event: Event) -> None:
        """Marks the worker approved (booking's read model)."""
        self._receive(event)

    @event_handler("identity", "jobseeker.jobtype_approved")
    def learn_jobseeker_jobtype_approved(self, event: Event) -> None:
        """Adds the job type to those the worker is approved for (booking's read model)."""
        self._receive(event)

    @event_handler("identity", "jobseeker.suspended")
    def learn_jobseeker_suspended(self, event: Event) -> None:
        """Marks the worker suspended: never offered work (booking's read model)."""
        self._receive(event)

    @event_handler("identity", "jobseeker.reinstated")
    def learn_jobseeker_reinstated(self, event: Event) -> None:
        """Marks the worker no longer suspended (booking's read model)."""
        self._receive(event)

    @event_handler("identity", "account.deactivated")
    def learn_account_deactivated(self, event: Event) -> None:
        """Marks a job seeker whose account was deactivated inactive (booking's read model)."""
        self._receive(event)

    @event_handler("identity", "account.reactivated")
    def learn_account_reactivated(self, event: Event) -> None:
        """Marks a job seeker whose account was reactivated active (booking's read model)."""
        self._receive(event)
