"""Secrets at rest in notifications (a CBO's SMS auth token, its webhook secrets): sealed with
Fernet (AES-128-CBC and HMAC-SHA256, the `cryptography` library) under keys derived from
WORKLB_NOTIFICATIONS_KEY, so a copy of the database alone reveals no credentials.

The setting holds one or more keys, comma-separated, newest first: the newest seals, every one
still opens, so a key can be rotated. Each is any 32 or more random characters (`make run`
generates one); HKDF turns it into a Fernet key."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chassis.errors import ServiceUnavailable

MIN_KEY_LENGTH = 32
_INFO = b"worklb notifications channel secrets v1"


class SealingUnavailable(ServiceUnavailable):
    """WORKLB_NOTIFICATIONS_KEY is missing or too short, or a secret was sealed under a key
    no longer listed."""


def _fernet(key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


class Sealer:
    def __init__(self, keys: str) -> None:
        listed = [k.strip() for k in (keys or "").split(",") if k.strip()]
        if not listed or any(len(k) < MIN_KEY_LENGTH for k in listed):
            raise SealingUnavailable(
                f"WORKLB_NOTIFICATIONS_KEY must hold keys of at least {MIN_KEY_LENGTH} random "
                "characters (`make run` generates one into var/secrets.env)"
            )
        self._fernet = MultiFernet([_fernet(k) for k in listed])

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        """The secret; raises SealingUnavailable when no listed key sealed it."""
        try:
            return self._fernet.decrypt(bytes(sealed)).decode("utf-8")
        except InvalidToken as exc:
            raise SealingUnavailable(
                "A stored secret cannot be opened with the keys in WORKLB_NOTIFICATIONS_KEY."
            ) from exc
