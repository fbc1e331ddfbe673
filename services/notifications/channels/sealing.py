"""Secrets at rest: a CBO's SMS auth token is sealed with Fernet (AES-128-CBC and HMAC-SHA256,
from the `cryptography` library) under a key derived from WORKLB_NOTIFICATIONS_KEY, so a copy
of the database alone reveals no credentials."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MIN_KEY_LENGTH = 32
_INFO = b"worklb notifications channel secrets v1"


class SealingUnavailable(RuntimeError):
    """WORKLB_NOTIFICATIONS_KEY is missing or too short."""


class Sealer:
    def __init__(self, key: str) -> None:
        if len(key or "") < MIN_KEY_LENGTH:
            raise SealingUnavailable(
                f"WORKLB_NOTIFICATIONS_KEY must be at least {MIN_KEY_LENGTH} random characters "
                "(`make run` generates it into var/secrets.env)"
            )
        # Any long random string (as `make run` makes) becomes a Fernet key through HKDF.
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            key.encode("utf-8")
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        """The secret; raises SealingUnavailable when it was sealed under another key."""
        try:
            return self._fernet.decrypt(bytes(sealed)).decode("utf-8")
        except InvalidToken as exc:
            raise SealingUnavailable(
                "A stored credential cannot be opened with the current WORKLB_NOTIFICATIONS_KEY."
            ) from exc
