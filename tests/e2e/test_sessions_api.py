"""Sessions over HTTP on the running platform: a token stops working within seconds of its
account being deactivated, its password reset or its roles changed (fault 5), and a suspended
CBO's people, with tokens issued before the suspension, can read but not write (fault 4)."""

from __future__ import annotations

import time

from tests.e2e.test_accounts_api import (
    NEW_PASSWORD,
    PASSWORD,
    accept_invitation,
    approved_cbo,
    sign_in,
)
from tests.e2e.test_jobseekers_api import registration
from tests.smtp import link_token
from tests.waiting import wait_for

# The gateway trusts identity's answer for WORKLB_SESSION_CHECK_SECONDS (2 s by default); a
# change must reach a token within that and the moment it takes to commit.
WITHIN = 5.0


def refused_within(api, token: str, status: int = 401, path: str = "/api/v1/me") -> dict:
    """Wait until `token` is refused on `path`, no longer than WITHIN; the error."""
    started = time.monotonic()

    def refused():
        response = api("GET", path, token)
        return response.json()["error"] if response.status_code == status else None

    error = wait_for(refused, timeout=WITHIN, what=f"the token to get {status}")
    assert time.monotonic() - started < WITHIN
    return error


def refresh(api, tokens: dict):
    return api("POST", "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


def test_changed_roles_and_deactivation_end_a_session_within_seconds(api, smtp, operator_token):
    cbo = approved_cbo(api, smtp, operator_token, "sessions")
    email = f"sam@{cbo.slug}.e2e.example.org"
    created = api(
        "POST",
        "/api/v1/staff",
        cbo.owner,
        json={"email": email, "display_name": "Sam Staff", "roles": ["admin"]},
    )
    assert created.status_code == 201, created.text
    sam_id = created.json()["id"]
    first = accept_invitation(api, smtp, email, PASSWORD)
    assert api("GET", "/api/v1/audit", first["access_token"]).status_code == 200

    changed = api("PUT", f"/api/v1/staff/{sam_id}/roles", cbo.owner, json={"roles": ["viewer"]})
    assert changed.status_code == 200, changed.text
    error = refused_within(api, first["access_token"], path="/api/v1/audit")
    assert error["code"] == "unauthenticated" and "roles changed" in error["message"]
    assert refresh(api, first).status_code == 401
    # Signed in again, Sam has what the new role gives, no more.
    second = sign_in(api, cbo.slug, email).json()
    assert api("GET", "/api/v1/me", second["access_token"]).json()["roles"] == ["viewer"]
    assert api("GET", "/api/v1/audit", second["access_token"]).status_code == 403

    deactivated = api("POST", f"/api/v1/staff/{sam_id}/deactivate", cbo.owner)
    assert deactivated.status_code == 200, deactivated.text
    assert "not active" in refused_within(api, second["access_token"])["message"]
    assert refresh(api, second).status_code == 401
    assert sign_in(api, cbo.slug, email).status_code == 401
    # The owner's own session was never touched.
    assert api("GET", "/api/v1/me", cbo.owner).status_code == 200


def test_a_password_reset_ends_every_session_of_the_account(api, smtp, operator_token):
    cbo = approved_cbo(api, smtp, operator_token, "resets")
    before = sign_in(api, cbo.slug, cbo.owner_email).json()
    assert api("GET", "/api/v1/me", before["access_token"]).status_code == 200
    requested = api(
        "POST", "/api/v1/auth/password-reset", json={"email": cbo.owner_email, "slug": cbo.slug}
    )
    assert requested.status_code == 202, requested.text
    token = link_token(smtp.wait_for(cbo.owner_email, count=2))  # the invitation came first
    confirmed = api(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": NEW_PASSWORD},
    )
    assert confirmed.status_code == 204, confirmed.text
    for old in (before["access_token"], cbo.owner):
        assert "password was reset" in refused_within(api, old)["message"]
    assert refresh(api, before).status_code == 401
    after = sign_in(api, cbo.slug, cbo.owner_email, NEW_PASSWORD).json()
    assert api("GET", "/api/v1/me", after["access_token"]).status_code == 200


def test_a_suspended_cbos_staff_can_read_but_not_write_until_it_is_reinstated(
    api, smtp, operator_token
):
    cbo = approved_cbo(api, smtp, operator_token, "halted")
    owner = cbo.owner  # issued before the suspension

    def probe() -> int:
        # A write that is invalid anyway: 422 when identity gets it, 403 when the gateway
        # refuses it first. Either way nothing changes.
        return api("POST", "/api/v1/roles", owner, json={}).status_code

    assert probe() == 422
    suspended = api(
        "POST",
        f"/api/v1/platform/cbos/{cbo.tenant_id}/suspend",
        operator_token,
        json={"reason": "The MOU lapsed."},
    )
    assert suspended.status_code == 200, suspended.text
    wait_for(lambda: probe() == 403, what="the gateway to refuse the suspended CBO's writes")

    staff_email = f"late@{cbo.slug}.e2e.example.org"
    seeker_email = f"seeker@{cbo.slug}.e2e.example.org"
    writes = {
        "staff": api(
            "POST",
            "/api/v1/staff",
            owner,
            json={"email": staff_email, "display_name": "Late Staff", "roles": ["viewer"]},
        ),
        "role": api(
            "POST", "/api/v1/roles", owner, json={"name": "late", "permissions": ["clients.read"]}
        ),
        "jobseeker": api(
            "POST",
            "/api/v1/jobseekers",
            owner,
            json={k: v for k, v in registration(seeker_email).items() if k != "password"},
        ),
    }
    for what, response in writes.items():
        assert response.status_code == 403, (what, response.text)
        assert "suspended" in response.json()["error"]["message"], what
    # Reads go on, and show that nothing was written.
    staff = api("GET", "/api/v1/staff", owner)
    assert staff.status_code == 200
    assert staff_email not in [m["email"] for m in staff.json()["items"]]
    assert "late" not in [r["name"] for r in api("GET", "/api/v1/roles", owner).json()["items"]]

    reinstated = api(
        "POST",
        f"/api/v1/platform/cbos/{cbo.tenant_id}/reinstate",
        operator_token,
        json={"reason": "The MOU was renewed."},
    )
    assert reinstated.status_code == 200, reinstated.text
    wait_for(lambda: probe() == 422, what="the gateway to let the CBO write again")
    again = f"again@{cbo.slug}.e2e.example.org"
    created = api(
        "POST",
        "/api/v1/staff",
        owner,
        json={"email": again, "display_name": "Again Staff", "roles": ["viewer"]},
    )
    assert created.status_code == 201, created.text
    smtp.wait_for(again)
    # Nothing was written while suspended, so no invitation went out (looked at once a later
    # one has arrived).
    assert smtp.to(staff_email) == [] and smtp.to(seeker_email) == []
