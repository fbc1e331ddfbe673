"""Shared builders of test data: callers, and the things a test needs to exist first.

The data builders go through the real domain functions (never raw inserts), with their input
loaded by the area's own input schema, so what they make is exactly what the API would have
made: the same defaults, the same events and audit entries in the outbox, the same checks. Each
takes the unit of work first and keyword-only overrides after, and only flushes: the test
decides whether to commit.

    tenant = a_cbo(uow)                                   # an approved CBO
    paused = a_cbo(uow, status="suspended", slug="paused-cbo")
    client = a_client(uow, tenant_id=tenant.id, kind="family")
    source = a_worker_source(uow, tenant_id=tenant.id, cap=14, terms=[("2026-08-25", "2026-12-15")])

Identity's builders start from a CBO as identity knows it (tenancy's events projected):

    cbo = a_projected_cbo(uow)                            # identity's view of an approved CBO
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["approver"])   # invited, accepted
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id, status="approved", job_types=["home_care"])
    as_ana = caller_of(uow, ana)                          # the caller her token makes

Names, slugs and emails are unique per call (a mark of the run and a counter), so that tests
never collide, even when they commit (the integration tests) or build many of a kind.

The bodies (`application`, `client_details`, ...) are the raw request bodies the API takes,
for tests that call over RPC or HTTP.
"""

from __future__ import annotations

import base64
import itertools
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from chassis.context import Caller
from chassis.contracts.permissions import BUILTIN_ROLES
from chassis.db import UnitOfWork
from chassis.mail import Email
from chassis.uploads import read_upload
from services.identity.accounts import domain as accounts
from services.identity.accounts import invitations
from services.identity.accounts.models import Account, Invitation
from services.identity.jobseekers import domain as jobseekers
from services.identity.jobseekers.models import JobseekerDocument
from services.identity.jobseekers.schemas import DocumentUploadSchema, StaffRegistrationSchema
from services.identity.staff import domain as staff
from services.identity.staff import roles as custom_roles
from services.identity.staff.schemas import (
    ClientUserCreateSchema,
    RoleCreateSchema,
    StaffCreateSchema,
)
from services.identity.tenants import domain as projections
from services.identity.tenants.models import ClientRef, SourceRef
from services.identity.tenants.models import Tenant as ProjectedCbo
from services.tenancy.clients import domain as clients
from services.tenancy.clients.models import Client
from services.tenancy.clients.schemas import ClientInputSchema
from services.tenancy.licences import domain as licences
from services.tenancy.licences.schemas import LicenceGrantSchema
from services.tenancy.partnerships import domain as partnerships
from services.tenancy.partnerships.schemas import PartnershipProposalSchema
from services.tenancy.sources import domain as sources
from services.tenancy.sources.models import WorkerSource
from services.tenancy.sources.schemas import SourceInputSchema
from services.tenancy.tenants import domain as tenants
from services.tenancy.tenants.models import Mou, Tenant
from services.tenancy.tenants.rules import APPLIED, APPROVED, REJECTED, SUSPENDED
from services.tenancy.tenants.schemas import ApplicationSchema, MouInputSchema

_serial = itertools.count(1)
# Apart from other runs too, for data a test leaves in a database that outlives the run.
_RUN = uuid.uuid4().hex[:4]


def unique(stem: str) -> str:
    """`stem` with a mark no other call gets: `cbo-3fa9-17` (this run's, then a counter)."""
    return f"{stem}-{_RUN}-{next(_serial)}"


def _iso(day: date | str | None) -> str | None:
    return day.isoformat() if isinstance(day, date) else day


# -- Callers -----------------------------------------------------------------------------------


def operator_caller(*, user_id: str | None = None) -> Caller:
    """The city's platform operator, with the operator role's permissions."""
    return Caller(
        kind="operator",
        user_id=user_id or str(uuid.uuid4()),
        roles=("operator",),
        permissions=BUILTIN_ROLES["operator"],
    )


