"""The identity service's accounts, staff, client users and audit trail as only a running service
shows them, on the real broker, its migrated database and a real SMTP server: tenancy's events
consumed by its handlers (an approved CBO's owner invited by email), the emailed links made and
sent by its own handlers, errors crossing RPC as the right DomainError with their fields, each
entrypoint's permission and the CBO taken from the caller, the gateway's client address reaching
the reset limit, a client or worker source asked of the real tenancy service before its event
arrives, and an email that cannot be sent dead-lettered.

What the domain functions do (sign-in, lock-out, links and their limits, roles, keeping an
owner, sessions, audit paging, isolation) is tested without nameko in
tests/domain/test_identity_*.py, the rules in tests/unit/test_identity_rules.py and the request
schemas in tests/unit/test_identity_schemas.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from chassis.context import Caller, context_data_for
from chassis.contracts.events import build_envelope
from chassis.db import UnitOfWork, make_engine
from chassis.entrypoints import declare_topology
from chassis.errors import (
    Conflict,
    Forbidden,
    Locked,
    NotFound,
    TooManyRequests,
    Unauthenticated,
    ValidationFailed,
)
from chassis.tables import dead_letters, outbox
from chassis.tokens import ACCESS, verify
from deploy.migrate import migrate
from services.identity.accounts import invitations
from services.identity.accounts.models import Invitation
from services.identity.service import IdentityService
from tests.factories import (
    a_cbo,
    a_client,
    a_projected_cbo,
    a_staff_member,
    a_worker_source,
    caller_of,
    jobseeker_details,
    staff_caller,
)
from tests.smtp import body_of, free_port, link_token
from tests.waiting import wait_for

PASSWORD = "a long enough password"
NEW_PASSWORD = "another long password"
T = TypeVar("T")


@pytest.fixture(scope="module")
def identity_engine(settings):
    migrate(settings, ["identity"], quiet=True)
    engine = make_engine(settings.database_url("identity"))
    yield engine
    engine.dispose()


@pytest.fixture
def clean(identity_engine):
    with identity_engine.begin() as conn:
        names = [t for t in identity_engine.dialect.get_table_names(conn) if t != "alembic_version"]
        conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    return identity_engine


class Identity:
    """Drives the identity service as the gateway would: RPCs with a signed caller context
    made from an access token (or given), and tenancy's events published on the bus. What a
    test needs to exist first it builds with tests.factories and commits."""

    def __init__(self, config: dict, settings, engine, smtp) -> None:
        self.config = config
        self.settings = settings
        self.engine = engine
        self.smtp = smtp

    def caller(self, token: str | None, address: str | None = None) -> Caller:
        if token is None:
            return Caller(client_address=address)
        claims = verify(self.settings.jwt_secret, token, token_type=ACCESS)
        return Caller(
            kind=claims["kind"],
            user_id=claims["sub"],
            tenant_id=claims.get("tid"),
            roles=tuple(claims.get("roles", ())),
            permissions=frozenset(claims.get("perms", ())),
            client_id=claims.get("cid"),
            client_address=address,
        )

    def call(self, method: str, token: str | None = None, *, address: str | None = None, **kwargs):
        return self.call_as(self.caller(token, address), method, **kwargs)

    def call_as(self, caller: Caller, method: str, **kwargs):
        context = context_data_for(caller, self.settings.context_secret)
        with ServiceRpcProxy("identity", self.config, context_data=context, timeout=30) as rpc:
            return getattr(rpc, method)(**kwargs)

    def publish(self, event_type: str, data: dict, tenant_id: str | None, source="tenancy"):
        envelope = build_envelope(event_type, data, source=source, tenant_id=tenant_id)
        event_dispatcher(self.config)(source, event_type, envelope)
        return envelope

    def build(self, make: Callable[[UnitOfWork], T]) -> T:
        """What `make` builds in identity's database (with tests.factories), committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            uow = UnitOfWork(session, source="identity")
            made = make(uow)
            uow.commit()
            return made

    # -- whole steps ---------------------------------------------------------------------------

    def approve_cbo(self, slug: str, owner_email: str) -> str:
        tenant_id = str(uuid.uuid4())
        self.publish(
            "tenant.approved",
            {
                "tenant_id": tenant_id,
                "slug": slug,
                "name": f"CBO {slug}",
                "owner_email": owner_email,
                "owner_name": "Olga Owner",
                "timezone": "America/Los_Angeles",
            },
            tenant_id,
        )
        return tenant_id

    def accept(self, email: str, password: str = PASSWORD, count: int = 1) -> dict:
        token = link_token(self.smtp.wait_for(email, count))
        return self.call("accept_invitation", body={"token": token, "password": password})

    def sign_in(self, slug: str | None, email: str, password: str = PASSWORD) -> dict:
        body = {"email": email, "password": password}
        if slug is None:
            return self.call("sign_in", body=body)
        return self.call("sign_in_to_cbo", slug=slug, body=body)

    def cbo_with_owner(self, slug: str) -> tuple[str, str]:
        """A CBO approved, its owner invited by email and signed in: (tenant id, owner's access
        token)."""
        owner = f"owner@{slug}.example.org"
        tenant_id = self.approve_cbo(slug, owner)
        return tenant_id, self.accept(owner)["access_token"]

    def audit(self, token: str, **query) -> dict:
        return self.call("list_audit", token, query={k: str(v) for k, v in query.items()})


