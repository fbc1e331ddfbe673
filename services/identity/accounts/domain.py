"""The accounts area's domain: accounts, passwords, sign-in, tokens and sessions. Plain functions
over a unit of work; the emailed links (invitations, password resets) are in invitations.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from chassis.context import OPERATOR, Caller
from chassis.contracts.sessions import SESSION_CLAIM
from chassis.db import UnitOfWork
from chassis.errors import Conflict, Forbidden, Locked, NotFound, Unauthenticated, ValidationFailed
from chassis.tokens import ACCESS, REFRESH, issue, verify
from services.identity.accounts import rules
from services.identity.accounts.models import Account, Attempt, RefreshToken
from services.identity.sessions import domain as sessions
from services.identity.staff import roles as custom_roles
from services.identity.tenants import domain as tenants

MAX_FAILED_SIGN_INS = rules.MAX_FAILED_SIGN_INS
SIGN_IN_FAILURE = "sign_in_failure"
# Attempts older than this count toward no limit any more.
KEEP_ATTEMPTS = timedelta(days=1)

ACTIVE = rules.ACTIVE
INVITED = rules.INVITED
DEACTIVATED = rules.DEACTIVATED

# The one answer to every failed sign-in: an unknown email, a wrong password, an account not
# active (yet), so that nobody learns from it who has an account.
WRONG_CREDENTIALS = "The email or password is not right, or the account is not active yet."
LOCKED = "Too many failed sign-ins; try again later or reset your password."
SUSPENDED_CBO = "This CBO is suspended: its users cannot sign in."

_hasher = PasswordHasher()
# Verified against when there is no account (or no password yet), so that a sign-in takes as
# long whether or not the account exists.
_DUMMY_HASH = _hasher.hash("not a real password")


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    access_minutes: int
    refresh_days: int


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, InvalidHashError):
        return False


def find_account(uow: UnitOfWork, *, email: str, tenant_id: str | None) -> Account | None:
    query = select(Account).where(func.lower(Account.email) == email.strip().lower())
    query = query.where(
        Account.tenant_id.is_(None) if tenant_id is None else Account.tenant_id == tenant_id
    )
    return uow.session.execute(query).scalar_one_or_none()


def create_account(
    uow: UnitOfWork,
    *,
    email: str,
    kind: str,
    roles: list[str],
    tenant_id: str | None,
    display_name: str = "",
    password: str | None = None,
    client_id: str | None = None,
) -> Account:
    """A new account; without a password it waits, invited, until its owner sets one."""
    if find_account(uow, email=email, tenant_id=tenant_id) is not None:
        raise Conflict("That email is already registered.", {"email": ["Already registered."]})
    account = Account(
        email=email.strip(),
        kind=kind,
        roles=list(roles),
        tenant_id=tenant_id,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
        status=ACTIVE if password else INVITED,
        client_id=client_id,
    )
    uow.session.add(account)
    try:
        uow.session.flush()
    except IntegrityError as exc:
        # The same email registered at the same moment by another request.
        raise Conflict(
            "That email is already registered.", {"email": ["Already registered."]}
        ) from exc
    data: dict = {"account_id": account.id, "kind": kind, "roles": list(roles)}
    if client_id is not None:
        data["client_id"] = client_id
    uow.emit("account.created", data, tenant_id=tenant_id)
    return account


def ensure_operator(uow: UnitOfWork, *, email: str, password: str, display_name: str) -> Account:
    """The platform operator's account, created once (deploy bootstrap)."""
    existing = find_account(uow, email=email, tenant_id=None)
    if existing is not None:
        return existing
    return create_account(
        uow,
        email=email,
        kind=OPERATOR,
        roles=["operator"],
        tenant_id=None,
        display_name=display_name,
        password=password,
    )


def permissions_of(uow: UnitOfWork, *, account: Account) -> frozenset[str]:
    """What an account may do: its built-in roles plus its CBO's custom roles."""
    custom = (
        custom_roles.custom_roles_of(uow, tenant_id=account.tenant_id) if account.tenant_id else {}
    )
    return rules.account_permissions(account.kind, account.roles, custom)


def issue_tokens(
    uow: UnitOfWork,
    *,
    account: Account,
    settings: TokenSettings,
    now: datetime,
    generation: int | None = None,
) -> dict:
    """An access and a refresh token for `account`, under its session generation (read here
    unless the caller has just read it)."""
    if generation is None:
        generation = sessions.generation_of(uow, account_id=account.id)
    claims: dict = {
        SESSION_CLAIM: generation,
        "tid": account.tenant_id,
        "kind": account.kind,
        "roles": list(account.roles),
        "perms": sorted(permissions_of(uow, account=account)),
    }
    if account.client_id:
        claims["cid"] = account.client_id
    access, _ = issue(
        settings.secret,
        token_type=ACCESS,
        subject=account.id,
        lifetime=timedelta(minutes=settings.access_minutes),
        claims=claims,
        now=now,
    )
    refresh, refresh_claims = issue(
        settings.secret,
        token_type=REFRESH,
        subject=account.id,
        lifetime=timedelta(days=settings.refresh_days),
        claims={SESSION_CLAIM: generation},
        now=now,
    )
    uow.session.add(
        RefreshToken(
            jti=refresh_claims["jti"],
            account_id=account.id,
            expires_at=datetime.fromtimestamp(refresh_claims["exp"], UTC),
        )
    )
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": settings.access_minutes * 60,
    }


