"""Worker sources for the CBO's staff, and their rules for other services."""

from __future__ import annotations

from chassis.context import Caller, public, requires
from chassis.contracts import tenancy_rpc
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from services.tenancy.common import staff_tenant
from services.tenancy.sources import domain
from services.tenancy.sources.schemas import (
    SourceInputSchema,
    SourcePageSchema,
    SourceQuerySchema,
    SourceSchema,
    SourceUpdateSchema,
)

SOURCES = "tenant.sources.manage"


class SourcesEntrypoints:
    db: UnitOfWork
    caller: Caller

    @rpc
    @requires(SOURCES)
    def list_sources(self, query: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        options = SourceQuerySchema().load(query or {})
        sources = domain.list_sources(self.db, tenant_id=tenant_id, **options)
        return SourcePageSchema().dump(sources)

    @rpc
    @requires(SOURCES)
    def get_source(self, source_id: str) -> dict:
        source = domain.get_source(
            self.db, tenant_id=staff_tenant(self.caller), source_id=source_id
        )
        return SourceSchema().dump(source)

    @rpc
    @requires(SOURCES)
    def create_source(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = SourceInputSchema().load(body)
        source = domain.create_source(self.db, caller=self.caller, tenant_id=tenant_id, data=data)
        return SourceSchema().dump(source)

    @rpc
    @requires(SOURCES)
    def update_source(self, source_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = SourceUpdateSchema().load(body)
        source = domain.update_source(
            self.db, caller=self.caller, tenant_id=tenant_id, source_id=source_id, data=data
        )
        return SourceSchema().dump(source)

    @rpc
    @public
    def source_rules(self, source_id: str, on_date: str | None = None) -> dict:
        """For other services (booking enforces the cap): the source's weekly hour cap and
        whether it applies on `on_date`. Scoped to the caller's CBO."""
        request = tenancy_rpc.SourceRulesRequest().load(
            {"source_id": source_id, "on_date": on_date}
        )
        found = domain.source_rules(self.db, scope=self.caller.service_scope(), **request)
        return tenancy_rpc.SourceRulesSchema().dump(found)

    @rpc
    @public
    def source_record(self, source_id: str) -> dict:
        """For other services whose copy of worker sources follows tenancy's events (identity,
        booking): one source of the caller's own CBO, so that one just created is usable in
        the very next request. The caller must belong to a CBO; another CBO's source is
        NotFound."""
        request = tenancy_rpc.SourceRecordRequest().load({"source_id": source_id})
        source = domain.get_source(
            self.db, tenant_id=self.caller.require_tenant(), source_id=request["source_id"]
        )
        return tenancy_rpc.SourceRecordSchema().dump(
            {
                "source_id": source.id,
                "name": source.name,
                "weekly_hour_cap": source.cap,
                "terms": source.term_dates,
                "active": source.active,
            }
        )