@pytest.fixture
def identity(container_factory, service_config, settings, clean, smtp, tenancy_service):
    config = service_config(smtp_port=smtp.port)
    declare_topology(IdentityService, config)
    container_factory(IdentityService, config).start()
    return Identity(config, settings, clean, smtp)


def claims_of(identity: Identity, tokens: dict) -> dict:
    return verify(identity.settings.jwt_secret, tokens["access_token"], token_type=ACCESS)


def a_cbo_with_people(uow: UnitOfWork, slug: str) -> dict[str, Any]:
    """A projected CBO, its signed-up owner and a viewer, with their callers."""
    cbo = a_projected_cbo(uow, slug=slug)
    owner = a_staff_member(
        uow, tenant_id=cbo.tenant_id, roles=["owner"], email=f"owner@{slug}.example.org"
    )
    viewer = a_staff_member(uow, tenant_id=cbo.tenant_id, email=f"vic@{slug}.example.org")
    return {
        "cbo": cbo,
        "owner": caller_of(uow, owner),
        "viewer": caller_of(uow, viewer),
        "viewer_id": viewer.id,
    }


# -- tenancy's approval, invitations and signing in --------------------------------------------


def test_an_approved_cbos_owner_is_emailed_an_invitation_and_signs_in_with_it(identity):
    tenant_id = identity.approve_cbo("harbor", "olga@harbor.example.org")
    message = identity.smtp.wait_for("olga@harbor.example.org")
    assert "CBO harbor" in message["Subject"]
    assert "http://127.0.0.1:8000/accept-invitation?token=" in body_of(message)
    token = link_token(message)
    with identity.engine.connect() as conn:
        stored = conn.execute(select(Invitation.token_hash)).scalar_one()
    assert stored == invitations.hash_token(token)

    with pytest.raises(ValidationFailed) as short:
        identity.call("accept_invitation", body={"token": token, "password": "too short"})
    assert set(short.value.fields) == {"password"}
    tokens = identity.call("accept_invitation", body={"token": token, "password": PASSWORD})
    claims = claims_of(identity, tokens)  # signed with the service's own secret
    assert claims["tid"] == tenant_id and claims["roles"] == ["owner"]
    assert "tenant.staff.manage" in claims["perms"]

    by_path = identity.sign_in("harbor", "Olga@Harbor.example.org")
    by_body = identity.call(
        "sign_in", body={"email": "olga@harbor.example.org", "password": PASSWORD, "slug": "harbor"}
    )
    assert claims_of(identity, by_path)["tid"] == claims_of(identity, by_body)["tid"] == tenant_id
    me = identity.call("whoami", by_path["access_token"])
    assert (me["email"], me["kind"], me["tenant_id"]) == (
        "olga@harbor.example.org",
        "staff",
        tenant_id,
    )
    assert "tenant.staff.manage" in me["permissions"]


