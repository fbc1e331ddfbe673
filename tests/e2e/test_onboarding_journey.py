"""The first three "done when" points of the onboarding issue, across the whole API and over
HTTP through the gateway only: the onboarding journey with real accounts and real emails;
another CBO's token gets no data from any endpoint; staff without a permission are refused on
every action that needs it. The last two walk gateway.routes.ROUTES, so new routes are covered
as soon as they exist, on real objects of CBO A (booking's too: a shift worked and missed, its
reliability entry and review, a shift offered). A fourth sweep, of the market's issue: on every
booking route, a user of another client of A gets nothing of A's client and changes nothing."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from chassis.contracts.permissions import PERMISSIONS
from deploy.catalogue import SERVICE_CLASSES, load_class
from gateway.routes import ROUTES, Route
from tests.e2e.market import (
    a_job_type,
    a_site,
    an_approved_worker,
    book,
    booking_body,
    days_ahead,
    into_the_past,
    placed,
    register_client,
    set_preference,
    site_body,
)
from tests.e2e.market import client_user as token_of_client_user
from tests.e2e.registration import register_and_confirm
from tests.e2e.test_accounts_api import Cbo, accept_invitation, approved_cbo, sign_in, unique
from tests.e2e.test_jobseekers_api import registration
from tests.e2e.test_tenancy_api import MOU, application, client_body
from tests.e2e.tokens import mint_token
from tests.waiting import wait_for

OWNER_PASSWORD = "the owner's long password"
STAFF_PASSWORD = "the intake worker's password"
SEEKER_PASSWORD = "the job seeker's password"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 256
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
AUTH_ROUTES = [route for route in ROUTES if route.auth]
PLATFORM_PERMISSIONS = frozenset(p for p in PERMISSIONS if p.startswith("platform."))
# Everything a CBO's people (staff, job seekers, client users) can hold.
CBO_PEOPLE_PERMISSIONS = frozenset(PERMISSIONS) - PLATFORM_PERMISSIONS

# Bodies that pass validation, so that a call on another CBO's object reaches the lookup
# (an empty body would stop at 422 first). Any other JSON route gets {}.
VALID_BODIES: dict[str, dict] = {
    "create_report_schedule": {
        "name": "Monday KPIs",
        "recipients": ["board@example.org"],
        "period": "week",
        "hour": 8,
    },
    "update_report_schedule": {"hour": 9},
    "change_staff_roles": {"roles": ["viewer"]},
    "update_role": {"description": "Taken over"},
    "withdraw_offer": {"reason": "Taken over"},
    "create_shift_offer": {"jobseeker_id": "00000000-0000-4000-8000-000000000000"},
    "create_client_user": {"email": "intruder@example.org", "display_name": "Intruder"},
    "reject_tenant": {"reason": "Taken over"},
    "suspend_tenant": {"reason": "Taken over"},
    "reinstate_tenant": {"reason": "Taken over"},
    "record_mou": MOU,
    "grant_licence": {"feature": "evv", "starts_on": "2026-01-01"},
    "revoke_licence": {"reason": "Taken over"},
    "update_client": {"name": "Taken over"},
    "update_source": {"name": "Taken over"},
    "update_jobseeker": {"name": "Taken over"},
    "reject_document": {"reason": "Taken over"},
    "approve_job_type": {"job_type": "cleaning"},
    "suspend_jobseeker": {"reason": "Taken over"},
    "reinstate_jobseeker": {"reason": "Taken over"},
    "mark_attendance": {"outcome": "no_show"},
    "rate_worker": {"rating": "blocked"},
    "set_client_preference": {"rating": "blocked", "note": "Taken over"},
    "appeal_reliability_entry": {"text": "Taken over"},
    "excuse_reliability_entry": {"reason": "Taken over"},
    "decide_reliability_appeal": {"outcome": "overturned", "reason": "Taken over"},
    "close_reliability_review": {"outcome": "Taken over"},
    "cancel_booking": {"reason": "Taken over"},
    "cancel_shift": {"reason": "Taken over"},
    "cancel_assignment": {"reason": "Taken over"},
    "decline_offer": {"reason": "Taken over"},
    "update_job_type": {"name": "Taken over"},
    "update_site": {"name": "Taken over"},
    "withdraw_opportunity_share": {"reason": "Taken over"},
    "offer_shared_opportunity": {"jobseeker_id": "00000000-0000-4000-8000-000000000000"},
    "update_webhook": {"description": "Taken over"},
    "void_invoice": {"reason": "Taken over"},
    "set_client_invoicing": {
        "period": "week",
        "evv_elements": False,
        "bill_premiums": True,
        "terms_days": 30,
    },
    "set_payroll_id": {"payroll_id": "X1001"},
}
CLIENT_CSV_HEADER = "name,kind,billing_contact,billing_email,address_line1,city,state,postal_code\n"
# Upload routes: (form fields, (filename, a small valid file, content type)).
UPLOADS: dict[str, tuple[dict, tuple[str, bytes, str]]] = {
    "set_logo": ({}, ("logo.png", PNG, "image/png")),
    "attach_mou_document": ({}, ("mou.pdf", PDF, "application/pdf")),
    "upload_own_document": ({"document_type": "other"}, ("id.pdf", PDF, "application/pdf")),
    "upload_document": ({"document_type": "other"}, ("id.pdf", PDF, "application/pdf")),
    "start_import": (
        {"mode": "dry_run"},
        ("people.csv", b"email,name\nnew@example.org,New Person\n", "text/csv"),
    ),
    "import_clients": (
        {"mode": "dry_run"},
        (
            "clients.csv",
            (
                CLIENT_CSV_HEADER + "New Co,business,X,x@new.example.com,1 St,Long Beach,CA,90802\n"
            ).encode(),
            "text/csv",
        ),
    ),
}
DEFAULT_UPLOAD: tuple[dict, tuple[str, bytes, str]] = ({}, ("file.png", PNG, "image/png"))
# Custom roles are found by name, and the 404 repeats the name the caller put in the path:
# the caller's own words (the same answer for a role no CBO has), not A's data.
ECHO_THE_PATH_NAME = {"update_role", "delete_role"}


def required_permission(route: Route) -> str | None:
    """What the route's RPC method needs (chassis.context @requires / @public)."""
    method = getattr(load_class(SERVICE_CLASSES[route.service]), route.rpc)
    return method.required_permission


