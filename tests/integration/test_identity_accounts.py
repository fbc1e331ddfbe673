"""Identity's accounts on the real broker, its migrated database and a real SMTP server:
owner invitation on a CBO's approval, accepting it, signing in to one's own CBO, password reset,
lock-out, suspension, staff and custom roles, client users, the audit trail, tenant isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, insert, select, text
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
from services.identity.accounts import domain, invitations
from services.identity.accounts.models import Account, Invitation
from services.identity.audit.models import AuditEntry
from services.identity.service import IdentityService
from services.identity.tenants import domain as tenants
from tests.smtp import body_of, free_port, link_token
from tests.waiting import wait_for

PASSWORD = "a long enough password"
NEW_PASSWORD = "another long password"


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
    made from an access token, and tenancy's events published on the bus."""

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
        context = context_data_for(self.caller(token, address), self.settings.context_secret)
        with ServiceRpcProxy("identity", self.config, context_data=context, timeout=30) as rpc:
            return getattr(rpc, method)(**kwargs)

    def publish(self, event_type: str, data: dict, tenant_id: str | None, source="tenancy"):
        envelope = build_envelope(event_type, data, source=source, tenant_id=tenant_id)
        event_dispatcher(self.config)(source, event_type, envelope)
        return envelope

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
        """A CBO approved, its owner invited and signed in: (tenant id, owner access token)."""
        owner = f"owner@{slug}.example.org"
        tenant_id = self.approve_cbo(slug, owner)
        return tenant_id, self.accept(owner)["access_token"]

    def add_staff(self, slug: str, owner_token: str, email: str, roles: list[str]) -> str:
        member = self.call(
            "register_staff",
            owner_token,
            body={"email": email, "display_name": email.split("@")[0], "roles": roles},
        )
        self.accept(email)
        return member["id"]

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


# -- owner invitation, accepting, signing in ------------------------------------------------------


def test_an_approved_cbo_owner_is_emailed_an_invitation_and_accepts_it(identity):
    tenant_id = identity.approve_cbo("harbor", "olga@harbor.example.org")
    message = identity.smtp.wait_for("olga@harbor.example.org")
    assert "CBO harbor" in message["Subject"]
    assert "http://127.0.0.1:8000/accept-invitation?token=" in body_of(message)
    token = link_token(message)
    with identity.engine.connect() as conn:
        stored = conn.execute(select(Invitation.token_hash)).scalar_one()
    assert stored == invitations.hash_token(token) and token not in stored

    with pytest.raises(ValidationFailed) as short:
        identity.call("accept_invitation", body={"token": token, "password": "too short"})
    assert set(short.value.fields) == {"password"}

    tokens = identity.call("accept_invitation", body={"token": token, "password": PASSWORD})
    claims = claims_of(identity, tokens)
    assert claims["tid"] == tenant_id and claims["roles"] == ["owner"]
    assert "tenant.staff.manage" in claims["perms"]
    assert not any(p.startswith("platform.") for p in claims["perms"])

    with pytest.raises(ValidationFailed) as reused:
        identity.call("accept_invitation", body={"token": token, "password": PASSWORD})
    assert "token" in reused.value.fields

    assert identity.sign_in("harbor", "Olga@Harbor.example.org")["access_token"]
    by_slug = identity.call(
        "sign_in", body={"email": "olga@harbor.example.org", "password": PASSWORD, "slug": "harbor"}
    )
    assert claims_of(identity, by_slug)["tid"] == tenant_id
    # Without the CBO, or on another CBO's site, the owner is unknown.
    with pytest.raises(Unauthenticated):
        identity.sign_in(None, "olga@harbor.example.org")
    identity.approve_cbo("bay", "someone@bay.example.org")
    identity.smtp.wait_for("someone@bay.example.org")
    with pytest.raises(Unauthenticated):
        identity.sign_in("bay", "olga@harbor.example.org")
    with pytest.raises(Unauthenticated):
        identity.sign_in("no-such-cbo", "olga@harbor.example.org")


