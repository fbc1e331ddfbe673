"""Client organisations and their CSV import, for the CBO's staff."""

from __future__ import annotations

from chassis.context import Caller, public, requires
from chassis.contracts import tenancy_rpc
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.paging import PageQuerySchema
from services.tenancy.clients import domain, imports
from services.tenancy.clients.schemas import (
    ClientImportOptionsSchema,
    ClientImportPageSchema,
    ClientImportSchema,
    ClientInputSchema,
    ClientPageSchema,
    ClientQuerySchema,
    ClientSchema,
    ClientUpdateSchema,
)
from services.tenancy.common import staff_tenant

CLIENTS_READ = "clients.read"
CLIENTS_MANAGE = "clients.manage"


class ClientsEntrypoints:
    db: UnitOfWork
    caller: Caller

    @rpc
    @requires(CLIENTS_READ)
    def list_clients(self, query: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        options = ClientQuerySchema().load(query or {})
        return ClientPageSchema().dump(domain.list_clients(self.db, tenant_id=tenant_id, **options))

    @rpc
    @requires(CLIENTS_READ)
    def get_client(self, client_id: str) -> dict:
        client = domain.get_client(
            self.db, tenant_id=staff_tenant(self.caller), client_id=client_id
        )
        return ClientSchema().dump(client)

    @rpc
    @requires(CLIENTS_MANAGE)
    def create_client(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = ClientInputSchema().load(body)
        client = domain.create_client(self.db, caller=self.caller, tenant_id=tenant_id, data=data)
        return ClientSchema().dump(client)

    @rpc
    @requires(CLIENTS_MANAGE)
    def update_client(self, client_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = ClientUpdateSchema().load(body)
        client = domain.update_client(
            self.db, caller=self.caller, tenant_id=tenant_id, client_id=client_id, data=data
        )
        return ClientSchema().dump(client)

    # -- The CSV import ------------------------------------------------------------------------

    @rpc
    @requires(CLIENTS_MANAGE)
    def import_clients(self, body: dict) -> dict:
        """A CSV of client organisations, checked or imported as `mode` says (clients/imports)."""
        tenant_id = staff_tenant(self.caller)
        options = ClientImportOptionsSchema().load(body)
        job = imports.run_import(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            file=options.get("file"),
            mode=options["mode"],
        )
        return ClientImportSchema().dump(job)

    @rpc
    @requires(CLIENTS_MANAGE)
    def list_client_imports(self, query: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        paging = PageQuerySchema().load(query or {})
        return ClientImportPageSchema().dump(
            imports.list_imports(self.db, tenant_id=tenant_id, **paging)
        )

    @rpc
    @requires(CLIENTS_MANAGE)
    def get_client_import(self, import_id: str) -> dict:
        job = imports.get_import(self.db, tenant_id=staff_tenant(self.caller), import_id=import_id)
        return ClientImportSchema().dump(job)

    @rpc
    @public
    def client_record(self, client_id: str) -> dict:
        """For other services whose copy of clients follows tenancy's events (identity): one
        client of the caller's own CBO, so that one just created is usable in the very next
        request. The caller must belong to a CBO; another CBO's client is NotFound."""
        request = tenancy_rpc.ClientRecordRequest().load({"client_id": client_id})
        client = domain.get_client(
            self.db, tenant_id=self.caller.require_tenant(), client_id=request["client_id"]
        )
        return tenancy_rpc.ClientRecordSchema().dump(
            {"client_id": client.id, "name": client.name, "active": client.active}
        )