def staff_caller(
    tenant_id: str,
    *,
    role: str = "owner",
    permissions: Iterable[str] | None = None,
    user_id: str | None = None,
) -> Caller:
    """A CBO's staff member in `role`, with that role's permissions unless `permissions` are
    given (an empty set: staff with no permission at all)."""
    return Caller(
        kind="staff",
        user_id=user_id or str(uuid.uuid4()),
        tenant_id=tenant_id,
        roles=(role,),
        permissions=BUILTIN_ROLES.get(role, frozenset())
        if permissions is None
        else frozenset(permissions),
    )


def jobseeker_caller(tenant_id: str, *, permissions: Iterable[str] | None = None) -> Caller:
    """A job seeker signed in to a CBO (`permissions`: what a forged token might claim)."""
    return Caller(
        kind="jobseeker",
        user_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        roles=("jobseeker",),
        permissions=BUILTIN_ROLES["jobseeker"] if permissions is None else frozenset(permissions),
    )


def system_caller(*, service: str, tenant_id: str | None = None) -> Caller:
    """`service` acting on its own (an event handler, a timer), within `tenant_id` if given."""
    return Caller.system(service=service, tenant_id=tenant_id)


# -- Files -------------------------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def uploaded(data: bytes, filename: str = "file.bin") -> dict[str, Any]:
    """A file as the gateway hands it to a service: {filename, content_type, size, data}."""
    return {
        "filename": filename,
        "content_type": "application/octet-stream",
        "size": len(data),
        "data": base64.b64encode(data).decode("ascii"),
    }


# -- Tenancy: CBOs and their MOUs --------------------------------------------------------------


