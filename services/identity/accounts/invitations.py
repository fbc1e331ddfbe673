"""Links sent by email, each used once: invitations, email confirmations of self-registrations,
password resets, and notices to the owner of an email somebody tried to register again.

Making a link records a row and emits `invitation.created` (a link that activates an account)
or `password_reset.requested` (a link that sets a new password). Identity's handler for either
event makes the random token, keeps only its SHA-256 and emails the link (`send_link`): the
token never travels in an event or sits in a table, and a failed send is retried, then
dead-lettered, never lost. What a link does and how long it lasts is in rules.py.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

from sqlalchemy import func, select, text, update

from chassis.db import UnitOfWork
from chassis.errors import Forbidden, TooManyRequests, ValidationFailed
from chassis.mail import Email, Mailer
from services.identity.accounts import domain as accounts
from services.identity.accounts import rules
from services.identity.accounts.models import Account, Invitation
from services.identity.base import new_id
from services.identity.sessions import domain as sessions
from services.identity.tenants import domain as tenants
from services.identity.tenants.models import Tenant

INVITATION = rules.INVITATION
EMAIL_CONFIRMATION = rules.EMAIL_CONFIRMATION
PASSWORD_RESET = rules.PASSWORD_RESET
REGISTRATION_NOTICE = rules.REGISTRATION_NOTICE
INVITATION_LIFETIME = rules.INVITATION_LIFETIME
RESET_LIFETIME = rules.RESET_LIFETIME
# Links per account per hour that anybody may cause (reset requests, registrations with an email
# that has an account) beyond which nothing more is sent (mail bombing). The answer stays the
# same, so it tells nobody whether the account exists.
MAX_RESETS_PER_HOUR = 3
# Reset requests per client address per hour, whatever the email; beyond it the answer is 429
# (counted whether or not the accounts exist, so it tells nothing either).
MAX_RESET_REQUESTS_PER_ADDRESS = 10
RESET_REQUEST = "password_reset"

BAD_LINK = "This link is not valid, was already used or has expired; ask for a new one."


class Invitee(Protocol):
    """An Account, or anything with its id and tenant (RETURNING rows, a NamedTuple)."""

    @property
    def id(self) -> str: ...

    @property
    def tenant_id(self) -> str | None: ...


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(uow: UnitOfWork, *, account: Invitee, tenant_name: str | None) -> None:
    """Invite one person to set their password (their account is `invited`)."""
    invite_many(uow, invitees=[account], tenant_name=tenant_name)


def invite_many(
    uow: UnitOfWork, *, invitees: Iterable[Invitee], tenant_name: str | None = None
) -> int:
    """Invite many people at once (a CSV import): bulk inserts, one event each so every email
    is retried on its own. Without `tenant_name`, each CBO's name comes from the projection.
    Returns how many were invited."""
    people = list(invitees)
    if not people:
        return 0
    names: dict[str | None, str | None] = {None: tenant_name}
    if tenant_name is None:
        tenant_ids = {a.tenant_id for a in people if a.tenant_id}
        if tenant_ids:
            found = uow.session.execute(
                select(Tenant.tenant_id, Tenant.name).where(Tenant.tenant_id.in_(tenant_ids))
            )
            names.update(dict(found.tuples().all()))
    now = datetime.now(UTC)
    _close_open_links(uow, [a.id for a in people], INVITATION, now)
    expires_at = now + INVITATION_LIFETIME
    rows = [{"id": new_id(), "account_id": a.id, "tenant_id": a.tenant_id} for a in people]
    # One statement over arrays: an import invites tens of thousands at once.
    uow.session.execute(
        text(
            "INSERT INTO invitations (id, account_id, tenant_id, purpose, expires_at) "
            "SELECT i, a, t, :purpose, :expires_at FROM unnest("
            "CAST(:ids AS varchar[]), CAST(:accounts AS varchar[]), CAST(:tenants AS varchar[])"
            ") AS u(i, a, t)"
        ),
        {
            "purpose": INVITATION,
            "expires_at": expires_at,
            "ids": [r["id"] for r in rows],
            "accounts": [r["account_id"] for r in rows],
            "tenants": [r["tenant_id"] for r in rows],
        },
    )
    uow.emit_many(
        "invitation.created",
        [
            (
                {
                    "invitation_id": row["id"],
                    "account_id": row["account_id"],
                    "tenant_name": tenant_name or names.get(row["tenant_id"]),
                },
                row["tenant_id"],
            )
            for row in rows
        ],
    )
    return len(rows)


def _close_open_links(uow: UnitOfWork, account_ids: list[str], purpose: str, now: datetime) -> None:
    """Only the newest link works: a new `purpose` link closes the accounts' open links that
    do the same (an invitation sent again, a second reset)."""
    uow.session.execute(
        update(Invitation)
        .where(
            Invitation.account_id.in_(account_ids),
            Invitation.purpose.in_(rules.links_like(purpose)),
            Invitation.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def _new_link(
    uow: UnitOfWork, account: Account, purpose: str, tenant_name: str | None, now: datetime
) -> Invitation:
    """One link of `purpose` for `account`, closing the older ones like it; its handler makes
    the token and emails it."""
    _close_open_links(uow, [account.id], purpose, now)
    invitation = Invitation(
        account_id=account.id,
        tenant_id=account.tenant_id,
        purpose=purpose,
        expires_at=now + rules.link_lifetime(purpose),
    )
    uow.session.add(invitation)
    uow.session.flush()
    event = (
        "invitation.created" if purpose in rules.ACTIVATION_LINKS else "password_reset.requested"
    )
    uow.emit(
        event,
        {"invitation_id": invitation.id, "account_id": account.id, "tenant_name": tenant_name},
        tenant_id=account.tenant_id,
    )
    return invitation


def _links_sent_lately(uow: UnitOfWork, account: Account, purpose: str, now: datetime) -> int:
    """How many links like `purpose` the account was sent in the last hour."""
    return uow.session.execute(
        select(func.count()).where(
            Invitation.account_id == account.id,
            Invitation.purpose.in_(rules.links_like(purpose)),
            Invitation.created_at > now - timedelta(hours=1),
        )
    ).scalar_one()


def _remind(
    uow: UnitOfWork, account: Account, purpose: str, tenant_name: str | None, now: datetime
) -> None:
    """A link anybody may cause to be sent (they give an email): nothing for a deactivated
    account or beyond MAX_RESETS_PER_HOUR; an account still invited gets a fresh invitation
    instead (its first one may have expired)."""
    if account.status == accounts.DEACTIVATED:
        return
    if account.status == accounts.INVITED:
        purpose = INVITATION
    if _links_sent_lately(uow, account, purpose, now) >= MAX_RESETS_PER_HOUR:
        return
    _new_link(uow, account, purpose, tenant_name, now)


def request_password_reset(
    uow: UnitOfWork,
    *,
    email: str,
    slug: str | None,
    client_address: str | None = None,
    now: datetime | None = None,
) -> None:
    """Email a reset link if the account exists; say nothing either way (no enumeration).

    At most MAX_RESETS_PER_HOUR links go to one account (further requests answer the same and
    send nothing), and one client address makes at most MAX_RESET_REQUESTS_PER_ADDRESS
    requests an hour (429)."""
    now = now or datetime.now(UTC)
    if client_address:
        asked = accounts.recent_attempts(
            uow, action=RESET_REQUEST, key=client_address, now=now, within=timedelta(hours=1)
        )
        if len(asked) >= MAX_RESET_REQUESTS_PER_ADDRESS:
            raise TooManyRequests(
                "Too many password-reset requests from your address; try again in an hour."
            )
        accounts.record_attempt(uow, action=RESET_REQUEST, key=client_address, now=now)
    tenant = tenants.tenant_by_slug(uow, slug=slug) if slug else None
    if slug and (tenant is None or tenant.status != tenants.ACTIVE):
        return
    account = accounts.find_account(
        uow, email=email, tenant_id=tenant.tenant_id if tenant else None
    )
    if account is not None:
        _remind(uow, account, PASSWORD_RESET, tenant.name if tenant else None, now)


def ask_to_confirm_email(
    uow: UnitOfWork, *, account: Account, tenant_name: str | None, now: datetime | None = None
) -> None:
    """Send a self-registered person the link that confirms their email (and activates the
    account they registered, password and all)."""
    _new_link(uow, account, EMAIL_CONFIRMATION, tenant_name, now or datetime.now(UTC))


def tell_already_registered(
    uow: UnitOfWork, *, account: Account, tenant_name: str | None, now: datetime | None = None
) -> None:
    """Somebody registered with an email that has an account: tell its owner, with a link to
    set a new password in case it was them (the registration answers as for anybody else)."""
    _remind(uow, account, REGISTRATION_NOTICE, tenant_name, now or datetime.now(UTC))


# -- sending -------------------------------------------------------------------------------


def _link(public_url: str, page: str, token: str, slug: str | None) -> str:
    query = {"token": token, **({"cbo": slug} if slug else {})}
    return f"{public_url}/{page}?{urlencode(query)}"


def _compose(invitation: Invitation, account: Account, link: str, tenant_name: str | None):
    who = account.display_name or account.email
    where = tenant_name or "WorkLB"
    days = INVITATION_LIFETIME.days
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    if invitation.purpose == INVITATION:
        return Email(
            to=account.email,
            subject=f"You are invited to {where} on WorkLB",
            text=(
                f"Hello {who},\n\n"
                f"You have been invited to {where} on WorkLB. Open this link to set your "
                f"password and sign in:\n\n{link}\n\n"
                f"The link works once and expires in {days} days.\n"
            ),
        )
    if invitation.purpose == EMAIL_CONFIRMATION:
        return Email(
            to=account.email,
            subject=f"Confirm your email to finish registering with {where}",
            text=(
                f"Hello {who},\n\n"
                f"Thank you for registering with {where} on WorkLB. Open this link to confirm "
                f"your email; then you can sign in with the password you chose:\n\n{link}\n\n"
                f"The link works once and expires in {days} days. If you did not register, "
                "ignore this email: nothing happens without it.\n"
            ),
        )
    if invitation.purpose == REGISTRATION_NOTICE:
        return Email(
            to=account.email,
            subject=f"Somebody tried to register with your email at {where}",
            text=(
                f"Hello {who},\n\n"
                f"Somebody tried to register at {where} on WorkLB with this email address, "
                "which already has an account. If it was you, sign in with your password. If "
                f"you have forgotten it, open this link to choose a new one:\n\n{link}\n\n"
                f"The link works once and expires in {minutes} minutes. If it was not you, "
                "ignore this email: your account stays as it is.\n"
            ),
        )
    return Email(
        to=account.email,
        subject=f"Reset your {where} password",
        text=(
            f"Hello {who},\n\n"
            f"Somebody asked to reset the password of your {where} account on WorkLB. "
            f"If it was you, open this link to choose a new one:\n\n{link}\n\n"
            f"The link works once and expires in {minutes} minutes. If you did not ask, "
            "ignore this email: your password stays as it is.\n"
        ),
    )


def send_link(
    uow: UnitOfWork,
    *,
    mailer: Mailer,
    invitation_id: str,
    tenant_name: str | None,
    public_url: str,
    now: datetime | None = None,
) -> bool:
    """Make the invitation's token and email its link; False if there is nothing to send
    (used, expired, or the account is gone or deactivated). Raises if the mail fails, so the
    event is retried; a retry makes a new token, so an earlier email's link never works."""
    now = now or datetime.now(UTC)
    invitation = uow.session.get(Invitation, invitation_id, with_for_update=True)
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        return False
    account = uow.session.get(Account, invitation.account_id)
    if account is None or account.status == accounts.DEACTIVATED:
        return False
    if not tenants.is_active(uow, tenant_id=account.tenant_id):
        # The link could not be used; once reinstated, a reset request sends a fresh one.
        return False
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    # The link must work the moment the email arrives: commit its token before sending. The
    # worker's transaction goes on (sent_at and the event's processed mark commit at its end).
    uow.session.commit()
    tenant = tenants.tenant_by_id(uow, tenant_id=account.tenant_id) if account.tenant_id else None
    page = rules.link_page(invitation.purpose)
    link = _link(public_url, page, token, tenant.slug if tenant else None)
    mailer.send(
        _compose(invitation, account, link, tenant_name or (tenant.name if tenant else None))
    )
    invitation.sent_at = now
    return True