def sign_in(
    uow: UnitOfWork,
    *,
    email: str,
    password: str,
    settings: TokenSettings,
    slug: str | None = None,
    tenant_id: str | None = None,
    now: datetime | None = None,
) -> dict:
    """Tokens for an account of one CBO (named by slug, or by id) or, with neither, of the
    platform operator. Each CBO's people sign in to their own CBO only.

    Every failure answers the same, in about the same time (one password check either way),
    and counts toward locking that email whether or not an account has it: neither the status
    nor the time of the answer tells who has an account."""
    now = now or datetime.now(UTC)
    if slug is not None and tenant_id is not None:
        raise ValidationFailed(fields={"slug": ["Give either slug or tenant_id, not both."]})
    if slug is not None:
        tenant = tenants.tenant_by_slug(uow, slug=slug)
        if tenant is None:
            password_matches(None, password)  # the same time as a wrong password
            raise Unauthenticated(WRONG_CREDENTIALS)
        tenant_id = tenant.tenant_id
    key = rules.sign_in_key(tenant_id, email)
    failures = recent_attempts(uow, action=SIGN_IN_FAILURE, key=key, now=now)
    if rules.locked_until(failures, now):
        raise Locked(LOCKED)
    account = find_account(uow, email=email, tenant_id=tenant_id)
    matches = password_matches(account.password_hash if account else None, password)
    if account is None or not matches or account.status != ACTIVE:
        record_attempt(uow, action=SIGN_IN_FAILURE, key=key, now=now)
        # The failure must count although the call fails (and so would roll back).
        uow.commit()
        raise Unauthenticated(WRONG_CREDENTIALS)
    if not tenants.is_active(uow, tenant_id=account.tenant_id):
        raise Forbidden(SUSPENDED_CBO)
    if failures:  # older failures than these count toward no lock any more
        clear_attempts(uow, action=SIGN_IN_FAILURE, key=key)
    return issue_tokens(uow, account=account, settings=settings, now=now)


def clear_sign_in_failures(uow: UnitOfWork, *, account: Account) -> None:
    """Unlock an account's email (a new password was set, or its owner signed in)."""
    clear_attempts(
        uow, action=SIGN_IN_FAILURE, key=rules.sign_in_key(account.tenant_id, account.email)
    )


# -- attempts that count toward limits -----------------------------------------------------


def record_attempt(uow: UnitOfWork, *, action: str, key: str, now: datetime) -> None:
    uow.session.add(Attempt(action=action, key=key, at=now))
    # Old attempts count toward nothing: forget them as new ones come (an index on `at`).
    uow.session.execute(delete(Attempt).where(Attempt.at < now - KEEP_ATTEMPTS))
    uow.session.flush()


def recent_attempts(
    uow: UnitOfWork, *, action: str, key: str, now: datetime, within: timedelta = rules.LOCK_WINDOW
) -> list[datetime]:
    """When `key` made `action` attempts within the last `within`."""
    return list(
        uow.session.execute(
            select(Attempt.at).where(
                Attempt.action == action, Attempt.key == key, Attempt.at > now - within
            )
        ).scalars()
    )


def clear_attempts(uow: UnitOfWork, *, action: str, key: str) -> None:
    uow.session.execute(delete(Attempt).where(Attempt.action == action, Attempt.key == key))


def refresh(
    uow: UnitOfWork, *, refresh_token: str, settings: TokenSettings, now: datetime | None = None
) -> dict:
    """Rotate a refresh token: the old one is revoked, a new pair is issued."""
    now = now or datetime.now(UTC)
    claims = verify(settings.secret, refresh_token, token_type=REFRESH)
    stored = uow.session.get(RefreshToken, claims["jti"], with_for_update=True)
    if stored is None or stored.revoked_at is not None:
        raise Unauthenticated("This session has ended; sign in again.")
    account = uow.session.get(Account, stored.account_id)
    if account is None or account.status != ACTIVE:
        raise Unauthenticated("This account is not active.")
    if not tenants.is_active(uow, tenant_id=account.tenant_id):
        raise Unauthenticated(SUSPENDED_CBO)
    generation = sessions.require_current(
        uow, account_id=account.id, generation=claims.get(SESSION_CLAIM, 0)
    )
    stored.revoked_at = now
    return issue_tokens(uow, account=account, settings=settings, now=now, generation=generation)


def sign_out(uow: UnitOfWork, *, refresh_token: str, settings: TokenSettings) -> None:
    claims = verify(settings.secret, refresh_token, token_type=REFRESH)
    stored = uow.session.get(RefreshToken, claims["jti"])
    if stored is not None and stored.revoked_at is None:
        stored.revoked_at = datetime.now(UTC)


def describe(uow: UnitOfWork, *, caller: Caller) -> dict:
    account = uow.session.get(Account, caller.user_id) if caller.user_id else None
    if account is None:
        raise NotFound("Your account no longer exists.")
    return {
        "user_id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "kind": account.kind,
        "tenant_id": account.tenant_id,
        "client_id": account.client_id,
        "roles": list(account.roles),
        "permissions": sorted(caller.permissions),
    }