def test_tenant_approved_twice_makes_one_owner(identity):
    identity.approve_cbo("twice", "owner@twice.example.org")
    identity.smtp.wait_for("owner@twice.example.org")
    with identity.engine.connect() as conn:
        tenant_id = conn.execute(text("SELECT tenant_id FROM tenants")).scalar_one()
    identity.publish(
        "tenant.approved",
        {
            "tenant_id": tenant_id,
            "slug": "twice",
            "name": "CBO twice",
            "owner_email": "owner@twice.example.org",
            "owner_name": "Olga",
            "timezone": "America/Los_Angeles",
        },
        tenant_id,
    )
    wait_for(lambda: _processed(identity, "on_tenant_approved") == 2, what="second approval")
    with identity.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Account)).scalar_one() == 1


def _processed(identity: Identity, handler: str) -> int:
    with identity.engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM processed_events WHERE handler = :h"),
            {"h": f"identity.{handler}"},
        ).scalar_one()


# -- password reset and lock-out ------------------------------------------------------------------


def test_password_reset_by_email(identity):
    _, _ = identity.cbo_with_owner("reset")
    owner = "owner@reset.example.org"
    session = identity.sign_in("reset", owner)

    answer = identity.call(
        "request_password_reset", body={"email": "nobody@reset.example.org", "slug": "reset"}
    )
    assert answer["status"] == "accepted"
    same = identity.call("request_password_reset", body={"email": owner, "slug": "reset"})
    assert same == answer  # the same answer whether or not the account exists
    message = identity.smtp.wait_for(owner, count=2)  # the invitation came first
    assert "reset-password?token=" in body_of(message) and "cbo=reset" in body_of(message)
    assert identity.smtp.to("nobody@reset.example.org") == []

    with pytest.raises(ValidationFailed):
        identity.call("confirm_password_reset", body={"token": "x" * 43, "password": NEW_PASSWORD})
    token = link_token(message)
    identity.call("confirm_password_reset", body={"token": token, "password": NEW_PASSWORD})
    with pytest.raises(Unauthenticated):
        identity.sign_in("reset", owner, PASSWORD)
    assert identity.sign_in("reset", owner, NEW_PASSWORD)
    # The reset ended the sessions from before, and the link works once.
    with pytest.raises(Unauthenticated):
        identity.call("refresh", body={"refresh_token": session["refresh_token"]})
    with pytest.raises(ValidationFailed):
        identity.call("confirm_password_reset", body={"token": token, "password": PASSWORD})
    # An invitation token is no reset token.
    with pytest.raises(ValidationFailed):
        identity.call(
            "confirm_password_reset",
            body={"token": link_token(identity.smtp.wait_for(owner)), "password": PASSWORD},
        )


def test_an_invitation_sent_again_leaves_only_the_newest_link_working(identity):
    """Fault 7: re-sending an invitation left the old link working."""
    _, owner = identity.cbo_with_owner("again")
    email = "late@again.example.org"
    member = identity.call(
        "register_staff", owner, body={"email": email, "display_name": "Late", "roles": ["viewer"]}
    )
    first = link_token(identity.smtp.wait_for(email))
    identity.call("invite_staff_again", owner, account_id=member["id"])
    second = link_token(identity.smtp.wait_for(email, count=2))
    with pytest.raises(ValidationFailed) as old:
        identity.call("accept_invitation", body={"token": first, "password": PASSWORD})
    assert "token" in old.value.fields
    assert identity.call("accept_invitation", body={"token": second, "password": PASSWORD})


def test_a_second_reset_link_closes_the_first(identity):
    identity.cbo_with_owner("twolinks")
    owner = "owner@twolinks.example.org"
    body = {"email": owner, "slug": "twolinks"}
    identity.call("request_password_reset", body=body)
    first = link_token(identity.smtp.wait_for(owner, count=2))  # the invitation came first
    identity.call("request_password_reset", body=body)
    second = link_token(identity.smtp.wait_for(owner, count=3))
    with pytest.raises(ValidationFailed):
        identity.call("confirm_password_reset", body={"token": first, "password": NEW_PASSWORD})
    identity.call("confirm_password_reset", body={"token": second, "password": NEW_PASSWORD})
    assert identity.sign_in("twolinks", owner, NEW_PASSWORD)


