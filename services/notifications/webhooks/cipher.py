"""The webhook secrets' encryption at rest: Fernet (the `cryptography` package) with the keys
in WORKLB_NOTIFICATIONS_KEY (comma-separated, newest first: a new key encrypts, every listed
key still decrypts, so a key can be rotated)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from chassis.errors import ServiceUnavailable


class SecretBox:
    def __init__(self, keys: str) -> None:
        try:
            fernets = [Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()]
        except ValueError:
            fernets = []
        self._box = MultiFernet(fernets) if fernets else None

    def _ready(self) -> MultiFernet:
        if self._box is None:
            raise ServiceUnavailable(
                "Webhooks are not configured: WORKLB_NOTIFICATIONS_KEY must hold a Fernet key."
            )
        return self._box

    def seal(self, secret: str) -> bytes:
        return self._ready().encrypt(secret.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._ready().decrypt(bytes(sealed)).decode()
        except InvalidToken as exc:
            raise ServiceUnavailable(
                "A webhook secret cannot be decrypted with the keys set."
            ) from exc
