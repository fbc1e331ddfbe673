"""Identity's accounts on their own, no broker, no database: the client in the token and the
signed context, the permissions a CBO may give, role and audit inputs, the emails of links and
the mailer. The rules themselves are in test_identity_rules.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from chassis.config import Settings
from chassis.context import Caller, caller_from_context_data, context_data_for
from chassis.contracts.permissions import BUILTIN_ROLES, CBO_PERMISSIONS, STAFF_ROLES
from chassis.mail import Email, Mailer, MailFailed
from chassis.tokens import ACCESS, issue
from gateway.service import caller_from_request
from services.identity.accounts import invitations
from services.identity.accounts.models import Account, Invitation
from services.identity.accounts.schemas import AcceptInvitationSchema, SignInSchema
from services.identity.audit.schemas import AuditQuerySchema
from services.identity.staff.schemas import RoleCreateSchema, RoleUpdateSchema, StaffCreateSchema
from tests.smtp import free_port

SECRET = "s" * 48


def test_a_client_users_client_travels_in_the_token_and_the_signed_context():
    token, _ = issue(
        SECRET,
        token_type=ACCESS,
        subject="u1",
        lifetime=timedelta(minutes=5),
        claims={"tid": "t1", "kind": "client", "roles": ["client"], "perms": [], "cid": "c1"},
    )
    request = Request(EnvironBuilder(headers={"Authorization": f"Bearer {token}"}).get_environ())
    caller = caller_from_request(request, SECRET, "corr-1")
    assert caller.client_id == "c1" and caller.tenant_id == "t1"
    assert caller_from_context_data(context_data_for(caller, SECRET), SECRET) == caller
    assert Caller.from_json(Caller(kind="staff").to_json()).client_id is None


def test_a_cbo_can_give_no_platform_or_self_service_permission():
    assert not [p for p in CBO_PERMISSIONS if p.startswith(("platform.", "self."))]
    assert set(STAFF_ROLES) <= set(BUILTIN_ROLES) and "operator" not in STAFF_ROLES
    for bad in ("platform.operate", "self.book", "no.such"):
        with pytest.raises(ValidationError) as raised:
            RoleCreateSchema().load({"name": "city", "permissions": [bad]})
        assert "permissions" in raised.value.messages


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "Bad Name", "permissions": ["reports.read"]}, {"name"}),
        ({"name": "x", "permissions": ["reports.read"]}, {"name"}),
        ({"name": "ok-role", "permissions": []}, {"permissions"}),
        ({"permissions": "reports.read"}, {"name", "permissions"}),
        ({"name": "ok", "permissions": ["reports.read"], "extra": 1}, {"extra"}),
    ],
)
def test_role_input_is_checked_field_by_field(body, fields):
    with pytest.raises(ValidationError) as raised:
        RoleCreateSchema().load(body)
    assert set(raised.value.messages) == fields


def test_a_role_update_must_change_something():
    with pytest.raises(ValidationError):
        RoleUpdateSchema().load({})
    assert RoleUpdateSchema().load({"description": "x"}) == {"description": "x"}


def test_passwords_are_long_and_slugs_are_slugs():
    with pytest.raises(ValidationError) as short:
        AcceptInvitationSchema().load({"token": "t" * 43, "password": "eleven char"})
    assert set(short.value.messages) == {"password"}
    assert AcceptInvitationSchema().load({"token": "t" * 43, "password": "twelve chars"})
    with pytest.raises(ValidationError) as slug:
        SignInSchema().load({"email": "a@b.org", "password": "x", "slug": "Not A Slug"})
    assert set(slug.value.messages) == {"slug"}
    with pytest.raises(ValidationError) as staff:
        StaffCreateSchema().load({"email": "a@b.org", "display_name": "A", "roles": [""] * 21})
    assert set(staff.value.messages) == {"roles"}


def test_audit_query_reads_times_and_refuses_an_empty_range():
    loaded = AuditQuerySchema().load({"from": "2026-11-01T00:00:00", "to": "2026-11-02T00:00:00Z"})
    assert loaded["since"] == datetime(2026, 11, 1, tzinfo=UTC)
    assert (loaded["page"], loaded["per_page"], loaded["sort"]) == (1, 50, "-occurred_at")
    with pytest.raises(ValidationError) as backwards:
        AuditQuerySchema().load({"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"})
    assert set(backwards.value.messages) == {"to"}


def test_only_a_tokens_hash_is_kept_and_the_email_carries_the_link():
    token = "abc"
    assert invitations.hash_token(token) == invitations.hash_token(token)
    assert len(invitations.hash_token(token)) == 64 and token not in invitations.hash_token(token)
    account = Account(email="ana@example.org", display_name="Ana")
    link = invitations._link("http://worklb.test", "accept-invitation", "T0k3n", "harbor")
    assert link == "http://worklb.test/accept-invitation?token=T0k3n&cbo=harbor"
    invite = invitations._compose(
        Invitation(purpose=invitations.INVITATION), account, link, "Harbor CBO"
    )
    assert invite.to == "ana@example.org" and "Harbor CBO" in invite.subject
    assert link in invite.text and "7 days" in invite.text
    reset = invitations._compose(
        Invitation(purpose=invitations.PASSWORD_RESET), account, link, None
    )
    assert "reset" in reset.subject.lower() and "60 minutes" in reset.text


def test_the_mailer_builds_a_proper_message_and_reports_a_server_that_is_not_there():
    settings = Settings(smtp_port=free_port(), smtp_from="WorkLB <mail@worklb.test>")
    mailer = Mailer(settings)
    message = mailer.build(Email(to="a@b.org", subject="Hi", text="Hello", html="<p>Hello</p>"))
    assert message["From"] == "WorkLB <mail@worklb.test>" and message["Message-ID"].endswith(
        "@worklb.test>"
    )
    assert message.get_body(("plain",)).get_content().strip() == "Hello"
    with pytest.raises(MailFailed):
        mailer.send(Email(to="a@b.org", subject="Hi", text="Hello"))


def test_settings_have_working_local_mail_defaults(monkeypatch):
    for name in ("WORKLB_SMTP_HOST", "WORKLB_SMTP_PORT", "WORKLB_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.smtp_host, settings.smtp_port) == ("127.0.0.1", 8025)
    assert settings.public_url == "http://127.0.0.1:8000"
    monkeypatch.setenv("WORKLB_PUBLIC_URL", "https://worklb.example.org/")
    assert Settings().public_url == "https://worklb.example.org"
    assert json.loads(Caller(client_id="c").to_json())["client_id"] == "c"


def test_a_registration_notice_tells_the_owner_and_carries_a_reset_link():
    account = Account(email="ana@example.org", display_name="Ana")
    link = "http://worklb.test/reset-password?token=T&cbo=harbor"
    notice = invitations._compose(
        Invitation(purpose=invitations.REGISTRATION_NOTICE), account, link, "Harbor CBO"
    )
    assert "tried to register" in notice.subject and "Harbor CBO" in notice.subject
    assert link in notice.text and "already has an account" in notice.text
    confirm = invitations._compose(
        Invitation(purpose=invitations.EMAIL_CONFIRMATION), account, link, "Harbor CBO"
    )
    assert "Confirm your email" in confirm.subject and link in confirm.text


def test_the_gateway_passes_the_client_address_in_the_signed_caller():
    environ = EnvironBuilder(environ_base={"REMOTE_ADDR": "198.51.100.7"}).get_environ()
    anonymous = caller_from_request(Request(environ), SECRET, "corr-2")
    assert anonymous.client_address == "198.51.100.7" and not anonymous.authenticated
    assert caller_from_context_data(context_data_for(anonymous, SECRET), SECRET) == anonymous
    token, _ = issue(SECRET, token_type=ACCESS, subject="u1", lifetime=timedelta(minutes=5))
    headers = {"Authorization": f"Bearer {token}"}
    environ = EnvironBuilder(headers=headers, environ_base={"REMOTE_ADDR": "2001:db8::1"})
    signed_in = caller_from_request(Request(environ.get_environ()), SECRET, "corr-3")
    assert signed_in.client_address == "2001:db8::1"