def test_reset_emails_are_limited_per_account_and_requests_per_address(identity):
    """Fault 7: five reset requests sent five emails in seconds."""
    identity.cbo_with_owner("bombed")
    owner = "owner@bombed.example.org"
    body = {"email": owner, "slug": "bombed"}
    answers = [identity.call("request_password_reset", body=body) for _ in range(5)]
    assert all(a == answers[0] for a in answers)  # the same answer, sent or not
    with identity.engine.connect() as conn:
        links = (
            conn.execute(
                select(Invitation.purpose)
                .join(Account, Account.id == Invitation.account_id)
                .where(func.lower(Account.email) == owner)
            )
            .scalars()
            .all()
        )
    assert sorted(links) == ["invitation"] + ["password_reset"] * invitations.MAX_RESETS_PER_HOUR

    # One address asks at most MAX_RESET_REQUESTS_PER_ADDRESS times an hour, for anybody.
    address = "203.0.113.9"
    for i in range(invitations.MAX_RESET_REQUESTS_PER_ADDRESS):
        identity.call(
            "request_password_reset",
            address=address,
            body={"email": f"person{i}@bombed.example.org", "slug": "bombed"},
        )
    with pytest.raises(TooManyRequests):
        identity.call(
            "request_password_reset", address=address, body={"email": owner, "slug": "bombed"}
        )
    other = identity.call(
        "request_password_reset",
        address="203.0.113.10",
        body={"email": "someone@bombed.example.org", "slug": "bombed"},
    )
    assert other == answers[0]


def test_repeated_failures_lock_the_account_until_a_reset(identity):
    identity.cbo_with_owner("locks")
    owner = "owner@locks.example.org"
    for _ in range(domain.MAX_FAILED_SIGN_INS):
        with pytest.raises(Unauthenticated):
            identity.sign_in("locks", owner, "wrong password!!")
    with pytest.raises(Locked):
        identity.sign_in("locks", owner)
    identity.call("request_password_reset", body={"email": owner, "slug": "locks"})
    token = link_token(identity.smtp.wait_for(owner, count=2))
    identity.call("confirm_password_reset", body={"token": token, "password": NEW_PASSWORD})
    assert identity.sign_in("locks", owner, NEW_PASSWORD)


# -- suspension --------------------------------------------------------------------------------


def test_a_suspended_cbos_people_cannot_sign_in_or_refresh(identity):
    tenant_id, _ = identity.cbo_with_owner("paused")
    owner = "owner@paused.example.org"
    session = identity.sign_in("paused", owner)
    tenant = {"tenant_id": tenant_id, "slug": "paused", "name": "CBO paused"}
    identity.publish("tenant.suspended", {**tenant, "reason": "MOU lapsed"}, tenant_id)

    def refused() -> bool:
        try:
            identity.sign_in("paused", owner)
        except Forbidden:
            return True
        return False

    wait_for(refused, what="sign-in refused for a suspended CBO")
    with pytest.raises(Unauthenticated):
        identity.call("refresh", body={"refresh_token": session["refresh_token"]})

    identity.publish("tenant.reinstated", tenant, tenant_id)
    wait_for(lambda: not refused(), what="sign-in allowed again")


def test_an_old_event_arriving_late_does_not_undo_a_newer_one(identity):
    tenant_id = str(uuid.uuid4())
    with Session(identity.engine) as session:
        unit = UnitOfWork(session, source="identity")
        now = datetime.now(UTC)
        args = {"tenant_id": tenant_id, "slug": "late", "name": "Late"}
        tenants.apply_tenant(unit, **args, status=tenants.SUSPENDED, occurred_at=now)
        changed = tenants.apply_tenant(
            unit, **args, status=tenants.ACTIVE, occurred_at=now - timedelta(minutes=1)
        )
        unit.commit()
        assert not changed
        assert not tenants.is_active(unit, tenant_id)


# -- staff, custom roles, permissions -----------------------------------------------------------


