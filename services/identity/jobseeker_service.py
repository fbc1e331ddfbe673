"""Identity's job-seeker entrypoints (registration, profile, documents, approval, import).

A mixin of IdentityService, kept apart from the account entrypoints in service.py. Thin: each
entrypoint checks the caller's permission, takes the tenant from the caller (or, for public
self-registration, from the CBO's slug in the path), validates with jobseeker_schemas and calls
the domain in jobseekers.py / jobseeker_import.py.
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Callable
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider

from chassis.context import Caller, any_of, public, requires
from chassis.db import Database, UnitOfWork
from chassis.entrypoints import rpc
from chassis.errors import Forbidden, Unauthenticated
from chassis.uploads import read_upload
from services.identity import jobseeker_import, jobseekers
from services.identity.jobseeker_schemas import (
    DocumentSchema,
    DocumentUploadSchema,
    DownloadSchema,
    EligibilitySchema,
    ImportListQuerySchema,
    ImportPageSchema,
    ImportRowPageSchema,
    ImportRowsQuerySchema,
    ImportSchema,
    ImportStartSchema,
    JobseekerListQuerySchema,
    JobseekerPageSchema,
    JobseekerReasonSchema,
    JobseekerSchema,
    JobTypeApprovalSchema,
    ProfileUpdateSchema,
    SelfRegistrationSchema,
    StaffRegistrationSchema,
)

log = logging.getLogger(__name__)

READ_DOCUMENTS = ("jobseekers.read", "jobseekers.approve")


def requires_any(*permissions: str) -> Callable:
    """Like chassis.context.requires, for an action any one of several permissions allows."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if not self.caller.authenticated:
                raise Unauthenticated("Sign in first.")
            if not any_of(self.caller, permissions):
                raise Forbidden(f"You need one of these permissions: {', '.join(permissions)}.")
            return method(self, *args, **kwargs)

        wrapper.required_permission = " | ".join(permissions)  # type: ignore[attr-defined]
        return wrapper

    return decorate


class ImportRunner(DependencyProvider):
    """Runs CSV imports outside the request that started them, after its transaction has
    committed; resumes imports a crashed process left behind (at start, then every
    SWEEP_SECONDS)."""

    SWEEP_SECONDS = 30.0

    def setup(self) -> None:
        database = next((d for d in self.container.dependencies if isinstance(d, Database)), None)
        if database is None:
            raise TypeError("the import runner needs a Database dependency")
        self.database: Database = database
        self.pending: dict[Any, list[str]] = {}
        self.running: set[str] = set()
        self._sweeper = None

    def start(self) -> None:
        self._sweeper = self.container.spawn_managed_thread(self._sweep_forever)

    def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.kill()

    def get_dependency(self, worker_ctx) -> Callable[[str], None]:
        def launch(import_id: str) -> None:
            self.pending.setdefault(worker_ctx, []).append(import_id)

        return launch

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        # Called after the entrypoint committed (or failed): only then may a run read the job.
        launches = self.pending.pop(worker_ctx, [])
        if exc_info is None:
            for import_id in launches:
                self.launch(import_id)

    def worker_teardown(self, worker_ctx) -> None:
        self.pending.pop(worker_ctx, None)

    def launch(self, import_id: str) -> None:
        if import_id in self.running:
            return
        self.running.add(import_id)
        self.container.spawn_managed_thread(functools.partial(self._run, import_id))

    def _run(self, import_id: str) -> None:
        try:
            jobseeker_import.run_import(self.database.new_unit, import_id)
        except Exception:
            pass  # run_import logged it and left the job interrupted (resumable)
        finally:
            self.running.discard(import_id)

    def sweep(self) -> None:
        with self.database.transaction() as uow:
            left = jobseeker_import.interrupted_imports(uow)
        for import_id in left:
            self.launch(import_id)

    def _sweep_forever(self) -> None:
        while True:
            try:
                self.sweep()
            except Exception:
                log.exception("could not look for interrupted imports")
            eventlet.sleep(self.SWEEP_SECONDS)