def token_from_sign_in(api, slug: str, email: str, password: str) -> str:
    response = sign_in(api, slug, email, password)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def user_id_of(api, token: str) -> str:
    return api("GET", "/api/v1/me", token).json()["user_id"]


# -- 1. the journey --------------------------------------------------------------------------


def test_the_whole_onboarding_journey(api, smtp, operator_token):
    # A CBO applies; it is nobody's until the city approves it.
    slug = unique("harbor")
    applied = api("POST", "/api/v1/cbo-applications", json=application(slug))
    assert applied.status_code == 201, applied.text
    assert applied.json()["status"] == "applied"
    tenant_id = applied.json()["id"]
    assert api("GET", f"/api/v1/public/cbos/{slug}/branding").status_code == 404

    approved = api("POST", f"/api/v1/platform/cbos/{tenant_id}/approve", operator_token)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    # The owner is emailed an invitation, sets a password with its link and signs in.
    owner_email = f"owner@{slug}.example.org"
    invitation = smtp.wait_for(owner_email)
    assert f"Community {slug}" in invitation["Subject"]
    accept_invitation(api, smtp, owner_email, OWNER_PASSWORD)
    owner = token_from_sign_in(api, slug, owner_email, OWNER_PASSWORD)
    me = api("GET", "/api/v1/me", owner).json()
    assert (me["tenant_id"], me["roles"]) == (tenant_id, ["owner"])

    # Branding, readable by anybody at the public endpoint.
    branding = {
        "display_name": "Harbor Works Long Beach",
        "colors": {"primary": "#0A3D62", "accent": "#E58E26"},
        "terminology": {"en": {"jobseeker": "member"}, "es": {"jobseeker": "miembro"}},
        "languages": ["en", "es", "km"],
        "default_language": "en",
        "timezone": "America/Los_Angeles",
    }
    changed = api("PATCH", "/api/v1/cbo/branding", owner, json=branding)
    assert changed.status_code == 200, changed.text
    public = api("GET", f"/api/v1/public/cbos/{slug}/branding")
    assert public.status_code == 200, public.text
    shown = public.json()
    assert shown["colors"].items() >= branding["colors"].items()  # the rest keep defaults
    assert {key: shown[key] for key in branding if key != "colors"} == {
        key: value for key, value in branding.items() if key != "colors"
    }

    # A custom role that may only read and approve job seekers, and a staff member with it.
    role = api(
        "POST",
        "/api/v1/roles",
        owner,
        json={"name": "intake", "permissions": ["jobseekers.read", "jobseekers.approve"]},
    )
    assert role.status_code == 201, role.text
    staff_email = f"ivy@{slug}.example.org"
    registered_staff = api(
        "POST",
        "/api/v1/staff",
        owner,
        json={"email": staff_email, "display_name": "Ivy Intake", "roles": ["intake"]},
    )
    assert registered_staff.status_code == 201, registered_staff.text
    ivy_id = registered_staff.json()["id"]
    accept_invitation(api, smtp, staff_email, STAFF_PASSWORD)
    ivy = token_from_sign_in(api, slug, staff_email, STAFF_PASSWORD)
    assert set(api("GET", "/api/v1/me", ivy).json()["permissions"]) == {
        "jobseekers.read",
        "jobseekers.approve",
    }

    # Outside her role she is refused, and nothing changes.
    assert (
        api("PATCH", "/api/v1/cbo/branding", ivy, json={"display_name": "Ivy's"}).status_code == 403
    )
    assert api("GET", "/api/v1/staff", ivy).status_code == 403
    assert (
        api(
            "POST",
            "/api/v1/staff",
            ivy,
            json={"email": f"x@{slug}.example.org", "display_name": "X", "roles": ["owner"]},
        ).status_code
        == 403
    )
    assert api("GET", f"/api/v1/public/cbos/{slug}/branding").json()["display_name"] == (
        "Harbor Works Long Beach"
    )

    # A job seeker registers on the CBO's site, signs in and uploads ID.
    seeker_email = f"maria@{slug}.example.org"
    body = registration(seeker_email, password=SEEKER_PASSWORD)
    jobseeker_id, _ = register_and_confirm(api, smtp, slug, body)
    seeker = token_from_sign_in(api, slug, seeker_email, SEEKER_PASSWORD)
    assert api("GET", "/api/v1/me/jobseeker-profile", seeker).json()["status"] == "pending"
    uploads = {
        "photo_id": ("face.png", PNG, "image/png"),
        "work_authorization": ("permit.pdf", PDF, "application/pdf"),
    }
    documents = {}
    for document_type, file in uploads.items():
        uploaded = api(
            "POST",
            "/api/v1/me/documents",
            seeker,
            data={"document_type": document_type},
            files={"file": file},
        )
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["status"] == "pending"
        documents[document_type] = uploaded.json()["id"]
    mine = api("GET", "/api/v1/me/jobseeker-profile", seeker).json()
    assert mine["missing_documents"] == ["photo_id", "work_authorization"]

    # Not approvable before both documents are verified.
    base = f"/api/v1/jobseekers/{jobseeker_id}"
    too_early = api("POST", f"{base}/approve", ivy)
    assert too_early.status_code == 409, too_early.text
    assert "photo_id" in too_early.json()["error"]["message"]

    # The restricted staff member reviews both documents and approves.
    listed = api("GET", f"{base}/documents", ivy)
    assert listed.status_code == 200, listed.text
    assert {d["id"] for d in listed.json()["items"]} == set(documents.values())
    photo = api("GET", f"{base}/documents/{documents['photo_id']}/file", ivy)
    assert photo.status_code == 200 and photo.content == PNG
    for document_id in documents.values():
        verified = api("POST", f"{base}/documents/{document_id}/verify", ivy)
        assert verified.status_code == 200, verified.text
        assert verified.json()["status"] == "verified"
    approval = api("POST", f"{base}/approve", ivy)
    assert approval.status_code == 200, approval.text

    # Approved, as the job seeker and the staff see it.
    mine = api("GET", "/api/v1/me/jobseeker-profile", seeker).json()
    assert (mine["status"], mine["missing_documents"]) == ("approved", [])
    assert api("GET", base, ivy).json()["status"] == "approved"

    # The owner reads Ivy's actions in the audit trail (and nothing of her refused attempts).
    def ivys_trail():
        response = api("GET", f"/api/v1/audit?actor_id={ivy_id}", owner)
        assert response.status_code == 200, response.text
        entries = response.json()["items"]
        return len(entries) >= 3 and entries

    entries = wait_for(ivys_trail, what="Ivy's actions in the audit trail")
    assert sorted((e["action"], e["entity_id"]) for e in entries) == sorted(
        [
            ("document.verified", documents["photo_id"]),
            ("document.verified", documents["work_authorization"]),
            ("jobseeker.approved", jobseeker_id),
        ]
    )
    approved_entry = next(e for e in entries if e["action"] == "jobseeker.approved")
    assert approved_entry["actor_kind"] == "staff"
    assert (approved_entry["before"], approved_entry["after"]) == (
        {"status": "pending"},
        {"status": "approved"},
    )