def test_owner_registers_staff_gives_custom_roles_and_deactivates(identity):
    tenant_id, owner = identity.cbo_with_owner("staffed")
    ana = "ana@staffed.example.org"
    ana_id = identity.add_staff("staffed", owner, ana, ["approver"])
    claims = claims_of(identity, identity.sign_in("staffed", ana))
    assert "jobseekers.approve" in claims["perms"] and "payroll.run" not in claims["perms"]

    role = identity.call(
        "create_role",
        owner,
        body={
            "name": "payroller",
            "description": "Runs payroll",
            "permissions": ["payroll.run", "reports.read"],
        },
    )
    assert role["builtin"] is False and role["permissions"] == ["payroll.run", "reports.read"]
    listed = {r["name"]: r for r in identity.call("list_roles", owner)["items"]}
    assert listed["owner"]["builtin"] and "payroller" in listed

    changed = identity.call(
        "change_staff_roles", owner, account_id=ana_id, body={"roles": ["payroller", "viewer"]}
    )
    assert changed["roles"] == ["payroller", "viewer"]
    claims = claims_of(identity, identity.sign_in("staffed", ana))
    assert {"payroll.run", "jobseekers.read"} <= set(claims["perms"])
    assert "jobseekers.approve" not in claims["perms"]

    identity.call("update_role", owner, name="payroller", body={"permissions": ["payroll.run"]})
    claims = claims_of(identity, identity.sign_in("staffed", ana))
    assert "payroll.run" in claims["perms"]
    with pytest.raises(Conflict):
        identity.call("delete_role", owner, name="payroller")  # Ana holds it

    page = identity.call("list_staff", owner, query={"role": "payroller"})
    assert page["total"] == 1 and page["items"][0]["email"] == ana
    everyone = identity.call("list_staff", owner, query={})
    assert (everyone["total"], everyone["page"], everyone["per_page"]) == (2, 1, 50)
    by_email = [
        m["email"] for m in identity.call("list_staff", owner, query={"sort": "email"})["items"]
    ]
    assert by_email == sorted(by_email, key=str.lower)
    backwards = identity.call("list_staff", owner, query={"sort": "-email"})["items"]
    assert [m["email"] for m in backwards] == by_email[::-1]
    one = identity.call("list_staff", owner, query={"per_page": 1, "page": 2, "sort": "email"})
    assert [m["email"] for m in one["items"]] == by_email[1:] and one["total"] == 2
    with pytest.raises(ValidationFailed) as bad_sort:
        identity.call("list_staff", owner, query={"sort": "password_hash", "limit": 5})
    assert set(bad_sort.value.fields) == {"sort", "limit"}

    ana_session = identity.sign_in("staffed", ana)
    gone = identity.call("deactivate_staff", owner, account_id=ana_id)
    assert gone["status"] == "deactivated"
    with pytest.raises(Unauthenticated):
        identity.sign_in("staffed", ana)
    with pytest.raises(Unauthenticated):
        identity.call("refresh", body={"refresh_token": ana_session["refresh_token"]})
    back = identity.call("reactivate_staff", owner, account_id=ana_id)
    assert back["status"] == "active" and identity.sign_in("staffed", ana)

    # Every one of those staff actions is in the audit trail, with before and after.
    wait_for(lambda: identity.audit(owner, entity_id=ana_id)["total"] >= 4, what="audit entries")
    trail = identity.audit(owner, entity_id=ana_id)
    actions = [e["action"] for e in trail["items"]]
    assert actions[:4] == [
        "staff.reactivated",
        "staff.deactivated",
        "staff.roles_changed",
        "staff.registered",
    ]
    roles_changed = trail["items"][2]
    assert roles_changed["before"]["roles"] == ["approver"]
    assert roles_changed["after"]["roles"] == ["payroller", "viewer"]
    assert roles_changed["actor_kind"] == "staff" and roles_changed["source"] == "identity"
    owner_id = claims_of(identity, {"access_token": owner})["sub"]
    assert roles_changed["actor_id"] == owner_id
    wait_for(lambda: identity.audit(owner, entity_type="role")["total"] == 2, what="role audit")
    assert identity.audit(owner, action="role.updated")["total"] == 1
    first, second = (identity.audit(owner, per_page=2, page=n) for n in (1, 2))
    assert (second["page"], second["per_page"], len(second["items"])) == (2, 2, 2)
    assert second["total"] == first["total"] >= 6
    newest_first = [e["id"] for e in first["items"] + second["items"]]
    assert len(set(newest_first)) == 4
    oldest_first = identity.audit(owner, sort="occurred_at", per_page=200)["items"]
    assert [e["id"] for e in oldest_first][::-1][:4] == newest_first
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert identity.audit(owner, **{"from": future})["total"] == 0
    with pytest.raises(ValidationFailed) as bad:
        identity.audit(owner, **{"from": "yesterday", "per_page": 0, "sort": "actor_id"})
    assert set(bad.value.fields) == {"from", "per_page", "sort"}
    with pytest.raises(ValidationFailed) as huge:  # beyond what the database can page to
        identity.audit(owner, page=10**20)
    assert set(huge.value.fields) == {"page"}


