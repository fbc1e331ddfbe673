"""The workers area's entrypoints: handlers of identity's and tenancy's events that build
booking's read model of workers (each keeps the event in the replay log and applies it: see
domain.py), the operator's rebuild, and the helpers other areas call before they use a client
or worker source a caller names (`_ensure_client`, `_ensure_source`), so that one created in
tenancy a moment ago is usable before its event arrives."""

from __future__ import annotations

from dataclasses import asdict

from chassis.context import Caller, requires
from chassis.contracts.events import Event
from chassis.contracts.tenancy_rpc import TenancyClient
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, rpc
from chassis.errors import NotFound
from chassis.rpc import ServiceCaller, Services
from services.booking.workers import domain
from services.booking.workers.models import ClientRecord, SourceRecord
from services.booking.workers.schemas import RebuildSchema


class WorkersEntrypoints:
    """A mixin of BookingService (which provides db and caller)."""

    db: UnitOfWork
    caller: Caller
    # Asked for a client or worker source a caller names before its event reaches booking.
    services: ServiceCaller = Services()  # type: ignore[assignment]

    # -- records the caller names that the model may not have yet ----------------------------

    def _ensure_client(self, client_id: str) -> ClientRecord | None:
        """The caller's CBO's client (asked of tenancy if its event has not arrived yet);
        None if it is no client of theirs."""

        def ask() -> dict | None:
            try:
                record = TenancyClient(self.services).client_record(client_id=client_id)
            except NotFound:
                return None
            return asdict(record)

        return domain.ensure_client(
            self.db, tenant_id=self.caller.require_tenant(), client_id=client_id, ask=ask
        )

    def _ensure_source(self, source_id: str) -> SourceRecord | None:
        """The caller's CBO's worker source and its rule (asked of tenancy if its event has
        not arrived yet); None if it is no source of theirs."""

        def ask() -> dict | None:
            try:
                record = TenancyClient(self.services).source_record(source_id=source_id)
            except NotFound:
                return None
            return asdict(record)

        return domain.ensure_source(
            self.db, tenant_id=self.caller.require_tenant(), source_id=source_id, ask=ask
        )

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