# -- CBO A: one of everything ----------------------------------------------------------------


@dataclass
class CboA:
    cbo: Cbo
    marker: str  # in every name A's things carry, and in A's files
    ids: dict[str, str]  # by path parameter name (and a few more)
    files: tuple[bytes, ...]

    @property
    def owner(self) -> str:
        return self.cbo.owner


def register_jobseeker(api, smtp, slug: str, email: str, **overrides) -> tuple[str, str]:
    """Self-registration on the CBO's site, confirmed by email: (job seeker id, token)."""
    body = registration(email, password=SEEKER_PASSWORD, **overrides)
    return register_and_confirm(api, smtp, slug, body)


@pytest.fixture(scope="module")
def cbo_a(api, smtp, operator_token, platform) -> CboA:
    marker = f"alder{uuid.uuid4().hex[:8]}"
    cbo = approved_cbo(api, smtp, operator_token, marker)  # slug and owner email carry it
    owner = cbo.owner
    logo = PNG + marker.encode()
    document = PDF + f"% {marker} ID\n".encode()
    mou_document = PDF + f"% {marker} MOU\n".encode()

    def made(response, status: int = 201) -> dict:
        assert response.status_code == status, response.text
        return response.json()

    made(
        api("PATCH", "/api/v1/cbo/branding", owner, json={"display_name": f"Alder Works {marker}"}),
        200,
    )
    made(
        api("PUT", "/api/v1/cbo/logo", owner, files={"file": (f"{marker}.png", logo, "image/png")}),
        200,
    )
    made(
        api(
            "PUT",
            "/api/v1/cbo/login-box",
            owner,
            json={"allowed_origins": [f"https://www.{marker}.example.org"]},
        ),
        200,
    )
    role_name = f"intake-{marker}"
    made(
        api(
            "POST",
            "/api/v1/roles",
            owner,
            json={
                "name": role_name,
                "description": f"Intake at {marker}",
                "permissions": ["jobseekers.read", "jobseekers.approve"],
            },
        )
    )
    staff = made(
        api(
            "POST",
            "/api/v1/staff",
            owner,
            json={
                "email": f"sam@{marker}.example.org",
                "display_name": f"Sam {marker}",
                "roles": [role_name],
            },
        )
    )
    client = made(
        api(
            "POST",
            "/api/v1/clients",
            owner,
            json=client_body(name=f"Client {marker}", billing_email=f"ap@{marker}.example.com"),
        )
    )
    client_user = made(
        api(
            "POST",
            f"/api/v1/clients/{client['id']}/users",
            owner,
            json={"email": f"cleo@{marker}.example.org", "display_name": f"Cleo {marker}"},
        )
    )
    source = made(
        api(
            "POST",
            "/api/v1/worker-sources",
            owner,
            json={"name": f"College {marker}", "weekly_hour_cap": 14},
        )
    )
    jobseeker_id, seeker = register_jobseeker(
        api, smtp, cbo.slug, f"maria@{marker}.example.org", name=f"Maria {marker}"
    )
    uploaded = made(
        api(
            "POST",
            "/api/v1/me/documents",
            seeker,
            data={"document_type": "work_authorization"},
            files={"file": (f"{marker}.pdf", document, "application/pdf")},
        )
    )
    people = f"email,name\nimported@{marker}.example.org,Imported {marker}\n".encode()
    started = made(
        api(
            "POST",
            "/api/v1/jobseeker-imports",
            owner,
            data={"mode": "skip_bad_rows"},
            files={"file": (f"{marker}-people.csv", people, "text/csv")},
        ),
        202,
    )
    wait_for(
        lambda: (
            api("GET", f"/api/v1/jobseeker-imports/{started['id']}", owner).json()["status"]
            == "completed"
        ),
        what="A's job-seeker import",
    )
    clients_csv = (
        CLIENT_CSV_HEADER
        + f"Imported {marker},family,Pat,pat@{marker}.example.org,1 Elm St,Long Beach,CA,90804\n"
    ).encode()
    client_import = made(
        api(
            "POST",
            "/api/v1/clients/imports",
            owner,
            files={"file": (f"{marker}-clients.csv", clients_csv, "text/csv")},
            data={"mode": "all_or_nothing"},
        ),
        200,
    )
    cedar = approved_cbo(api, smtp, operator_token, "cedar")
    partnership = made(
        api(
            "POST",
            "/api/v1/partnerships",
            owner,
            json={
                "partner_slug": cedar.slug,
                "shares": ["opportunities"],
                "message": f"Hello from {marker}",
            },
        )
    )
    platform_path = f"/api/v1/platform/cbos/{cbo.tenant_id}"
    mou = made(
        api(
            "POST",
            f"{platform_path}/mous",
            operator_token,
            json={**MOU, "notes": f"MOU of {marker}"},
        )
    )
    made(
        api(
            "PUT",
            f"{platform_path}/mous/{mou['id']}/document",
            operator_token,
            files={"file": (f"{marker}-mou.pdf", mou_document, "application/pdf")},
        ),
        200,
    )
    licence = made(
        api(
            "POST",
            f"{platform_path}/licences",
            operator_token,
            json={"feature": "rebooking", "starts_on": "2026-01-01"},
        )
    )
    market = booking_of_a(api, smtp, platform, cbo, marker, client["id"])
    schedule = made(
        api(
            "POST",
            "/api/v1/report-schedules",
            owner,
            json={
                "name": f"KPIs of {marker}",
                "recipients": [f"board@{cbo.slug}.example.org"],
                "period": "week",
                "hour": 8,
            },
        )
    )
    ids = {
        **market,
        "tenant_id": cbo.tenant_id,
        "owner_id": user_id_of(api, owner),
        "account_id": staff["id"],
        "name": role_name,
        "client_id": client["id"],
        "client_user_id": client_user["id"],
        "source_id": source["id"],
        "jobseeker_id": jobseeker_id,
        "document_id": uploaded["id"],
        "import_id": started["id"],
        "client_import_id": client_import["id"],
        "partnership_id": partnership["id"],
        "mou_id": mou["id"],
        "licence_id": licence["id"],
        "schedule_id": schedule["id"],
    }
    return CboA(cbo, marker, ids, (logo, document, mou_document))