def test_the_audit_trail_keeps_other_services_entries(identity):
    tenant_id, owner = identity.cbo_with_owner("trail")
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
    wait_for(
        lambda: identity.audit(owner, entity_type="branding")["total"] == 1, what="audit entry"
    )
    entry = identity.audit(owner, entity_type="branding")["items"][0]
    assert entry["source"] == "tenancy" and entry["after"] == {"colour": "#112233"}


def test_nobody_grants_what_they_lack(identity):
    tenant_id, owner = identity.cbo_with_owner("limits")
    owner_id = claims_of(identity, {"access_token": owner})["sub"]
    identity.call(
        "create_role",
        owner,
        body={"name": "hr", "permissions": ["tenant.staff.manage", "jobseekers.read"]},
    )
    hr = "hr@limits.example.org"
    identity.add_staff("limits", owner, hr, ["hr"])
    hr_token = identity.sign_in("limits", hr)["access_token"]
    viewer_id = identity.add_staff("limits", owner, "vic@limits.example.org", ["viewer"])
    viewer = identity.sign_in("limits", "vic@limits.example.org")["access_token"]

    # Without the permission at all.
    for method, kwargs in [
        ("list_staff", {"query": {}}),
        (
            "register_staff",
            {"body": {"email": "x@y.org", "display_name": "X", "roles": ["viewer"]}},
        ),
        ("change_staff_roles", {"account_id": owner_id, "body": {"roles": ["viewer"]}}),
        ("deactivate_staff", {"account_id": owner_id}),
        ("create_role", {"body": {"name": "sneaky", "permissions": ["jobseekers.read"]}}),
        ("list_roles", {}),
        ("list_audit", {"query": {}}),
        (
            "create_client_user",
            {"client_id": "c", "body": {"email": "a@b.org", "display_name": "A"}},
        ),
    ]:
        with pytest.raises(Forbidden):
            identity.call(method, viewer, **kwargs)

    # With tenant.staff.manage but not what they would give.
    with pytest.raises(Forbidden):
        identity.call(
            "register_staff",
            hr_token,
            body={"email": "fin@limits.example.org", "display_name": "Fin", "roles": ["finance"]},
        )
    with pytest.raises(Forbidden):
        identity.call("create_role", hr_token, body={"name": "pay", "permissions": ["payroll.run"]})
    with pytest.raises(Forbidden):  # the owner holds more than HR does
        identity.call("change_staff_roles", hr_token, account_id=owner_id, body={"roles": ["hr"]})
    with pytest.raises(Forbidden):
        identity.call("deactivate_staff", hr_token, account_id=owner_id)
    # …but what they hold, they may give, to somebody who holds no more than they do.
    identity.call("create_role", owner, body={"name": "reader", "permissions": ["jobseekers.read"]})
    rita = identity.add_staff("limits", owner, "rita@limits.example.org", ["reader"])
    promoted = identity.call(
        "change_staff_roles", hr_token, account_id=rita, body={"roles": ["hr"]}
    )
    assert promoted["roles"] == ["hr"]
    with pytest.raises(Forbidden):
        identity.call("change_staff_roles", hr_token, account_id=viewer_id, body={"roles": ["hr"]})

    # The platform operator's powers never go to a CBO.
    with pytest.raises(ValidationFailed) as refused:
        identity.call(
            "create_role", owner, body={"name": "city", "permissions": ["platform.operate"]}
        )
    assert "permissions" in refused.value.fields
    with pytest.raises(ValidationFailed) as builtin:
        identity.call(
            "register_staff",
            owner,
            body={"email": "op@limits.example.org", "display_name": "Op", "roles": ["operator"]},
        )
    assert "roles" in builtin.value.fields

    # A CBO keeps an active owner; nobody deactivates themselves.
    with pytest.raises(Conflict):
        identity.call("change_staff_roles", owner, account_id=owner_id, body={"roles": ["admin"]})
    with pytest.raises(Conflict):
        identity.call("deactivate_staff", owner, account_id=owner_id)


