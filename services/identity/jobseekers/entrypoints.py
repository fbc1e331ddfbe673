"""The job seekers area's entrypoints: registration, profile, documents, approval, suspension and
eligibility.

Thin: each entrypoint checks the caller's permission, takes the tenant from the caller (or, for
public self-registration, from the CBO's slug in the path), validates with the area's schemas
and calls its domain functions.
"""

from __future__ import annotations

from collections.abc import Callable

from chassis.context import Caller, public, requires, requires_any
from chassis.contracts import identity_rpc
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.schemas import ReasonSchema
from chassis.uploads import file_payload, read_upload
from services.identity.accounts.schemas import AcceptedSchema
from services.identity.jobseekers import domain
from services.identity.jobseekers.schemas import (
    DocumentPageSchema,
    DocumentQuerySchema,
    DocumentSchema,
    DocumentUploadSchema,
    DownloadSchema,
    JobseekerListQuerySchema,
    JobseekerPageSchema,
    JobseekerSchema,
    JobTypeApprovalSchema,
    ProfileUpdateSchema,
    SelfRegistrationSchema,
    StaffRegistrationSchema,
)

READ_DOCUMENTS = ("jobseekers.read", "jobseekers.approve")
REGISTRATION_ACCEPTED = {
    "status": "accepted",
    "message": "Thank you. We have sent you an email: open its link to confirm your address, "
    "then sign in with your password.",
}


