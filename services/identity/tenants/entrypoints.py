"""The tenants area's entrypoints: handlers of tenancy's events that keep identity's projections of
CBOs, their client organisations and worker sources. A newly approved CBO's owner is created and
invited here; a suspended CBO's sessions end here. The other areas' entrypoints call
`_ensure_client` / `_ensure_source` before using a client or worker source a caller names, so
that one just created in tenancy is usable before its event arrives."""

from __future__ import annotations

from dataclasses import asdict

from chassis.context import Caller
from chassis.contracts.events import Event
from chassis.contracts.tenancy_rpc import TenancyClient
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler
from chassis.errors import NotFound
from chassis.rpc import ServiceCaller
from services.identity.sessions import domain as sessions
from services.identity.staff import domain as staff
from services.identity.tenants import domain


class TenantsEntrypoints:
    """A mixin of IdentityService (which provides db, caller and services)."""

    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    # -- records the caller names that the projection may not have yet -------------------------

    def _ensure_client(self, client_id: str) -> None:
        def ask() -> dict | None:
            try:
                record = TenancyClient(self.services).client_record(client_id=client_id)
            except NotFound:
                return None
            return asdict(record)

        domain.ensure_client(
            self.db, tenant_id=self.caller.require_tenant(), client_id=client_id, ask=ask
        )

    def _ensure_source(self, source_id: str | None) -> None:
        if not source_id:
            return

        def ask() -> dict | None:
            try:
                record = TenancyClient(self.services).source_record(source_id=source_id)
            except NotFound:
                return None
            return asdict(record)

        domain.ensure_source(
            self.db, tenant_id=self.caller.require_tenant(), source_id=source_id, ask=ask
        )

    # -- CBOs -------------------------------------------------------------------------------

    def _apply_tenant(self, event: Event, status: str) -> bool:
        data = event.data
        return domain.apply_tenant(
            self.db,
            tenant_id=data["tenant_id"],
            slug=data["slug"],
            name=data["name"],
            status=status,
            occurred_at=event.occurred_at,
        )

    @event_handler("tenancy", "tenant.approved")
    def on_tenant_approved(self, event: Event) -> None:
        """Projects the CBO as active, creates its owner's account and invites them."""
        data = event.data
        self._apply_tenant(event, domain.ACTIVE)
        staff.create_owner(
            self.db,
            tenant_id=data["tenant_id"],
            tenant_name=data["name"],
            email=data["owner_email"],
            display_name=data["owner_name"],
        )

    @event_handler("tenancy", "tenant.suspended")
    def on_tenant_suspended(self, event: Event) -> None:
        """Projects the CBO as suspended and ends its people's refresh tokens."""
        if self._apply_tenant(event, domain.SUSPENDED):
            sessions.end_sessions_of_cbo(self.db, tenant_id=event.data["tenant_id"])

    @event_handler("tenancy", "tenant.reinstated")
    def on_tenant_reinstated(self, event: Event) -> None:
        """Projects the CBO as active again."""
        self._apply_tenant(event, domain.ACTIVE)

    # -- client organisations ---------------------------------------------------------------

    def _record_client(self, event: Event) -> None:
        domain.record_client(
            self.db,
            client_id=event.data["client_id"],
            tenant_id=self.caller.require_tenant(),
            name=event.data["name"],
            active=event.data.get("active", True),
        )

    @event_handler("tenancy", "client.registered")
    def on_client_registered(self, event: Event) -> None:
        """Projects the client (client users belong to one)."""
        self._record_client(event)

    @event_handler("tenancy", "client.updated")
    def on_client_updated(self, event: Event) -> None:
        """Keeps the projected client's name and active flag."""
        self._record_client(event)

    # -- worker sources ---------------------------------------------------------------------

    def _record_source(self, event: Event) -> None:
        domain.record_source(
            self.db,
            source_id=event.data["source_id"],
            tenant_id=self.caller.require_tenant(),
            name=event.data["name"],
            weekly_hour_cap=event.data.get("weekly_hour_cap"),
            active=event.data.get("active", True),
        )

    @event_handler("tenancy", "source.created")
    def on_source_created(self, event: Event) -> None:
        """Projects the worker source (a job seeker may come from one)."""
        self._record_source(event)

    @event_handler("tenancy", "source.updated")
    def on_source_updated(self, event: Event) -> None:
        """Keeps the projected worker source's name, cap and active flag."""
        self._record_source(event)