def booking_of_a(api, smtp, platform, cbo: Cbo, marker: str, client_id: str) -> dict[str, str]:
    """One of every booking thing of A's client, made through the API: a site, a job type
    exclusive to the client, an approved worker (Rosa) who worked a shift there and did not
    come (her assignment, the reliability entry it made and the review it opened, with one
    point the CBO's review threshold), the client's rating of her, and a second shift offered
    to her and waiting for her answer; and another client of A with nothing booked. Their ids
    (and the names they carry)."""
    owner = cbo.owner
    settings = api(
        "PATCH", "/api/v1/booking-settings", owner, json={"reliability_review_points": 1}
    )
    assert settings.status_code == 200, settings.text
    site = a_site(api, owner, client_id, f"Site {marker}")
    job_type = a_job_type(api, owner, f"Job {marker}", client_id=client_id)
    rosa = an_approved_worker(
        api, smtp, platform, {"owner": owner, "slug": cbo.slug}, f"Rosa {marker}"
    )
    where = {"client_id": client_id, "site_id": site["id"], "job_type_id": job_type["id"]}
    worked = placed(api, owner, rosa, on=days_ahead(2), notes=f"Worked {marker}", **where)
    into_the_past(platform, worked["shift_id"], datetime.now(UTC) - timedelta(hours=5))
    marked = api(
        "POST",
        f"/api/v1/assignments/{worked['assignment_id']}/attendance",
        owner,
        json={"outcome": "no_show"},
    )
    assert marked.status_code == 200, marked.text
    reliability = f"/api/v1/jobseekers/{rosa['id']}/reliability"
    (entry,) = wait_for(
        lambda: api("GET", reliability, owner).json()["entries"], what="Rosa's no-show to count"
    )
    (review,) = wait_for(
        lambda: api("GET", f"/api/v1/reliability/reviews?worker_id={rosa['id']}", owner).json()[
            "items"
        ],
        what="Rosa's review",
    )
    set_preference(api, owner, client_id, rosa["id"], "ok", note=f"Once more {marker}")
    waiting = book(
        api, owner, on=days_ahead(3), named=rosa["id"], notes=f"Waiting {marker}", **where
    )
    (shift,) = waiting["shifts"]
    (offer,) = api("GET", f"/api/v1/shifts/{shift['id']}/offers", owner).json()["items"]
    other_client = register_client(api, owner, f"Neighbour {uuid.uuid4().hex[:8]}")
    return {
        "site_id": site["id"],
        "site_name": site["name"],
        "job_type_id": job_type["id"],
        "job_type_name": job_type["name"],
        "worker_id": rosa["id"],
        "worked_booking_id": worked["booking_id"],
        "worked_shift_id": worked["shift_id"],
        "worked_offer_id": worked["offer_id"],
        "assignment_id": worked["assignment_id"],
        "entry_id": entry["id"],
        "review_id": review["id"],
        "booking_id": waiting["id"],
        "shift_id": shift["id"],
        "offer_id": offer["id"],
        "other_client_id": other_client,
    }