class JobseekersEntrypoints:
    """Registration, profiles, ID documents, approval and suspension, and eligibility for
    other services. A mixin of IdentityService (which provides db and caller, and
    TenantsEntrypoints' _ensure_source)."""

    db: UnitOfWork
    caller: Caller
    _ensure_source: Callable[[str | None], None]

    def _tenant(self) -> str:
        return self.caller.require_tenant()

    def _profile(self, jobseeker: domain.Jobseeker) -> dict:
        return JobseekerSchema().dump(domain.view(self.db, jobseeker=jobseeker))

    # -- registration ------------------------------------------------------------------------

    @rpc
    @public
    def register_self(self, slug: str, body: dict) -> dict:
        """Self-registration on a CBO's site (the gateway checks the site's origin). The same
        answer whether or not the email has an account (see domain.register_self)."""
        data = SelfRegistrationSchema().load(body)
        domain.register_self(self.db, caller=self.caller, slug=slug, data=data)
        return AcceptedSchema().dump(REGISTRATION_ACCEPTED)

    @rpc
    @requires("jobseekers.manage")
    def register_jobseeker(self, body: dict) -> dict:
        """Registration by staff: the person is invited to set a password."""
        data = StaffRegistrationSchema().load(body)
        self._ensure_source(data.get("source_id"))
        jobseeker = domain.register(
            self.db, caller=self.caller, tenant_id=self._tenant(), data=data, channel="staff"
        )
        return self._profile(jobseeker)

    # -- profile -----------------------------------------------------------------------------

    @rpc
    @requires("self.profile")
    def get_own_profile(self) -> dict:
        return self._profile(domain.own(self.db, caller=self.caller))

    @rpc
    @requires("self.profile")
    def update_own_profile(self, body: dict) -> dict:
        changes = ProfileUpdateSchema().load(body)
        me = domain.own(self.db, caller=self.caller)
        self._ensure_source(changes.get("source_id"))
        jobseeker = domain.update_profile(
            self.db,
            caller=self.caller,
            tenant_id=me.profile.tenant_id,
            jobseeker_id=me.id,
            changes=changes,
        )
        return self._profile(jobseeker)

    @rpc
    @requires("jobseekers.read")
    def list_jobseekers(self, query: dict) -> dict:
        filters = JobseekerListQuerySchema().load(query)
        page = domain.list_jobseekers(self.db, tenant_id=self._tenant(), **filters)
        return JobseekerPageSchema().dump(page)

    @rpc
    @requires("jobseekers.read")
    def get_jobseeker(self, jobseeker_id: str) -> dict:
        return self._profile(
            domain.get(self.db, tenant_id=self._tenant(), jobseeker_id=jobseeker_id)
        )

    @rpc
    @requires("jobseekers.manage")
    def update_jobseeker(self, jobseeker_id: str, body: dict) -> dict:
        changes = ProfileUpdateSchema().load(body)
        self._ensure_source(changes.get("source_id"))
        jobseeker = domain.update_profile(
            self.db,
            caller=self.caller,
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
            allowed=domain.DOCUMENT_CONTENT_TYPES,
            max_bytes=domain.MAX_DOCUMENT_BYTES,
        )
        document = domain.add_document(
            self.db,
            caller=self.caller,
            tenant_id=self._tenant(),
            jobseeker_id=jobseeker_id,
            document_type=fields["document_type"],
            upload=upload,
        )
        return DocumentSchema().dump(domain.document_view(document))

    def _download(self, jobseeker_id: str, document_id: str) -> dict:
        filename, content_type, content = domain.document_file(
            self.db, tenant_id=self._tenant(), jobseeker_id=jobseeker_id, document_id=document_id
        )
        return DownloadSchema().dump(
            file_payload(filename=filename, content_type=content_type, data=content)
        )

    @rpc
    @requires("self.profile")
    def upload_own_document(self, body: dict) -> dict:
        return self._upload(domain.own(self.db, caller=self.caller).id, body)

    @rpc
    @requires("self.profile")
    def list_own_documents(self, query: dict | None = None) -> dict:
        me = domain.own(self.db, caller=self.caller)
        options = DocumentQuerySchema().load(query or {})
        documents = domain.list_documents(
            self.db, tenant_id=me.profile.tenant_id, jobseeker_id=me.id, **options
        )
        return DocumentPageSchema().dump(documents)

    @rpc
    @requires("self.profile")
    def download_own_document(self, document_id: str) -> dict:
        return self._download(domain.own(self.db, caller=self.caller).id, document_id)

    @rpc
    @requires("jobseekers.manage")
    def upload_document(self, jobseeker_id: str, body: dict) -> dict:
        return self._upload(jobseeker_id, body)

    @rpc
    @requires_any(*READ_DOCUMENTS)
    def list_documents(self, jobseeker_id: str, query: dict | None = None) -> dict:
        options = DocumentQuerySchema().load(query or {})
        documents = domain.list_documents(
            self.db, tenant_id=self._tenant(), jobseeker_id=jobseeker_id, **options
        )
        return DocumentPageSchema().dump(documents)

    @rpc
    @requires_any(*READ_DOCUMENTS)
    def download_document(self, jobseeker_id: str, document_id: str) -> dict:
        return self._download(jobseeker_id, document_id)

    @rpc
    @requires("jobseekers.approve")
    def verify_document(self, jobseeker_id: str, document_id: str) -> dict:
        document = domain.review_document(
            self.db,
            caller=self.caller,
            tenant_id=self._tenant(),
            jobseeker_id=jobseeker_id,
            document_id=document_id,
            verified=True,
        )
        return DocumentSchema().dump(domain.document_view(document))

    @rpc
    @requires("jobseekers.approve")
    def reject_document(self, jobseeker_id: str, document_id: str, body: dict) -> dict:
        data = ReasonSchema().load(body)
        document = domain.review_document(
            self.db,
            caller=self.caller,
            tenant_id=self._tenant(),
            jobseeker_id=jobseeker_id,
            document_id=document_id,
            verified=False,
            reason=data["reason"],
        )
        return DocumentSchema().dump(domain.document_view(document))

    # -- approval ----------------------------------------------------------------------------

    @rpc
    @requires("jobseekers.approve")
    def approve_jobseeker(self, jobseeker_id: str) -> dict:
        return self._profile(
            domain.approve(
                self.db, caller=self.caller, tenant_id=self._tenant(), jobseeker_id=jobseeker_id
            )
        )

    @rpc
    @requires("jobseekers.approve")
    def approve_job_type(self, jobseeker_id: str, body: dict) -> dict:
        data = JobTypeApprovalSchema().load(body)
        return self._profile(
            domain.approve_job_type(
                self.db,
                caller=self.caller,
                tenant_id=self._tenant(),
                jobseeker_id=jobseeker_id,
                job_type=data["job_type"],
            )
        )

    @rpc
    @requires("jobseekers.approve")
    def suspend_jobseeker(self, jobseeker_id: str, body: dict) -> dict:
        data = ReasonSchema().load(body)
        return self._profile(
            domain.suspend(
                self.db,
                caller=self.caller,
                tenant_id=self._tenant(),
                jobseeker_id=jobseeker_id,
                reason=data["reason"],
            )
        )

    @rpc
    @requires("jobseekers.approve")
    def reinstate_jobseeker(self, jobseeker_id: str, body: dict) -> dict:
        data = ReasonSchema().load(body)
        return self._profile(
            domain.reinstate(
                self.db,
                caller=self.caller,
                tenant_id=self._tenant(),
                jobseeker_id=jobseeker_id,
                reason=data["reason"],
            )
        )

    # -- eligibility, for other services (no gateway route) ----------------------------------

    @rpc
    @public
    def is_eligible(self, jobseeker_id: str, job_type: str, tenant_id: str | None = None) -> dict:
        """Whether a job seeker may be offered work of a job type, with reasons if not.
        For other services (booking) acting for a caller of the CBO; no gateway route."""
        request = identity_rpc.IsEligibleRequest().load(
            {"jobseeker_id": jobseeker_id, "job_type": job_type, "tenant_id": tenant_id}
        )
        result = domain.eligibility(
            self.db,
            tenant_id=self.caller.tenant_asked_about(request["tenant_id"]),
            jobseeker_id=request["jobseeker_id"],
            job_type=request["job_type"],
        )
        return identity_rpc.EligibilitySchema().dump(result)

    @rpc
    @public
    def eligible_jobseekers(
        self,
        job_type: str,
        jobseeker_ids: list[str] | None = None,
        tenant_id: str | None = None,
        needs_job_type_approval: bool = True,
    ) -> list[str]:
        """The ids of the CBO's job seekers who may be offered work of `job_type` now
        (approved, not suspended, not deactivated, and approved for the job type unless
        `needs_job_type_approval` is false), among at most 500 candidates (at most 500 ids)."""
        request = identity_rpc.EligibleJobseekersRequest().load(
            {
                "job_type": job_type,
                "jobseeker_ids": jobseeker_ids,
                "tenant_id": tenant_id,
                "needs_job_type_approval": needs_job_type_approval,
            }
        )
        return domain.eligible_jobseekers(
            self.db,
            tenant_id=self.caller.tenant_asked_about(request["tenant_id"]),
            job_type=request["job_type"],
            among=request["jobseeker_ids"],
            needs_job_type_approval=request["needs_job_type_approval"],
        )