def application(slug: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A CBO's application as the API takes it."""
    slug = slug or unique("cbo")
    return {
        "name": f"CBO {slug}",
        "slug": slug,
        "contact_name": "Carla Contact",
        "contact_email": f"contact@{slug}.example.org",
        "owner_name": "Olga Owner",
        "owner_email": f"owner@{slug}.example.org",
        **overrides,
    }


def a_cbo(
    uow: UnitOfWork, *, status: str = APPROVED, slug: str | None = None, **application_fields: Any
) -> Tenant:
    """A CBO that applied and, unless `status` is "applied", was decided on by the city:
    approved (the default), rejected, or approved and then suspended."""
    data = ApplicationSchema().load(application(slug, **application_fields))
    tenant = tenants.apply(uow, data=data)
    actions = {
        APPLIED: (),
        APPROVED: ("approve",),
        REJECTED: ("reject",),
        SUSPENDED: ("approve", "suspend"),
    }[status]
    operator = operator_caller()
    for action in actions:
        reason = None if action == "approve" else f"A test's {action}"
        tenants.decide(uow, caller=operator, tenant_id=tenant.id, action=action, reason=reason)
    return tenant


def mou_details(**overrides: Any) -> dict[str, Any]:
    """An MOU as the API takes it: two signatories, a year from December 2026."""
    return {
        "signed_on": "2026-11-01",
        "starts_on": "2026-12-01",
        "ends_on": "2027-11-30",
        "signatories": [
            {"name": "Ada Director", "title": "Executive Director", "organisation": "The CBO"},
            {"name": "Pat Gateway", "title": "CEO", "organisation": "Pacific Gateway"},
        ],
        **{key: _iso(value) for key, value in overrides.items()},
    }


def an_mou(uow: UnitOfWork, *, tenant_id: str, caller: Caller | None = None, **fields: Any) -> Mou:
    """An MOU recorded by the operator (see `mou_details` for the defaults)."""
    data = MouInputSchema().load(mou_details(**fields))
    return tenants.record_mou(
        uow, caller=caller or operator_caller(), tenant_id=tenant_id, data=data
    )


# -- Tenancy: clients --------------------------------------------------------------------------


def client_details(name: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A client organisation as the API takes it; name and billing email unique by default."""
    name = name or unique("Client")
    mailbox = re.sub("[^a-z0-9]+", "-", name.lower()).strip("-")
    return {
        "name": name,
        "kind": "business",
        "billing_contact": "Bill Payer",
        "billing_email": f"ap.{mailbox}@clients.example.com",
        "billing_phone": "+1 562 555 0100",
        "address_line1": "1 Pine Ave",
        "city": "Long Beach",
        "state": "CA",
        "postal_code": "90802",
        **overrides,
    }


def a_client(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    name: str | None = None,
    caller: Caller | None = None,
    **fields: Any,
) -> Client:
    """A client organisation registered by the CBO's owner."""
    data = ClientInputSchema().load(client_details(name, **fields))
    return clients.create_client(
        uow, caller=caller or staff_caller(tenant_id), tenant_id=tenant_id, data=data
    )


CLIENT_CSV_HEADER = (
    "Name,Type,Contact,Email,Phone,Address,City,State,Zip,Payment terms,PO,Unknown column\n"
)


def client_csv_row(name: str, email: str, **cells: str) -> str:
    """One row under CLIENT_CSV_HEADER (its cells as people's spreadsheets have them)."""
    values = {
        "kind": "business",
        "contact": "Bill Payer",
        "phone": "562-555-0100",
        "address": "1 Pine Ave",
        "city": "Long Beach",
        "state": "ca",
        "zip": "90802",
        "terms": "30",
        "po": "",
        **cells,
    }
    return (
        f"{name},{values['kind']},{values['contact']},{email},{values['phone']},"
        f"{values['address']},{values['city']},{values['state']},{values['zip']},"
        f"{values['terms']},{values['po']},x\n"
    )


def client_csv(good: int, bad: int = 0) -> bytes:
    """A client CSV file: `good` rows "Business <n>", then `bad` rows with a bad email and
    state."""
    rows = [client_csv_row(f"Business {n}", f"ap{n}@biz.example.com") for n in range(good)]
    rows += [client_csv_row(f"Broken {n}", "not-an-email", state="ZZ") for n in range(bad)]
    return (CLIENT_CSV_HEADER + "".join(rows)).encode()


# -- Tenancy: worker sources -------------------------------------------------------------------

Term = tuple[date | str, date | str]


def a_worker_source(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    name: str | None = None,
    cap: float | None = None,
    terms: Sequence[Term] = (),
    active: bool = True,
    caller: Caller | None = None,
) -> WorkerSource:
    """A worker source; `cap` is its weekly hour cap (none by default), `terms` its term
    calendar as (starts_on, ends_on) pairs (none: a cap applies all year)."""
    data = SourceInputSchema().load(
        {
            "name": name or unique("Source"),
            "weekly_hour_cap": cap,
            "terms": [{"starts_on": _iso(s), "ends_on": _iso(e)} for s, e in terms],
            "active": active,
        }
    )
    return sources.create_source(
        uow, caller=caller or staff_caller(tenant_id), tenant_id=tenant_id, data=data
    )


# -- Tenancy: partnerships ---------------------------------------------------------------------


def a_partnership(
    uow: UnitOfWork,
    *,
    proposer_id: str,
    partner_id: str,
    shares: Sequence[str] = ("job_types",),
    status: str = "formed",
    message: str = "",
) -> dict[str, Any]:
    """A partnership `proposer_id` proposed to `partner_id`, taken to `status`: proposed,
    formed (the default: accepted), declined, cancelled (withdrawn) or ended (formed, then
    ended by the proposer). Returned as the proposer sees it."""
    partner = uow.session.get(Tenant, partner_id)
    assert partner is not None, f"no CBO {partner_id}"
    data = PartnershipProposalSchema().load(
        {"partner_slug": partner.slug, "shares": list(shares), "message": message}
    )
    proposer = staff_caller(proposer_id)
    view = partnerships.propose(uow, caller=proposer, tenant_id=proposer_id, data=data)
    # (the CBO that moves, how)
    moves = {
        "proposed": (),
        "formed": ((partner_id, "accept"),),
        "declined": ((partner_id, "decline"),),
        "cancelled": ((proposer_id, "end"),),
        "ended": ((partner_id, "accept"), (proposer_id, "end")),
    }[status]
    for tenant_id, move in moves:
        caller = staff_caller(tenant_id)
        if move == "end":
            partnerships.end(uow, caller=caller, tenant_id=tenant_id, partnership_id=view["id"])
        else:
            partnerships.answer(
                uow,
                caller=caller,
                tenant_id=tenant_id,
                partnership_id=view["id"],
                accept=move == "accept",
            )
    return partnerships.get_partnership(uow, tenant_id=proposer_id, partnership_id=view["id"])


# -- Tenancy: licences -------------------------------------------------------------------------


def a_licence(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    feature: str = "evv",
    starts_on: date | str = date(2026, 1, 1),
    ends_on: date | str | None = None,
) -> dict[str, Any]:
    """A feature licence granted by the operator (open-ended unless `ends_on`)."""
    data = LicenceGrantSchema().load(
        {"feature": feature, "starts_on": _iso(starts_on), "ends_on": _iso(ends_on)}
    )
    return licences.grant(uow, caller=operator_caller(), tenant_id=tenant_id, data=data)


# -- Identity: CBOs, clients and worker sources as identity knows them -------------------------
#
# Identity keeps projections of tenancy's facts (services/identity/tenants); these builders
# write them as tenancy's events would, through the same domain functions its handlers call.


def a_projected_cbo(
    uow: UnitOfWork,
    *,
    status: str = projections.ACTIVE,
    slug: str | None = None,
    name: str | None = None,
    tenant_id: str | None = None,
    occurred_at: datetime | None = None,
) -> ProjectedCbo:
    """A CBO as identity learns it: from tenant.approved (active, the default), then, with
    `status="suspended"`, tenant.suspended a second later."""
    slug = slug or unique("cbo")
    tenant_id = tenant_id or str(uuid.uuid4())
    approved_at = occurred_at or datetime.now(UTC)
    facts = [(projections.ACTIVE, approved_at)]
    if status == projections.SUSPENDED:
        facts.append((projections.SUSPENDED, approved_at + timedelta(seconds=1)))
    for fact, at in facts:
        projections.apply_tenant(
            uow,
            tenant_id=tenant_id,
            slug=slug,
            name=name or f"CBO {slug}",
            status=fact,
            occurred_at=at,
        )
    uow.session.flush()
    found = projections.tenant_by_id(uow, tenant_id=tenant_id)
    assert found is not None
    return found


def later_cbo_status(uow: UnitOfWork, cbo: ProjectedCbo, status: str) -> ProjectedCbo:
    """The CBO's next fact as identity learns it, a minute after the last one it kept:
    tenant.suspended ("suspended") or tenant.reinstated ("active"). (Its handler of a
    suspension also ends the CBO's refresh tokens: `sessions.end_sessions_of_cbo`.)"""
    projections.apply_tenant(
        uow,
        tenant_id=cbo.tenant_id,
        slug=cbo.slug,
        name=cbo.name,
        status=status,
        occurred_at=cbo.changed_at + timedelta(minutes=1),
    )
    return cbo


def a_projected_client(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    client_id: str | None = None,
    name: str | None = None,
    active: bool = True,
) -> ClientRef:
    """A client organisation of the CBO, as client.registered (or client.updated) leaves it."""
    client_id = client_id or str(uuid.uuid4())
    projections.record_client(
        uow, client_id=client_id, tenant_id=tenant_id, name=name or unique("Client"), active=active
    )
    uow.session.flush()
    found = projections.client_of(uow, tenant_id=tenant_id, client_id=client_id)
    assert found is not None
    return found


def a_projected_source(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    source_id: str | None = None,
    name: str | None = None,
    cap: float | None = None,
    active: bool = True,
) -> SourceRef:
    """A worker source of the CBO, as source.created (or source.updated) leaves it."""
    source_id = source_id or str(uuid.uuid4())
    projections.record_source(
        uow,
        source_id=source_id,
        tenant_id=tenant_id,
        name=name or unique("Source"),
        weekly_hour_cap=cap,
        active=active,
    )
    uow.session.flush()
    found = projections.source_of(uow, tenant_id=tenant_id, source_id=source_id)
    assert found is not None
    return found


# -- Identity: accounts, their emailed links, and callers --------------------------------------

PASSWORD = "a long enough password"
# Tokens issued by domain tests (the integration tests' service signs with its own secret).
TOKEN_SETTINGS = accounts.TokenSettings(secret="t" * 48, access_minutes=15, refresh_days=30)
PUBLIC_URL = "https://worklb.example.org"
_LINK_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_\-]+)")

