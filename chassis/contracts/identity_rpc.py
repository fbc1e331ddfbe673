"""The RPCs identity offers other services, and their typed client.

    if not IdentityClient(self.services).is_eligible(jobseeker_id=..., job_type=...).eligible:
        ...

Both answer about the caller's CBO; a system caller without a tenant (a platform-wide job)
names the CBO in `tenant_id`, and a CBO's caller may name only its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, post_load, validate

from chassis.contracts.rpc import ServiceClient, rpc_contract
from chassis.contracts.sessions import SessionStatusSchema
from chassis.schemas import Pattern

SERVICE = "identity"

# A job type's key, as booking names job types and identity approves people for them.
JOB_TYPE_KEY = Pattern(
    r"^[a-z0-9][a-z0-9_.\-]{0,63}$",
    error="Lower-case letters, digits, '_', '.', '-'; at most 64 characters.",
)


# -- is_eligible ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    jobseeker_id: str
    job_type: str
    eligible: bool
    # Why not, in words a scheduler can read; empty when eligible.
    reasons: list[str]


class IsEligibleRequest(Schema):
    jobseeker_id = fields.String(required=True)
    job_type = fields.String(required=True, validate=JOB_TYPE_KEY)
    tenant_id = fields.String(load_default=None, allow_none=True)


class EligibilitySchema(Schema):
    """Whether a job seeker may be offered work of a job type, with the reasons if not."""

    jobseeker_id = fields.String(required=True)
    job_type = fields.String(required=True)
    eligible = fields.Boolean(required=True)
    reasons = fields.List(fields.String(), required=True)

    @post_load
    def make(self, data: dict, **_) -> Eligibility:
        return Eligibility(**data)


IS_ELIGIBLE = rpc_contract(
    SERVICE,
    "is_eligible",
    request=IsEligibleRequest,
    response=EligibilitySchema(),
    description="Whether a job seeker may be offered work of a job type (approved, approved "
    "for the job type, not suspended), with the reasons if not.",
)


# -- eligible_jobseekers -------------------------------------------------------------------


# At most this many ids are asked about, or answered, in one call.
ELIGIBLE_JOBSEEKERS_MAX = 500


class EligibleJobseekersRequest(Schema):
    job_type = fields.String(required=True, validate=JOB_TYPE_KEY)
    # Only among these candidates (at most ELIGIBLE_JOBSEEKERS_MAX); when absent, the CBO's
    # first ELIGIBLE_JOBSEEKERS_MAX eligible job seekers by id.
    jobseeker_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=ELIGIBLE_JOBSEEKERS_MAX),
    )
    tenant_id = fields.String(load_default=None, allow_none=True)
    # False for a job type that needs no approval per job type: then approved by the CBO and
    # not suspended is enough.
    needs_job_type_approval = fields.Boolean(load_default=True)


ELIGIBLE_JOBSEEKERS = rpc_contract(
    SERVICE,
    "eligible_jobseekers",
    request=EligibleJobseekersRequest,
    response=fields.List(fields.String(), required=True),
    description="The ids of the CBO's job seekers who may be offered work of a job type now: "
    "approved by the CBO, not suspended, their account not deactivated, and approved for the "
    "job type unless `needs_job_type_approval` is false. Among at most "
    f"{ELIGIBLE_JOBSEEKERS_MAX} candidates; without candidates, at most "
    f"{ELIGIBLE_JOBSEEKERS_MAX} ids (the first by id).",
)


# -- contacts and staff_to_alert (the notifications service) --------------------------------

# At most this many people are asked about in one call.
CONTACTS_MAX = 500


@dataclass(frozen=True)
class Contact:
    """How to reach one person of a CBO: what identity holds of them, as it is now."""

    account_id: str
    kind: str
    name: str
    email: str | None
    # A job seeker's phone as they gave it (staff have none here); the sender normalises it.
    phone: str | None
    # A job seeker's preferred language; None for staff (the CBO's default applies).
    preferred_language: str | None
    active: bool


class ContactsRequest(Schema):
    account_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(max=CONTACTS_MAX),
    )
    tenant_id = fields.String(load_default=None, allow_none=True)


class ContactSchema(Schema):
    account_id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    preferred_language = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)

    @post_load
    def make(self, data: dict, **_) -> Contact:
        return Contact(**data)


CONTACTS = rpc_contract(
    SERVICE,
    "contacts",
    request=ContactsRequest,
    response=ContactSchema(many=True),
    description="How to reach the named accounts of the CBO (name, email, a job seeker's phone "
    "and preferred language, whether the account is active); ids outside the CBO are left out. "
    "For the notifications service.",
)


class StaffToAlertRequest(Schema):
    permission = fields.String(required=True, validate=validate.Length(min=1, max=60))
    tenant_id = fields.String(load_default=None, allow_none=True)


STAFF_TO_ALERT = rpc_contract(
    SERVICE,
    "staff_to_alert",
    request=StaffToAlertRequest,
    response=ContactSchema(many=True),
    description="The CBO's active staff whose roles (built-in or custom) hold `permission`, "
    "with how to reach them (at most 500). For the notifications service.",
)


# -- session_statuses (the gateway's renewal of the session answers it holds) ---------------------

# The most sessions one call asks about; the gateway asks about more in several calls.
MAX_SESSIONS = 500


class SessionKeySchema(Schema):
    account_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    # The session generation a token was issued under (chassis.contracts.sessions).
    generation = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class SessionStatusesRequest(Schema):
    sessions = fields.List(
        fields.Nested(SessionKeySchema),
        required=True,
        validate=validate.Length(max=MAX_SESSIONS),
    )


class SessionStatusItemSchema(SessionStatusSchema):
    """One session's answer (as identity.session_status gives it), with what it is about."""

    account_id = fields.String(required=True)
    generation = fields.Integer(required=True)


SESSION_STATUSES = rpc_contract(
    SERVICE,
    "session_statuses",
    request=SessionStatusesRequest,
    response=SessionStatusItemSchema(many=True),
    description="Whether each (account, generation) session still stands and its CBO's status, "
    f"in the order asked (at most {MAX_SESSIONS}). For the gateway's system only: it renews "
    "the answers of the sessions in use before they expire.",
)


class IdentityClient(ServiceClient):
    service = SERVICE

    def is_eligible(
        self, *, jobseeker_id: str, job_type: str, tenant_id: str | None = None
    ) -> Eligibility:
        return self._call(
            IS_ELIGIBLE, jobseeker_id=jobseeker_id, job_type=job_type, tenant_id=tenant_id
        )

    def eligible_jobseekers(
        self,
        *,
        job_type: str,
        jobseeker_ids: list[str] | None = None,
        tenant_id: str | None = None,
        needs_job_type_approval: bool = True,
    ) -> list[str]:
        return self._call(
            ELIGIBLE_JOBSEEKERS,
            job_type=job_type,
            jobseeker_ids=jobseeker_ids,
            tenant_id=tenant_id,
            needs_job_type_approval=needs_job_type_approval,
        )

    def contacts(self, *, account_ids: list[str], tenant_id: str | None = None) -> list[Contact]:
        return self._call(CONTACTS, account_ids=account_ids, tenant_id=tenant_id)

    def staff_to_alert(self, *, permission: str, tenant_id: str | None = None) -> list[Contact]:
        return self._call(STAFF_TO_ALERT, permission=permission, tenant_id=tenant_id)

    def session_statuses(self, *, sessions: list[dict]) -> list[dict]:
        return self._call(SESSION_STATUSES, sessions=sessions)
