"""Identity's sessions as the gateway asks about them, on the real broker and its migrated
database: `session_status` answers only about the signed-in caller, a change made over RPC voids
the session at once, tenancy's suspension and reinstatement reach it from the bus, and the deploy
step that sets the operator's password ends the operator's sessions.

What ends a session and what the person is told (each reason, generations, refresh tokens of an
ended generation) is tested in tests/domain/test_identity_sessions.py."""

from __future__ import annotations

import pytest

from chassis.contracts.sessions import SESSION_CLAIM
from chassis.errors import Forbidden, Unauthenticated
from deploy.bootstrap import ensure_operator
from tests.factories import a_projected_cbo, a_staff_member
from tests.integration import test_identity_accounts as accounts
from tests.integration.test_identity_accounts import NEW_PASSWORD, PASSWORD, Identity, claims_of
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


def test_only_a_signed_in_caller_has_a_session(identity):
    with pytest.raises(Unauthenticated):
        identity.call("session_status", None, generation=0)


def test_a_deactivation_over_rpc_voids_the_session_at_once(identity):
    identity.build(
        lambda uow: a_staff_member(
            uow,
            tenant_id=a_projected_cbo(uow, slug="ended").tenant_id,
            roles=["owner"],
            email="owner@ended.example.org",
        )
    )
    owner = identity.sign_in("ended", "owner@ended.example.org")["access_token"]
    ana = "ana@ended.example.org"
    member = identity.call(
        "register_staff", owner, body={"email": ana, "display_name": "Ana", "roles": ["viewer"]}
    )
    first = identity.accept(ana)
    assert status_of(identity, first) == {"valid": True, "message": None, "cbo_status": "approved"}
    identity.call(
        "change_staff_roles", owner, account_id=member["id"], body={"roles": ["approver"]}
    )
    assert "roles changed" in status_of(identity, first)["message"]
    second = identity.sign_in("ended", ana)
    assert claims_of(identity, second)[SESSION_CLAIM] == 1
    identity.call("deactivate_staff", owner, account_id=member["id"])
    assert status_of(identity, second) == {
        "valid": False,
        "message": "Your account is not active any more.",
        "cbo_status": "approved",
    }
    refused_refresh(identity, second)


def test_tenancys_suspension_and_reinstatement_reach_identity_from_the_bus(identity):
    tenant_id, owner = identity.cbo_with_owner("paused")
    email = "owner@paused.example.org"
    session = identity.sign_in("paused", email)
    tenant = {"tenant_id": tenant_id, "slug": "paused", "name": "CBO paused"}
    identity.publish("tenant.suspended", {**tenant, "reason": "MOU lapsed"}, tenant_id)
    wait_for(
        lambda: status_of(identity, session)["cbo_status"] == "suspended",
        what="identity to learn of the suspension",
    )
    # A suspended CBO's people keep their session, to read; they cannot sign in or refresh.
    assert status_of(identity, session)["valid"]
    with pytest.raises(Forbidden):
        identity.sign_in("paused", email)
    refused_refresh(identity, session)

    identity.publish("tenant.reinstated", tenant, tenant_id)
    wait_for(
        lambda: status_of(identity, session)["cbo_status"] == "approved",
        what="identity to learn of the reinstatement",
    )
    assert identity.sign_in("paused", email)["access_token"]
    assert status_of(identity, {"access_token": owner})["valid"]


def test_an_operator_password_set_by_the_deploy_step_ends_the_operators_sessions(identity):
    email = "operator@city.example.org"
    ensure_operator(identity.settings, email=email, password=PASSWORD)
    before = identity.sign_in(None, email)
    ensure_operator(identity.settings, email=email, password=PASSWORD)  # unchanged: no effect
    assert status_of(identity, before) == {"valid": True, "message": None, "cbo_status": None}
    ensure_operator(identity.settings, email=email, password=NEW_PASSWORD)
    assert "password was reset" in status_of(identity, before)["message"]
    refused_refresh(identity, before)
    assert identity.sign_in(None, email, NEW_PASSWORD)["access_token"]
