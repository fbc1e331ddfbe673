"""Account rules that need no database: what an account may do, when failed sign-ins lock an
email, and which emailed links do what. The domain functions use them; unit tests cover them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from chassis.context import OPERATOR
from chassis.contracts.permissions import permissions_for

# Account statuses: invited until the person sets a password.
ACTIVE = "active"
INVITED = "invited"
DEACTIVATED = "deactivated"


def account_permissions(
    kind: str, roles: Iterable[str], custom_roles: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    """What an account of `kind` holding `roles` may do: the built-in roles plus its CBO's
    custom roles. Whatever the roles say, the platform's own powers never reach a CBO's people."""
    found = permissions_for(list(roles), dict(custom_roles))
    if kind != OPERATOR:
        found = frozenset(p for p in found if not p.startswith("platform."))
    return found


# -- failed sign-ins -------------------------------------------------------------------------

# Failures of one email within one CBO (or among platform accounts) that lock it for a while,
# whether or not an account has that email: a locked answer must not tell who exists.
MAX_FAILED_SIGN_INS = 5
LOCK_WINDOW = timedelta(minutes=15)


def sign_in_key(tenant_id: str | None, email: str) -> str:
    """What failed sign-ins are counted by: the email as typed, without case or surrounding
    spaces, within its CBO ("-" for platform accounts)."""
    return f"{tenant_id or '-'}:{email.strip().lower()}"


def locked_until(failures: Iterable[datetime], now: datetime) -> datetime | None:
    """When sign-in opens again for a key that failed at `failures`, or None if it is open:
    MAX_FAILED_SIGN_INS failures within LOCK_WINDOW lock it until the oldest of them is
    LOCK_WINDOW old."""
    recent = sorted((t for t in failures if t > now - LOCK_WINDOW), reverse=True)
    if len(recent) < MAX_FAILED_SIGN_INS:
        return None
    return recent[MAX_FAILED_SIGN_INS - 1] + LOCK_WINDOW


# -- emailed links ---------------------------------------------------------------------------

# What a link (an Invitation row's purpose) lets its holder do.
INVITATION = "invitation"  # set a first password (an account made by staff, an import, a CBO)
EMAIL_CONFIRMATION = "email_confirmation"  # confirm a self-registration's email, then sign in
PASSWORD_RESET = "password_reset"  # set a new password
# Somebody registered with an email that already has an account: its owner is told, with a
# link to set a new password in case it was them and they forgot it.
REGISTRATION_NOTICE = "registration_notice"

# Links that do the same thing: using one closes the account's other open ones.
ACTIVATION_LINKS = (INVITATION, EMAIL_CONFIRMATION)
RESET_LINKS = (PASSWORD_RESET, REGISTRATION_NOTICE)

INVITATION_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=1)


def links_like(purpose: str) -> tuple[str, ...]:
    """The purposes of links that do what a `purpose` link does (itself included)."""
    return ACTIVATION_LINKS if purpose in ACTIVATION_LINKS else RESET_LINKS


def link_lifetime(purpose: str) -> timedelta:
    return INVITATION_LIFETIME if purpose in ACTIVATION_LINKS else RESET_LIFETIME


def link_page(purpose: str) -> str:
    """The web page (under the public URL) a link opens."""
    return {
        INVITATION: "accept-invitation",
        EMAIL_CONFIRMATION: "confirm-email",
    }.get(purpose, "reset-password")
