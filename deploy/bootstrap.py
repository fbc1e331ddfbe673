"""Deploy step: make sure the platform operator's account exists (the one account nobody can
register through the API). Its password is generated once and kept in var/operator.txt, which
stays the source of truth on this machine: a fresh clone (a new var/) against databases that
already hold the operator brings the account's password into step with the file."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy.orm import Session

from chassis.config import Settings
from chassis.db import UnitOfWork, make_engine
from services.identity.accounts import domain
from services.identity.sessions import domain as sessions


def ensure_operator(settings: Settings, *, email: str, password: str) -> bool:
    """True if the account was created now."""
    engine = make_engine(settings.database_url("identity"))
    try:
        with Session(engine) as session:
            unit = UnitOfWork(session, source="identity")
            existing = domain.find_account(unit, email=email, tenant_id=None)
            if existing is None:
                domain.ensure_operator(
                    unit, email=email, password=password, display_name="Platform operator"
                )
            elif not domain.password_matches(existing.password_hash, password):
                existing.password_hash = domain.hash_password(password)
                domain.clear_sign_in_failures(unit, account=existing)
                sessions.end_sessions(unit, account_ids=[existing.id], because="password_reset")
            unit.commit()
            return existing is None
    finally:
        engine.dispose()


def operator_credentials(var: Path, email: str) -> tuple[str, str]:
    """The operator's email and password, generating the password on first use."""
    path = var / "operator.txt"
    if path.exists():
        saved_email, saved_password = path.read_text().split("\n")[:2]
        return saved_email, saved_password
    password = secrets.token_urlsafe(18)
    path.write_text(f"{email}\n{password}\n")
    path.chmod(0o600)
    return email, password
