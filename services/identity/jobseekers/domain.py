"""Job seekers: registration, profile, ID documents, approval and eligibility.

Plain functions over a unit of work; no nameko here. Every function takes the tenant id the
entrypoint got from the caller (or, for self-registration, from the CBO's slug) and every query
filters by it, so another CBO's job seeker is simply not found. Staff actions that change
something are written to the audit trail; every state change emits its event in the same
transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from chassis.audit import audit
from chassis.context import JOBSEEKER, Caller
from chassis.contracts.identity_rpc import ELIGIBLE_JOBSEEKERS_MAX
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound, ValidationFailed
from chassis.paging import order_by, page_rows, text_search
from chassis.uploads import Upload
from services.identity.accounts import domain as accounts
from services.identity.accounts import invitations
from services.identity.accounts.models import Account
from services.identity.jobseekers import rules
from services.identity.jobseekers.models import (
    JobseekerDocument,
    JobseekerJobType,
    JobseekerProfile,
    empty_availability,
)
from services.identity.jobseekers.rules import APPROVED, PENDING, SUSPENDED
from services.identity.tenants import domain as tenants

JOBSEEKER_ROLE = "jobseeker"
DOCUMENT_CONTENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

VERIFIED = "verified"
REJECTED = "rejected"

# The profile fields a caller may change, besides the account's email and name.
PROFILE_FIELDS = (
    "phone",
    "preferred_language",
    "languages",
    "home_area",
    "skills",
    "source_id",
    "availability",
)


@dataclass(frozen=True)
class Jobseeker:
    account: Account
    profile: JobseekerProfile

    @property
    def id(self) -> str:
        return self.account.id


def required_documents(uow: UnitOfWork, *, tenant_id: str) -> tuple[str, ...]:
    """The document types a CBO requires verified before approval (the default for now;
    tenancy's rules may later make it a per-CBO setting)."""
    return rules.DEFAULT_REQUIRED_DOCUMENTS


# -- reading ---------------------------------------------------------------------------------


def get(uow: UnitOfWork, *, tenant_id: str, jobseeker_id: str, lock: bool = False) -> Jobseeker:
    """The job seeker in this CBO, or NotFound (also for another CBO's job seeker)."""
    query = (
        select(Account, JobseekerProfile)
        .join(JobseekerProfile, JobseekerProfile.account_id == Account.id)
        .where(JobseekerProfile.account_id == jobseeker_id, JobseekerProfile.tenant_id == tenant_id)
    )
    if lock:
        query = query.with_for_update(of=JobseekerProfile)
    row = uow.session.execute(query).one_or_none()
    if row is None:
        raise NotFound("There is no such job seeker in this CBO.")
    return Jobseeker(row[0], row[1])


def own(uow: UnitOfWork, *, caller: Caller, lock: bool = False) -> Jobseeker:
    """The caller's own job-seeker record."""
    tenant_id = caller.require_tenant()
    if caller.kind != JOBSEEKER or not caller.user_id:
        raise NotFound("Only a job seeker has a job-seeker profile.")
    return get(uow, tenant_id=tenant_id, jobseeker_id=caller.user_id, lock=lock)


def job_types_of(uow: UnitOfWork, *, jobseeker_id: str) -> list[str]:
    return list(
        uow.session.execute(
            select(JobseekerJobType.job_type)
            .where(JobseekerJobType.jobseeker_id == jobseeker_id)
            .order_by(JobseekerJobType.job_type)
        ).scalars()
    )


def missing_documents(uow: UnitOfWork, *, tenant_id: str, jobseeker_id: str) -> list[str]:
    verified = set(
        uow.session.execute(
            select(JobseekerDocument.document_type).where(
                JobseekerDocument.tenant_id == tenant_id,
                JobseekerDocument.jobseeker_id == jobseeker_id,
                JobseekerDocument.status == VERIFIED,
            )
        ).scalars()
    )
    return [t for t in required_documents(uow, tenant_id=tenant_id) if t not in verified]


def view(uow: UnitOfWork, *, jobseeker: Jobseeker) -> dict[str, Any]:
    """Everything JobseekerSchema shows."""
    account, profile = jobseeker.account, jobseeker.profile
    return {
        "id": account.id,
        "tenant_id": profile.tenant_id,
        "email": account.email,
        "name": account.display_name,
        "phone": profile.phone,
        "preferred_language": profile.preferred_language,
        "languages": list(profile.languages or []),
        "home_area": profile.home_area,
        "skills": list(profile.skills or []),
        "source_id": profile.source_id,
        "availability": profile.availability or empty_availability(),
        "status": profile.status,
        "account_status": account.status,
        "channel": profile.channel,
        "job_types": job_types_of(uow, jobseeker_id=account.id),
        "missing_documents": missing_documents(
            uow, tenant_id=profile.tenant_id, jobseeker_id=account.id
        ),
        "approved_at": profile.approved_at,
        "suspended_at": profile.suspended_at,
        "suspension_reason": profile.suspension_reason,
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
    }


def _snapshot(jobseeker: Jobseeker) -> dict[str, Any]:
    """The editable state, for the audit trail's before/after (JSON-safe)."""
    account, profile = jobseeker.account, jobseeker.profile
    return {
        "email": account.email,
        "name": account.display_name,
        **{name: getattr(profile, name) for name in PROFILE_FIELDS},
        "status": profile.status,
    }


def profile_event(
    jobseeker_id: str, name: str, profile: JobseekerProfile | dict[str, Any]
) -> dict[str, Any]:
    """The data of jobseeker.profile_changed: the profile as it is now, in full (a profile row,
    or the values just written for one)."""

    def value(column: str) -> Any:
        return profile.get(column) if isinstance(profile, dict) else getattr(profile, column)

    return {
        "jobseeker_id": jobseeker_id,
        "name": name,
        "skills": list(value("skills") or []),
        "languages": list(value("languages") or []),
        "home_area": value("home_area"),
        "source_id": value("source_id"),
        "availability": value("availability") or empty_availability(),
        "status": value("status") or PENDING,
    }


def _profile_changed(uow: UnitOfWork, jobseeker: Jobseeker) -> None:
    uow.emit(
        "jobseeker.profile_changed",
        profile_event(jobseeker.id, jobseeker.account.display_name, jobseeker.profile),
        tenant_id=jobseeker.profile.tenant_id,
    )


# What `sort` may name in the list of job seekers.
LIST_ORDERS = {
    "created_at": JobseekerProfile.created_at,
    "name": Account.display_name,
    "email": Account.email,
}


def list_jobseekers(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    status: str | None = None,
    skill: str | None = None,
    source_id: str | None = None,
    job_type: str | None = None,
    search: str | None = None,
    sort: str = "-created_at",
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    query = (
        select(Account, JobseekerProfile)
        .join(JobseekerProfile, JobseekerProfile.account_id == Account.id)
        .where(JobseekerProfile.tenant_id == tenant_id)
    )
    if status:
        query = query.where(JobseekerProfile.status == status)
    if skill:
        query = query.where(JobseekerProfile.skills.contains([skill]))
    if source_id:
        query = query.where(JobseekerProfile.source_id == source_id)
    if job_type:
        query = query.where(
            select(JobseekerJobType.jobseeker_id)
            .where(
                JobseekerJobType.jobseeker_id == JobseekerProfile.account_id,
                JobseekerJobType.job_type == job_type,
            )
            .exists()
        )
    if search:
        query = query.where(
            text_search(search, Account.display_name, Account.email, JobseekerProfile.phone)
        )
    return page_rows(
        uow.session,
        order_by(query, sort, LIST_ORDERS, Account.id),
        page=page,
        per_page=per_page,
        view=_list_item,
    )


def _list_item(found: Any) -> dict[str, Any]:
    """A job seeker as the list shows them, from an (account, profile) row."""
    account, profile = found
    return {
        "id": account.id,
        "email": account.email,
        "name": account.display_name,
        "phone": profile.phone,
        "home_area": profile.home_area,
        "skills": list(profile.skills or []),
        "source_id": profile.source_id,
        "status": profile.status,
        "account_status": account.status,
        "created_at": profile.created_at,
    }


# -- registration ----------------------------------------------------------------------------


def _check_source(uow: UnitOfWork, tenant_id: str, source_id: str | None) -> None:
    if source_id and tenants.source_of(uow, tenant_id=tenant_id, source_id=source_id) is None:
        raise ValidationFailed(fields={"source_id": ["This CBO has no such worker source."]})


def _active_tenant(uow: UnitOfWork, slug: str) -> tenants.Tenant:
    tenant = tenants.tenant_by_slug(uow, slug=slug)
    if tenant is None or tenant.status != tenants.ACTIVE:
        raise NotFound("There is no CBO at this address.")
    return tenant


def register(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    data: dict[str, Any],
    channel: str,
    password_hash: str | None = None,
) -> Jobseeker:
    """A new job seeker: an invited account and a profile. Emits jobseeker.registered.

    Registered by staff, the person is invited to set a password. Self-registered (with the
    hash of the password they chose), they are asked to confirm their email, which activates
    the account."""
    _check_source(uow, tenant_id, data.get("source_id"))
    account = accounts.create_account(
        uow,
        email=data["email"],
        kind=JOBSEEKER,
        roles=[JOBSEEKER_ROLE],
        tenant_id=tenant_id,
        display_name=data["name"],
    )
    account.password_hash = password_hash
    profile = JobseekerProfile(
        account_id=account.id,
        tenant_id=tenant_id,
        phone=data.get("phone"),
        preferred_language=data.get("preferred_language") or "en",
        languages=list(data.get("languages") or []),
        home_area=data.get("home_area"),
        skills=list(data.get("skills") or []),
        source_id=data.get("source_id"),
        availability=data.get("availability") or empty_availability(),
        status=PENDING,
        channel=channel,
    )
    uow.session.add(profile)
    uow.session.flush()
    uow.session.refresh(profile)  # server-side timestamps
    uow.emit(
        "jobseeker.registered",
        {"jobseeker_id": account.id, "source_id": profile.source_id, "channel": channel},
        tenant_id=tenant_id,
    )
    jobseeker = Jobseeker(account, profile)
    _profile_changed(uow, jobseeker)
    tenant = tenants.tenant_by_id(uow, tenant_id=tenant_id)
    tenant_name = tenant.name if tenant else None
    if password_hash is None:
        invitations.invite(uow, account=account, tenant_name=tenant_name)
    else:
        invitations.ask_to_confirm_email(uow, account=account, tenant_name=tenant_name)
    if channel != "self":
        audit(
            uow,
            caller,
            action="jobseeker.registered",
            entity_type="jobseeker",
            entity_id=account.id,
            after=_snapshot(jobseeker),
            tenant_id=tenant_id,
        )
    return jobseeker


def register_self(uow: UnitOfWork, *, caller: Caller, slug: str, data: dict[str, Any]) -> None:
    """Self-registration on a CBO's site: the CBO comes from its slug, never from the body.

    It answers the same whether or not the email has an account in the CBO, and takes about
    as long (the password is hashed either way), so nobody learns from it who is registered:
    a new person is sent a link to confirm their email, and the owner of an email that has an
    account is told by email instead, with a link to reset their password."""
    tenant = _active_tenant(uow, slug)
    _check_source(uow, tenant.tenant_id, data.get("source_id"))
    password_hash = accounts.hash_password(data["password"])
    existing = accounts.find_account(uow, email=data["email"], tenant_id=tenant.tenant_id)
    if existing is not None:
        invitations.tell_already_registered(uow, account=existing, tenant_name=tenant.name)
        return
    fields = {k: v for k, v in data.items() if k != "password"}
    register(
        uow,
        caller=caller,
        tenant_id=tenant.tenant_id,
        data=fields,
        channel="self",
        password_hash=password_hash,
    )


# -- profile ---------------------------------------------------------------------------------


def update_profile(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, jobseeker_id: str, changes: dict[str, Any]
) -> Jobseeker:
    """Change some of the profile (fields left out stay); staff edits go to the audit trail."""
    jobseeker = get(uow, tenant_id=tenant_id, jobseeker_id=jobseeker_id, lock=True)
    before = _snapshot(jobseeker)
    published = profile_event(jobseeker.id, jobseeker.account.display_name, jobseeker.profile)
    account, profile = jobseeker.account, jobseeker.profile
    if "email" in changes and changes["email"].lower() != account.email.lower():
        if accounts.find_account(uow, email=changes["email"], tenant_id=tenant_id) is not None:
            raise Conflict("That email is already registered.", {"email": ["Already registered."]})
        account.email = changes["email"]
    elif "email" in changes:
        account.email = changes["email"]  # a change of case only
    if "name" in changes:
        account.display_name = changes["name"]
    if "source_id" in changes:
        _check_source(uow, tenant_id, changes["source_id"])
    for name in PROFILE_FIELDS:
        if name in changes:
            setattr(profile, name, changes[name])
    if (
        "preferred_language" in changes
        and "languages" not in changes
        and changes["preferred_language"] not in (profile.languages or [])
    ):
        profile.languages = [*(profile.languages or []), changes["preferred_language"]]
    uow.session.flush()
    uow.session.refresh(profile)
    after = _snapshot(jobseeker)
    if profile_event(jobseeker.id, account.display_name, profile) != published:
        _profile_changed(uow, jobseeker)
    if before != after and caller.user_id != jobseeker_id:
        audit(
            uow,
            caller,
            action="jobseeker.updated",
            entity_type="jobseeker",
            entity_id=jobseeker_id,
            before={k: v for k, v in before.items() if before[k] != after[k]},
            after={k: v for k, v in after.items() if before[k] != after[k]},
            tenant_id=tenant_id,
        )
    return jobseeker


# -- documents -------------------------------------------------------------------------------


def document_view(document: JobseekerDocument) -> dict[str, Any]:
    return {
        "id": document.id,
        "jobseeker_id": document.jobseeker_id,
        "document_type": document.document_type,
        "filename": document.filename,
        "content_type": document.content_type,
        "size_bytes": document.size_bytes,
        "sha256": document.sha256,
        "status": document.status,
        "reason": document.reason,
        "uploaded_by": document.uploaded_by,
        "reviewed_by": document.reviewed_by,
        "reviewed_at": document.reviewed_at,
        "created_at": document.created_at,
    }


def add_document(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    jobseeker_id: str,
    document_type: str,
    upload: Upload,
) -> JobseekerDocument:
    """Keep an uploaded ID document (already checked by chassis.uploads.read_upload) for
    review. Emits document.uploaded."""
    jobseeker = get(uow, tenant_id=tenant_id, jobseeker_id=jobseeker_id)
    document = JobseekerDocument(
        tenant_id=tenant_id,
        jobseeker_id=jobseeker.id,
        document_type=document_type,
        filename=upload.filename,
        content_type=upload.content_type,
        size_bytes=upload.size,
        sha256=hashlib.sha256(upload.data).hexdigest(),
        content=upload.data,
        status="pending",
        uploaded_by=caller.user_id,
    )
    uow.session.add(document)
    uow.session.flush()
    uow.session.refresh(document, ["created_at"])
    uow.emit(
        "document.uploaded",
        {"jobseeker_id": jobseeker.id, "document_id": document.id, "document_type": document_type},
        tenant_id=tenant_id,
    )
    if caller.user_id != jobseeker.id:
        audit(
            uow,
            caller,
            action="document.uploaded",
            entity_type="jobseeker_document",
            entity_id=document.id,
            after={"jobseeker_id": jobseeker.id, "document_type": document_type},
            tenant_id=tenant_id,
        )
    return document


def list_documents(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    jobseeker_id: str,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
    document_type: str | None = None,
) -> dict[str, Any]:
    """A page of a job seeker's ID documents ({items, total, page, per_page})."""
    get(uow, tenant_id=tenant_id, jobseeker_id=jobseeker_id)
    query = select(JobseekerDocument).where(
        JobseekerDocument.tenant_id == tenant_id,
        JobseekerDocument.jobseeker_id == jobseeker_id,
    )
    if status:
        query = query.where(JobseekerDocument.status == status)
    if document_type:
        query = query.where(JobseekerDocument.document_type == document_type)
    columns = {
        "created_at": JobseekerDocument.created_at,
        "document_type": JobseekerDocument.document_type,
        "status": JobseekerDocument.status,
    }
    query = order_by(query, sort, columns, JobseekerDocument.id)
    return page_rows(uow.session, query, page=page, per_page=per_page, view=document_view)


def _document(
    uow: UnitOfWork, *, tenant_id: str, jobseeker_id: str, document_id: str, lock: bool = False
) -> JobseekerDocument:
    query = select(JobseekerDocument).where(
        JobseekerDocument.id == document_id,
        JobseekerDocument.tenant_id == tenant_id,
        JobseekerDocument.jobseeker_id == jobseeker_id,
    )
    if lock:
        query = query.with_for_update()
    document = uow.session.execute(query).scalar_one_or_none()
    if document is None:
        raise NotFound("There is no such document.")
    return document


def document_file(
    uow: UnitOfWork, *, tenant_id: str, jobseeker_id: str, document_id: str
) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of one document."""
    document = _document(
        uow, tenant_id=tenant_id, jobseeker_id=jobseeker_id, document_id=document_id
    )
    return document.filename, document.content_type, document.content


def review_document(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    jobseeker_id: str,
    document_id: str,
    verified: bool,
    reason: str | None = None,
) -> JobseekerDocument:
    """Staff accept (verify) or reject a document, rejecting with a reason. A decision may
    be changed later (a verified document found to be false), never repeated."""
    document = _document(
        uow, tenant_id=tenant_id, jobseeker_id=jobseeker_id, document_id=document_id, lock=True
    )
    status = VERIFIED if verified else REJECTED
    if document.status == status:
        raise Conflict(f"This document is already {status}.")
    if not verified and not reason:
        raise ValidationFailed(fields={"reason": ["Give a reason."]})
    before = {"status": document.status, "reason": document.reason}
    document.status = status
    document.reason = None if verified else reason
    document.reviewed_by = caller.user_id
    document.reviewed_at = datetime.now(UTC)
    data: dict[str, Any] = {
        "jobseeker_id": jobseeker_id,
        "document_id": document.id,
        "document_type": document.document_type,
    }
    if verified:
        uow.emit("document.verified", data, tenant_id=tenant_id)
    else:
        uow.emit("document.rejected", {**data, "reason": reason}, tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action=f"document.{status}",
        entity_type="jobseeker_document",
        entity_id=document.id,
        before=before,
        after={"status": status, "reason": document.reason},
        tenant_id=tenant_id,
    )
    return document


# -- approval --------------------------------------------------------------------------------


def approve(uow: UnitOfWork, *, caller: Caller, tenant_id: str, jobseeker_id: str) -> Jobseeker:
    """Approve a job seeker to work under the CBO's brand: only with every required document
    verified (else 409 naming what is missing). Emits jobseeker.approved."""
    jobseeker = get(uow, tenant_id=tenant_id, jobseeker_id=jobseeker_id, lock=True)
    profile = jobseeker.profile
    missing = missing_documents(uow, tenant_id=tenant_id, jobseeker_id=jobseeker_id)
    problem = rules.approval_problem(profile.status, missing)
    if problem:
        unverified = {"documents": [f"{t} is not verified." for t in missing]}
        raise Conflict(problem, unverified if profile.status == PENDING else None)
    profile.status = APPROVED
    profile.approved_at = datetime.now(UTC)
    profile.approved_by = caller.user_id
    uow.emit("jobseeker.approved", {"jobseeker_id": jobseeker_id}, tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="jobseeker.approved",
        entity_type="jobseeker",
        entity_id=jobseeker_id,
        before={"status": PENDING},
        after={"status": APPROVED},
        tenant_id=tenant_id,
    )
    return jobseeker


def approve_job_type(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, jobseeker_id: str, job_type: str
) -> Jobseeker:
    """Approve a job seeker for one job type; only an approved job seeker can be (an approval
    per job type narrows the CBO's approval, it never replaces it)."""
    jobseeker = get(uow, tenant_id=tenant_id, jobseeker_id=jobseeker_id, lock=True)
    problem = rules.job_type_approval_problem(jobseeker.profile.status)
    if problem:
        raise Conflict(problem)
    existing = uow.session.get(JobseekerJobType, (jobseeker_id, job_type))
    if existing is not None:
        raise Conflict(f"This job seeker is already approved for {job_type}.")
    uow.session.add(
        JobseekerJobType(
            jobseeker_id=jobseeker_id,
            job_type=job_type,
            tenant_id=tenant_id,
            approved_by=caller.user_id,
        )
    )
    uow.session.flush()
    uow.emit(
        "jobseeker.jobtype_approved",
        {"jobseeker_id": jobseeker_id, "job_type": job_type},
        tenant_id=tenant_id,
    )
    audit(
        uow,
        caller,
        action="jobseeker.jobtype_approved",
        entity_type="jobseeker",
        entity_id=jobseeker_id,
        after={"job_type": job_type},
        tenant_id=tenant_id,
    )
    return jobseeker


def suspend(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, jobseeker_id: str, reason: str
) -> Jobseeker:
    """No more offers until reinstated. Emits jobseeker.suspended."""
    jobseeker = get(uow, tenant_id=tenant_id, jobseeker_id=jobseeker_id, lock=True)
    profile = jobseeker.profile
    if profile.status == SUSPENDED:
        raise Conflict("This job seeker is already suspended.")
    before = profile.status
    profile.status = SUSPENDED
    profile.suspended_at = datetime.now(UTC)
    profile.suspension_reason = reason
    uow.emit(
        "jobseeker.suspended", {"jobseeker_id": jobseeker_id, "reason": reason}, tenant_id=tenant_id
    )
    audit(
        uow,
        caller,
        action="jobseeker.suspended",
        entity_type="jobseeker",
        entity_id=jobseeker_id,
        before={"status": before},
        after={"status": SUSPENDED, "reason": reason},
        tenant_id=tenant_id,
    )
    return jobseeker


def reinstate(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, jobseeker_id: str, reason: str
) -> Jobseeker:
    """Back to what the job seeker was before the suspension (approved, or still pending).
    Emits jobseeker.reinstated."""
    jobseeker = get(uow, tenant_id=tenant_id, jobseeker_id=jobseeker_id, lock=True)
    profile = jobseeker.profile
    if profile.status != SUSPENDED:
        raise Conflict("This job seeker is not suspended.")
    profile.status = rules.status_after_reinstatement(profile.approved_at)
    profile.suspended_at = None
    profile.suspension_reason = None
    uow.emit(
        "jobseeker.reinstated",
        {"jobseeker_id": jobseeker_id, "reason": reason},
        tenant_id=tenant_id,
    )
    audit(
        uow,
        caller,
        action="jobseeker.reinstated",
        entity_type="jobseeker",
        entity_id=jobseeker_id,
        before={"status": SUSPENDED},
        after={"status": profile.status, "reason": reason},
        tenant_id=tenant_id,
    )
    return jobseeker


# -- eligibility (for booking) ---------------------------------------------------------------


def eligibility(
    uow: UnitOfWork, *, tenant_id: str, jobseeker_id: str, job_type: str
) -> dict[str, Any]:
    """Whether a job seeker may be offered work of `job_type`, with the reasons if not.
    Never eligible until approved, approved for the job type, and not suspended."""
    profile = uow.session.execute(
        select(JobseekerProfile).where(
            JobseekerProfile.account_id == jobseeker_id, JobseekerProfile.tenant_id == tenant_id
        )
    ).scalar_one_or_none()
    approved_for = (
        profile is not None
        and uow.session.get(JobseekerJobType, (jobseeker_id, job_type)) is not None
    )
    reasons = rules.ineligibility_reasons(
        profile.status if profile is not None else None,
        approved_for_job_type=approved_for,
        job_type=job_type,
    )
    return {
        "jobseeker_id": jobseeker_id,
        "job_type": job_type,
        "eligible": not reasons,
        "reasons": reasons,
    }


def eligible_jobseekers(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    job_type: str,
    among: Iterable[str] | None = None,
    needs_job_type_approval: bool = True,
    limit: int = ELIGIBLE_JOBSEEKERS_MAX,
) -> list[str]:
    """The ids of the CBO's job seekers who may be offered work of `job_type` now, in id
    order: approved by the CBO and not suspended, their account not deactivated, and approved
    for the job type unless it needs no such approval (`needs_job_type_approval` false).
    Optionally only among some candidates; at most `limit` ids."""
    query = (
        select(JobseekerProfile.account_id)
        .join(Account, Account.id == JobseekerProfile.account_id)
        .where(
            JobseekerProfile.tenant_id == tenant_id,
            JobseekerProfile.status == APPROVED,
            Account.status != accounts.DEACTIVATED,
        )
        .order_by(JobseekerProfile.account_id)
        .limit(limit)
    )
    if needs_job_type_approval:
        query = query.join(
            JobseekerJobType,
            (JobseekerJobType.jobseeker_id == JobseekerProfile.account_id)
            & (JobseekerJobType.job_type == job_type),
        )
    if among is not None:
        query = query.where(JobseekerProfile.account_id.in_(set(among)))
    return list(uow.session.execute(query).scalars())