class JobseekerEntrypoints:
    # Provided by ServiceBase in IdentityService.
    db: UnitOfWork
    caller: Caller

    imports = ImportRunner()

    def _tenant(self) -> str:
        return self.caller.require_tenant()

    def _profile(self, jobseeker: jobseekers.Jobseeker) -> dict:
        return JobseekerSchema().dump(jobseekers.view(self.db, jobseeker))

    # -- registration ------------------------------------------------------------------------

    @rpc
    @public
    def register_self(self, slug: str, body: dict) -> dict:
        """Self-registration on a CBO's site (the gateway checks the site's origin)."""
        data = SelfRegistrationSchema().load(body)
        return self._profile(jobseekers.register_self(self.db, self.caller, slug=slug, data=data))

    @rpc
    @requires("jobseekers.manage")
    def register_jobseeker(self, body: dict) -> dict:
        """Registration by staff: the person is invited to set a password."""
        data = StaffRegistrationSchema().load(body)
        jobseeker = jobseekers.register(
            self.db, self.caller, tenant_id=self._tenant(), data=data, channel="staff"
        )
        return self._profile(jobseeker)

    # -- profile -----------------------------------------------------------------------------

    @rpc
    @requires("self.profile")
    def get_own_profile(self) -> dict:
        return self._profile(jobseekers.own(self.db, self.caller))

    @rpc
    @requires("self.profile")
    def update_own_profile(self, body: dict) -> dict:
        changes = ProfileUpdateSchema().load(body)
        me = jobseekers.own(self.db, self.caller)
        jobseeker = jobseekers.update_profile(
            self.db,
            self.caller,
            tenant_id=me.profile.tenant_id,
            jobseeker_id=me.id,
            changes=changes,
        )
        return self._profile(jobseeker)

    @rpc
    @requires("jobseekers.read")
    def list_jobseekers(self, query: dict) -> dict:
        filters = JobseekerListQuerySchema().load(query)
        page = jobseekers.list_jobseekers(self.db, tenant_id=self._tenant(), **filters)
        return JobseekerPageSchema().dump(page)

    @rpc
    @requires("jobseekers.read")
    def get_jobseeker(self, jobseeker_id: str) -> dict:
        return self._profile(
            jobseekers.get(self.db, tenant_id=self._tenant(), jobseeker_id=jobseeker_id)
        )

    @rpc
    @requires("jobseekers.manage")
    def update_jobseeker(self, jobseeker_id: str, body: dict) -> dict:
        changes = ProfileUpdateSchema().load(body)
        jobseeker = jobseekers.update_profile(
            self.db,
            self.caller,
            tenant_id=self._tenant(),
            jobseeker_id=jobseeker_id,
            changes=changes,
        )
        return self._profile(jobseeker)

    # -- documents ---------------------------------------------------------------------------

    def _upload(self, jobseeker_id: str, body: dict) -> dict:
        fields = DocumentUploadSchema().load({k: v for k, v in body.items() if k != "file"})
        upload = read_upload(
            body.get("file"),
            allowed=jobseekers.DOCUMENT_CONTENT_TYPES,
            max_bytes=jobseekers.MAX_DOCUMENT_BYTES,
        )
        document = jobseekers.add_document(
            self.db,
            self.caller,
            tenant_id=self._tenant(),
            jobseeker_id=jobseeker_id,
            document_type=fields["document_type"],
            upload=upload,
        )
        return DocumentSchema().dump(jobseekers.document_view(document))

    def _download(self, jobseeker_id: str, document_id: str) -> dict:
        filename, content_type, content = jobseekers.document_file(
            self.db, tenant_id=self._tenant(), jobseeker_id=jobseeker_id, document_id=document_id
        )
        return DownloadSchema().dump(
            {
                "filename": filename,
                "content_type": content_type,
                "data": base64.b64encode(content).decode("ascii"),
            }
        )

    @rpc
    @requires("self.profile")
    def upload_own_document(self, body: dict) -> dict:
        return self._upload(jobseekers.own(self.db, self.caller).id, body)

    @rpc
    @requires("self.profile")
    def list_own_documents(self) -> list[dict]:
        me = jobseekers.own(self.db, self.caller)
        documents = jobseekers.list_documents(
            self.db, tenant_id=me.profile.tenant_id, jobseeker_id=me.id
        )
        return DocumentSchema(many=True).dump(documents)

    @rpc
    @requires("self.profile")
    def download_own_document(self, document_id: str) -> dict:
        return self._download(jobseekers.own(self.db, self.caller).id, document_id)

    @rpc
    @requires("jobseekers.manage")
    def upload_document(self, jobseeker_id: str, body: dict) -> dict:
        return self._upload(jobseeker_id, body)

    @rpc
    @requires_any(*READ_DOCUMENTS)
    def list_documents(self, jobseeker_id: str) -> list[dict]:
        documents = jobseekers.list_documents(
            self.db, tenant_id=self._tenant(), jobseeker_id=jobseeker_id
        )
        return DocumentSchema(many=True).dump(documents)

    @rpc
    @requires_any(*READ_DOCUMENTS)
    def download_document(self, jobseeker_id: str, document_id: str) -> dict:
        return self._download(jobseeker_id, document_id)

    @rpc
    @requires("jobseekers.approve")
    def verify_document(self, jobseeker_id: str, document_id: str) -> dict:
        document = jobseekers.review_document(
            self.db,
            self.caller,
            tenant_id=self._tenant(),
            jobseeker_id=jobseeker_id,
            document_id=document_id,
            verified=True,
        )
        return DocumentSchema().dump(jobseekers.document_view(document))

    @rpc
    @requires("jobseekers.approve")
    def reject_document(self, jobseeker_id: str, document_id: str, body: dict) -> dict:
        data = JobseekerReasonSchema().load(body)
        document = jobseekers.review_document(
            self.db,
            self.caller,
            tenant_id=self._tenant(),
            jobseeker_id=jobseeker_id,
            document_id=document_id,
            verified=False,
            reason=data["reason"],
        )
        return DocumentSchema().dump(jobseekers.document_view(document))

    # -- approval ----------------------------------------------------------------------------

    @rpc
    @requires("jobseekers.approve")
    def approve_jobseeker(self, jobseeker_id: str) -> dict:
        return self._profile(
            jobseekers.approve(
                self.db, self.caller, tenant_id=self._tenant(), jobseeker_id=jobseeker_id
            )
        )

    @rpc
    @requires("jobseekers.approve")
    def approve_job_type(self, jobseeker_id: str, body: dict) -> dict:
        data = JobTypeApprovalSchema().load(body)
        return self._profile(
            jobseekers.approve_job_type(
                self.db,
                self.caller,
                tenant_id=self._tenant(),
                jobseeker_id=jobseeker_id,
                job_type=data["job_type"],
            )
        )

    @rpc
    @requires("jobseekers.approve")
    def suspend_jobseeker(self, jobseeker_id: str, body: dict) -> dict:
        data = JobseekerReasonSchema().load(body)
        return self._profile(
            jobseekers.suspend(
                self.db,
                self.caller,
                tenant_id=self._tenant(),
                jobseeker_id=jobseeker_id,
                reason=data["reason"],
            )
        )

    @rpc
    @requires("jobseekers.approve")
    def reinstate_jobseeker(self, jobseeker_id: str, body: dict) -> dict:
        data = JobseekerReasonSchema().load(body)
        return self._profile(
            jobseekers.reinstate(
                self.db,
                self.caller,
                tenant_id=self._tenant(),
                jobseeker_id=jobseeker_id,
                reason=data["reason"],
            )
        )

    # -- eligibility, for other services (no gateway route) ----------------------------------

    def _eligibility_tenant(self, tenant_id: str | None) -> str:
        """The caller's tenant; a tenant-less system caller (a platform-wide job) names one."""
        if not self.caller.authenticated:
            raise Unauthenticated("Sign in first.")
        if self.caller.tenant_id is None and self.caller.is_system and tenant_id:
            return tenant_id
        own = self.caller.require_tenant()
        if tenant_id is not None and tenant_id != own:
            raise Forbidden("You may ask only about your own CBO's job seekers.")
        return own

    @rpc
    @public
    def is_eligible(self, jobseeker_id: str, job_type: str, tenant_id: str | None = None) -> dict:
        """Whether a job seeker may be offered work of a job type, with reasons if not.
        For other services (booking) acting for a caller of the CBO; no gateway route."""
        result = jobseekers.eligibility(
            self.db,
            tenant_id=self._eligibility_tenant(tenant_id),
            jobseeker_id=jobseeker_id,
            job_type=job_type,
        )
        return EligibilitySchema().dump(result)

    @rpc
    @public
    def eligible_jobseekers(
        self,
        job_type: str,
        jobseeker_ids: list[str] | None = None,
        tenant_id: str | None = None,
    ) -> list[str]:
        """The ids of the CBO's job seekers who may be offered work of `job_type` (approved,
        approved for the job type, not suspended), optionally among some candidates."""
        return jobseekers.eligible_jobseekers(
            self.db,
            tenant_id=self._eligibility_tenant(tenant_id),
            job_type=job_type,
            among=jobseeker_ids,
        )

    # -- bulk import -------------------------------------------------------------------------

    @rpc
    @requires("jobseekers.manage")
    def start_import(self, body: dict) -> dict:
        """Check and keep a CSV of job seekers; the import runs after this call answers."""
        options = ImportStartSchema().load({k: v for k, v in body.items() if k != "file"})
        job = jobseeker_import.create_import(
            self.db,
            self.caller,
            tenant_id=self._tenant(),
            upload=body.get("file"),
            **options,
        )
        self.imports(job.id)  # type: ignore[operator]
        return ImportSchema().dump(jobseeker_import.import_view(self.db, job))

    @rpc
    @requires("jobseekers.manage")
    def list_imports(self, query: dict) -> dict:
        paging = ImportListQuerySchema().load(query)
        page = jobseeker_import.list_imports(self.db, tenant_id=self._tenant(), **paging)
        return ImportPageSchema().dump(page)

    @rpc
    @requires("jobseekers.manage")
    def get_import(self, import_id: str) -> dict:
        job = jobseeker_import.get_import(self.db, tenant_id=self._tenant(), import_id=import_id)
        return ImportSchema().dump(jobseeker_import.import_view(self.db, job))

    @rpc
    @requires("jobseekers.manage")
    def list_import_rows(self, import_id: str, query: dict) -> dict:
        options = ImportRowsQuerySchema().load(query)
        page = jobseeker_import.import_rows(
            self.db, tenant_id=self._tenant(), import_id=import_id, **options
        )
        return ImportRowPageSchema().dump(page)

    @rpc
    @requires("jobseekers.manage")
    def resume_import(self, import_id: str) -> dict:
        """Start an interrupted import again; it continues after its last committed chunk."""
        job = jobseeker_import.prepare_resume(
            self.db, tenant_id=self._tenant(), import_id=import_id
        )
        self.imports(job.id)  # type: ignore[operator]
        return ImportSchema().dump(jobseeker_import.import_view(self.db, job))
