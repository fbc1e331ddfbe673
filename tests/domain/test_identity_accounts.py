"""Identity's accounts on its real database: creating accounts, signing in to one's own CBO,
failures that tell nobody who has an account (same answer, one password check, the same
lock-out), refresh-token rotation and signing out, and what a token says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from chassis.context import Caller
from chassis.contracts.sessions import SESSION_CLAIM
from chassis.errors import Conflict, Forbidden, Locked, NotFound, Unauthenticated, ValidationFailed
from chassis.tokens import ACCESS, REFRESH, verify
from services.identity.accounts import domain as accounts
from services.identity.accounts import rules
from services.identity.accounts.models import Attempt, RefreshToken
from services.identity.sessions import domain as sessions
from services.identity.tenants import domain as projections
from tests.domain.outbox import Outbox
from tests.factories import (
    PASSWORD,
    TOKEN_SETTINGS,
    a_client_user,
    a_custom_role,
    a_projected_cbo,
    a_staff_member,
    an_account,
    an_email,
    an_operator,
    caller_of,
)

SERVICE = "identity"
WRONG = "a wrong password"


def sign_in(uow, email: str, password: str = PASSWORD, **where) -> dict:
    return accounts.sign_in(uow, email=email, password=password, settings=TOKEN_SETTINGS, **where)


def claims_of(tokens: dict, token_type: str = ACCESS) -> dict:
    return verify(TOKEN_SETTINGS.secret, tokens[f"{token_type}_token"], token_type=token_type)


def refresh(uow, tokens: dict, **kwargs) -> dict:
    return accounts.refresh(
        uow, refresh_token=tokens["refresh_token"], settings=TOKEN_SETTINGS, **kwargs
    )


def answers(uow, attempts: int, email: str, password: str, **where) -> list[tuple[str, str]]:
    """What `attempts` sign-ins answer, each as (error, message) or ("tokens", "")."""
    found = []
    for _ in range(attempts):
        try:
            sign_in(uow, email, password, **where)
            found.append(("tokens", ""))
        except (Unauthenticated, Locked, Forbidden) as refused:
            found.append((type(refused).__name__, refused.message))
    return found


# -- accounts ----------------------------------------------------------------------------------


def test_an_account_is_created_with_its_event_and_an_email_once_per_cbo_in_any_case(uow):
    cbo, other = a_projected_cbo(uow), a_projected_cbo(uow)
    sent = Outbox(uow)
    ana = an_account(uow, tenant_id=cbo.tenant_id, roles=["approver"], email="Ana@Example.org")
    assert (ana.email, ana.status, ana.kind) == ("Ana@Example.org", "active", "staff")
    assert ana.password_hash and PASSWORD not in ana.password_hash
    created = sent.one("account.created")
    assert created["tenant_id"] == cbo.tenant_id
    assert created["data"] == {"account_id": ana.id, "kind": "staff", "roles": ["approver"]}

    with pytest.raises(Conflict) as duplicate:
        an_account(uow, tenant_id=cbo.tenant_id, email=" ANA@example.ORG ")
    assert duplicate.value.fields == {"email": ["Already registered."]}
    assert len(sent.events()) == 1
    # The same person may belong to another CBO, and the city's own accounts are apart.
    assert an_account(uow, tenant_id=other.tenant_id, email="ana@example.org")
    operator = an_account(uow, tenant_id=None, kind="operator", email="ana@example.org")
    with pytest.raises(Conflict):
        an_account(uow, tenant_id=None, kind="operator", email="Ana@example.org")
    assert operator.tenant_id is None
    # Without a password an account waits, invited, until its owner sets one.
    invited = an_account(uow, tenant_id=cbo.tenant_id, password=None)
    assert (invited.status, invited.password_hash) == ("invited", None)


def test_a_client_users_account_names_its_client_in_its_event(uow):
    cbo = a_projected_cbo(uow)
    sent = Outbox(uow)
    kim = an_account(uow, tenant_id=cbo.tenant_id, kind="client", client_id="c" * 36)
    assert sent.one("account.created")["data"] == {
        "account_id": kim.id,
        "kind": "client",
        "roles": ["client"],
        "client_id": "c" * 36,
    }


def test_the_operator_is_made_once(uow):
    first = an_operator(uow, email="op@city.example.org")
    again = accounts.ensure_operator(
        uow, email="OP@city.example.org", password="another password", display_name="X"
    )
    assert again is first and first.roles == ["operator"] and first.tenant_id is None
    assert accounts.password_matches(first.password_hash, PASSWORD)


# -- signing in --------------------------------------------------------------------------------


def test_staff_sign_in_to_their_own_cbo_by_slug_or_id_with_their_roles_permissions(uow):
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["approver"], email="ana@x.org")
    for where in ({"slug": cbo.slug.upper()}, {"tenant_id": cbo.tenant_id}):
        tokens = sign_in(uow, " ANA@x.org", **where)
        assert (tokens["token_type"], tokens["expires_in"]) == ("Bearer", 15 * 60)
        claims = claims_of(tokens)
        assert (claims["sub"], claims["tid"], claims["kind"]) == (ana.id, cbo.tenant_id, "staff")
        assert claims["roles"] == ["approver"] and claims[SESSION_CLAIM] == 0
        assert "jobseekers.approve" in claims["perms"] and "payroll.run" not in claims["perms"]
        assert claims["perms"] == sorted(claims["perms"])
        stored = uow.session.get(RefreshToken, claims_of(tokens, REFRESH)["jti"])
        assert stored.account_id == ana.id and stored.revoked_at is None
    with pytest.raises(ValidationFailed) as both:
        sign_in(uow, "ana@x.org", slug=cbo.slug, tenant_id=cbo.tenant_id)
    assert set(both.value.fields) == {"slug"}


def test_a_cbos_people_sign_in_to_their_own_cbo_only_and_the_operator_to_none(uow):
    cbo, other = a_projected_cbo(uow), a_projected_cbo(uow)
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    an_operator(uow, email="op@city.example.org")
    for email, where in (
        ("ana@x.org", {"slug": other.slug}),  # another CBO's site
        ("ana@x.org", {}),  # the city's own sign-in
        ("ana@x.org", {"slug": "no-such-cbo"}),
        ("ana@x.org", {"tenant_id": other.tenant_id}),
        ("op@city.example.org", {"slug": cbo.slug}),
    ):
        with pytest.raises(Unauthenticated) as refused:
            sign_in(uow, email, **where)
        assert refused.value.message == accounts.WRONG_CREDENTIALS
    operator = claims_of(sign_in(uow, "op@city.example.org"))
    assert operator["tid"] is None and "platform.operate" in operator["perms"]


def test_every_failed_sign_in_answers_alike(uow):
    cbo = a_projected_cbo(uow)
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="ivy@x.org", status="invited")
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="dee@x.org", status="deactivated")
    # Registered with a password, the email not confirmed yet.
    an_account(uow, tenant_id=cbo.tenant_id, email="una@x.org").status = "invited"
    messages = set()
    for email, password in (
        ("nobody@x.org", PASSWORD),
        ("ana@x.org", WRONG),
        ("ivy@x.org", PASSWORD),
        ("dee@x.org", PASSWORD),
        ("una@x.org", PASSWORD),
    ):
        with pytest.raises(Unauthenticated) as refused:
            sign_in(uow, email, password, slug=cbo.slug)
        messages.add(refused.value.message)
    assert messages == {accounts.WRONG_CREDENTIALS}


class CountingHasher(PasswordHasher):
    """The tests' argon2, counting its password checks."""

    def __init__(self, hasher: PasswordHasher) -> None:
        super().__init__(
            time_cost=hasher.time_cost,
            memory_cost=hasher.memory_cost,
            parallelism=hasher.parallelism,
        )
        self.checks = 0

    def verify(self, hash, password) -> bool:  # noqa: A002 (argon2's own name)
        self.checks += 1
        return super().verify(hash, password)