# Booking's things of A's client, which another client's user of A must never see.
A_CLIENTS_BOOKING_KEYS = (
    "client_id",
    "site_id",
    "site_name",
    "job_type_id",
    "job_type_name",
    "worked_booking_id",
    "worked_shift_id",
    "worked_offer_id",
    "assignment_id",
    "entry_id",
    "review_id",
    "booking_id",
    "shift_id",
    "offer_id",
)


def path_values(route: Route, ids: dict[str, str]) -> dict[str, str]:
    """The route's path parameters filled from `ids` by name; a fresh uuid where none fits.
    Some names mean different things on different routes: account_id (a staff member, or a
    client user under /clients/), import_id (job seekers', or clients' under /clients/) and
    jobseeker_id (Maria, who registered, or on booking's routes Rosa, who worked)."""
    values = {}
    for name in PARAM.findall(route.path):
        key = name
        if route.path.startswith("/api/v1/clients/") and name in ("account_id", "import_id"):
            key = {"account_id": "client_user_id", "import_id": "client_import_id"}[name]
        if route.service == "booking" and name == "jobseeker_id":
            key = "worker_id"
        values[name] = ids.get(key) or str(uuid.uuid4())
    return values


def call(api, route: Route, token: str, ids: dict[str, str]):
    """The route called with `ids` in its path and a plausible body of the right kind."""
    values = path_values(route, ids)
    path = PARAM.sub(lambda m: values[m.group(1)], route.path)
    kwargs: dict = {}
    if route.upload:
        form, file = UPLOADS.get(route.rpc, DEFAULT_UPLOAD)
        kwargs = {"data": form, "files": {"file": file}}
    elif route.body is not None:
        kwargs = {"json": VALID_BODIES.get(route.rpc, {})}
    return api(route.method, path, token, **kwargs)


