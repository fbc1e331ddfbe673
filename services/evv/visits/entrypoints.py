"""Visits for the worker (their own punches and visits), the client's users (their client's
visits) and the CBO's staff (every visit, corrections, exceptions, settings); the sweep timer."""

from __future__ import annotations

from chassis.config import Settings
from chassis.context import JOBSEEKER, STAFF, Caller, requires, requires_any
from chassis.contracts.tenancy_rpc import TenancyClient
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc, timer
from chassis.errors import Forbidden, NotFound
from chassis.rpc import ServiceCaller
from services.evv.visits import domain
from services.evv.visits.schemas import (
    ClientChoiceSchema,
    ClientChoiceViewSchema,
    CorrectionSchema,
    PunchInputSchema,
    PunchSchema,
    ResolveSchema,
    SettingsSchema,
    SettingsUpdateSchema,
    VisitPageSchema,
    VisitQuerySchema,
    VisitSchema,
    punch_view,
    visit_view,
)

# The punch's schemas, made once: making a marshmallow schema costs more than using it, and
# a punch is the busiest call of the service.
_PUNCH_INPUT = PunchInputSchema()
_PUNCH = PunchSchema()

# Staff (any visit of their CBO) and a client's users (their client's).
READ = ("bookings.read", "timesheets.approve", "self.book")


def _worker_tenant(caller: Caller) -> str:
    tenant_id = caller.require_tenant()
    if caller.kind != JOBSEEKER or not caller.user_id:
        raise Forbidden("Only a worker clocks in and out, for their own shifts.")
    return tenant_id


def _staff_tenant(caller: Caller) -> str:
    tenant_id = caller.require_tenant()
    if caller.kind != STAFF:
        raise Forbidden("Only the CBO's staff can do this.")
    return tenant_id


class VisitsEntrypoints:
    db: UnitOfWork
    caller: Caller
    settings: Settings
    services: ServiceCaller

    @rpc
    @requires("self.work")
    def punch(self, body: dict) -> dict:
        tenant_id = _worker_tenant(self.caller)
        data = _PUNCH_INPUT.load(body)
        answer = domain.record_punch(self.db, caller=self.caller, tenant_id=tenant_id, data=data)
        return _PUNCH.dump(punch_view(answer))

    @rpc
    @requires("self.work")
    def my_visits(self, query: dict | None = None) -> dict:
        tenant_id = _worker_tenant(self.caller)
        options = VisitQuerySchema().load(query or {})
        found = domain.list_visits(self.db, caller=self.caller, tenant_id=tenant_id, **options)
        found["items"] = [visit_view(v) for v in found["items"]]
        return VisitPageSchema().dump(found)

    @rpc
    @requires_any(*READ)
    def list_visits(self, query: dict | None = None) -> dict:
        tenant_id = self.caller.require_tenant()
        options = VisitQuerySchema().load(query or {})
        found = domain.list_visits(self.db, caller=self.caller, tenant_id=tenant_id, **options)
        found["items"] = [visit_view(v) for v in found["items"]]
        return VisitPageSchema().dump(found)

    @rpc
    @requires_any("self.work", *READ)
    def get_visit(self, visit_id: str) -> dict:
        view = domain.read_visit(
            self.db, caller=self.caller, tenant_id=self.caller.require_tenant(), visit_id=visit_id
        )
        return VisitSchema().dump(visit_view(view))

    @rpc
    @requires("timesheets.approve")
    def correct_visit(self, visit_id: str, body: dict) -> dict:
        tenant_id = _staff_tenant(self.caller)
        # Another CBO's visit is not found before its body is judged.
        domain.visit_for(self.db, caller=self.caller, tenant_id=tenant_id, visit_id=visit_id)
        data = CorrectionSchema().load(body)
        view = domain.correct_visit(
            self.db, caller=self.caller, tenant_id=tenant_id, visit_id=visit_id, data=data
        )
        return VisitSchema().dump(visit_view(view))

    @rpc
    @requires("timesheets.approve")
    def resolve_exception(self, exception_id: str, body: dict) -> dict:
        tenant_id = _staff_tenant(self.caller)
        domain.exception_for(self.db, tenant_id=tenant_id, exception_id=exception_id)
        data = ResolveSchema().load(body)
        view = domain.resolve_exception(
            self.db, caller=self.caller, tenant_id=tenant_id, exception_id=exception_id, data=data
        )
        return VisitSchema().dump(visit_view(view))

    @rpc
    @requires("timesheets.approve")
    def get_evv_settings(self) -> dict:
        tenant_id = _staff_tenant(self.caller)
        found = domain.settings_for(self.db, tenant_id=tenant_id)
        return SettingsSchema().dump(domain.settings_dict(found))

    @rpc
    @requires("timesheets.approve")
    def update_evv_settings(self, body: dict) -> dict:
        tenant_id = _staff_tenant(self.caller)
        data = SettingsUpdateSchema().load(body)
        found = domain.update_settings(self.db, caller=self.caller, tenant_id=tenant_id, data=data)
        return SettingsSchema().dump(domain.settings_dict(found))

    @rpc
    @requires("clients.manage")
    def set_client_evv(self, client_id: str, body: dict) -> dict:
        tenant_id = _staff_tenant(self.caller)
        if not 1 <= len(client_id) <= 36:
            raise NotFound("There is no such client.")
        # Tenancy answers only for a client of the caller's own CBO (NotFound otherwise).
        TenancyClient(self.services).client_record(client_id=client_id)
        data = ClientChoiceSchema().load(body)
        answer = domain.set_client_choice(
            self.db, caller=self.caller, tenant_id=tenant_id, client_id=client_id, evv=data["evv"]
        )
        return ClientChoiceViewSchema().dump(answer)

    @timer("evv_sweep_seconds")
    def sweep_visits(self) -> None:
        """Possible no-shows, missing clock-outs, and visits now complete enough to verify."""
        domain.sweep(self.db)
