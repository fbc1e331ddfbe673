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
from datetime import date
from typing import Any

from chassis.context import Caller
from chassis.contracts.permissions import BUILTIN_ROLES
from chassis.db import UnitOfWork
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


# -- Identity: accounts and job seekers --------------------------------------------------------
#
# TO BE FILLED once identity is in the area layout (services/identity/accounts, jobseekers):
# `an_account(uow, *, tenant_id, role=..., ...)`, `a_jobseeker(uow, *, tenant_id,
# status=..., source_id=..., ...)`, built the same way, through identity's domain functions.
