"""JWT access and refresh tokens: identity issues them, the gateway verifies access tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from chassis.errors import Unauthenticated

ALGORITHM = "HS256"
ISSUER = "worklb"
ACCESS = "access"
REFRESH = "refresh"


def issue(
    secret: str,
    *,
    token_type: str,
    subject: str,
    lifetime: timedelta,
    claims: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[str, dict]:
    now = now or datetime.now(UTC)
    payload = {
        "iss": ISSUER,
        "sub": subject,
        "typ": token_type,
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        **(claims or {}),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM), payload


def verify(secret: str, token: str, *, token_type: str) -> dict[str, Any]:
    """The token's claims; Unauthenticated if it is expired, forged or of another type."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "typ", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("Your session has expired; sign in again.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("The token is not valid.") from exc
    if claims.get("typ") != token_type:
        raise Unauthenticated(f"An {token_type} token is needed here.")
    return claims
