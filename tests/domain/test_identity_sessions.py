"""Session generations on identity's real database: what ends an account's sessions (and says
why), what the gateway hears for a token (valid or void, and its CBO's status), and refresh
tokens of an ended generation refused even if nothing revoked them."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from chassis.contracts.sessions import SESSION_CLAIM
from chassis.errors import Unauthenticated
from chassis.tokens import REFRESH, verify
from services.identity.accounts import domain as accounts
from services.identity.accounts.models import RefreshToken
from services.identity.sessions import domain as sessions
from services.identity.sessions import rules
from services.identity.staff import domain as staff
from services.identity.tenants import domain as projections
from tests.factories import (
    PASSWORD,
    TOKEN_SETTINGS,
    a_custom_role,
    a_projected_cbo,
    a_staff_member,
    an_account,
    an_operator,
    later_cbo_status,
    staff_caller,
)

SERVICE = "identity"
VALID = {"valid": True, "message": None, "cbo_status": "approved"}


def sign_in(uow, account) -> dict:
    return accounts.sign_in(
        uow,
        email=account.email,
        password=PASSWORD,
        settings=TOKEN_SETTINGS,
        tenant_id=account.tenant_id,
    )


def generation_in(tokens: dict) -> int:
    return verify(TOKEN_SETTINGS.secret, tokens["refresh_token"], token_type=REFRESH)[SESSION_CLAIM]


def status(uow, account, generation: int = 0) -> dict:
    return sessions.session_status(uow, account_id=account.id, generation=generation)


def test_an_account_starts_at_generation_zero_and_each_ending_raises_it(uow):
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id)
    bo = a_staff_member(uow, tenant_id=cbo.tenant_id)
    first = sign_in(uow, ana)
    assert sessions.generation_of(uow, account_id=ana.id) == generation_in(first) == 0
    assert status(uow, ana) == VALID
    sessions.end_sessions(uow, account_ids=[ana.id], because="password_reset")
    sessions.end_sessions(uow, account_ids=[ana.id], because="roles_changed")
    assert sessions.generation_of(uow, account_id=ana.id) == 2
    assert sessions.generation_of(uow, account_id=bo.id) == 0
    # The refresh token is revoked now; the access token is void at the gateway's next check.
    stored = uow.session.get(
        RefreshToken,
        verify(TOKEN_SETTINGS.secret, first["refresh_token"], token_type=REFRESH)["jti"],
    )
    assert stored.revoked_at is not None
    assert status(uow, ana, 0) == {
        "valid": False,
        "message": rules.ENDED_BECAUSE["roles_changed"],  # the latest reason
        "cbo_status": "approved",
    }
    assert status(uow, ana, 1)["valid"] is False
    second = sign_in(uow, ana)
    assert generation_in(second) == 2 and status(uow, ana, 2) == VALID
    with pytest.raises(ValueError):
        sessions.end_sessions(uow, account_ids=[ana.id], because="boredom")


@pytest.mark.parametrize("because", sorted(rules.ENDED_BECAUSE))
def test_the_person_is_told_why_their_session_ended(uow, because):
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id)
    sessions.end_sessions(uow, account_ids=[ana.id], because=because)
    assert status(uow, ana)["message"] == rules.ENDED_BECAUSE[because]


def test_a_refresh_token_of_an_older_generation_is_refused_even_if_not_revoked(uow):
    # A refresh that raced the change that ended the sessions would leave such a token live.
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id)
    tokens = sign_in(uow, ana)
    sessions.end_sessions(uow, account_ids=[ana.id], because="roles_changed")
    uow.session.execute(update(RefreshToken).values(revoked_at=None))
    with pytest.raises(Unauthenticated, match="roles changed"):
        accounts.refresh(uow, refresh_token=tokens["refresh_token"], settings=TOKEN_SETTINGS)
    with pytest.raises(Unauthenticated, match="roles changed"):
        sessions.require_current(uow, account_id=ana.id, generation=0)
    sessions.require_current(uow, account_id=ana.id, generation=1)


def test_a_deactivated_account_is_void_whatever_its_generation(uow):
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id)
    owner = staff_caller(cbo.tenant_id)
    staff.deactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=ana.id)
    assert status(uow, ana, 1) == {
        "valid": False,
        "message": rules.INACTIVE,
        "cbo_status": "approved",
    }
    staff.reactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=ana.id)
    assert status(uow, ana, 0)["message"] == rules.ENDED_BECAUSE["deactivated"]
    assert status(uow, ana, 1) == VALID
    gone = sessions.session_status(uow, account_id="no-such-account", generation=0)
    assert gone == {"valid": False, "message": rules.NO_ACCOUNT, "cbo_status": None}


def test_a_roles_new_permissions_end_the_sessions_of_its_holders_in_its_cbo_only(uow):
    cbo, other = a_projected_cbo(uow), a_projected_cbo(uow)
    a_custom_role(uow, tenant_id=cbo.tenant_id, name="intake")
    a_custom_role(uow, tenant_id=other.tenant_id, name="intake")
    ours = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["intake"])
    theirs = a_staff_member(uow, tenant_id=other.tenant_id, roles=["intake"])
    bystander = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["viewer"])
    sessions.end_sessions_of_role(
        uow, tenant_id=cbo.tenant_id, role="intake", because="role_updated"
    )
    assert sessions.generation_of(uow, account_id=ours.id) == 1
    assert (
        sessions.generation_of(uow, account_id=theirs.id)
        == sessions.generation_of(uow, account_id=bystander.id)
        == 0
    )


def test_the_status_tells_the_cbos_status_as_identity_knows_it(uow):
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id)
    later_cbo_status(uow, cbo, projections.SUSPENDED)
    # A suspended CBO's people keep their session: they may still read (the gateway refuses
    # their writes).
    assert status(uow, ana) == {"valid": True, "message": None, "cbo_status": "suspended"}
    later_cbo_status(uow, cbo, projections.ACTIVE)
    assert status(uow, ana) == VALID
    operator = an_operator(uow)
    assert status(uow, operator) == {"valid": True, "message": None, "cbo_status": None}
    # An account whose CBO identity has not heard of (yet): unknown, refused writes alike.
    stray = an_account(uow, tenant_id="t" * 36)
    assert status(uow, stray)["cbo_status"] == "unknown"


def test_many_sessions_are_answered_at_once_in_the_order_asked(uow):
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id)
    bo = a_staff_member(uow, tenant_id=cbo.tenant_id)
    sessions.end_sessions(uow, account_ids=[bo.id], because="deactivated")
    asked = [(bo.id, 0), (ana.id, 0), ("no-such-account", 0), (bo.id, 1), (ana.id, 0)]
    answers = sessions.session_statuses(uow, sessions=asked)
    assert [(a["account_id"], a["generation"]) for a in answers] == asked
    for (account_id, generation), answer in zip(asked, answers, strict=True):
        single = sessions.session_status(uow, account_id=account_id, generation=generation)
        assert {k: answer[k] for k in single} == single
    assert [a["valid"] for a in answers] == [False, True, False, True, True]