_DEFAULT_ROLES = {
    "operator": ("operator",),
    "staff": ("viewer",),
    "jobseeker": ("jobseeker",),
    "client": ("client",),
}


def an_email(stem: str = "person") -> str:
    """An email address no other call gets."""
    return f"{unique(stem)}@example.org"


def an_account(
    uow: UnitOfWork,
    *,
    tenant_id: str | None,
    kind: str = "staff",
    roles: Sequence[str] | None = None,
    email: str | None = None,
    display_name: str | None = None,
    password: str | None = PASSWORD,
    client_id: str | None = None,
) -> Account:
    """An account made directly (as the deploy step makes the operator's), with no invitation
    and no audit entry: active with `password`, invited without one."""
    email = email or an_email(kind)
    return accounts.create_account(
        uow,
        email=email,
        kind=kind,
        roles=list(roles if roles is not None else _DEFAULT_ROLES[kind]),
        tenant_id=tenant_id,
        display_name=display_name or email.split("@")[0],
        password=password,
        client_id=client_id,
    )


def an_operator(uow: UnitOfWork, *, email: str | None = None, password: str = PASSWORD) -> Account:
    """The platform operator's account, as the deploy step makes it."""
    return accounts.ensure_operator(
        uow, email=email or an_email("operator"), password=password, display_name="Operator"
    )