def test_one_password_check_runs_whether_or_not_the_account_exists(uow, monkeypatch):
    """Fault 6: a wrong password took about 210 ms for a real account against 23 ms for an
    unknown one. Every answer now costs the same one argon2 check."""
    cbo = a_projected_cbo(uow)
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="ivy@x.org", status="invited")
    counting = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    for email, password, where in (
        ("ana@x.org", WRONG, {"slug": cbo.slug}),
        ("nobody@x.org", WRONG, {"slug": cbo.slug}),
        ("ivy@x.org", PASSWORD, {"slug": cbo.slug}),  # invited: no password yet
        ("ana@x.org", WRONG, {"slug": "no-such-cbo"}),
    ):
        counting.checks = 0
        with pytest.raises(Unauthenticated):
            sign_in(uow, email, password, **where)
        assert counting.checks == 1, (email, where)


def test_failures_lock_an_email_alike_whether_or_not_it_has_an_account(uow):
    """Fault 6: after repeated failures a real account answered 423 and an unknown one 401."""
    cbo, other = a_projected_cbo(uow), a_projected_cbo(uow)
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    a_staff_member(uow, tenant_id=other.tenant_id, email="ana@x.org")
    tries = rules.MAX_FAILED_SIGN_INS + 2
    real = answers(uow, tries, "ANA@x.org", WRONG, slug=cbo.slug)
    unknown = answers(uow, tries, "nobody@x.org", WRONG, slug=cbo.slug)
    assert real == unknown
    assert (
        real
        == [("Unauthenticated", accounts.WRONG_CREDENTIALS)] * 5 + [("Locked", accounts.LOCKED)] * 2
    )
    # Locked even with the right password; the same email in another CBO is not.
    assert answers(uow, 1, "ana@x.org", PASSWORD, slug=cbo.slug) == [("Locked", accounts.LOCKED)]
    assert answers(uow, 1, "ana@x.org", PASSWORD, slug=other.slug) == [("tokens", "")]
    keys = set(uow.session.execute(select(Attempt.key)).scalars())
    assert keys == {f"{cbo.tenant_id}:ana@x.org", f"{cbo.tenant_id}:nobody@x.org"}


