"""Identity's sessions on the real broker and its migrated database: deactivating an account,
resetting its password, changing its roles or a custom role it holds ends its sessions (the
access token's session_status says void, its refresh token is refused); session_status also
tells the CBO's status as identity learns it from tenancy."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from chassis.contracts.sessions import SESSION_CLAIM
from chassis.errors import Unauthenticated
from deploy.bootstrap import ensure_operator
from tests.integration import test_identity_accounts as accounts
from tests.integration.test_identity_accounts import NEW_PASSWORD, PASSWORD, Identity, claims_of
from tests.smtp import link_token
from tests.waiting import wait_for

# The identity service and its database, as identity's account tests run them.
identity_engine, clean, identity = accounts.identity_engine, accounts.clean, accounts.identity


def status_of(identity: Identity, tokens: dict) -> dict:
    """What the gateway hears for this token pair's access token."""
    generation = claims_of(identity, tokens).get(SESSION_CLAIM, 0)
    return identity.call("session_status", tokens["access_token"], generation=generation)


def refused_refresh(identity: Identity, tokens: dict) -> None:
    with pytest.raises(Unauthenticated):
        identity.call("refresh", body={"refresh_token": tokens["refresh_token"]})


def test_a_change_to_an_account_ends_its_sessions(identity):
    tenant_id, owner = identity.cbo_with_owner("ended")
    owner_session = {"access_token": owner}
    assert status_of(identity, owner_session) == {
        "valid": True,
        "message": None,
        "cbo_status": "approved",
    }
    ana = "ana@ended.example.org"
    ana_id = identity.add_staff("ended", owner, ana, ["viewer"])
    first = identity.sign_in("ended", ana)
    assert claims_of(identity, first)[SESSION_CLAIM] == 0
    assert status_of(identity, first)["valid"]

    # Roles changed: the old tokens are void, signing in again gives a session with the new ones.
    identity.call("change_staff_roles", owner, account_id=ana_id, body={"roles": ["approver"]})
    ended = status_of(identity, first)
    assert not ended["valid"] and "roles changed" in ended["message"]
    refused_refresh(identity, first)
    second = identity.sign_in("ended", ana)
    assert claims_of(identity, second)[SESSION_CLAIM] == 1
    assert status_of(identity, second)["valid"]
    # The same roles again change nothing.
    identity.call("change_staff_roles", owner, account_id=ana_id, body={"roles": ["approver"]})
    assert status_of(identity, second)["valid"]

    # A custom role she holds changes: void; one she does not hold: nothing happens.
    for name in ("intake", "unused"):
        identity.call("create_role", owner, body={"name": name, "permissions": ["jobseekers.read"]})
    identity.call("change_staff_roles", owner, account_id=ana_id, body={"roles": ["intake"]})
    third = identity.sign_in("ended", ana)
    identity.call("update_role", owner, name="unused", body={"permissions": ["clients.read"]})
    identity.call("update_role", owner, name="intake", body={"description": "Words only"})
    assert status_of(identity, third)["valid"]
    identity.call("update_role", owner, name="intake", body={"permissions": ["clients.read"]})
    assert "role you hold" in status_of(identity, third)["message"]
    assert status_of(identity, owner_session)["valid"]  # the owner does not hold it

    # Deactivated: void, and so is a refresh; reactivated, the old session stays ended.
    fourth = identity.sign_in("ended", ana)
    identity.call("deactivate_staff", owner, account_id=ana_id)
    assert status_of(identity, fourth) == {
        "valid": False,
        "message": "Your account is not active any more.",
        "cbo_status": "approved",
    }
    refused_refresh(identity, fourth)
    identity.call("reactivate_staff", owner, account_id=ana_id)
    assert "deactivated" in status_of(identity, fourth)["message"]
    assert status_of(identity, identity.sign_in("ended", ana))["valid"]


def test_a_password_reset_ends_the_sessions_of_the_account(identity):
    _, _ = identity.cbo_with_owner("resets")
    owner = "owner@resets.example.org"
    before = identity.sign_in("resets", owner)
    identity.call("request_password_reset", body={"email": owner, "slug": "resets"})
    token = link_token(identity.smtp.wait_for(owner, count=2))
    identity.call("confirm_password_reset", body={"token": token, "password": NEW_PASSWORD})
    assert "password was reset" in status_of(identity, before)["message"]
    refused_refresh(identity, before)
    after = identity.sign_in("resets", owner, NEW_PASSWORD)
    assert status_of(identity, after)["valid"]
    assert identity.call("refresh", body={"refresh_token": after["refresh_token"]})


def test_the_session_status_tells_the_cbos_status(identity):
    tenant_id, owner = identity.cbo_with_owner("lapsed")
    tenant = {"tenant_id": tenant_id, "slug": "lapsed", "name": "CBO lapsed"}
    session = {"access_token": owner}
    identity.publish("tenant.suspended", {**tenant, "reason": "MOU lapsed"}, tenant_id)
    wait_for(
        lambda: status_of(identity, session)["cbo_status"] == "suspended",
        what="identity to learn of the suspension",
    )
    # A suspended CBO's people keep their session: they may still read.
    assert status_of(identity, session)["valid"]
    identity.publish("tenant.reinstated", tenant, tenant_id)
    wait_for(
        lambda: status_of(identity, session)["cbo_status"] == "approved",
        what="identity to learn of the reinstatement",
    )


def test_only_a_signed_in_caller_has_a_session(identity):
    with pytest.raises(Unauthenticated):
        identity.call("session_status", None, generation=0)


def test_a_refresh_token_of_an_older_generation_is_refused_even_if_not_revoked(identity):
    # A refresh that raced the change that ended the sessions would leave such a token live.
    identity.cbo_with_owner("raced")
    tokens = identity.sign_in("raced", "owner@raced.example.org")
    with identity.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO session_generations VALUES (:id, 1, 'roles_changed', now())"),
            {"id": claims_of(identity, tokens)["sub"]},
        )
    with pytest.raises(Unauthenticated, match="roles changed"):
        identity.call("refresh", body={"refresh_token": tokens["refresh_token"]})


def test_an_operator_password_set_by_the_deploy_step_ends_the_operators_sessions(identity):
    email = "operator@city.example.org"
    ensure_operator(identity.settings, email=email, password=PASSWORD)
    before = identity.sign_in(None, email)
    ensure_operator(identity.settings, email=email, password=PASSWORD)  # unchanged: no effect
    assert status_of(identity, before) == {"valid": True, "message": None, "cbo_status": None}
    ensure_operator(identity.settings, email=email, password=NEW_PASSWORD)
    assert "password was reset" in status_of(identity, before)["message"]
