"""Accounts over HTTP on the running platform: a CBO applies and the city approves it (tenancy's
API), its owner is emailed an invitation (read from a real SMTP server), accepts it, registers
staff with a custom role, creates a client user; password reset; a suspended CBO; isolation."""

from __future__ import annotations

import statistics
import time
import uuid

import pytest
import requests

from tests.e2e.addresses import another_address, session_from
from tests.e2e.cbos import apply_and_approve
from tests.smtp import body_of, link_token
from tests.waiting import wait_for

PASSWORD = "owner's long password"
NEW_PASSWORD = "a brand new password"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Cbo:
    def __init__(self, slug: str, tenant_id: str, owner_email: str, owner_token: str) -> None:
        self.slug = slug
        self.tenant_id = tenant_id
        self.owner_email = owner_email
        self.owner = owner_token


def accept_invitation(api, smtp, email: str, password: str = PASSWORD, count: int = 1) -> dict:
    token = link_token(smtp.wait_for(email, count))
    response = api(
        "POST", "/api/v1/auth/invitations/accept", json={"token": token, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()


def sign_in(api, slug: str, email: str, password: str = PASSWORD):
    return api(
        "POST", f"/api/v1/cbos/{slug}/auth/token", json={"email": email, "password": password}
    )


def approved_cbo(api, smtp, operator_token: str, label: str) -> Cbo:
    """A CBO through tenancy's API: application, the city's approval, the owner's invitation."""
    slug = unique(label)
    owner_email = f"owner@{slug}.e2e.example.org"
    tenant_id = apply_and_approve(
        api, operator_token, slug, name=f"CBO {slug}", domain="e2e.example.org"
    )
    tokens = accept_invitation(api, smtp, owner_email)
    return Cbo(slug, tenant_id, owner_email, tokens["access_token"])


@pytest.fixture(scope="module")
def cbo(api, smtp, operator_token) -> Cbo:
    return approved_cbo(api, smtp, operator_token, "acct")


def test_the_owner_is_invited_by_email_and_signs_in_to_their_cbo_only(api, smtp, cbo, platform):
    invitation = smtp.wait_for(cbo.owner_email)
    assert f"CBO {cbo.slug}" in invitation["Subject"]
    assert f"cbo={cbo.slug}" in body_of(invitation)
    me = api("GET", "/api/v1/me", cbo.owner).json()
    assert me["tenant_id"] == cbo.tenant_id and me["roles"] == ["owner"]
    assert "tenant.staff.manage" in me["permissions"]
    assert not any(p.startswith("platform.") for p in me["permissions"])

    assert sign_in(api, cbo.slug, cbo.owner_email).status_code == 200
    body = {"email": cbo.owner_email, "password": PASSWORD, "slug": cbo.slug}
    assert api("POST", "/api/v1/auth/token", json=body).status_code == 200
    # The same person is nobody on the city's own sign-in or another CBO's.
    assert api("POST", "/api/v1/auth/token", json={**body, "slug": None}).status_code == 401
    assert sign_in(api, "no-such-cbo", cbo.owner_email).status_code == 401
    # The link worked once.
    again = api(
        "POST",
        "/api/v1/auth/invitations/accept",
        json={"token": link_token(invitation), "password": PASSWORD},
    )
    assert again.status_code == 422 and "token" in again.json()["error"]["fields"]
    short = api(
        "POST", "/api/v1/auth/invitations/accept", json={"token": "x" * 43, "password": "short"}
    )
    assert short.status_code == 422 and "password" in short.json()["error"]["fields"]


def test_staff_with_a_custom_role_and_the_audit_trail(api, smtp, cbo):
    role = api(
        "POST",
        "/api/v1/roles",
        cbo.owner,
        json={"name": "intake", "permissions": ["jobseekers.read", "jobseekers.approve"]},
    )
    assert role.status_code == 201, role.text
    email = f"ivy@{cbo.slug}.e2e.example.org"
    created = api(
        "POST",
        "/api/v1/staff",
        cbo.owner,
        json={"email": email, "display_name": "Ivy Intake", "roles": ["intake"]},
    )
    assert created.status_code == 201, created.text
    ivy_id = created.json()["id"]
    assert created.json()["status"] == "invited"
    ivy = accept_invitation(api, smtp, email, "ivy's long password")["access_token"]
    me = api("GET", "/api/v1/me", ivy).json()
    assert set(me["permissions"]) == {"jobseekers.read", "jobseekers.approve"}

    # A restricted role is refused what it lacks.
    assert api("GET", "/api/v1/staff", ivy).status_code == 403
    assert api("GET", "/api/v1/audit", ivy).status_code == 403
    assert api("GET", "/api/v1/roles", ivy).status_code == 403
    assert (
        api(
            "POST",
            "/api/v1/staff",
            ivy,
            json={"email": "x@example.org", "display_name": "X", "roles": ["viewer"]},
        ).status_code
        == 403
    )

    listed = api("GET", "/api/v1/staff?status=active", cbo.owner).json()
    assert {s["email"] for s in listed["items"]} >= {cbo.owner_email, email}
    # Lists page with page, per_page and total, and sort with sort=[-]<field>.
    page = api("GET", "/api/v1/staff?status=active&per_page=1&page=2&sort=-email", cbo.owner).json()
    assert (page["page"], page["per_page"], page["total"]) == (2, 1, listed["total"])
    assert [m["email"] for m in page["items"]] == sorted(
        (m["email"] for m in listed["items"]), key=str.lower, reverse=True
    )[1:2]
    old_style = api("GET", "/api/v1/staff?limit=5&sort=password", cbo.owner)
    assert old_style.status_code == 422
    assert set(old_style.json()["error"]["fields"]) == {"limit", "sort"}
    changed = api(
        "PUT", f"/api/v1/staff/{ivy_id}/roles", cbo.owner, json={"roles": ["intake", "viewer"]}
    )
    assert changed.status_code == 200 and changed.json()["roles"] == ["intake", "viewer"]
    assert api("POST", f"/api/v1/staff/{ivy_id}/deactivate", cbo.owner).status_code == 200
    assert sign_in(api, cbo.slug, email, "ivy's long password").status_code == 401

    def trail():
        response = api("GET", f"/api/v1/audit?entity_id={ivy_id}", cbo.owner)
        assert response.status_code == 200, response.text
        return response.json()["total"] >= 3 and response.json()

    entries = wait_for(trail, what="the audit trail of Ivy's changes")["items"]
    assert [e["action"] for e in entries][:3] == [
        "staff.deactivated",
        "staff.roles_changed",
        "staff.registered",
    ]
    assert entries[1]["before"]["roles"] == ["intake"]
    assert entries[1]["after"]["roles"] == ["intake", "viewer"]
    bad = api("GET", "/api/v1/audit?from=yesterday", cbo.owner)
    assert bad.status_code == 422 and "from" in bad.json()["error"]["fields"]


def test_the_trail_keeps_tenancys_entries_too(api, cbo):
    def tenancy_entries():
        response = api("GET", f"/api/v1/audit?entity_id={cbo.tenant_id}", cbo.owner).json()
        return [e for e in response["items"] if e["source"] == "tenancy"]

    # The city's approval of this CBO, recorded by tenancy, is in the CBO's own trail.
    entry = wait_for(tenancy_entries, what="tenancy's audit entry")[0]
    assert entry["actor_kind"] == "operator" and entry["after"]["status"] == "approved"


def test_bad_staff_input_gets_a_message_per_field(api, cbo):
    missing = api("POST", "/api/v1/staff", cbo.owner, json={"email": "nope", "roles": "owner"})
    assert missing.status_code == 422
    assert set(missing.json()["error"]["fields"]) == {"email", "display_name", "roles"}
    duplicate = api(
        "POST",
        "/api/v1/staff",
        cbo.owner,
        json={"email": cbo.owner_email.upper(), "display_name": "Dup", "roles": ["viewer"]},
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["fields"] == {"email": ["Already registered."]}
    operator_role = api(
        "POST",
        "/api/v1/roles",
        cbo.owner,
        json={"name": "city", "permissions": ["platform.operate"]},
    )
    assert operator_role.status_code == 422


def test_password_reset_never_says_who_exists(api, smtp, cbo):
    unknown = api(
        "POST",
        "/api/v1/auth/password-reset",
        json={"email": f"ghost@{cbo.slug}.e2e.example.org", "slug": cbo.slug},
    )
    known = api(
        "POST", "/api/v1/auth/password-reset", json={"email": cbo.owner_email, "slug": cbo.slug}
    )
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    reset = smtp.wait_for(cbo.owner_email, count=2)
    assert "reset-password?token=" in body_of(reset)
    confirmed = api(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        json={"token": link_token(reset), "password": NEW_PASSWORD},
    )
    assert confirmed.status_code == 204, confirmed.text
    assert sign_in(api, cbo.slug, cbo.owner_email, PASSWORD).status_code == 401
    assert sign_in(api, cbo.slug, cbo.owner_email, NEW_PASSWORD).status_code == 200
    assert smtp.to(f"ghost@{cbo.slug}.e2e.example.org") == []
    # Put it back for the other tests of this module.
    api("POST", "/api/v1/auth/password-reset", json={"email": cbo.owner_email, "slug": cbo.slug})
    api(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        json={"token": link_token(smtp.wait_for(cbo.owner_email, count=3)), "password": PASSWORD},
    )
    # A reset ends the owner's sessions: the other tests go on with a new one.
    cbo.owner = sign_in(api, cbo.slug, cbo.owner_email).json()["access_token"]


def test_client_users_book_for_their_own_client(api, smtp, cbo):
    client = api(
        "POST",
        "/api/v1/clients",
        cbo.owner,
        json={
            "name": "Harbor Deli",
            "kind": "business",
            "billing_contact": "Dee Deli",
            "billing_email": "billing@deli.example.org",
            "address_line1": "1 Pine Ave",
            "city": "Long Beach",
            "state": "CA",
            "postal_code": "90802",
        },
    )
    assert client.status_code == 201, client.text
    client_id = client.json()["id"]
    email = f"dee@{cbo.slug}.e2e.example.org"
    created = api(
        "POST",
        f"/api/v1/clients/{client_id}/users",
        cbo.owner,
        json={"email": email, "display_name": "Dee"},
    )
    assert created.status_code == 201, created.text
    tokens = accept_invitation(api, smtp, email, "dee's long password")
    me = api("GET", "/api/v1/me", tokens["access_token"]).json()
    assert me["kind"] == "client" and me["client_id"] == client_id
    assert "self.book" in me["permissions"]
    users = api("GET", f"/api/v1/clients/{client_id}/users", cbo.owner).json()
    assert [u["email"] for u in users["items"]] == [email]
    missing = api(
        "POST",
        f"/api/v1/clients/{uuid.uuid4()}/users",
        cbo.owner,
        json={"email": "x@deli.example.org", "display_name": "X"},
    )
    assert missing.status_code == 404


def test_another_cbo_sees_nothing(api, smtp, operator_token, cbo):
    other = approved_cbo(api, smtp, operator_token, "other")
    own = api("GET", "/api/v1/staff", cbo.owner).json()["items"]
    for member in own:
        assert api("GET", f"/api/v1/staff/{member['id']}", other.owner).status_code == 404
        assert (
            api(
                "PUT",
                f"/api/v1/staff/{member['id']}/roles",
                other.owner,
                json={"roles": ["viewer"]},
            ).status_code
            == 404
        )
        assert (
            api("POST", f"/api/v1/staff/{member['id']}/deactivate", other.owner).status_code == 404
        )
    theirs = api("GET", "/api/v1/staff", other.owner).json()["items"]
    assert [m["email"] for m in theirs] == [other.owner_email]
    own_ids = {m["id"] for m in own} | {cbo.tenant_id}
    their_trail = api("GET", "/api/v1/audit?per_page=200", other.owner).json()["items"]
    assert not [e for e in their_trail if e["entity_id"] in own_ids]
    their_roles = api("GET", "/api/v1/roles?builtin=false", other.owner).json()
    assert "intake" not in {r["name"] for r in their_roles["items"]}
    assert (
        api("PATCH", "/api/v1/roles/intake", other.owner, json={"description": "x"}).status_code
        == 404
    )
    # Signing in to the other CBO with this CBO's owner fails.
    assert sign_in(api, other.slug, cbo.owner_email).status_code == 401


def test_a_suspended_cbos_people_are_refused(api, smtp, operator_token):
    paused = approved_cbo(api, smtp, operator_token, "paused")
    session = sign_in(api, paused.slug, paused.owner_email).json()
    suspended = api(
        "POST",
        f"/api/v1/platform/cbos/{paused.tenant_id}/suspend",
        operator_token,
        json={"reason": "The MOU lapsed."},
    )
    assert suspended.status_code == 200, suspended.text
    wait_for(
        lambda: sign_in(api, paused.slug, paused.owner_email).status_code == 403,
        what="sign-in refused",
    )
    refreshed = api(
        "POST", "/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refreshed.status_code == 401
    reinstated = api(
        "POST",
        f"/api/v1/platform/cbos/{paused.tenant_id}/reinstate",
        operator_token,
        json={"reason": "The MOU was renewed."},
    )
    assert reinstated.status_code == 200, reinstated.text
    wait_for(
        lambda: sign_in(api, paused.slug, paused.owner_email).status_code == 200,
        what="sign-in allowed again",
    )


def test_sign_in_tells_nobody_whether_an_email_has_an_account(api, smtp, cbo):
    """Fault 6: a real account answered 423 after repeated failures where an unknown email kept
    answering 401, and a wrong password took ~210 ms for a real account against ~23 ms."""
    real = f"rita@{cbo.slug}.e2e.example.org"
    made = api(
        "POST",
        "/api/v1/staff",
        cbo.owner,
        json={"email": real, "display_name": "Rita Real", "roles": ["viewer"]},
    )
    assert made.status_code == 201, made.text
    accept_invitation(api, smtp, real)
    unknown = f"nobody-{uuid.uuid4().hex[:6]}@{cbo.slug}.e2e.example.org"

    def attempt(email: str) -> tuple[float, int, dict]:
        started = time.perf_counter()
        response = sign_in(api, cbo.slug, email, "not the password at all")
        error = response.json()["error"]
        return time.perf_counter() - started, response.status_code, error

    # Alternate, so that both see the same load on the machine.
    tries = [(attempt(real), attempt(unknown)) for _ in range(4)]
    real_time = statistics.median(r[0] for r, _ in tries)
    unknown_time = statistics.median(u[0] for _, u in tries)
    assert max(real_time, unknown_time) / min(real_time, unknown_time) < 3, (
        f"a wrong password took {real_time * 1000:.0f} ms for a real account and "
        f"{unknown_time * 1000:.0f} ms for an unknown email"
    )
    assert {(r[1], str(r[2])) for r, _ in tries} == {(u[1], str(u[2])) for _, u in tries}
    # The 5th failure locks both alike.
    later = [(attempt(real), attempt(unknown)) for _ in range(3)]
    assert [r[1] for r, _ in later] == [u[1] for _, u in later] == [401, 423, 423]
    assert [r[2] for r, _ in later] == [u[2] for _, u in later]


def test_an_invitation_sent_again_leaves_only_the_newest_link_working(api, smtp, cbo):
    """Fault 7: re-sending an invitation left the old link working."""
    email = f"late-{uuid.uuid4().hex[:6]}@{cbo.slug}.e2e.example.org"
    made = api(
        "POST",
        "/api/v1/staff",
        cbo.owner,
        json={"email": email, "display_name": "Lee Late", "roles": ["viewer"]},
    )
    assert made.status_code == 201, made.text
    first = link_token(smtp.wait_for(email))
    again = api("POST", f"/api/v1/staff/{made.json()['id']}/invitation", cbo.owner)
    assert again.status_code == 200, again.text
    second = link_token(smtp.wait_for(email, count=2))
    old = api(
        "POST", "/api/v1/auth/invitations/accept", json={"token": first, "password": PASSWORD}
    )
    assert old.status_code == 422 and "token" in old.json()["error"]["fields"]
    new = api(
        "POST", "/api/v1/auth/invitations/accept", json={"token": second, "password": PASSWORD}
    )
    assert new.status_code == 200, new.text


def test_one_address_asks_for_only_so_many_password_resets(api, platform, cbo):
    """Fault 7: password-reset requests were not limited per client address."""
    session = session_from(another_address())

    def ask(i: int) -> requests.Response:
        body = {"email": f"someone{i}@{cbo.slug}.e2e.example.org", "slug": cbo.slug}
        return session.post(f"{platform.url}/api/v1/auth/password-reset", json=body, timeout=30)

    answers = [ask(i).status_code for i in range(10)]
    assert answers == [202] * 10
    refused = ask(10)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "too_many_requests"
    # Another address is not held back by this one.
    elsewhere = api(
        "POST",
        "/api/v1/auth/password-reset",
        json={"email": f"someone@{cbo.slug}.e2e.example.org", "slug": cbo.slug},
    )
    assert elsewhere.status_code == 202


def client_body(name: str) -> dict:
    return {
        "name": name,
        "kind": "business",
        "billing_contact": "Bo Billing",
        "billing_email": f"billing@{name.lower().replace(' ', '-')}.example.org",
        "address_line1": "1 Pine Ave",
        "city": "Long Beach",
        "state": "CA",
        "postal_code": "90802",
    }


def test_a_client_or_worker_source_is_usable_in_the_very_next_request(api, cbo):
    """Fault 8: POST /clients then POST /clients/<id>/users answered 404 for about 0.2 s, while
    identity's copy of the client waited for tenancy's event; a new worker source likewise
    was refused (422) in a job seeker's registration."""
    for i in range(20):
        made = api("POST", "/api/v1/clients", cbo.owner, json=client_body(f"Next Door {i}"))
        assert made.status_code == 201, made.text
        client_id = made.json()["id"]
        user = api(
            "POST",
            f"/api/v1/clients/{client_id}/users",
            cbo.owner,
            json={"email": f"user{i}@next.example.org", "display_name": f"User {i}"},
        )
        assert user.status_code == 201, f"try {i}: {user.status_code} {user.text}"
        assert user.json()["client_id"] == client_id

        source = api(
            "POST",
            "/api/v1/worker-sources",
            cbo.owner,
            json={"name": f"Next College {i}", "weekly_hour_cap": 14},
        )
        assert source.status_code == 201, source.text
        registered = api(
            "POST",
            "/api/v1/jobseekers",
            cbo.owner,
            json={
                "email": f"seeker{i}@next.example.org",
                "name": f"Seeker {i}",
                "phone": "(562) 555-0100",
                "home_area": "90813",
                "source_id": source.json()["id"],
            },
        )
        assert registered.status_code == 201, f"try {i}: {registered.status_code} {registered.text}"
        assert registered.json()["source_id"] == source.json()["id"]
    # Another CBO's or an unknown client is still not found.
    unknown = api(
        "POST",
        f"/api/v1/clients/{uuid.uuid4()}/users",
        cbo.owner,
        json={"email": "x@next.example.org", "display_name": "X"},
    )
    assert unknown.status_code == 404
