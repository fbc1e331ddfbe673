"""The identity service on the real broker and its own migrated database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from chassis.context import Caller, context_data_for
from chassis.db import UnitOfWork, make_engine
from chassis.errors import Locked, Unauthenticated, ValidationFailed
from chassis.tables import outbox
from chassis.tokens import ACCESS, verify
from deploy.migrate import migrate
from services.identity.accounts import domain
from services.identity.service import IdentityService
from services.identity.tenants import domain as tenants

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def identity_engine(settings):
    migrate(settings, ["identity"], quiet=True)
    engine = make_engine(settings.database_url("identity"))
    yield engine
    engine.dispose()


@pytest.fixture
def staff_account(identity_engine):
    with identity_engine.begin() as conn:
        conn.execute(text("TRUNCATE accounts, refresh_tokens, attempts, outbox, tenants CASCADE"))
    with Session(identity_engine, expire_on_commit=False) as session:
        unit = UnitOfWork(session, source="identity")
        # The CBO as identity knows it from tenancy's tenant.approved: active.
        tenants.apply_tenant(
            unit,
            tenant_id="t" * 36,
            slug="ana-cbo",
            name="Ana's CBO",
            status=tenants.ACTIVE,
            occurred_at=datetime.now(UTC),
        )
        account = domain.create_account(
            unit,
            email="Ana@Example.org",
            kind="staff",
            roles=["approver"],
            tenant_id="t" * 36,
            display_name="Ana",
            password=PASSWORD,
        )
        unit.commit()
        return account


@pytest.fixture
def identity(container_factory, service_config, identity_engine):
    config = service_config()
    container_factory(IdentityService, config).start()
    with ServiceRpcProxy("identity", config) as rpc:
        yield rpc


def sign_in_body(password=PASSWORD, email="ana@example.org"):
    return {"email": email, "password": password, "tenant_id": "t" * 36}


def test_account_creation_emits_its_event(staff_account, identity_engine):
    with identity_engine.connect() as conn:
        row = conn.execute(select(outbox.c.event_type, outbox.c.envelope)).one()
    assert row.event_type == "account.created"
    assert row.envelope["data"] == {
        "account_id": staff_account.id,
        "kind": "staff",
        "roles": ["approver"],
    }
    assert row.envelope["tenant_id"] == "t" * 36


def test_sign_in_issues_tokens_with_permissions(identity, staff_account, settings):
    tokens = identity.sign_in(sign_in_body())
    claims = verify(settings.jwt_secret, tokens["access_token"], token_type=ACCESS)
    assert claims["sub"] == staff_account.id
    assert claims["tid"] == "t" * 36
    assert "jobseekers.approve" in claims["perms"]
    assert "payroll.run" not in claims["perms"]


def test_sign_in_to_another_cbo_fails(identity, staff_account):
    with pytest.raises(Unauthenticated):
        identity.sign_in({**sign_in_body(), "tenant_id": "u" * 36})


def test_bad_input_names_each_field(identity):
    with pytest.raises(ValidationFailed) as raised:
        identity.sign_in({"email": "not-an-email"})
    assert set(raised.value.fields) == {"email", "password"}


def test_repeated_failures_lock_the_account(identity, staff_account):
    for _ in range(domain.MAX_FAILED_SIGN_INS):
        with pytest.raises(Unauthenticated):
            identity.sign_in(sign_in_body(password="wrong password"))
    with pytest.raises(Locked):
        identity.sign_in(sign_in_body())


def test_failures_answer_the_same_whether_or_not_the_email_has_an_account(identity, staff_account):
    """Fault 6: a real account locked (423) while an unknown email kept answering 401."""

    def answers(email: str) -> list[tuple[str, str]]:
        found = []
        for _ in range(domain.MAX_FAILED_SIGN_INS + 2):
            with pytest.raises((Unauthenticated, Locked)) as raised:
                identity.sign_in(sign_in_body(password="wrong password", email=email))
            found.append((type(raised.value).__name__, raised.value.message))
        return found

    real, unknown = answers("ANA@example.org"), answers("nobody@example.org")
    assert real == unknown
    assert [kind for kind, _ in real] == ["Unauthenticated"] * 5 + ["Locked"] * 2


def test_refresh_rotates_and_sign_out_ends_the_session(identity, staff_account):
    first = identity.sign_in(sign_in_body())
    second = identity.refresh({"refresh_token": first["refresh_token"]})
    assert second["refresh_token"] != first["refresh_token"]
    with pytest.raises(Unauthenticated):
        identity.refresh({"refresh_token": first["refresh_token"]})  # already used
    identity.sign_out({"refresh_token": second["refresh_token"]})
    with pytest.raises(Unauthenticated):
        identity.refresh({"refresh_token": second["refresh_token"]})


def test_whoami_needs_a_caller(identity, staff_account, settings, service_config):
    with pytest.raises(Unauthenticated):
        identity.whoami()
    caller = Caller(
        kind="staff",
        user_id=staff_account.id,
        tenant_id="t" * 36,
        roles=("approver",),
        permissions=frozenset({"jobseekers.approve"}),
    )
    with ServiceRpcProxy(
        "identity", service_config(), context_data=context_data_for(caller, settings.context_secret)
    ) as rpc:
        me = rpc.whoami()
    assert me["email"] == "Ana@Example.org"
    assert me["permissions"] == ["jobseekers.approve"]
