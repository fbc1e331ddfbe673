"""Invitations and password resets: single-use links sent by email.

`invite` / `invite_many` record an invitation and emit `invitation.created`; a reset request
emits `password_reset.requested`. Identity's handler for either event makes the random token,
keeps only its SHA-256 and emails the link (`send_link`): the token never travels in an event
or sits in a table, and a failed send is retried, then dead-lettered, never lost.
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
from chassis.errors import Forbidden, ValidationFailed
from chassis.mail import Email, Mailer
from services.identity.accounts import domain as accounts
from services.identity.accounts.models import Account, Invitation
from services.identity.base import new_id
from services.identity.tenants import domain as tenants
from services.identity.tenants.models import Tenant

INVITATION = "invitation"
PASSWORD_RESET = "password_reset"
INVITATION_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=1)
# Reset requests per account per hour beyond which nothing more is sent (mail bombing).
MAX_RESETS_PER_HOUR = 5

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
    invite_many(uow, [account], tenant_name=tenant_name)


def invite_many(
    uow: UnitOfWork, accounts: Iterable[Invitee], *, tenant_name: str | None = None
) -> int:
    """Invite many people at once (a CSV import): bulk inserts, one event each so every email
    is retried on its own. Without `tenant_name`, each CBO's name comes from the projection.
    Returns how many were invited."""
    people = list(accounts)
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
    expires_at = datetime.now(UTC) + INVITATION_LIFETIME
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


def request_password_reset(
    uow: UnitOfWork, *, email: str, slug: str | None, now: datetime | None = None
) -> None:
    """Email a reset link if the account exists; say nothing either way (no enumeration).

    An account still invited gets a fresh invitation instead (its first one may have expired).
    """
    now = now or datetime.now(UTC)
    tenant = tenants.tenant_by_slug(uow, slug) if slug else None
    if slug and (tenant is None or tenant.status != tenants.ACTIVE):
        return
    account = accounts.find_account(
        uow, email=email, tenant_id=tenant.tenant_id if tenant else None
    )
    if account is None or account.status == accounts.DEACTIVATED:
        return
    recent = uow.session.execute(
        select(func.count()).where(
            Invitation.account_id == account.id,
            Invitation.created_at > now - timedelta(hours=1),
        )
    ).scalar_one()
    if recent >= MAX_RESETS_PER_HOUR:
        return
    tenant_name = tenant.name if tenant else None
    if account.status == accounts.INVITED:
        invite(uow, account=account, tenant_name=tenant_name)
        return
    invitation = Invitation(
        account_id=account.id,
        tenant_id=account.tenant_id,
        purpose=PASSWORD_RESET,
        expires_at=now + RESET_LIFETIME,
    )
    uow.session.add(invitation)
    uow.session.flush()
    uow.emit(
        "password_reset.requested",
        {"invitation_id": invitation.id, "account_id": account.id, "tenant_name": tenant_name},
        tenant_id=account.tenant_id,
    )


# -- sending -------------------------------------------------------------------------------


def _link(public_url: str, page: str, token: str, slug: str | None) -> str:
    query = {"token": token, **({"cbo": slug} if slug else {})}
    return f"{public_url}/{page}?{urlencode(query)}"


def _compose(invitation: Invitation, account: Account, link: str, tenant_name: str | None):
    who = account.display_name or account.email
    where = tenant_name or "WorkLB"
    if invitation.purpose == INVITATION:
        days = INVITATION_LIFETIME.days
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
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
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
    mailer: Mailer,
    *,
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
    if not tenants.is_active(uow, account.tenant_id):
        # The link could not be used; once reinstated, a reset request sends a fresh one.
        return False
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    # The link must work the moment the email arrives: commit its token before sending. The
    # worker's transaction goes on (sent_at and the event's processed mark commit at its end).
    uow.session.commit()
    tenant = tenants.tenant_by_id(uow, account.tenant_id) if account.tenant_id else None
    page = "accept-invitation" if invitation.purpose == INVITATION else "reset-password"
    link = _link(public_url, page, token, tenant.slug if tenant else None)
    mailer.send(_compose(invitation, account, link, tenant_name or (tenant and tenant.name)))
    invitation.sent_at = now
    return True


# -- using a link ----------------------------------------------------------------------------


def _redeem(uow: UnitOfWork, token: str, purpose: str, now: datetime) -> Account:
    """The account a valid link belongs to; marks the link, and the account's other open
    links of the same purpose, used."""
    invitation = uow.session.execute(
        select(Invitation).where(Invitation.token_hash == hash_token(token)).with_for_update()
    ).scalar_one_or_none()
    if (
        invitation is None
        or invitation.purpose != purpose
        or invitation.used_at is not None
        or invitation.expires_at <= now
    ):
        raise ValidationFailed(fields={"token": [BAD_LINK]})
    account = uow.session.get(Account, invitation.account_id, with_for_update=True)
    if account is None or account.status == accounts.DEACTIVATED:
        raise ValidationFailed(fields={"token": [BAD_LINK]})
    if not tenants.is_active(uow, account.tenant_id):
        raise Forbidden(accounts.SUSPENDED_CBO)
    uow.session.execute(
        update(Invitation)
        .where(
            Invitation.account_id == account.id,
            Invitation.purpose == purpose,
            Invitation.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return account


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
    account = _redeem(uow, token, INVITATION, now)
    if account.status != accounts.INVITED:
        raise ValidationFailed(fields={"token": [BAD_LINK]})
    account.password_hash = accounts.hash_password(password)
    account.status = accounts.ACTIVE
    account.failed_sign_ins = 0
    account.locked_until = None
    uow.emit(
        "account.activated",
        {"account_id": account.id, "kind": account.kind},
        tenant_id=account.tenant_id,
    )
    return accounts._token_pair(uow, account, settings, now)


def confirm_password_reset(
    uow: UnitOfWork, *, token: str, password: str, now: datetime | None = None
) -> None:
    """Set a new password from a reset link; unlocks the account and ends its sessions."""
    now = now or datetime.now(UTC)
    account = _redeem(uow, token, PASSWORD_RESET, now)
    if account.status != accounts.ACTIVE:
        raise ValidationFailed(fields={"token": [BAD_LINK]})
    account.password_hash = accounts.hash_password(password)
    account.failed_sign_ins = 0
    account.locked_until = None
    accounts.end_sessions(uow, account_ids=[account.id])
    uow.emit("account.password_changed", {"account_id": account.id}, tenant_id=account.tenant_id)