def test_bad_staff_input_names_each_field_and_changes_nothing(identity):
    _, owner = identity.cbo_with_owner("inputs")
    with pytest.raises(ValidationFailed) as missing:
        identity.call("register_staff", owner, body={"email": "not an email", "roles": []})
    assert set(missing.value.fields) == {"email", "display_name", "roles"}
    with pytest.raises(ValidationFailed) as too_long:  # longer than the column holds
        identity.call(
            "register_staff",
            owner,
            body={
                "email": "u" * 250 + "@inputs.example.org",
                "display_name": "U",
                "roles": ["viewer"],
            },
        )
    assert set(too_long.value.fields) == {"email"}
    with pytest.raises(ValidationFailed) as unknown:
        identity.call(
            "register_staff",
            owner,
            body={"email": "u@inputs.example.org", "display_name": "U", "roles": ["wizard"]},
        )
    assert unknown.value.fields == {"roles": ["There is no role 'wizard' in this CBO."]}
    with pytest.raises(Conflict) as duplicate:
        identity.call(
            "register_staff",
            owner,
            body={"email": "OWNER@inputs.example.org", "display_name": "O", "roles": ["viewer"]},
        )
    assert duplicate.value.fields == {"email": ["Already registered."]}
    with pytest.raises(ValidationFailed) as role:
        identity.call("create_role", owner, body={"name": "Bad Name!", "permissions": ["nope"]})
    assert set(role.value.fields) == {"name", "permissions"}
    with pytest.raises(ValidationFailed):
        identity.call("create_role", owner, body={"name": "admin", "permissions": ["reports.read"]})
    identity.call("create_role", owner, body={"name": "twin", "permissions": ["reports.read"]})
    with pytest.raises(Conflict) as twin:
        identity.call("create_role", owner, body={"name": "twin", "permissions": ["reports.read"]})
    assert twin.value.fields == {"name": ["Already exists."]}
    with identity.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Account)).scalar_one() == 1


# -- client users -------------------------------------------------------------------------------


def test_staff_create_client_users_who_sign_in_with_their_client(identity):
    tenant_id, owner = identity.cbo_with_owner("clients")
    client_id = str(uuid.uuid4())
    identity.publish(
        "client.registered",
        {"client_id": client_id, "name": "City of Long Beach", "kind": "city"},
        tenant_id,
    )
    with pytest.raises(NotFound):
        identity.call(
            "create_client_user",
            owner,
            client_id=str(uuid.uuid4()),
            body={"email": "kim@city.example.org", "display_name": "Kim"},
        )
    user = wait_for(
        lambda: _try(
            identity.call,
            "create_client_user",
            owner,
            client_id=client_id,
            body={"email": "kim@city.example.org", "display_name": "Kim"},
        ),
        what="client projection",
    )
    assert user["kind"] == "client" and user["client_id"] == client_id
    tokens = identity.accept("kim@city.example.org")
    claims = claims_of(identity, tokens)
    assert claims["cid"] == client_id and claims["kind"] == "client"
    assert "self.book" in claims["perms"] and "clients.manage" not in claims["perms"]
    me = identity.call("whoami", tokens["access_token"])
    assert me["client_id"] == client_id

    page = identity.call(
        "list_client_users", owner, client_id=client_id, query={"sort": "-display_name"}
    )
    assert [u["email"] for u in page["items"]] == ["kim@city.example.org"]
    assert (page["total"], page["page"], page["per_page"]) == (1, 1, 50)
    identity.call("deactivate_client_user", owner, client_id=client_id, account_id=user["id"])
    with pytest.raises(Unauthenticated):
        identity.sign_in("clients", "kim@city.example.org")
    wait_for(lambda: identity.audit(owner, entity_id=user["id"])["total"] == 2, what="client audit")


