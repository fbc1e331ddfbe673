"""The job-seeker import's entrypoints: start an import (it runs after the call answers), follow
it, read its report, resume it."""

from __future__ import annotations

from collections.abc import Callable

from chassis.context import Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
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
    """A mixin of IdentityService (which provides db, caller and the import runner)."""

    db: UnitOfWork
    caller: Caller
    imports: Callable[[str], None]  # the ImportRunner: launch an import once the call commits

    @rpc
    @requires("jobseekers.manage")
    def start_import(self, body: dict) -> dict:
        """Check and keep a CSV of job seekers; the import runs after this call answers."""
        options = ImportStartSchema().load(body)
        job = domain.create_import(
            self.db,
            self.caller,
            tenant_id=self.caller.require_tenant(),
            upload=options.pop("file", None),
            **options,
        )
        self.imports(job.id)  # type: ignore[operator]
        return ImportSchema().dump(domain.import_view(self.db, job))

    @rpc
    @requires("jobseekers.manage")
    def list_imports(self, query: dict) -> dict:
        paging = ImportListQuerySchema().load(query)
        page = domain.list_imports(self.db, tenant_id=self.caller.require_tenant(), **paging)
        return ImportPageSchema().dump(page)

    @rpc
    @requires("jobseekers.manage")
    def get_import(self, import_id: str) -> dict:
        job = domain.get_import(
            self.db, tenant_id=self.caller.require_tenant(), import_id=import_id
        )
        return ImportSchema().dump(domain.import_view(self.db, job))

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
        job = domain.prepare_resume(
            self.db, tenant_id=self.caller.require_tenant(), import_id=import_id
        )
        self.imports(job.id)  # type: ignore[operator]
        return ImportSchema().dump(domain.import_view(self.db, job))