def snapshot(api, operator_token: str, a: CboA) -> dict[str, object]:
    """Everything of A, read back by A's owner, the city and the public."""
    ids = a.ids
    seeker = f"/api/v1/jobseekers/{ids['jobseeker_id']}"
    platform_path = f"/api/v1/platform/cbos/{ids['tenant_id']}"
    reads = [
        (a.owner, path)
        for path in (
            "/api/v1/cbo/branding",
            "/api/v1/cbo/login-box",
            "/api/v1/cbo/mous",
            f"/api/v1/cbo/mous/{ids['mou_id']}/document",
            "/api/v1/cbo/licences",
            "/api/v1/staff?per_page=200",
            f"/api/v1/staff/{ids['account_id']}",
            "/api/v1/roles",
            "/api/v1/clients?per_page=200",
            f"/api/v1/clients/{ids['client_id']}",
            f"/api/v1/clients/{ids['client_id']}/users",
            "/api/v1/clients/imports",
            f"/api/v1/clients/imports/{ids['client_import_id']}",
            "/api/v1/worker-sources",
            f"/api/v1/worker-sources/{ids['source_id']}",
            "/api/v1/partnerships",
            f"/api/v1/partnerships/{ids['partnership_id']}",
            "/api/v1/jobseekers?per_page=200",
            seeker,
            f"{seeker}/documents",
            f"{seeker}/documents/{ids['document_id']}/file",
            "/api/v1/jobseeker-imports",
            f"/api/v1/jobseeker-imports/{ids['import_id']}",
            f"/api/v1/jobseeker-imports/{ids['import_id']}/rows",
            "/api/v1/booking-settings",
            *booking_reads(ids),
        )
    ]
    reads += [
        (operator_token, path)
        for path in (
            platform_path,
            f"{platform_path}/mous",
            f"{platform_path}/licences",
        )
    ]
    reads += [(None, f"/api/v1/public/cbos/{a.cbo.slug}/{what}") for what in ("branding", "logo")]
    return read_all(api, reads)