def _try(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotFound:
        return None


# -- tenant isolation ---------------------------------------------------------------------------


def test_one_cbo_sees_and_touches_nothing_of_another(identity):
    a_id, a_owner = identity.cbo_with_owner("alpha")
    b_id, b_owner = identity.cbo_with_owner("beta")
    a_staff = identity.add_staff("alpha", a_owner, "sam@alpha.example.org", ["viewer"])
    identity.call(
        "create_role", a_owner, body={"name": "alpharole", "permissions": ["reports.read"]}
    )
    a_client = str(uuid.uuid4())
    identity.publish(
        "client.registered", {"client_id": a_client, "name": "A", "kind": "business"}, a_id
    )
    wait_for(lambda: _processed(identity, "on_client_registered") == 1, what="client")
    wait_for(lambda: identity.audit(a_owner)["total"] >= 2, what="alpha's audit")

    assert [s["email"] for s in identity.call("list_staff", b_owner, query={})["items"]] == [
        "owner@beta.example.org"
    ]
    assert "alpharole" not in {r["name"] for r in identity.call("list_roles", b_owner)["items"]}
    assert identity.audit(b_owner)["total"] == 0
    for method, kwargs in [
        ("get_staff", {"account_id": a_staff}),
        ("change_staff_roles", {"account_id": a_staff, "body": {"roles": ["viewer"]}}),
        ("deactivate_staff", {"account_id": a_staff}),
        ("reactivate_staff", {"account_id": a_staff}),
        ("invite_staff_again", {"account_id": a_staff}),
        ("update_role", {"name": "alpharole", "body": {"description": "mine now"}}),
        ("delete_role", {"name": "alpharole"}),
        ("list_client_users", {"client_id": a_client, "query": {}}),
        (
            "create_client_user",
            {"client_id": a_client, "body": {"email": "z@z.org", "display_name": "Z"}},
        ),
    ]:
        with pytest.raises(NotFound):
            identity.call(method, b_owner, **kwargs)
    # Alpha's staff member still has what alpha gave.
    assert identity.call("get_staff", a_owner, account_id=a_staff)["roles"] == ["viewer"]


# -- email delivery is never lost ------------------------------------------------------------------


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


# -- bulk invitations ---------------------------------------------------------------------------


def test_invite_many_invites_thousands_in_bulk(clean):
    tenant_id = str(uuid.uuid4())
    count = 3000
    with Session(clean) as session:
        unit = UnitOfWork(session, source="identity")
        tenants.apply_tenant(
            unit,
            tenant_id=tenant_id,
            slug="bulk",
            name="Bulk CBO",
            status=tenants.ACTIVE,
            occurred_at=datetime.now(UTC),
        )
        people = session.execute(
            insert(Account).returning(Account.id, Account.tenant_id),
            [
                {
                    "id": str(uuid.uuid4()),
                    "tenant_id": tenant_id,
                    "email": f"p{i}@bulk.example.org",
                    "display_name": f"P {i}",
                    "kind": "jobseeker",
                    "roles": ["jobseeker"],
                    "status": "invited",
                }
                for i in range(count)
            ],
        ).all()
        started = datetime.now(UTC)
        assert invitations.invite_many(unit, people) == count
        unit.commit()
        elapsed = (datetime.now(UTC) - started).total_seconds()
    assert elapsed < 10, f"{count} invitations took {elapsed:.1f} s"
    with clean.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Invitation)).scalar_one() == count
        events = (
            conn.execute(
                select(outbox.c.envelope).where(outbox.c.event_type == "invitation.created")
            )
            .scalars()
            .all()
        )
    assert len(events) == count
    assert {e["data"]["tenant_name"] for e in events} == {"Bulk CBO"}
    assert {e["tenant_id"] for e in events} == {tenant_id}
    with clean.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 0