def test_a_password_reset_is_emailed_and_its_link_sets_a_new_password(identity):
    identity.build(lambda uow: a_cbo_with_people(uow, "reset"))
    owner = "owner@reset.example.org"
    before = identity.sign_in("reset", owner)
    answer = identity.call("request_password_reset", body={"email": owner, "slug": "reset"})
    assert answer["status"] == "accepted"
    message = identity.smtp.wait_for(owner)
    assert "reset-password?token=" in body_of(message) and "cbo=reset" in body_of(message)
    identity.call(
        "confirm_password_reset", body={"token": link_token(message), "password": NEW_PASSWORD}
    )
    assert identity.sign_in("reset", owner, NEW_PASSWORD)["access_token"]
    with pytest.raises(Unauthenticated):
        identity.call("refresh", body={"refresh_token": before["refresh_token"]})


# -- errors and permissions at the entrypoints -------------------------------------------------


def test_errors_cross_rpc_as_their_domain_error_with_their_fields(identity):
    made = identity.build(lambda uow: a_cbo_with_people(uow, "errors"))
    owner, viewer = made["owner"], made["viewer"]
    with pytest.raises(ValidationFailed) as bad:
        identity.call("sign_in", body={"email": "not-an-email"})
    assert set(bad.value.fields) == {"email", "password"}
    with pytest.raises(ValidationFailed) as unknown_role:
        identity.call_as(
            owner,
            "register_staff",
            body={"email": "u@errors.example.org", "display_name": "U", "roles": ["wizard"]},
        )
    assert unknown_role.value.fields == {"roles": ["There is no role 'wizard' in this CBO."]}
    with pytest.raises(Conflict) as duplicate:
        identity.call_as(
            owner,
            "register_staff",
            body={"email": "VIC@errors.example.org", "display_name": "V", "roles": ["viewer"]},
        )
    assert duplicate.value.fields == {"email": ["Already registered."]}
    with pytest.raises(Conflict):  # a CBO keeps an active owner
        identity.call_as(owner, "deactivate_staff", account_id=owner.user_id)
    with pytest.raises(NotFound):
        identity.call_as(owner, "get_staff", account_id=str(uuid.uuid4()))
    hr = staff_caller(owner.tenant_id, permissions=["tenant.staff.manage", "jobseekers.read"])
    with pytest.raises(Forbidden, match="you do not hold: payroll.run"):
        identity.call_as(hr, "create_role", body={"name": "pay", "permissions": ["payroll.run"]})
    with pytest.raises(ValidationFailed) as bad_query:
        identity.call_as(owner, "list_audit", query={"from": "yesterday", "per_page": "0"})
    assert set(bad_query.value.fields) == {"from", "per_page"}

    with pytest.raises(Unauthenticated):
        identity.call("whoami")
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            identity.sign_in("errors", "vic@errors.example.org", "a wrong password")
    with pytest.raises(Locked):
        identity.sign_in("errors", "vic@errors.example.org")
    assert viewer.user_id == made["viewer_id"]


def test_the_client_address_the_gateway_saw_reaches_the_reset_limit(identity):
    identity.build(lambda uow: a_projected_cbo(uow, slug="bombed"))
    address = "203.0.113.9"
    for i in range(invitations.MAX_RESET_REQUESTS_PER_ADDRESS):
        identity.call(
            "request_password_reset",
            address=address,
            body={"email": f"person{i}@bombed.example.org", "slug": "bombed"},
        )
    with pytest.raises(TooManyRequests):
        identity.call(
            "request_password_reset",
            address=address,
            body={"email": "anyone@bombed.example.org", "slug": "bombed"},
        )
    other = identity.call(
        "request_password_reset",
        address="203.0.113.10",
        body={"email": "anyone@bombed.example.org", "slug": "bombed"},
    )
    assert other["status"] == "accepted"