class Mailbox:
    """A mailer that keeps what it is asked to send (chassis.mail.Mailer's one method)."""

    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send(self, email: Email) -> str:
        self.sent.append(email)
        return f"<{len(self.sent)}@mailbox.test>"


def open_link(uow: UnitOfWork, account_id: str, purpose: str | None = None) -> Invitation:
    """The account's one open link (of `purpose`, when it has links of several kinds open)."""
    query = select(Invitation).where(
        Invitation.account_id == account_id, Invitation.used_at.is_(None)
    )
    if purpose is not None:
        query = query.where(Invitation.purpose == purpose)
    found = list(uow.session.execute(query).scalars())
    assert len(found) == 1, f"{len(found)} open links, expected one: {[i.purpose for i in found]}"
    return found[0]


def emailed_link(
    uow: UnitOfWork, account_id: str, purpose: str | None = None, *, mailbox: Mailbox | None = None
) -> Email:
    """The email of the account's open link, as identity's handler of invitation.created or
    password_reset.requested sends it (invitations.send_link makes the token now)."""
    mailbox = mailbox or Mailbox()
    invitation = open_link(uow, account_id, purpose)
    sent = invitations.send_link(
        uow, mailer=mailbox, invitation_id=invitation.id, tenant_name=None, public_url=PUBLIC_URL
    )
    assert sent, f"the {invitation.purpose} link of {account_id} was not sent"
    return mailbox.sent[-1]


def token_in(email: Email) -> str:
    """The token of the link an email carries."""
    match = _LINK_TOKEN.search(email.text)
    assert match, f"no link with a token in: {email.text!r}"
    return match.group(1)


def link_token(uow: UnitOfWork, account_id: str, purpose: str | None = None) -> str:
    """The token of the account's open link, emailed now."""
    return token_in(emailed_link(uow, account_id, purpose))


