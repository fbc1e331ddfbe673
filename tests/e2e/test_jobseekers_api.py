"""Job seekers over HTTP through the gateway: self-registration from a CBO's site, profile and
availability, ID documents, review and approval by a restricted staff role, suspension, staff
registration, the CSV import (1,000 rows, 20 bad); tenant isolation on every route, refusal
without the permission on every staff route, and bad input."""

from __future__ import annotations

import re
import uuid

import pytest

from services.identity.jobseekers.routes import ROUTES
from tests.e2e.cbos import apply_and_approve
from tests.e2e.registration import confirm_registration
from tests.e2e.tokens import mint_token, staff_token
from tests.jobseeker_csv import bad_rows, people_csv
from tests.smtp import body_of, link_token
from tests.waiting import wait_for

PASSWORD = "a long enough password"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 256
SITE = "https://www.harbor-cbo.example"
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def unique_slug(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def new_cbo(api, operator_token, platform, smtp):
    """A CBO applied for and approved through tenancy, with a worker source, once identity
    has heard of both (its projections come from tenancy's events)."""

    def make(prefix: str) -> dict:
        slug = unique_slug(prefix)
        tenant_id = apply_and_approve(api, operator_token, slug)
        # Identity invites the owner when it learns of the approval: then it knows the CBO.
        smtp.wait_for(f"owner@{slug}.example.org")
        owner = staff_token(platform, tenant_id, ["owner"])
        source = api(
            "POST",
            "/api/v1/worker-sources",
            owner,
            json={"name": f"{slug} College", "weekly_hour_cap": 14},
        )
        assert source.status_code == 201, source.text
        return {"id": tenant_id, "slug": slug, "owner": owner, "source": source.json()["id"]}

    return make


@pytest.fixture(scope="module")
def harbor(new_cbo, api):
    cbo = new_cbo("harbor")
    saved = api("PUT", "/api/v1/cbo/login-box", cbo["owner"], json={"allowed_origins": [SITE]})
    assert saved.status_code == 200, saved.text
    return cbo


@pytest.fixture(scope="module")
def bay(new_cbo):
    return new_cbo("bay")


def registration(email: str, **overrides) -> dict:
    return {
        "email": email,
        "password": PASSWORD,
        "name": "Maria Lopez",
        "phone": "(562) 555-0100",
        "preferred_language": "km",
        "home_area": "90813",
        "skills": ["home care"],
        **overrides,
    }


def register(api, cbo: dict, email: str, **overrides):
    """Self-registration (202 if accepted), retried while identity has not yet heard of the
    CBO's source."""

    def attempt():
        response = api(
            "POST", f"/api/v1/cbos/{cbo['slug']}/jobseekers", json=registration(email, **overrides)
        )
        pending = response.status_code == 422 and "source_id" in response.json()["error"].get(
            "fields", {}
        )
        return None if pending else [response]  # a 4xx Response is falsy

    return wait_for(attempt, what="identity to know the CBO's worker source")[0]


def register_and_confirm(api, smtp, cbo: dict, email: str, **overrides) -> tuple[str, str]:
    """Self-register and confirm the email: (job seeker id, access token). The email may queue
    behind an import's invitations (a thousand, while booking builds its read model of workers
    from the same import's events): on a busy two-core machine that takes longer than 20 s."""
    sent = len(smtp.to(email))
    registered = register(api, cbo, email, **overrides)
    assert registered.status_code == 202, registered.text
    return confirm_registration(api, smtp, email, sent, timeout=60)


def sign_in(api, cbo: dict, email: str) -> str:
    response = api(
        "POST",
        f"/api/v1/cbos/{cbo['slug']}/auth/token",
        json={"email": email, "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def upload(api, token: str, path: str, document_type: str, content: bytes, name: str):
    return api(
        "POST",
        path,
        token,
        data={"document_type": document_type},
        files={"file": (name, content, "application/octet-stream")},
    )


# -- the whole path ----------------------------------------------------------------------------


def test_a_jobseeker_registers_uploads_is_verified_approved_and_suspended(
    api, platform, harbor, smtp
):
    email = f"maria-{uuid.uuid4().hex[:6]}@example.org"
    jobseeker_id, me = register_and_confirm(api, smtp, harbor, email, source_id=harbor["source"])
    assert api("GET", "/api/v1/me/jobseeker-profile", me).json()["status"] == "pending"
    # From the CBO's own site (its login box) the answer is readable there.
    from_site = api(
        "POST",
        f"/api/v1/cbos/{harbor['slug']}/jobseekers",
        json=registration(f"site-{email}"),
        headers={"Origin": SITE},
    )
    assert from_site.status_code == 202, from_site.text
    assert from_site.headers["Access-Control-Allow-Origin"] == SITE
    elsewhere = api(
        "POST",
        f"/api/v1/cbos/{harbor['slug']}/jobseekers",
        json=registration(f"evil-{email}"),
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403

    assert sign_in(api, harbor, email)
    week = {
        "weekly": {"monday": [{"start": "09:00", "end": "13:00"}]},
        "exceptions": [{"date": "2026-12-24", "kind": "unavailable"}],
    }
    updated = api("PUT", "/api/v1/me/jobseeker-profile", me, json={"availability": week})
    assert updated.status_code == 200, updated.text
    assert updated.json()["availability"]["weekly"] == week["weekly"]
    profile = api("GET", "/api/v1/me/jobseeker-profile", me).json()
    assert profile["missing_documents"] == ["photo_id", "work_authorization"]

    photo = upload(api, me, "/api/v1/me/documents", "photo_id", PNG, "face.png")
    permit = upload(api, me, "/api/v1/me/documents", "work_authorization", PDF, "permit.pdf")
    assert photo.status_code == 201 and permit.status_code == 201, photo.text
    mine = api("GET", f"/api/v1/me/documents/{photo.json()['id']}/file", me)
    assert mine.status_code == 200 and mine.content == PNG
    assert mine.headers["Content-Type"] == "image/png"
    assert "no-store" in mine.headers["Cache-Control"]

    # Staff with a restricted role: the built-in approver (read and approve, nothing else).
    approver = staff_token(platform, harbor["id"], ["approver"])
    base = f"/api/v1/jobseekers/{jobseeker_id}"
    too_early = api("POST", f"{base}/approve", approver)
    assert too_early.status_code == 409
    assert "photo_id" in too_early.json()["error"]["message"]
    documents = api("GET", f"{base}/documents", approver).json()
    assert documents["total"] == 2
    assert {d["document_type"] for d in documents["items"]} == {"photo_id", "work_authorization"}
    permits = api("GET", f"{base}/documents?document_type=work_authorization", approver).json()
    assert [d["id"] for d in permits["items"]] == [permit.json()["id"]]
    permit_file = api("GET", f"{base}/documents/{permit.json()['id']}/file", approver)
    assert permit_file.content == PDF and permit_file.headers["Content-Type"] == "application/pdf"
    assert "attachment" in permit_file.headers["Content-Disposition"]
    rejected = api(
        "POST", f"{base}/documents/{photo.json()['id']}/reject", approver, json={"reason": "Blurry"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    for document in (photo, permit):
        verified = api("POST", f"{base}/documents/{document.json()['id']}/verify", approver)
        assert verified.status_code == 200, verified.text
    assert api("POST", f"{base}/approve", approver).json()["status"] == "approved"
    typed = api("POST", f"{base}/job-types", approver, json={"job_type": "home_care"})
    assert typed.status_code == 200 and typed.json()["job_types"] == ["home_care"]
    # The approver may not edit the profile (jobseekers.manage).
    assert api("PUT", base, approver, json={"home_area": "90802"}).status_code == 403

    suspended = api("POST", f"{base}/suspend", approver, json={"reason": "Two no-shows"})
    assert suspended.json()["status"] == "suspended"
    assert api("GET", "/api/v1/me/jobseeker-profile", me).json()["status"] == "suspended"
    reinstated = api("POST", f"{base}/reinstate", approver, json={"reason": "Explained"})
    assert reinstated.json()["status"] == "approved"

    listed = api("GET", "/api/v1/jobseekers?status=approved&skill=home%20care", approver).json()
    assert jobseeker_id in [p["id"] for p in listed["items"]]


def test_staff_register_a_jobseeker_who_is_invited_by_email(api, harbor, smtp):
    email = f"invitee-{uuid.uuid4().hex[:6]}@example.org"
    body = {k: v for k, v in registration(email).items() if k != "password"}
    created = api("POST", "/api/v1/jobseekers", harbor["owner"], json=body)
    assert created.status_code == 201, created.text
    assert created.json()["account_status"] == "invited" and created.json()["channel"] == "staff"
    assert "invited" in smtp.wait_for(email)["Subject"]
    edited = api(
        "PUT",
        f"/api/v1/jobseekers/{created.json()['id']}",
        harbor["owner"],
        json={"skills": ["Forklift"], "source_id": harbor["source"]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["skills"] == ["forklift"]


def test_a_csv_of_1000_with_20_bad_rows_imports_980_and_reports_the_20(api, platform, harbor, bay):
    staff_email = f"staff-{uuid.uuid4().hex[:6]}@example.org"
    staff_member = api(
        "POST",
        "/api/v1/staff",
        harbor["owner"],
        json={"email": staff_email, "display_name": "Sam Staff", "roles": ["viewer"]},
    )
    assert staff_member.status_code == 201, staff_member.text
    domain = f"{uuid.uuid4().hex[:6]}.example.org"
    bad = bad_rows(foreign_source=bay["source"], staff_email=staff_email, domain=domain)
    data = people_csv(1000, bad=bad, source_name=f"{harbor['slug']} college", domain=domain)
    manager = staff_token(platform, harbor["id"], ["admin"])

    def run(mode: str) -> dict:
        started = api(
            "POST",
            "/api/v1/jobseeker-imports",
            manager,
            data={"mode": mode},
            files={"file": ("people.csv", data, "text/csv")},
        )
        assert started.status_code == 202, started.text
        path = f"/api/v1/jobseeker-imports/{started.json()['id']}"
        return wait_for(
            lambda: (
                (j := api("GET", path, manager).json())["status"] in ("completed", "rejected") and j
            ),
            timeout=120,
            what=f"the {mode} import to finish",
        )

    dry = run("dry_run")
    assert (dry["status"], dry["created"], dry["failed"]) == ("completed", 980, 20)
    assert api("GET", f"/api/v1/jobseekers?q={domain}", manager).json()["total"] == 0
    assert run("all_or_nothing")["status"] == "rejected"
    assert api("GET", f"/api/v1/jobseekers?q={domain}", manager).json()["total"] == 0

    done = run("skip_bad_rows")
    assert (done["created"], done["failed"], done["rows_done"]) == (980, 20, 1000)
    reported = {row["row"] - 2: row["errors"] for row in done["failed_rows"]}
    assert reported.keys() == bad.keys()
    for index, (_, column) in bad.items():
        assert column in reported[index], (index, reported[index])
    assert api("GET", f"/api/v1/jobseekers?q={domain}", manager).json()["total"] == 980

    again = run("skip_bad_rows")  # the same file again: nobody twice
    assert (again["created"], again["skipped"], again["failed"]) == (0, 980, 20)
    assert api("GET", f"/api/v1/jobseekers?q={domain}", manager).json()["total"] == 980
    rows = api(
        "GET", f"/api/v1/jobseeker-imports/{again['id']}/rows?outcome=skipped&per_page=5", manager
    )
    assert rows.json()["total"] == 980 and rows.json()["items"][0]["jobseeker_id"]


# -- bad input -----------------------------------------------------------------------------


def test_bad_input_gets_a_reason_per_field_and_changes_nothing(api, platform, harbor, smtp):
    path = f"/api/v1/cbos/{harbor['slug']}/jobseekers"
    missing = api("POST", path, json={"email": "x"})
    assert missing.status_code == 422
    assert {"email", "password", "name", "phone", "home_area"} <= set(
        missing.json()["error"]["fields"]
    )
    wrong_types = api("POST", path, json=registration("t@example.org", skills="cooking", phone=7))
    assert wrong_types.status_code == 422
    assert {"skills", "phone"} <= set(wrong_types.json()["error"]["fields"])
    assert (
        api("POST", "/api/v1/cbos/no-such-cbo/jobseekers", json=registration("a@b.org")).status_code
        == 404
    )

    email = f"dup-{uuid.uuid4().hex[:6]}@example.org"
    _, me = register_and_confirm(api, smtp, harbor, email)
    overlap = {
        "availability": {
            "weekly": {
                "monday": [{"start": "09:00", "end": "12:00"}, {"start": "10:00", "end": "11:00"}]
            }
        }
    }
    refused = api("PUT", "/api/v1/me/jobseeker-profile", me, json=overlap)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"]["availability"]["weekly"]["monday"]

    wrong_type = upload(
        api, me, "/api/v1/me/documents", "photo_id", b"GIF89a" + b"\0" * 20, "x.pdf"
    )
    assert wrong_type.status_code == 415 and "file" in wrong_type.json()["error"]["fields"]
    oversized = upload(
        api, me, "/api/v1/me/documents", "photo_id", PDF + b"\0" * (10 * 2**20), "a.pdf"
    )
    assert oversized.status_code == 413
    no_type = upload(api, me, "/api/v1/me/documents", "passport", PDF, "a.pdf")
    assert no_type.status_code == 422 and "document_type" in no_type.json()["error"]["fields"]
    as_json = api("POST", "/api/v1/me/documents", me, json={"document_type": "photo_id"})
    assert as_json.status_code == 415
    assert api("GET", "/api/v1/me/documents", me).json()["items"] == []
    bad_query = api("GET", "/api/v1/me/documents?sort=size&status=lost", me)
    assert bad_query.status_code == 422
    assert set(bad_query.json()["error"]["fields"]) == {"sort", "status"}

    manager = staff_token(platform, harbor["id"], ["admin"])
    imports = "/api/v1/jobseeker-imports"
    before = api("GET", imports, manager).json()["total"]

    def send(content: bytes, **form):
        return api(
            "POST", imports, manager, data=form, files={"file": ("x.csv", content, "text/csv")}
        )

    latin = send("email,name\nJosé@example.org,José\n".encode("latin-1"))
    assert latin.status_code == 422 and "UTF-8" in latin.json()["error"]["message"]
    no_name = send(b"email,phone\na@example.org,5625550100\n")
    assert no_name.status_code == 422 and "name" in no_name.json()["error"]["fields"]["file"][0]
    assert send(PDF).status_code == 415
    assert send(b"email,name\na@b.org,A\n", mode="eventually").status_code == 422
    too_big = send(b"email,name\n" + b"a@example.org,A\n" * (21 * 2**20 // 16))
    assert too_big.status_code == 413
    assert api("GET", imports, manager).json()["total"] == before


# -- every route: another CBO, and staff without the permission ----------------------------


def _path(route, values: dict) -> str:
    return PARAM.sub(lambda m: values[m.group(1)], route.path)


def _call(api, route, token: str, values: dict):
    kwargs: dict = {}
    if route.upload:
        kwargs = {
            "data": {"document_type": "other", "mode": "dry_run"},
            "files": {
                "file": (
                    "x.csv" if "import" in route.path else "x.pdf",
                    b"email,name\na@b.org,A\n" if "import" in route.path else PDF,
                )
            },
        }
    elif route.body is not None:
        kwargs = {"json": {"reason": "x", "job_type": "cleaning", "name": "Stolen"}}
    return api(route.method, _path(route, values), token, **kwargs)


@pytest.fixture(scope="module")
def harbor_things(api, platform, harbor, smtp) -> dict:
    """Ids of one of everything in Harbor: a job seeker, a document, an import."""
    email = f"things-{uuid.uuid4().hex[:6]}@example.org"
    jobseeker_id, me = register_and_confirm(api, smtp, harbor, email)
    document = upload(api, me, "/api/v1/me/documents", "photo_id", PNG, "me.png").json()
    started = api(
        "POST",
        "/api/v1/jobseeker-imports",
        harbor["owner"],
        data={"mode": "dry_run"},
        files={"file": ("p.csv", b"email,name\nx@example.org,X\n", "text/csv")},
    ).json()
    return {
        "slug": harbor["slug"],
        "jobseeker_id": jobseeker_id,
        "document_id": document["id"],
        "import_id": started["id"],
        "token": me,
    }


def test_another_cbo_gets_no_data_from_any_route(api, platform, harbor, bay, harbor_things):
    bay_owner = bay["owner"]
    bay_seeker = mint_token(
        platform,
        tenant_id=bay["id"],
        kind="jobseeker",
        roles=["jobseeker"],
        user_id=harbor_things["jobseeker_id"],
    )
    secrets = (
        harbor_things["jobseeker_id"],
        harbor_things["document_id"],
        harbor_things["import_id"],
    )
    for route in ROUTES:
        if not route.auth:
            continue
        token = bay_seeker if route.path.startswith("/api/v1/me/") else bay_owner
        response = _call(api, route, token, harbor_things)
        label = f"{route.method} {route.path}"
        if response.status_code in (200, 201, 202):
            # Only Bay's own things: a list of Bay's, or a new thing made in Bay.
            assert not any(s in response.text for s in secrets), label
        else:
            assert response.status_code in (403, 404, 422), (label, response.status_code)
    # And Harbor's job seeker is unchanged.
    harbor_owner = staff_token(platform, harbor["id"], ["owner"])
    profile = api("GET", f"/api/v1/jobseekers/{harbor_things['jobseeker_id']}", harbor_owner)
    assert profile.json()["name"] == "Maria Lopez"


def test_staff_without_the_permission_are_refused_on_every_staff_route(
    api, platform, harbor, harbor_things
):
    nobody = staff_token(platform, harbor["id"], [], perms=[])
    for route in ROUTES:
        if not route.auth:
            continue
        response = _call(api, route, nobody, harbor_things)
        assert response.status_code == 403, (route.method, route.path, response.status_code)
    assert api("GET", "/api/v1/jobseekers").status_code == 401


def test_self_registration_tells_nobody_whether_an_email_is_registered(api, smtp, harbor):
    """Fault 6: registering an email that had an account answered 'That email is already
    registered'. Now it answers as for anybody, and the owner of the address is told."""
    taken = f"taken-{uuid.uuid4().hex[:6]}@example.org"
    register_and_confirm(api, smtp, harbor, taken)
    fresh = f"fresh-{uuid.uuid4().hex[:6]}@example.org"
    sent_to_owner = len(smtp.to(taken))

    again = register(api, harbor, taken.upper(), name="Somebody Else", password="attacker's own pw")
    new = register(api, harbor, fresh, password="attacker's own pw")
    assert again.status_code == new.status_code == 202
    assert again.json() == new.json()
    assert set(new.json()) == {"status", "message"}  # no id, no token to tell them apart

    # Neither can be signed in to with the password just given: unconfirmed, or not theirs.
    def attempt(email: str):
        return api(
            "POST",
            f"/api/v1/cbos/{harbor['slug']}/auth/token",
            json={"email": email, "password": "attacker's own pw"},
        )

    refused = [attempt(taken), attempt(fresh)]
    assert [r.status_code for r in refused] == [401, 401]
    assert refused[0].json()["error"] == refused[1].json()["error"]

    # The owner of the address is told, with a link to set a new password.
    notice = smtp.wait_for(taken, count=sent_to_owner + 1)
    assert "tried to register" in notice["Subject"]
    assert "reset-password?token=" in body_of(notice)
    reset = api(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        json={"token": link_token(notice), "password": "the owner's new password"},
    )
    assert reset.status_code == 204, reset.text
    signed_in = api(
        "POST",
        f"/api/v1/cbos/{harbor['slug']}/auth/token",
        json={"email": taken, "password": "the owner's new password"},
    )
    assert signed_in.status_code == 200, signed_in.text
    # The new address gets its confirmation; confirmed, the person signs in.
    _, token = confirm_registration(api, smtp, fresh, 0)
    assert api("GET", "/api/v1/me/jobseeker-profile", token).json()["email"] == fresh
