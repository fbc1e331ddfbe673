"""Tenancy over HTTP through the gateway: CBO onboarding, branding, the login box's origin
check, clients, sources, partnerships, licences; tenant isolation, permissions, bad input."""

from __future__ import annotations

import re
import uuid

import pytest

from gateway.routes import ROUTES
from services.tenancy.service import TenancyService
from tests.e2e.cbos import application
from tests.e2e.tokens import staff_token

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 256
TENANCY_ROUTES = [r for r in ROUTES if r.service == "tenancy"]
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")

MOU = {
    "signed_on": "2026-11-01",
    "starts_on": "2026-12-01",
    "ends_on": "2027-11-30",
    "signatories": [
        {"name": "Ada Director", "title": "Executive Director", "organisation": "The CBO"},
        {"name": "Pat Gateway", "title": "CEO", "organisation": "Pacific Gateway"},
    ],
}


def unique_slug(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def client_body(name: str = "Harbor Cafe", **overrides) -> dict:
    return {
        "name": name,
        "kind": "business",
        "billing_contact": "Bill Payer",
        "billing_email": "ap@harbor.example.com",
        "address_line1": "1 Pine Ave",
        "city": "Long Beach",
        "state": "CA",
        "postal_code": "90802",
        **overrides,
    }


@pytest.fixture(scope="module")
def new_cbo(api, operator_token):
    """Applies for and approves a CBO; returns {id, slug}."""

    def make(prefix: str) -> dict:
        slug = unique_slug(prefix)
        applied = api("POST", "/api/v1/cbo-applications", json=application(slug))
        assert applied.status_code == 201, applied.text
        tenant_id = applied.json()["id"]
        approved = api("POST", f"/api/v1/platform/cbos/{tenant_id}/approve", operator_token)
        assert approved.status_code == 200, approved.text
        return {"id": tenant_id, "slug": slug}

    return make


@pytest.fixture(scope="module")
def cbo_a(new_cbo):
    return new_cbo("cbo-a")


@pytest.fixture(scope="module")
def cbo_b(new_cbo):
    return new_cbo("cbo-b")


@pytest.fixture(scope="module")
def owner_a(platform, cbo_a):
    return staff_token(platform, cbo_a["id"], ["owner"])


@pytest.fixture(scope="module")
def owner_b(platform, cbo_b):
    return staff_token(platform, cbo_b["id"], ["owner"])


# -- the onboarding path ---------------------------------------------------------------------


def test_application_approval_and_mou(api, platform, operator_token):
    slug = unique_slug("harbor")
    applied = api("POST", "/api/v1/cbo-applications", json=application(slug))
    assert applied.status_code == 201
    tenant_id = applied.json()["id"]
    assert applied.json()["status"] == "applied"

    waiting = api("GET", "/api/v1/platform/cbos?status=applied&per_page=200", operator_token)
    assert waiting.status_code == 200
    assert tenant_id in [t["id"] for t in waiting.json()["items"]]

    approved = api("POST", f"/api/v1/platform/cbos/{tenant_id}/approve", operator_token)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = api("POST", f"/api/v1/platform/cbos/{tenant_id}/approve", operator_token)
    assert again.status_code == 409

    recorded = api("POST", f"/api/v1/platform/cbos/{tenant_id}/mous", operator_token, json=MOU)
    assert recorded.status_code == 201, recorded.text
    mou_id = recorded.json()["id"]
    document_path = f"/api/v1/platform/cbos/{tenant_id}/mous/{mou_id}/document"
    attached = api(
        "PUT",
        document_path,
        operator_token,
        files={"file": ("signed MOU.pdf", PDF, "application/pdf")},
    )
    assert attached.status_code == 200, attached.text
    assert attached.json()["document"]["size"] == len(PDF)

    download = api("GET", document_path, operator_token)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")

    owner = staff_token(platform, tenant_id, ["owner"])
    mine = api("GET", "/api/v1/cbo/mous", owner)
    assert [m["id"] for m in mine.json()["items"]] == [mou_id]
    assert api("GET", f"/api/v1/cbo/mous/{mou_id}/document", owner).content == PDF
    admin = staff_token(platform, tenant_id, ["admin"])
    assert api("GET", f"/api/v1/cbo/mous/{mou_id}/document", admin).status_code == 200
    approver = staff_token(platform, tenant_id, ["approver"])
    assert api("GET", f"/api/v1/cbo/mous/{mou_id}/document", approver).status_code == 403

    suspended = api(
        "POST",
        f"/api/v1/platform/cbos/{tenant_id}/suspend",
        operator_token,
        json={"reason": "Paperwork overdue"},
    )
    assert suspended.json()["status"] == "suspended"
    assert api("GET", f"/api/v1/public/cbos/{slug}/branding").status_code == 404
    reinstated = api(
        "POST",
        f"/api/v1/platform/cbos/{tenant_id}/reinstate",
        operator_token,
        json={"reason": "Paperwork in"},
    )
    assert reinstated.json()["status"] == "approved"
    assert api("GET", f"/api/v1/public/cbos/{slug}/branding").status_code == 200


def test_branding_set_and_read_publicly(api, cbo_a, owner_a):
    changed = api(
        "PATCH",
        "/api/v1/cbo/branding",
        owner_a,
        json={
            "display_name": "Harbor Works Long Beach",
            "colors": {"primary": "#0A3D62", "accent": "#E58E26"},
            "terminology": {
                "en": {"jobseeker": "member", "booking": "gig"},
                "es": {"jobseeker": "miembro"},
                "km": {"jobseeker": "សមាជិក"},
            },
            "languages": ["en", "es", "km"],
            "default_language": "es",
            "timezone": "America/Los_Angeles",
        },
    )
    assert changed.status_code == 200, changed.text
    logo = api("PUT", "/api/v1/cbo/logo", owner_a, files={"file": ("logo.png", PNG, "image/png")})
    assert logo.status_code == 200 and logo.json()["content_type"] == "image/png"

    public = api("GET", f"/api/v1/public/cbos/{cbo_a['slug']}/branding")
    assert public.status_code == 200
    branding = public.json()
    assert branding["display_name"] == "Harbor Works Long Beach"
    assert branding["colors"]["primary"] == "#0A3D62"
    assert branding["terminology"]["km"]["jobseeker"] == "សមាជិក"
    assert branding["default_language"] == "es"
    assert "owner_email" not in branding and "allowed_origins" not in branding
    image = api("GET", branding["logo_url"])
    assert image.status_code == 200 and image.content == PNG
    assert image.headers["Content-Type"] == "image/png"
    assert api("GET", "/api/v1/public/cbos/no-such-cbo/branding").status_code == 404
    assert api("GET", "/api/v1/public/cbos/no-such-cbo/logo").status_code == 404


def test_login_box_snippet_and_origin_check(api, cbo_a, owner_a):
    site = f"https://www.{cbo_a['slug']}.example.org"
    saved = api("PUT", "/api/v1/cbo/login-box", owner_a, json={"allowed_origins": [site + "/"]})
    assert saved.status_code == 200, saved.text
    box = api("GET", "/api/v1/cbo/login-box", owner_a).json()
    assert box["allowed_origins"] == [site]
    assert box["page_url"].endswith(f"/login-box/{cbo_a['slug']}")
    assert box["snippet"].startswith("<iframe") and box["page_url"] in box["snippet"]

    sign_in = f"/api/v1/cbos/{cbo_a['slug']}/auth/token"
    credentials = {"email": "nobody@example.org", "password": "wrong password"}
    from_site = api("POST", sign_in, json=credentials, headers={"Origin": site})
    assert from_site.status_code != 403  # it reached identity (which says no to the password)
    assert from_site.headers["Access-Control-Allow-Origin"] == site
    elsewhere = api("POST", sign_in, json=credentials, headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    assert "Access-Control-Allow-Origin" not in elsewhere.headers
    preflight = api(
        "OPTIONS",
        sign_in,
        headers={"Origin": site, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == site


# -- clients, sources, partnerships, licences ------------------------------------------------


def test_clients_and_their_csv_import(api, owner_a):
    created = api("POST", "/api/v1/clients", owner_a, json=client_body())
    assert created.status_code == 201, created.text
    duplicate = api(
        "POST", "/api/v1/clients", owner_a, json=client_body(billing_email="AP@harbor.example.com")
    )
    assert duplicate.status_code == 409
    header = "name,kind,billing_contact,billing_email,address_line1,city,state,postal_code\n"
    rows = "".join(
        f"Family {n},family,Pat {n},fam{n}@example.org,{n} Elm St,Long Beach,CA,90804\n"
        for n in range(20)
    )
    bad = "Broken,spaceship,X,not-an-email,1 St,Long Beach,CA,90804\n"
    csv = (header + rows + bad).encode()
    files = {"file": ("clients.csv", csv, "text/csv")}
    checked = api("POST", "/api/v1/clients/imports", owner_a, files=files, data={"mode": "dry_run"})
    assert checked.status_code == 200, checked.text
    report = checked.json()
    assert report["status"] == "checked" and report["failed"] == 1
    assert report["bad_rows"][0]["row"] == 22
    assert set(report["bad_rows"][0]["errors"]) == {"kind", "billing_email"}
    imported = api(
        "POST", "/api/v1/clients/imports", owner_a, files=files, data={"mode": "skip_bad_rows"}
    ).json()
    assert (imported["created"], imported["failed"]) == (20, 1)
    again = api(
        "POST", "/api/v1/clients/imports", owner_a, files=files, data={"mode": "skip_bad_rows"}
    ).json()
    assert (again["created"], again["existing"]) == (0, 20)
    progress = api("GET", f"/api/v1/clients/imports/{imported['id']}", owner_a).json()
    assert progress["rows_done"] == progress["rows_total"] == 21
    families = api("GET", "/api/v1/clients?kind=family&per_page=5", owner_a).json()
    assert families["total"] == 20 and len(families["items"]) == 5


def test_sources_partnerships_and_licences(
    api, platform, operator_token, cbo_a, cbo_b, owner_a, owner_b
):
    source = api(
        "POST",
        "/api/v1/worker-sources",
        owner_a,
        json={
            "name": "Long Beach City College",
            "weekly_hour_cap": 14,
            "terms": [{"starts_on": "2026-08-25", "ends_on": "2026-12-15"}],
        },
    )
    assert source.status_code == 201, source.text
    listed = api("GET", "/api/v1/worker-sources?q=city+college&active=true", owner_a).json()
    assert [s["weekly_hour_cap"] for s in listed["items"]] == [14] and listed["total"] == 1

    proposed = api(
        "POST",
        "/api/v1/partnerships",
        owner_a,
        json={"partner_slug": cbo_b["slug"], "shares": ["job_types", "opportunities"]},
    )
    assert proposed.status_code == 201, proposed.text
    partnership_id = proposed.json()["id"]
    accepted = api("POST", f"/api/v1/partnerships/{partnership_id}/accept", owner_b)
    assert accepted.status_code == 200 and accepted.json()["status"] == "formed"
    formed = api("GET", "/api/v1/partnerships?status=formed&direction=incoming", owner_b).json()
    assert [p["id"] for p in formed["items"]] == [partnership_id]
    ended = api("POST", f"/api/v1/partnerships/{partnership_id}/end", owner_a)
    assert ended.json()["status"] == "ended"

    granted = api(
        "POST",
        f"/api/v1/platform/cbos/{cbo_a['id']}/licences",
        operator_token,
        json={"feature": "evv", "starts_on": "2026-01-01"},
    )
    assert granted.status_code == 201, granted.text
    any_staff = staff_token(platform, cbo_a["id"], ["viewer"])
    mine = api("GET", "/api/v1/cbo/licences", any_staff).json()
    assert [(lic["feature"], lic["state"]) for lic in mine["items"]] == [("evv", "active")]
    revoked = api(
        "POST",
        f"/api/v1/platform/cbos/{cbo_a['id']}/licences/{granted.json()['id']}/revoke",
        operator_token,
        json={"reason": "Trial over"},
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert api("GET", "/api/v1/cbo/licences", owner_b).json()["total"] == 0


# -- isolation, permissions, bad input -------------------------------------------------------


@pytest.fixture(scope="module")
def things_of_a(api, platform, operator_token, cbo_a, owner_a, new_cbo):
    """One of everything CBO A has, by path parameter name."""
    client = api("POST", "/api/v1/clients", owner_a, json=client_body(name="A's own client"))
    source = api("POST", "/api/v1/worker-sources", owner_a, json={"name": "A's own source"})
    cbo_c = new_cbo("cbo-c")
    partnership = api(
        "POST",
        "/api/v1/partnerships",
        owner_a,
        json={"partner_slug": cbo_c["slug"], "shares": ["opportunities"]},
    )
    mou = api("POST", f"/api/v1/platform/cbos/{cbo_a['id']}/mous", operator_token, json=MOU)
    api(
        "PUT",
        f"/api/v1/platform/cbos/{cbo_a['id']}/mous/{mou.json()['id']}/document",
        operator_token,
        files={"file": ("mou.pdf", PDF, "application/pdf")},
    )
    licence = api(
        "POST",
        f"/api/v1/platform/cbos/{cbo_a['id']}/licences",
        operator_token,
        json={"feature": "rebooking", "starts_on": "2026-01-01"},
    )
    csv = b"name,kind,billing_contact,billing_email,address_line1,city,state,postal_code\n"
    csv += b"A Import Co,business,X,x@a-import.example.com,1 St,Long Beach,CA,90802\n"
    imported = api(
        "POST", "/api/v1/clients/imports", owner_a, files={"file": ("c.csv", csv, "text/csv")}
    )
    things = {
        "tenant_id": cbo_a["id"],
        "client_id": client.json()["id"],
        "source_id": source.json()["id"],
        "partnership_id": partnership.json()["id"],
        "mou_id": mou.json()["id"],
        "licence_id": licence.json()["id"],
        "import_id": imported.json()["id"],
    }
    for response in (client, source, partnership, mou, licence, imported):
        assert response.status_code < 300, response.text
    return things


def path_with(route, things: dict) -> str:
    return PARAM.sub(lambda m: things[m.group(1)], route.path)


def call_route(api, route, token: str, things: dict):
    """The route called with `things` for its path, and a harmless body of the right kind."""
    kwargs: dict = {}
    if route.upload:
        kwargs["files"] = {"file": ("f.png", PNG, "image/png")}
    elif route.body is not None:
        kwargs["json"] = {}
    return api(route.method, path_with(route, things), token, **kwargs)


def test_another_cbos_staff_see_nothing_of_the_first(api, platform, new_cbo, things_of_a, cbo_a):
    # A CBO that has never dealt with A (B is A's partner in another test).
    stranger = staff_token(platform, new_cbo("stranger")["id"], ["owner"])
    secrets = [v for k, v in things_of_a.items()] + [cbo_a["slug"]]
    checked = 0
    for route in TENANCY_ROUTES:
        if not route.auth:
            continue
        response = call_route(api, route, stranger, things_of_a)
        where = f"{route.method} {route.path}"
        if route.path.startswith("/api/v1/platform/"):
            assert response.status_code == 403, where  # the city's, never a CBO's
        elif PARAM.search(route.path):
            assert response.status_code == 404, f"{where}: {response.status_code}"
        elif route.method == "GET":
            assert response.status_code == 200, where
            assert not any(s in response.text for s in secrets), f"{where} leaks A's data"
        else:
            continue  # creates or changes B's own things
        checked += 1
    assert checked >= 25


def test_staff_without_the_permission_are_refused_everywhere(
    api, platform, cbo_a, things_of_a, owner_a
):
    nobody = staff_token(platform, cbo_a["id"], ["custom"], perms=[])
    before = api("GET", "/api/v1/cbo/branding", owner_a).json()
    refused = 0
    for route in TENANCY_ROUTES:
        needed = getattr(getattr(TenancyService, route.rpc), "required_permission", None)
        if needed is None:
            continue
        response = call_route(api, route, nobody, things_of_a)
        assert response.status_code == 403, f"{route.method} {route.path}: {response.status_code}"
        assert needed in response.json()["error"]["message"]
        refused += 1
    assert refused >= 35
    viewer = staff_token(platform, cbo_a["id"], ["viewer"])
    assert api("GET", "/api/v1/clients", viewer).status_code == 200
    assert api("POST", "/api/v1/clients", viewer, json=client_body(name="V")).status_code == 403
    assert (
        api("PATCH", "/api/v1/cbo/branding", viewer, json={"display_name": "V"}).status_code == 403
    )
    assert api("GET", "/api/v1/cbo/branding", owner_a).json() == before


def test_bad_input_is_refused_with_field_messages_and_changes_nothing(
    api, operator_token, cbo_a, owner_a
):
    count = api("GET", "/api/v1/platform/cbos?per_page=1", operator_token).json()["total"]
    missing = api("POST", "/api/v1/cbo-applications", json={"name": "No slug"})
    assert missing.status_code == 422
    assert {"slug", "contact_email", "owner_email"} <= set(missing.json()["error"]["fields"])
    wrong_types = api(
        "POST",
        "/api/v1/cbo-applications",
        json={**application("typed-ok"), "name": 7, "timezone": ["UTC"]},
    )
    assert wrong_types.status_code == 422
    assert set(wrong_types.json()["error"]["fields"]) == {"name", "timezone"}
    duplicate = api("POST", "/api/v1/cbo-applications", json=application(cbo_a["slug"]))
    assert duplicate.status_code == 409 and "slug" in duplicate.json()["error"]["fields"]
    assert api("GET", "/api/v1/platform/cbos?per_page=1", operator_token).json()["total"] == count

    branding = api("GET", "/api/v1/cbo/branding", owner_a).json()
    bad_branding = api(
        "PATCH",
        "/api/v1/cbo/branding",
        owner_a,
        json={"colors": {"primary": "red"}, "languages": ["klingon"], "timezone": "Nowhere/City"},
    )
    assert bad_branding.status_code == 422
    assert set(bad_branding.json()["error"]["fields"]) == {"colors", "languages", "timezone"}
    wrong_logo = api(
        "PUT", "/api/v1/cbo/logo", owner_a, files={"file": ("logo.png", PDF, "image/png")}
    )
    assert wrong_logo.status_code == 415 and "file" in wrong_logo.json()["error"]["fields"]
    big = PNG + b"\0" * (1024 * 1024)
    oversized = api(
        "PUT", "/api/v1/cbo/logo", owner_a, files={"file": ("big.png", big, "image/png")}
    )
    assert oversized.status_code == 413
    not_multipart = api("PUT", "/api/v1/cbo/logo", owner_a, json={"file": "x"})
    assert not_multipart.status_code == 415
    origins = api(
        "PUT", "/api/v1/cbo/login-box", owner_a, json={"allowed_origins": ["http://plain.org"]}
    )
    assert origins.status_code == 422 and "allowed_origins" in origins.json()["error"]["fields"]
    assert api("GET", "/api/v1/cbo/branding", owner_a).json() == branding

    clients_before = api("GET", "/api/v1/clients?per_page=1", owner_a).json()["total"]
    bad_client = api(
        "POST", "/api/v1/clients", owner_a, json={"name": "X", "kind": "alien", "state": 5}
    )
    assert bad_client.status_code == 422
    assert {"kind", "state", "billing_email", "city"} <= set(bad_client.json()["error"]["fields"])
    malformed_csv = api(
        "POST",
        "/api/v1/clients/imports",
        owner_a,
        files={"file": ("c.csv", b"just,two\ncolumns,here\n", "text/csv")},
    )
    assert malformed_csv.status_code == 422 and "file" in malformed_csv.json()["error"]["fields"]
    assert api("GET", "/api/v1/clients?per_page=1", owner_a).json()["total"] == clients_before

    overlapping = api(
        "POST",
        "/api/v1/worker-sources",
        owner_a,
        json={
            "name": "Overlapping terms",
            "terms": [
                {"starts_on": "2026-01-01", "ends_on": "2026-03-01"},
                {"starts_on": "2026-02-01", "ends_on": "2026-04-01"},
            ],
        },
    )
    assert overlapping.status_code == 422 and "terms" in overlapping.json()["error"]["fields"]
    wrong_mou = api(
        "POST",
        f"/api/v1/platform/cbos/{cbo_a['id']}/mous",
        operator_token,
        json={**MOU, "signatories": MOU["signatories"][:1]},
    )
    assert wrong_mou.status_code == 422 and "signatories" in wrong_mou.json()["error"]["fields"]
    mous = api("GET", f"/api/v1/platform/cbos/{cbo_a['id']}/mous", operator_token).json()["items"]
    if mous:
        wrong_document = api(
            "PUT",
            f"/api/v1/platform/cbos/{cbo_a['id']}/mous/{mous[0]['id']}/document",
            operator_token,
            files={"file": ("mou.pdf", PNG, "application/pdf")},
        )
        assert wrong_document.status_code == 415