def test_each_staff_entrypoint_needs_its_permission(identity):
    made = identity.build(lambda uow: a_cbo_with_people(uow, "limits"))
    viewer, owner_id = made["viewer"], made["owner"].user_id
    refused = [
        ("list_staff", {"query": {}}),
        (
            "register_staff",
            {"body": {"email": "x@y.org", "display_name": "X", "roles": ["viewer"]}},
        ),
        ("get_staff", {"account_id": owner_id}),
        ("change_staff_roles", {"account_id": owner_id, "body": {"roles": ["viewer"]}}),
        ("deactivate_staff", {"account_id": owner_id}),
        ("reactivate_staff", {"account_id": owner_id}),
        ("invite_staff_again", {"account_id": owner_id}),
        ("list_roles", {}),
        ("create_role", {"body": {"name": "sneaky", "permissions": ["jobseekers.read"]}}),
        ("update_role", {"name": "sneaky", "body": {"description": "x"}}),
        ("delete_role", {"name": "sneaky"}),
        ("list_audit", {"query": {}}),
        (
            "create_client_user",
            {"client_id": "c", "body": {"email": "a@b.org", "display_name": "A"}},
        ),
        ("deactivate_client_user", {"client_id": "c", "account_id": owner_id}),
        ("reactivate_client_user", {"client_id": "c", "account_id": owner_id}),
    ]
    for method, kwargs in refused:
        with pytest.raises(Forbidden):
            identity.call_as(viewer, method, **kwargs)
        with pytest.raises(Unauthenticated):
            identity.call(method, **kwargs)
    with pytest.raises(Unauthenticated):
        identity.call("list_client_users", client_id="c", query={})


def test_entrypoints_take_the_cbo_from_the_caller_never_from_what_it_names(identity):
    alpha = identity.build(lambda uow: a_cbo_with_people(uow, "alpha"))
    beta = identity.build(lambda uow: a_cbo_with_people(uow, "beta"))
    theirs, sam = beta["owner"], alpha["viewer_id"]
    identity.call_as(
        alpha["owner"], "create_role", body={"name": "alpharole", "permissions": ["reports.read"]}
    )
    listed = identity.call_as(theirs, "list_staff", query={})
    assert {m["email"] for m in listed["items"]} == {
        "owner@beta.example.org",
        "vic@beta.example.org",
    }
    for method, kwargs in [
        ("get_staff", {"account_id": sam}),
        ("change_staff_roles", {"account_id": sam, "body": {"roles": ["owner"]}}),
        ("deactivate_staff", {"account_id": sam}),
        ("reactivate_staff", {"account_id": sam}),
        ("invite_staff_again", {"account_id": sam}),
        ("update_role", {"name": "alpharole", "body": {"description": "mine now"}}),
        ("delete_role", {"name": "alpharole"}),
    ]:
        with pytest.raises(NotFound):
            identity.call_as(theirs, method, **kwargs)
    member = identity.call_as(alpha["owner"], "get_staff", account_id=sam)
    assert member["roles"] == ["viewer"] and member["status"] == "active"


# -- client users, and what tenancy is asked ---------------------------------------------------


def test_a_client_user_signs_in_with_their_client_from_tenancys_event(identity):
    tenant_id, owner = identity.cbo_with_owner("clients")
    client_id = str(uuid.uuid4())
    identity.publish(
        "client.registered",
        {"client_id": client_id, "name": "City of Long Beach", "kind": "city"},
        tenant_id,
    )
    body = {"email": "kim@city.example.org", "display_name": "Kim"}

    def created() -> dict | None:
        try:
            return identity.call("create_client_user", owner, client_id=client_id, body=body)
        except NotFound:
            return None

    user = wait_for(created, what="the client projected from client.registered")
    assert user["kind"] == "client" and user["client_id"] == client_id
    tokens = identity.accept("kim@city.example.org")
    claims = claims_of(identity, tokens)
    assert claims["cid"] == client_id and claims["kind"] == "client"
    assert identity.call("whoami", tokens["access_token"])["client_id"] == client_id
    identity.call("deactivate_client_user", owner, client_id=client_id, account_id=user["id"])
    with pytest.raises(Unauthenticated):
        identity.sign_in("clients", "kim@city.example.org")