def booking_reads(ids: dict[str, str]) -> tuple[str, ...]:
    """What A's owner reads of A's client's booking things."""
    client = ids["client_id"]
    return (
        "/api/v1/job-types?per_page=200",
        f"/api/v1/job-types/{ids['job_type_id']}",
        f"/api/v1/sites?client_id={client}&per_page=200",
        f"/api/v1/sites/{ids['site_id']}",
        f"/api/v1/bookings?client_id={client}&per_page=200",
        f"/api/v1/bookings/{ids['booking_id']}",
        f"/api/v1/bookings/{ids['worked_booking_id']}",
        f"/api/v1/shifts?client_id={client}&per_page=200",
        f"/api/v1/shifts/{ids['shift_id']}",
        f"/api/v1/shifts/{ids['shift_id']}/offers",
        f"/api/v1/shifts/{ids['worked_shift_id']}/offers",
        f"/api/v1/assignments/{ids['assignment_id']}/attendance",
        f"/api/v1/clients/{client}/preferences",
        f"/api/v1/reliability/entries?worker_id={ids['worker_id']}",
        "/api/v1/reliability/reviews",
        f"/api/v1/jobseekers/{ids['worker_id']}/reliability",
    )


# A worker's reliability is computed as of the moment it is read, and its points decay by
# the minute (they have a half-life): a snapshot compares what only a change would move (the
# entries, their states and reasons, the review), not the weights, the score and its words.
DECAYING = frozenset(
    {"current_weight", "score", "active_points", "computed_at", "explanation", "how_to_improve"}
)


def steady(value: object) -> object:
    if isinstance(value, dict):
        return {k: steady(v) for k, v in value.items() if k not in DECAYING}
    if isinstance(value, list):
        return [steady(v) for v in value]
    return value


def read_all(api, reads) -> dict[str, object]:
    seen: dict[str, object] = {}
    for token, path in reads:
        response = api("GET", path, token)
        assert response.status_code == 200, (path, response.text)
        is_json = response.headers["Content-Type"].startswith("application/json")
        seen[path] = steady(response.json()) if is_json else response.content
    return seen


# -- 2. tenant isolation on every route ------------------------------------------------------


def test_another_cbos_token_gets_no_data_from_any_endpoint(api, smtp, operator_token, cbo_a):
    before = snapshot(api, operator_token, cbo_a)
    birch = approved_cbo(api, smtp, operator_token, "birch")
    _, birch_seeker = register_jobseeker(api, smtp, birch.slug, f"bo@{birch.slug}.example.org")
    # B's owner holds every CBO permission; B's job seeker reaches the self-service routes.
    birch_people = {"B's owner": birch.owner, "B's job seeker": birch_seeker}
    traces = [cbo_a.marker, *cbo_a.ids.values()]
    exercised = 0
    for route in AUTH_ROUTES:
        takes_an_object = bool(PARAM.search(route.path))
        for who, token in birch_people.items():
            response = call(api, route, token, cbo_a.ids)
            where = f"{who}: {route.method} {route.path} answered {response.status_code}"
            assert response.status_code < 500, f"{where}: {response.text}"
            content = response.content
            if route.rpc in ECHO_THE_PATH_NAME:
                content = content.replace(f"'{cbo_a.ids['name']}'".encode(), b"'<sent>'")
            leaked = [t for t in traces if t.encode() in content]
            assert not leaked, f"{where} with A's {leaked}: {response.text[:300]}"
            assert response.content not in cbo_a.files, f"{where} with A's file"
            if takes_an_object:
                assert response.status_code in (403, 404), f"{where}: {response.text}"
        exercised += 1
    assert exercised == len([route for route in ROUTES if route.auth])

    # Nothing of A changed, and none of B's people is in A's audit trail.
    assert snapshot(api, operator_token, cbo_a) == before
    birch_ids = {user_id_of(api, token) for token in birch_people.values()}
    trail = api("GET", "/api/v1/audit?per_page=200", cbo_a.owner).json()["items"]
    assert trail and not [e for e in trail if e["actor_id"] in birch_ids]


# -- 3. refusal without the permission on every route ----------------------------------------


