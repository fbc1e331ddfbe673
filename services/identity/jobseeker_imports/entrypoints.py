"""The job-seeker import's entrypoints: start an import (its background job runs after the call
answers), follow it, read its report, resume it."""

from __future__ import annotations

from chassis.context import Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.jobs import JobStarter
from services.identity.jobseeker_imports import domain
from services.identity.jobseeker_imports.schemas import (
    ImportListQuerySchema,
    ImportPageSchema,
    ImportRowPageSchema,
    ImportRowsQuerySchema,
    ImportSchema,
    ImportStartSchema,
)


class JobseekerImportsEntrypoints:
    """A mixin of IdentityService (which provides db, caller and `imports`, the JobRunner of
    domain.IMPORT_JOB)."""

    db: UnitOfWork
    caller: Caller
    imports: JobStarter  # starts an import's job once the call has committed

    @rpc
    @requires("jobseekers.manage")
    def start_import(self, body: dict) -> dict:
        """Check and keep a CSV of job seekers; the import runs after this call answers."""
        options = ImportStartSchema().load(body)
        tenant_id = self.caller.require_tenant()
        imported = domain.create_import(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            upload=options.pop("file", None),
            **options,
        )
        self.imports.start(imported.job_id)
        view = domain.get_import(self.db, tenant_id=tenant_id, import_id=imported.id)
        return ImportSchema().dump(view)

    @rpc
    @requires("jobseekers.manage")
    def list_imports(self, query: dict) -> dict:
        paging = ImportListQuerySchema().load(query)
        page = domain.list_imports(self.db, tenant_id=self.caller.require_tenant(), **paging)
        return ImportPageSchema().dump(page)

    @rpc
    @requires("jobseekers.manage")
    def get_import(self, import_id: str) -> dict:
        view = domain.get_import(
            self.db, tenant_id=self.caller.require_tenant(), import_id=import_id
        )
        return ImportSchema().dump(view)

    @rpc
    @requires("jobseekers.manage")
    def list_import_rows(self, import_id: str, query: dict) -> dict:
        options = ImportRowsQuerySchema().load(query)
        page = domain.import_rows(
            self.db, tenant_id=self.caller.require_tenant(), import_id=import_id, **options
        )
        return ImportRowPageSchema().dump(page)

    @rpc
    @requires("jobseekers.manage")
    def resume_import(self, import_id: str) -> dict:
        """Start an interrupted import again; it continues after its last committed chunk."""
        tenant_id = self.caller.require_tenant()
        job_id = domain.resume_import(self.db, tenant_id=tenant_id, import_id=import_id)
        self.imports.start(job_id)
        view = domain.get_import(self.db, tenant_id=tenant_id, import_id=import_id)
        return ImportSchema().dump(view)