def test_a_client_or_source_tenancy_just_made_is_asked_of_tenancy_and_usable_at_once(
    identity, settings
):
    """Fault 8: a client or worker source was unusable until its event reached identity."""
    tenancy = make_engine(settings.database_url("tenancy"))
    try:
        with Session(tenancy, expire_on_commit=False) as session:
            uow = UnitOfWork(session, source="tenancy")
            cbo, other = a_cbo(uow), a_cbo(uow)
            client = a_client(uow, tenant_id=cbo.id, name="Port Cafe")
            source = a_worker_source(uow, tenant_id=cbo.id, name="City College", cap=20)
            # Their events never reach identity: only tenancy's answer can tell it.
            made = [envelope["event_id"] for envelope in uow.emitted]
            session.execute(
                update(outbox).where(outbox.c.event_id.in_(made)).values(published_at=func.now())
            )
            uow.commit()
    finally:
        tenancy.dispose()
    owner = staff_caller(cbo.id)
    user = identity.call_as(
        owner,
        "create_client_user",
        client_id=client.id,
        body={"email": "kim@port.example.org", "display_name": "Kim"},
    )
    assert user["client_id"] == client.id
    profile = identity.call_as(
        owner, "register_jobseeker", body=jobseeker_details(source_id=source.id)
    )
    assert profile["source_id"] == source.id
    # Tenancy answers only about the caller's own CBO.
    with pytest.raises(NotFound):
        identity.call_as(
            staff_caller(other.id),
            "create_client_user",
            client_id=client.id,
            body={"email": "eve@port.example.org", "display_name": "Eve"},
        )
    with pytest.raises(ValidationFailed) as foreign:
        identity.call_as(
            staff_caller(other.id),
            "register_jobseeker",
            body=jobseeker_details(source_id=source.id),
        )
    assert set(foreign.value.fields) == {"source_id"}


# -- the audit trail ---------------------------------------------------------------------------


def test_the_audit_trail_keeps_identitys_and_tenancys_entries_from_the_bus(identity):
    made = identity.build(lambda uow: a_cbo_with_people(uow, "trail"))
    owner, tenant_id = made["owner"], made["cbo"].tenant_id
    member = identity.call_as(
        owner,
        "register_staff",
        body={"email": "ana@trail.example.org", "display_name": "Ana", "roles": ["approver"]},
    )
    identity.publish(
        "audit.recorded",
        {
            "actor_id": "someone",
            "actor_kind": "staff",
            "action": "branding.updated",
            "entity_type": "branding",
            "entity_id": tenant_id,
            "before": {"colour": "#000000"},
            "after": {"colour": "#112233"},
        },
        tenant_id,
    )

    def entries(**query) -> list[dict]:
        page = identity.call_as(owner, "list_audit", query={k: str(v) for k, v in query.items()})
        return page["items"]

    [ours] = wait_for(lambda: entries(entity_id=member["id"]), what="identity's own entry")
    assert (ours["action"], ours["source"], ours["actor_id"]) == (
        "staff.registered",
        "identity",
        owner.user_id,
    )
    [theirs] = wait_for(lambda: entries(entity_type="branding"), what="tenancy's entry")
    assert theirs["source"] == "tenancy" and theirs["after"] == {"colour": "#112233"}


# -- email delivery is never lost --------------------------------------------------------------


def test_an_email_that_cannot_be_sent_is_retried_then_dead_lettered(
    container_factory, service_config, settings, clean
):
    config = service_config(smtp_port=free_port(), smtp_timeout=1.0)  # nobody listens there
    declare_topology(IdentityService, config)
    container_factory(IdentityService, config).start()
    identity = Identity(config, settings, clean, smtp=None)
    identity.approve_cbo("nomail", "owner@nomail.example.org")

    def letters():
        with clean.connect() as conn:
            return conn.execute(select(dead_letters.c.handler, dead_letters.c.attempts)).all()

    found = wait_for(letters, timeout=30, what="a dead letter")
    assert found[0].handler == "identity.send_invitation_email"
    assert found[0].attempts == len(settings.event_retry_delays) + 1
    with clean.connect() as conn:
        assert conn.execute(select(Invitation.sent_at)).scalar_one() is None