def accepted(uow: UnitOfWork, account: Account, *, password: str = PASSWORD) -> dict[str, Any]:
    """The invited account's owner opens their invitation and sets `password`: the token pair
    they are signed in with."""
    return invitations.accept_invitation(
        uow,
        token=link_token(uow, account.id, invitations.INVITATION),
        password=password,
        settings=TOKEN_SETTINGS,
    )


def caller_of(uow: UnitOfWork, account: Account) -> Caller:
    """The caller the gateway makes from the account's access token (its permissions resolved
    from its roles as identity resolves them when it issues the token)."""
    return Caller(
        kind=account.kind,
        user_id=account.id,
        tenant_id=account.tenant_id,
        roles=tuple(account.roles),
        permissions=accounts.permissions_of(uow, account=account),
        client_id=account.client_id,
    )


# -- Identity: staff, custom roles and client users --------------------------------------------


def _invited_then(
    uow: UnitOfWork, caller: Caller, account: Account, status: str, password: str
) -> Account:
    """The invited `account` taken to `status`: invited, active (the invitation accepted), or
    deactivated (accepted, then deactivated by `caller`)."""
    if status not in ("invited", "active", "deactivated"):
        raise ValueError(f"no account status {status!r}")
    if status != "invited":
        accepted(uow, account, password=password)
    if status == "deactivated":
        assert account.tenant_id is not None
        staff.deactivate(
            uow,
            caller=caller,
            tenant_id=account.tenant_id,
            account_id=account.id,
            kind=account.kind,
        )
    return account


def a_staff_member(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    roles: Sequence[str] = ("viewer",),
    email: str | None = None,
    display_name: str = "Sam Staff",
    status: str = "active",
    password: str = PASSWORD,
    caller: Caller | None = None,
) -> Account:
    """A CBO's staff member as the API makes one: registered by the owner (`caller`) and
    invited by email, then, unless `status` is "invited", having accepted the invitation with
    `password` ("active", the default), and then deactivated ("deactivated")."""
    caller = caller or staff_caller(tenant_id)
    data = StaffCreateSchema().load(
        {"email": email or an_email("staff"), "display_name": display_name, "roles": list(roles)}
    )
    member = staff.register_staff(
        uow,
        caller=caller,
        tenant_id=tenant_id,
        email=data["email"],
        display_name=data["display_name"],
        roles_given=data["roles"],
    )
    account = uow.session.get(Account, member["id"])
    assert account is not None
    return _invited_then(uow, caller, account, status, password)


def a_client_user(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    client_id: str | None = None,
    email: str | None = None,
    display_name: str = "Kim Client",
    status: str = "active",
    password: str = PASSWORD,
    caller: Caller | None = None,
) -> Account:
    """A user of one of the CBO's client organisations (a new projected one unless
    `client_id`), made by the CBO's owner and taken to `status` as `a_staff_member`."""
    caller = caller or staff_caller(tenant_id)
    client_id = client_id or a_projected_client(uow, tenant_id=tenant_id).client_id
    data = ClientUserCreateSchema().load(
        {"email": email or an_email("client"), "display_name": display_name}
    )
    user = staff.create_client_user(
        uow, caller=caller, tenant_id=tenant_id, client_id=client_id, **data
    )
    account = uow.session.get(Account, user["id"])
    assert account is not None
    return _invited_then(uow, caller, account, status, password)


def a_custom_role(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    name: str | None = None,
    permissions: Sequence[str] = ("jobseekers.read",),
    description: str = "",
    caller: Caller | None = None,
) -> dict[str, Any]:
    """A custom role the CBO's owner defined; returned as the API shows it."""
    data = RoleCreateSchema().load(
        {
            "name": name or unique("role"),
            "description": description,
            "permissions": list(permissions),
        }
    )
    return custom_roles.create_role(
        uow, caller=caller or staff_caller(tenant_id), tenant_id=tenant_id, **data
    )