def test_a_lock_lifts_after_its_window_and_a_sign_in_forgets_earlier_failures(uow):
    cbo = a_projected_cbo(uow)
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    start = datetime.now(UTC)

    def at(minutes: float, password: str) -> list[tuple[str, str]]:
        when = start + timedelta(minutes=minutes)
        return answers(uow, 1, "ana@x.org", password, slug=cbo.slug, now=when)

    for minute in range(4):
        assert at(minute, WRONG)[0][0] == "Unauthenticated"
    assert at(4, PASSWORD) == [("tokens", "")]  # forgets the four failures
    for minute in range(5, 10):
        assert at(minute, WRONG)[0][0] == "Unauthenticated"
    assert at(10, PASSWORD)[0][0] == "Locked"
    assert at(19.9, PASSWORD)[0][0] == "Locked"  # the oldest of the five is not 15 min old
    assert at(20.1, PASSWORD) == [("tokens", "")]


def test_attempts_older_than_a_day_are_forgotten_as_new_ones_come(uow):
    cbo = a_projected_cbo(uow)
    long_ago = datetime.now(UTC) - timedelta(days=2)
    answers(uow, 3, "old@x.org", WRONG, slug=cbo.slug, now=long_ago)
    answers(uow, 1, "new@x.org", WRONG, slug=cbo.slug)
    keys = list(uow.session.execute(select(Attempt.key)).scalars())
    assert keys == [f"{cbo.tenant_id}:new@x.org"]


def test_a_suspended_cbos_people_cannot_sign_in_or_refresh_until_it_is_reinstated(uow):
    cbo = a_projected_cbo(uow)
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    tokens = sign_in(uow, "ana@x.org", slug=cbo.slug)
    later = datetime.now(UTC) + timedelta(minutes=1)
    args = {"tenant_id": cbo.tenant_id, "slug": cbo.slug, "name": cbo.name}
    projections.apply_tenant(uow, **args, status=projections.SUSPENDED, occurred_at=later)
    with pytest.raises(Forbidden, match="suspended"):
        sign_in(uow, "ana@x.org", slug=cbo.slug)
    with pytest.raises(Unauthenticated, match="suspended"):
        refresh(uow, tokens)
    projections.apply_tenant(
        uow, **args, status=projections.ACTIVE, occurred_at=later + timedelta(minutes=1)
    )
    assert refresh(uow, tokens)["access_token"]
    assert sign_in(uow, "ana@x.org", slug=cbo.slug)["access_token"]


# -- tokens ------------------------------------------------------------------------------------


