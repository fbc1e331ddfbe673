"""Job types for the CBO's staff (who manage them) and its client users (who read the
CBO-wide ones and their own client's exclusive ones)."""

from __future__ import annotations

from chassis.context import Caller, requires, requires_any
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.rpc import ServiceCaller
from services.booking.common import ensure_client, market_tenant, staff_tenant
from services.booking.jobtypes import domain
from services.booking.jobtypes.schemas import (
    JobTypeInputSchema,
    JobTypePageSchema,
    JobTypeQuerySchema,
    JobTypeSchema,
    JobTypeUpdateSchema,
)

READ = ("bookings.read", "self.book")
MANAGE = "bookings.manage"


class JobtypesEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    @rpc
    @requires_any(*READ)
    def list_job_types(self, query: dict | None = None) -> dict:
        tenant_id = market_tenant(self.caller)
        options = JobTypeQuerySchema().load(query or {})
        found = domain.list_job_types(self.db, caller=self.caller, tenant_id=tenant_id, **options)
        items = [domain.view(j, caller=self.caller) for j in found["items"]]
        return JobTypePageSchema().dump({**found, "items": items})

    @rpc
    @requires_any(*READ)
    def get_job_type(self, job_type_id: str) -> dict:
        job_type = domain.read_job_type(
            self.db,
            caller=self.caller,
            tenant_id=market_tenant(self.caller),
            job_type_id=job_type_id,
        )
        return JobTypeSchema().dump(domain.view(job_type, caller=self.caller))

    @rpc
    @requires(MANAGE)
    def create_job_type(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = JobTypeInputSchema().load(body)
        ensure_client(self, data.get("client_id"))
        job_type = domain.create_job_type(
            self.db, caller=self.caller, tenant_id=tenant_id, data=data
        )
        return JobTypeSchema().dump(domain.view(job_type, caller=self.caller))

    @rpc
    @requires(MANAGE)
    def update_job_type(self, job_type_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = JobTypeUpdateSchema().load(body)
        job_type = domain.update_job_type(
            self.db, caller=self.caller, tenant_id=tenant_id, job_type_id=job_type_id, data=data
        )
        return JobTypeSchema().dump(domain.view(job_type, caller=self.caller))

    @rpc
    @requires(MANAGE)
    def deactivate_job_type(self, job_type_id: str) -> dict:
        job_type = domain.deactivate_job_type(
            self.db,
            caller=self.caller,
            tenant_id=staff_tenant(self.caller),
            job_type_id=job_type_id,
        )
        return JobTypeSchema().dump(domain.view(job_type, caller=self.caller))