# -- Identity: job seekers ---------------------------------------------------------------------


def jobseeker_details(email: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A job seeker as staff register one through the API (self-registration adds a
    `password`)."""
    return {
        "email": email or an_email("seeker"),
        "name": "Maria Lopez",
        "phone": "(562) 555-0100",
        "preferred_language": "es",
        "home_area": "90813",
        "skills": ["Home care", "cooking"],
        **overrides,
    }


def a_document(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    jobseeker_id: str,
    document_type: str = "photo_id",
    status: str = "pending",
    data: bytes = PDF,
    filename: str = "id.pdf",
    reason: str = "A test's rejection",
    caller: Caller | None = None,
) -> JobseekerDocument:
    """An ID document uploaded by the CBO's staff (`caller`) and, unless `status` is
    "pending", reviewed by its approver: "verified" or "rejected" (with `reason`)."""
    fields = DocumentUploadSchema().load({"document_type": document_type})
    upload = read_upload(
        uploaded(data, filename),
        allowed=jobseekers.DOCUMENT_CONTENT_TYPES,
        max_bytes=jobseekers.MAX_DOCUMENT_BYTES,
    )
    document = jobseekers.add_document(
        uow,
        caller=caller or staff_caller(tenant_id, role="admin"),
        tenant_id=tenant_id,
        jobseeker_id=jobseeker_id,
        document_type=fields["document_type"],
        upload=upload,
    )
    if status != "pending":
        jobseekers.review_document(
            uow,
            caller=staff_caller(tenant_id, role="approver"),
            tenant_id=tenant_id,
            jobseeker_id=jobseeker_id,
            document_id=document.id,
            verified=status == "verified",
            reason=None if status == "verified" else reason,
        )
    return document


def a_jobseeker(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    status: str = "pending",
    verified: Sequence[str] = (),
    job_types: Sequence[str] = (),
    signed_up: bool = False,
    caller: Caller | None = None,
    **details: Any,
) -> jobseekers.Jobseeker:
    """A job seeker registered by the CBO's staff (`caller`; invited by email, and with
    `signed_up` having set their password), taken to `status`:

    - "pending" (the default): documents of the types in `verified` uploaded and verified;
    - "approved": every required document verified too, approved, then approved for each of
      `job_types`;
    - "suspended": approved as above, then suspended.

    `details` override `jobseeker_details` (email, name, skills, source_id, ...)."""
    if status not in jobseekers.rules.STATUSES:
        raise ValueError(f"no job-seeker status {status!r}")
    if job_types and status == jobseekers.PENDING:
        raise ValueError("only an approved job seeker is approved for job types")
    caller = caller or staff_caller(tenant_id)
    data = StaffRegistrationSchema().load(jobseeker_details(**details))
    jobseeker = jobseekers.register(
        uow, caller=caller, tenant_id=tenant_id, data=data, channel="staff"
    )
    if signed_up:
        accepted(uow, jobseeker.account)
    to_verify = list(verified)
    if status != jobseekers.PENDING:
        required = jobseekers.required_documents(uow, tenant_id=tenant_id)
        to_verify += [t for t in required if t not in to_verify]
    for document_type in to_verify:
        a_document(
            uow,
            tenant_id=tenant_id,
            jobseeker_id=jobseeker.id,
            document_type=document_type,
            status="verified",
        )
    approver = staff_caller(tenant_id, role="approver")
    ids = {"tenant_id": tenant_id, "jobseeker_id": jobseeker.id}
    if status != jobseekers.PENDING:
        jobseekers.approve(uow, caller=approver, **ids)
        for job_type in job_types:
            jobseekers.approve_job_type(uow, caller=approver, **ids, job_type=job_type)
    if status == jobseekers.SUSPENDED:
        jobseekers.suspend(uow, caller=approver, **ids, reason="A test's suspension")
    return jobseekers.get(uow, **ids)