def token_without(platform, a: CboA, lacking: set[str]) -> str:
    """A token holding every permission of its kind except `lacking`: the city's operator for
    platform permissions, else a person of approved CBO A (a job seeker for self.* ones)."""
    if lacking <= PLATFORM_PERMISSIONS:
        return mint_token(
            platform,
            tenant_id=None,
            kind="operator",
            roles=["operator"],
            perms=PLATFORM_PERMISSIONS - lacking,
        )
    if any(p.startswith("self.") for p in lacking):
        return mint_token(
            platform,
            tenant_id=a.ids["tenant_id"],
            kind="jobseeker",
            roles=["jobseeker"],
            perms=CBO_PEOPLE_PERMISSIONS - lacking,
            user_id=a.ids["jobseeker_id"],
        )
    return mint_token(
        platform,
        tenant_id=a.ids["tenant_id"],
        roles=["custom"],
        perms=CBO_PEOPLE_PERMISSIONS - lacking,
    )


def test_staff_without_a_permission_are_refused_on_every_action_that_needs_it(api, platform, cbo_a):
    guarded = [(r, needed) for r in ROUTES if (needed := required_permission(r)) is not None]
    refused = 0
    for route, needed in guarded:
        # "a | b": either permission allows it, so the token lacks both.
        lacking = set(needed.split(" | "))
        response = call(api, route, token_without(platform, cbo_a, lacking), cbo_a.ids)
        where = f"{route.method} {route.path} without {needed}: {response.status_code}"
        assert response.status_code == 403, f"{where}: {response.text}"
        message = response.json()["error"]["message"]
        assert all(p in message for p in lacking), f"{where}: {message}"
        refused += 1
    assert refused == len(guarded) > 0


# -- 4. another client's user of the same CBO on every booking route -------------------------


def bodies_naming_a(ids: dict[str, str]) -> dict[str, dict]:
    """Bodies of the routes without a path parameter that name A's client's things."""
    where = {"client_id": ids["client_id"], "site_id": ids["site_id"]}
    return {
        "create_booking": booking_body(job_type_id=ids["job_type_id"], on=days_ahead(5), **where),
        "search_workers": {
            **where,
            "job_type_id": ids["job_type_id"],
            "date": days_ahead(5).isoformat(),
            "start_time": "09:00",
            "end_time": "13:00",
        },
        "create_site": site_body(ids["client_id"], "Taken over"),
        "create_job_type": {"name": "Taken over", "client_id": ids["client_id"]},
    }


def test_another_clients_user_gets_nothing_of_a_client_from_any_booking_route(api, platform, cbo_a):
    ids = cbo_a.ids
    before = read_all(api, [(cbo_a.owner, path) for path in booking_reads(ids)])
    neighbour = token_of_client_user(platform, ids["tenant_id"], ids["other_client_id"])
    a_client = api("GET", f"/api/v1/clients/{ids['client_id']}", cbo_a.owner).json()
    traces = [ids[key] for key in A_CLIENTS_BOOKING_KEYS] + [a_client["name"]]
    naming_a = bodies_naming_a(ids)
    booking_routes = [route for route in ROUTES if route.service == "booking"]
    # What the sweep looks for is there to be seen, by A's client's own user.
    own = token_of_client_user(platform, ids["tenant_id"], ids["client_id"])
    for path, trace in (
        ("/api/v1/bookings", "booking_id"),
        ("/api/v1/shifts", "worked_shift_id"),
        (f"/api/v1/shifts/{ids['shift_id']}/offers", "offer_id"),
        ("/api/v1/job-types", "job_type_name"),
        ("/api/v1/sites", "site_name"),
        (f"/api/v1/assignments/{ids['assignment_id']}/attendance", "assignment_id"),
    ):
        assert ids[trace] in api("GET", path, own).text, path
    exercised = 0
    for route in booking_routes:
        calls = [call(api, route, neighbour, ids)]
        if route.rpc in naming_a:
            calls.append(api(route.method, route.path, neighbour, json=naming_a[route.rpc]))
        if route.method == "GET" and route.query is not None and not PARAM.search(route.path):
            calls.append(api("GET", f"{route.path}?client_id={ids['client_id']}", neighbour))
        for number, response in enumerate(calls):
            where = f"{route.method} {route.path} ({number}) answered {response.status_code}"
            assert response.status_code < 500, f"{where}: {response.text}"
            leaked = [t for t in traces if t.encode() in response.content]
            assert not leaked, f"{where} with A's client's {leaked}: {response.text[:300]}"
            if PARAM.search(route.path) or (number > 0 and route.method != "GET"):
                assert response.status_code in (403, 404), f"{where}: {response.text}"
        exercised += 1
    assert exercised == len(booking_routes) > 40
    # Nothing of A's client's bookings, shifts, offers, attendance, ratings or catalogue moved.
    assert read_all(api, [(cbo_a.owner, path) for path in booking_reads(ids)]) == before
