"""Links sent by email on identity's real database: invitations and password resets are a row
plus an event; the email's token is made when it is sent and only its hash is kept; a link works
once, a newer one of the same kind closes the older ones, and nobody can use reset requests to
bomb a mailbox or to learn who has an account."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, insert, select

from chassis.errors import Conflict, Forbidden, TooManyRequests, Unauthenticated, ValidationFailed
from services.identity.accounts import domain as accounts
from services.identity.accounts import invitations
from services.identity.accounts.models import Account, Invitation
from services.identity.audit.models import AuditEntry
from services.identity.sessions import domain as sessions
from services.identity.staff import domain as staff
from services.identity.tenants import domain as projections
from tests.domain.outbox import Outbox
from tests.factories import (
    PASSWORD,
    PUBLIC_URL,
    TOKEN_SETTINGS,
    Mailbox,
    a_projected_cbo,
    a_staff_member,
    an_operator,
    emailed_link,
    later_cbo_status,
    link_token,
    open_link,
    staff_caller,
    token_in,
)

SERVICE = "identity"
NEW_PASSWORD = "another long password"


def accept(uow, token: str, password: str = PASSWORD, **kwargs) -> dict:
    return invitations.accept_invitation(
        uow, token=token, password=password, settings=TOKEN_SETTINGS, **kwargs
    )


def ask_reset(uow, email: str, slug: str | None, **kwargs) -> None:
    invitations.request_password_reset(uow, email=email, slug=slug, **kwargs)


def reset(uow, token: str, password: str = NEW_PASSWORD, **kwargs) -> None:
    invitations.confirm_password_reset(uow, token=token, password=password, **kwargs)


def sign_in(uow, email: str, slug: str | None, password: str = PASSWORD) -> dict:
    return accounts.sign_in(uow, email=email, password=password, settings=TOKEN_SETTINGS, slug=slug)


def links_of(uow, account_id: str) -> list[str]:
    query = select(Invitation.purpose).where(Invitation.account_id == account_id)
    return sorted(uow.session.execute(query).scalars())


# -- invitations -------------------------------------------------------------------------------


def test_an_invitation_is_a_row_and_an_event_and_its_email_keeps_only_the_tokens_hash(uow):
    cbo = a_projected_cbo(uow, name="Harbor CBO")
    sent = Outbox(uow)
    ivy = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited", display_name="Ivy")
    invitation = open_link(uow, ivy.id)
    assert (invitation.purpose, invitation.tenant_id) == ("invitation", cbo.tenant_id)
    assert invitation.token_hash is None and invitation.sent_at is None  # no token before
    event = sent.one("invitation.created")
    assert event["tenant_id"] == cbo.tenant_id
    assert event["data"] == {
        "invitation_id": invitation.id,
        "account_id": ivy.id,
        "tenant_name": "Harbor CBO",
    }

    email = emailed_link(uow, ivy.id)
    assert email.to == ivy.email and "Harbor CBO" in email.subject
    assert "Hello Ivy" in email.text and "7 days" in email.text
    link = urlsplit(next(w for w in email.text.split() if w.startswith(PUBLIC_URL)))
    assert link.path == "/accept-invitation"
    assert parse_qs(link.query)["cbo"] == [cbo.slug]
    token = token_in(email)
    assert invitation.token_hash == invitations.hash_token(token) and token not in str(
        invitation.token_hash
    )
    assert invitation.sent_at is not None


def test_accepting_an_invitation_sets_the_password_activates_and_signs_in_once(uow):
    cbo = a_projected_cbo(uow)
    ivy = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited", email="ivy@x.org")
    token = link_token(uow, ivy.id)
    sent = Outbox(uow)
    tokens = accept(uow, token)
    assert tokens["access_token"] and ivy.status == "active"
    assert sent.one("account.activated")["data"] == {"account_id": ivy.id, "kind": "staff"}
    assert sign_in(uow, "ivy@x.org", cbo.slug)["access_token"]
    with pytest.raises(ValidationFailed) as again:
        accept(uow, token, NEW_PASSWORD)
    assert again.value.fields == {"token": [invitations.BAD_LINK]}
    with pytest.raises(ValidationFailed):
        accept(uow, "x" * 43)
    with pytest.raises(Unauthenticated):
        sign_in(uow, "ivy@x.org", cbo.slug, NEW_PASSWORD)


def test_an_invitation_expires_after_seven_days(uow):
    cbo = a_projected_cbo(uow)
    ivy = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited")
    token = link_token(uow, ivy.id)
    week = datetime.now(UTC) + invitations.INVITATION_LIFETIME
    with pytest.raises(ValidationFailed):
        accept(uow, token, now=week + timedelta(seconds=1))
    assert accept(uow, token, now=week - timedelta(minutes=1))["access_token"]


def test_an_invitation_sent_again_leaves_only_the_newest_link_working(uow):
    """Fault 7: re-sending an invitation left the old link working."""
    cbo = a_projected_cbo(uow)
    owner = staff_caller(cbo.tenant_id)
    ivy = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited", caller=owner)
    first = link_token(uow, ivy.id)
    sent = Outbox(uow)
    staff.resend_invitation(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=ivy.id)
    assert sent.types() == ["invitation.created", "audit.recorded"]
    assert sent.audit()[0]["action"] == "staff.invited_again"
    second = link_token(uow, ivy.id)
    with pytest.raises(ValidationFailed) as old:
        accept(uow, first)
    assert "token" in old.value.fields
    assert accept(uow, second)["access_token"]
    with pytest.raises(Conflict, match="still invited"):  # nobody is invited twice over
        staff.resend_invitation(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=ivy.id)


def test_a_link_is_not_emailed_when_it_could_no_longer_be_used(uow):
    cbo = a_projected_cbo(uow)
    owner = staff_caller(cbo.tenant_id)
    mailbox = Mailbox()

    def send(invitation_id: str, **kwargs) -> bool:
        return invitations.send_link(
            uow,
            mailer=mailbox,
            invitation_id=invitation_id,
            tenant_name=None,
            public_url=PUBLIC_URL,
            **kwargs,
        )

    expired = open_link(uow, a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited").id)
    assert not send(expired.id, now=datetime.now(UTC) + timedelta(days=8))
    gone = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited")
    staff.deactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=gone.id)
    assert not send(open_link(uow, gone.id).id)
    used = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited")
    link = open_link(uow, used.id)
    accept(uow, link_token(uow, used.id))
    assert not send(link.id) and not send(str(uuid.uuid4()))
    waiting = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited")
    later_cbo_status(uow, cbo, projections.SUSPENDED)
    assert not send(open_link(uow, waiting.id).id)
    assert mailbox.sent == []


def test_a_suspended_cbos_invitation_cannot_be_accepted(uow):
    cbo = a_projected_cbo(uow)
    ivy = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited")
    token = link_token(uow, ivy.id)
    later_cbo_status(uow, cbo, projections.SUSPENDED)
    with pytest.raises(Forbidden, match="suspended"):
        accept(uow, token)
    assert ivy.status == "invited"


def test_thousands_are_invited_in_bulk_with_one_event_each_and_no_audit_entry(uow):
    """An import invites its people with invite_many: bulk inserts, one event per email."""
    cbo = a_projected_cbo(uow, name="Bulk CBO")
    count = 3000
    people = uow.session.execute(
        insert(Account).returning(Account.id, Account.tenant_id),
        [
            {
                "id": str(uuid.uuid4()),
                "tenant_id": cbo.tenant_id,
                "email": f"p{i}@bulk.example.org",
                "display_name": f"P {i}",
                "kind": "jobseeker",
                "roles": ["jobseeker"],
                "status": "invited",
            }
            for i in range(count)
        ],
    ).all()
    sent = Outbox(uow)
    started = time.monotonic()
    assert invitations.invite_many(uow, invitees=people) == count
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"{count} invitations took {elapsed:.1f} s"
    rows = select(func.count()).select_from(Invitation).where(Invitation.tenant_id == cbo.tenant_id)
    assert uow.session.execute(rows).scalar_one() == count
    events = sent.events("invitation.created")
    assert len(events) == len(sent.events()) == count
    assert {e["data"]["tenant_name"] for e in events} == {"Bulk CBO"}
    assert {e["tenant_id"] for e in events} == {cbo.tenant_id}
    assert uow.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 0
    # Invited again, each keeps only the newest link open.
    assert invitations.invite_many(uow, invitees=people[:10]) == 10
    open_links = rows.where(Invitation.used_at.is_(None))
    assert uow.session.execute(open_links).scalar_one() == count
    assert invitations.invite_many(uow, invitees=[]) == 0


def test_a_link_whose_account_has_moved_on_does_nothing(uow):
    cbo = a_projected_cbo(uow)
    owner = staff_caller(cbo.tenant_id)
    gone = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited", caller=owner)
    gone_link = link_token(uow, gone.id)
    staff.deactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=gone.id)
    # An invitation sent again as she was accepting the first.
    active = a_staff_member(uow, tenant_id=cbo.tenant_id)
    invitations.invite(uow, account=active, tenant_name=None)
    # An email confirmation, for an account that has no password to confirm.
    no_password = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited")
    invitations.ask_to_confirm_email(uow, account=no_password, tenant_name=None)

    def confirm(uow, token: str) -> dict:
        return invitations.confirm_email(uow, token=token, settings=TOKEN_SETTINGS)

    for use, token in (
        (accept, gone_link),
        (accept, link_token(uow, active.id)),
        (confirm, link_token(uow, no_password.id, invitations.EMAIL_CONFIRMATION)),
    ):
        with pytest.raises(ValidationFailed) as refused:
            use(uow, token)
        assert refused.value.fields == {"token": [invitations.BAD_LINK]}
    assert (gone.status, active.status, no_password.status) == (
        "deactivated",
        "active",
        "invited",
    )


# -- password resets ---------------------------------------------------------------------------


def test_a_reset_link_sets_a_new_password_unlocks_and_ends_the_sessions(uow):
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org", display_name="Ana")
    before = sign_in(uow, "ana@x.org", cbo.slug)
    for _ in range(accounts.MAX_FAILED_SIGN_INS):
        with pytest.raises(Unauthenticated):
            sign_in(uow, "ana@x.org", cbo.slug, "a wrong password")
    sent = Outbox(uow)
    ask_reset(uow, "ANA@x.org", cbo.slug.upper())
    event = sent.one("password_reset.requested")
    assert event["data"]["account_id"] == ana.id and event["data"]["tenant_name"] == cbo.name
    email = emailed_link(uow, ana.id, invitations.PASSWORD_RESET)
    assert "reset" in email.subject.lower() and "60 minutes" in email.text
    assert f"{PUBLIC_URL}/reset-password?token=" in email.text and f"cbo={cbo.slug}" in email.text

    with pytest.raises(ValidationFailed):
        reset(uow, "x" * 43)
    reset(uow, token_in(email))
    assert sent.one("account.password_changed")["data"] == {"account_id": ana.id}
    assert sign_in(uow, "ana@x.org", cbo.slug, NEW_PASSWORD)["access_token"]  # unlocked
    with pytest.raises(Unauthenticated):
        sign_in(uow, "ana@x.org", cbo.slug)  # the old password
    with pytest.raises(Unauthenticated, match="session has ended"):
        accounts.refresh(uow, refresh_token=before["refresh_token"], settings=TOKEN_SETTINGS)
    ended = sessions.session_status(uow, account_id=ana.id, generation=0)
    assert ended["message"] == "Your password was reset; sign in with the new one."
    after = sign_in(uow, "ana@x.org", cbo.slug, NEW_PASSWORD)
    assert accounts.refresh(uow, refresh_token=after["refresh_token"], settings=TOKEN_SETTINGS)
    with pytest.raises(ValidationFailed):  # the link works once
        reset(uow, token_in(email), "yet another password")


def test_a_second_reset_link_closes_the_first_and_links_do_only_their_own_job(uow):
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    ask_reset(uow, "ana@x.org", cbo.slug)
    first = link_token(uow, ana.id)
    ask_reset(uow, "ana@x.org", cbo.slug)
    second = link_token(uow, ana.id)
    with pytest.raises(ValidationFailed):
        reset(uow, first)
    with pytest.raises(ValidationFailed):  # a reset link is no invitation
        accept(uow, second)
    reset(uow, second)
    ivy = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited")
    with pytest.raises(ValidationFailed):  # and an invitation no reset link
        reset(uow, link_token(uow, ivy.id))


def test_a_reset_link_expires_after_an_hour(uow):
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    ask_reset(uow, "ana@x.org", cbo.slug)
    token = link_token(uow, ana.id)
    with pytest.raises(ValidationFailed):
        reset(uow, token, now=datetime.now(UTC) + timedelta(minutes=61))
    reset(uow, token, now=datetime.now(UTC) + timedelta(minutes=59))


def test_a_reset_request_sends_nothing_where_nothing_could_be_reset(uow):
    cbo = a_projected_cbo(uow)
    paused = a_projected_cbo(uow)
    a_staff_member(uow, tenant_id=paused.tenant_id, email="ana@x.org")
    later_cbo_status(uow, paused, projections.SUSPENDED)
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="gone@x.org", status="deactivated")
    sent = Outbox(uow)
    for email, slug in (
        ("nobody@x.org", cbo.slug),
        ("gone@x.org", cbo.slug),
        ("ana@x.org", paused.slug),
        ("ana@x.org", "no-such-cbo"),
        ("ana@x.org", None),  # not one of the city's own accounts
    ):
        assert ask_reset(uow, email, slug) is None
    assert sent.events() == []


def test_the_operator_resets_on_the_citys_own_site_and_the_invited_get_a_new_invitation(uow):
    operator = an_operator(uow, email="op@city.example.org")
    ask_reset(uow, "op@city.example.org", None)
    email = emailed_link(uow, operator.id, invitations.PASSWORD_RESET)
    assert "cbo=" not in email.text and "WorkLB" in email.subject
    cbo = a_projected_cbo(uow)
    ivy = a_staff_member(uow, tenant_id=cbo.tenant_id, email="ivy@x.org", status="invited")
    sent = Outbox(uow)
    ask_reset(uow, "ivy@x.org", cbo.slug)  # her first invitation may have expired
    assert sent.types() == ["invitation.created"]
    assert links_of(uow, ivy.id) == ["invitation", "invitation"]
    assert accept(uow, link_token(uow, ivy.id))["access_token"]


def test_reset_emails_are_limited_per_account_per_hour(uow):
    """Fault 7: five reset requests sent five emails in seconds."""
    cbo = a_projected_cbo(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    for _ in range(5):
        assert ask_reset(uow, "ana@x.org", cbo.slug) is None  # the same answer, sent or not
    resets = [p for p in links_of(uow, ana.id) if p == invitations.PASSWORD_RESET]
    assert len(resets) == invitations.MAX_RESETS_PER_HOUR == 3
    ask_reset(uow, "ana@x.org", cbo.slug, now=datetime.now(UTC) + timedelta(minutes=61))
    assert links_of(uow, ana.id).count(invitations.PASSWORD_RESET) == 4


def test_one_address_asks_for_at_most_ten_resets_an_hour_whoever_they_are_for(uow):
    cbo = a_projected_cbo(uow)
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@x.org")
    address = "203.0.113.9"
    for i in range(invitations.MAX_RESET_REQUESTS_PER_ADDRESS):
        ask_reset(uow, f"person{i}@x.org", cbo.slug, client_address=address)
    with pytest.raises(TooManyRequests, match="an hour"):
        ask_reset(uow, "ana@x.org", cbo.slug, client_address=address)
    ask_reset(uow, "ana@x.org", cbo.slug, client_address="203.0.113.10")
    later = datetime.now(UTC) + timedelta(minutes=61)
    ask_reset(uow, "ana@x.org", cbo.slug, client_address=address, now=later)