# -- using a link ----------------------------------------------------------------------------


def _redeem(uow: UnitOfWork, token: str, purposes: tuple[str, ...], now: datetime) -> Account:
    """The account a valid link of one of `purposes` belongs to; marks the link, and the
    account's other open links that do the same, used."""
    invitation = uow.session.execute(
        select(Invitation).where(Invitation.token_hash == hash_token(token)).with_for_update()
    ).scalar_one_or_none()
    if (
        invitation is None
        or invitation.purpose not in purposes
        or invitation.used_at is not None
        or invitation.expires_at <= now
    ):
        raise ValidationFailed(fields={"token": [BAD_LINK]})
    account = uow.session.get(Account, invitation.account_id, with_for_update=True)
    if account is None or account.status == accounts.DEACTIVATED:
        raise ValidationFailed(fields={"token": [BAD_LINK]})
    if not tenants.is_active(uow, tenant_id=account.tenant_id):
        raise Forbidden(accounts.SUSPENDED_CBO)
    uow.session.execute(
        update(Invitation)
        .where(
            Invitation.account_id == account.id,
            Invitation.purpose.in_(rules.links_like(invitation.purpose)),
            Invitation.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return account


def _activate(uow: UnitOfWork, account: Account, settings: accounts.TokenSettings, now: datetime):
    account.status = accounts.ACTIVE
    accounts.clear_sign_in_failures(uow, account=account)
    uow.emit(
        "account.activated",
        {"account_id": account.id, "kind": account.kind},
        tenant_id=account.tenant_id,
    )
    return accounts.issue_tokens(uow, account=account, settings=settings, now=now)


def accept_invitation(
    uow: UnitOfWork,
    *,
    token: str,
    password: str,
    settings: accounts.TokenSettings,
    now: datetime | None = None,
) -> dict:
    """Set the first password and activate the account; returns a token pair (signed in)."""
    now = now or datetime.now(UTC)
    account = _redeem(uow, token, (INVITATION,), now)
    if account.status != accounts.INVITED:
        raise ValidationFailed(fields={"token": [BAD_LINK]})
    account.password_hash = accounts.hash_password(password)
    return _activate(uow, account, settings, now)


def confirm_email(
    uow: UnitOfWork, *, token: str, settings: accounts.TokenSettings, now: datetime | None = None
) -> dict:
    """Activate a self-registered account from the link sent to its email, with the password
    chosen when registering; returns a token pair (signed in)."""
    now = now or datetime.now(UTC)
    account = _redeem(uow, token, (EMAIL_CONFIRMATION,), now)
    if account.status != accounts.INVITED or not account.password_hash:
        raise ValidationFailed(fields={"token": [BAD_LINK]})
    return _activate(uow, account, settings, now)


def confirm_password_reset(
    uow: UnitOfWork, *, token: str, password: str, now: datetime | None = None
) -> None:
    """Set a new password from a reset link; unlocks the account and ends its sessions."""
    now = now or datetime.now(UTC)
    account = _redeem(uow, token, rules.RESET_LINKS, now)
    if account.status != accounts.ACTIVE:
        raise ValidationFailed(fields={"token": [BAD_LINK]})
    account.password_hash = accounts.hash_password(password)
    accounts.clear_sign_in_failures(uow, account=account)
    sessions.end_sessions(uow, account_ids=[account.id], because="password_reset")
    uow.emit("account.password_changed", {"account_id": account.id}, tenant_id=account.tenant_id)
