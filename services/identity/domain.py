"""Identity's domain: accounts, passwords and tokens. Plain functions over a unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select

from chassis.context import OPERATOR, Caller
from chassis.contracts.permissions import permissions_for
from chassis.db import UnitOfWork
from chassis.errors import Conflict, Locked, NotFound, Unauthenticated
from chassis.tokens import ACCESS, REFRESH, issue, verify
from services.identity.models import Account, RefreshToken

MAX_FAILED_SIGN_INS = 5
LOCK_MINUTES = 15

_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps the timing the same as a wrong password.
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
    query = select(Account).where(func.lower(Account.email) == email.lower())
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
) -> Account:
    if find_account(uow, email=email, tenant_id=tenant_id) is not None:
        raise Conflict("That email is already registered.", {"email": ["Already registered."]})
    account = Account(
        email=email.strip(),
        kind=kind,
        roles=list(roles),
        tenant_id=tenant_id,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
        status="active" if password else "invited",
    )
    uow.session.add(account)
    uow.session.flush()
    uow.emit(
        "account.created",
        {"account_id": account.id, "kind": kind, "roles": list(roles)},
        tenant_id=tenant_id,
    )
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


def _token_pair(uow: UnitOfWork, account: Account, settings: TokenSettings, now: datetime) -> dict:
    permissions = sorted(permissions_for(account.roles))
    access, _ = issue(
        settings.secret,
        token_type=ACCESS,
        subject=account.id,
        lifetime=timedelta(minutes=settings.access_minutes),
        claims={
            "tid": account.tenant_id,
            "kind": account.kind,
            "roles": account.roles,
            "perms": permissions,
        },
        now=now,
    )
    refresh, claims = issue(
        settings.secret,
        token_type=REFRESH,
        subject=account.id,
        lifetime=timedelta(days=settings.refresh_days),
        now=now,
    )
    uow.session.add(
        RefreshToken(
            jti=claims["jti"],
            account_id=account.id,
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
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
    tenant_id: str | None,
    settings: TokenSettings,
    now: datetime | None = None,
) -> dict:
    now = now or datetime.now(UTC)
    account = find_account(uow, email=email, tenant_id=tenant_id)
    if account is not None and account.locked_until and account.locked_until > now:
        raise Locked("Too many failed sign-ins; try again later or reset your password.")
    if account is None or not password_matches(account.password_hash, password):
        if account is not None:
            account.failed_sign_ins += 1
            if account.failed_sign_ins >= MAX_FAILED_SIGN_INS:
                account.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                account.failed_sign_ins = 0
            # The failure must count although the call fails (and so would roll back).
            uow.commit()
        raise Unauthenticated("The email or password is not right.")
    if account.status != "active":
        raise Unauthenticated("This account is not active.")
    account.failed_sign_ins = 0
    account.locked_until = None
    return _token_pair(uow, account, settings, now)


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
    if account is None or account.status != "active":
        raise Unauthenticated("This account is not active.")
    stored.revoked_at = now
    return _token_pair(uow, account, settings, now)


def sign_out(uow: UnitOfWork, *, refresh_token: str, settings: TokenSettings) -> None:
    claims = verify(settings.secret, refresh_token, token_type=REFRESH)
    stored = uow.session.get(RefreshToken, claims["jti"])
    if stored is not None and stored.revoked_at is None:
        stored.revoked_at = datetime.now(UTC)


def describe(uow: UnitOfWork, caller: Caller) -> dict:
    account = uow.session.get(Account, caller.user_id) if caller.user_id else None
    if account is None:
        raise NotFound("Your account no longer exists.")
    return {
        "user_id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "kind": account.kind,
        "tenant_id": account.tenant_id,
        "roles": list(account.roles),
        "permissions": sorted(caller.permissions),
    }