def test_a_refresh_token_is_used_once_and_signing_out_ends_it(uow):
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org", roles=["viewer"])
    first = sign_in(uow, "ana@x.org", slug=cbo.slug)
    second = refresh(uow, first)
    assert second["refresh_token"] != first["refresh_token"]
    assert claims_of(second)["sub"] == ana.id and claims_of(second)["roles"] == ["viewer"]
    with pytest.raises(Unauthenticated, match="session has ended"):
        refresh(uow, first)
    accounts.sign_out(uow, refresh_token=second["refresh_token"], settings=TOKEN_SETTINGS)
    with pytest.raises(Unauthenticated):
        refresh(uow, second)
    # Signing out again, or with a token nobody stored, changes nothing and says nothing.
    accounts.sign_out(uow, refresh_token=second["refresh_token"], settings=TOKEN_SETTINGS)
    with pytest.raises(Unauthenticated):  # an access token is no refresh token
        accounts.refresh(uow, refresh_token=first["access_token"], settings=TOKEN_SETTINGS)


def test_a_deactivated_account_cannot_refresh(uow):
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    tokens = sign_in(uow, "ana@x.org", slug=cbo.slug)
    ana.status = accounts.DEACTIVATED
    with pytest.raises(Unauthenticated, match="not active"):
        refresh(uow, tokens)


def test_ending_the_sessions_of_a_cbo_revokes_only_its_peoples_refresh_tokens(uow):
    """What tenant.suspended's handler does to the suspended CBO's people."""
    cbo, other = a_projected_cbo(uow), a_projected_cbo(uow)
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    a_staff_member(uow, tenant_id=other.tenant_id, email="bo@x.org")
    ours, theirs = (
        sign_in(uow, "ana@x.org", slug=cbo.slug),
        sign_in(uow, "bo@x.org", slug=other.slug),
    )
    sessions.end_sessions_of_cbo(uow, tenant_id=cbo.tenant_id)
    with pytest.raises(Unauthenticated, match="session has ended"):
        refresh(uow, ours)
    assert refresh(uow, theirs)["access_token"]


def test_a_token_carries_custom_roles_and_a_client_users_client(uow):
    cbo = a_projected_cbo(uow)
    a_custom_role(uow, tenant_id=cbo.tenant_id, name="payroller", permissions=["payroll.run"])
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="pat@x.org", roles=["payroller", "viewer"])
    staff = claims_of(sign_in(uow, "pat@x.org", slug=cbo.slug))
    assert {"payroll.run", "jobseekers.read"} <= set(staff["perms"])
    assert "jobseekers.approve" not in staff["perms"] and "cid" not in staff

    kim = a_client_user(uow, tenant_id=cbo.tenant_id, email="kim@x.org")
    client = claims_of(sign_in(uow, "kim@x.org", slug=cbo.slug))
    assert (client["kind"], client["cid"], client["roles"]) == ("client", kim.client_id, ["client"])
    assert "self.book" in client["perms"] and "clients.manage" not in client["perms"]


def test_who_am_i_describes_the_callers_account(uow):
    cbo = a_projected_cbo(uow)
    kim = a_client_user(uow, tenant_id=cbo.tenant_id, email="Kim@x.org")
    me = accounts.describe(uow, caller=caller_of(uow, kim))
    assert me == {
        "user_id": kim.id,
        "email": "Kim@x.org",
        "display_name": "Kim Client",
        "kind": "client",
        "tenant_id": cbo.tenant_id,
        "client_id": kim.client_id,
        "roles": ["client"],
        "permissions": sorted(caller_of(uow, kim).permissions),
    }
    with pytest.raises(NotFound):
        accounts.describe(uow, caller=Caller(kind="staff", user_id="gone", tenant_id=cbo.tenant_id))


def test_one_cbo_finds_no_account_of_another(uow):
    cbo, other = a_projected_cbo(uow), a_projected_cbo(uow)
    email = an_email()
    a_staff_member(uow, tenant_id=cbo.tenant_id, email=email)
    assert accounts.find_account(uow, email=email, tenant_id=other.tenant_id) is None
    assert accounts.find_account(uow, email=email, tenant_id=None) is None
    assert accounts.find_account(uow, email=email.upper(), tenant_id=cbo.tenant_id) is not None
