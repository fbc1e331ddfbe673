"""Pure rules of the chain: how a record's hash is made, what a seal signs, the signing key,
and what a break in the chain means.

Each CBO has one chain. Record n's hash is SHA-256 over the hash of record n-1 (GENESIS for
the first), n, and the record's canonical text (PostgreSQL's text form of a row of every
field, built by the same SQL expression when sealing and when verifying: `domain.CANONICAL`).
A seal is the service's Ed25519 signature over (CBO, first and last position, last hash) of a
batch: a record appended after the last seal, or a chain rewritten from some point on, no
longer matches a signature.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

GENESIS = "0" * 64


def record_hash(prev_hash: str, seq: int, canonical: str) -> str:
    return hashlib.sha256(f"{prev_hash}|{seq}|{canonical}".encode()).hexdigest()


def seal_message(tenant_id: str, first_seq: int, last_seq: int, last_hash: str) -> bytes:
    return f"worklb-evv-seal|{tenant_id}|{first_seq}|{last_seq}|{last_hash}".encode()


def signing_key(secret: str) -> Ed25519PrivateKey:
    """The service's Ed25519 key, derived from WORKLB_EVV_SIGNING_KEY (at least 32 characters;
    its SHA-256 is the key's 32-byte seed), so every instance signs with the same key."""
    if len(secret) < 32:
        raise RuntimeError("WORKLB_EVV_SIGNING_KEY must be at least 32 random characters")
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(secret.encode()).digest())


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return public_bytes(key)[:16].hex()


def sign_seal(key: Ed25519PrivateKey, message: bytes) -> str:
    return key.sign(message).hex()


def seal_holds(public: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public.verify(bytes.fromhex(signature), message)
    except Exception:  # InvalidSignature, or a signature that is not hex
        return False
    return True


@dataclass(frozen=True)
class Link:
    """One sealed record as the verification sees it (SQL computes `intact`)."""

    seq: int
    record_id: str
    intact: bool  # its stored hash is the hash of its content now
    linked: bool  # its prev_hash is the stored hash of the record before it
    step: int  # its seq minus the seq before it (1 in a whole chain)


@dataclass(frozen=True)
class Break:
    problem: str  # changed | inserted | removed
    seq: int
    record_id: str | None
    message: str


def first_break(link: Link) -> Break:
    """What the first suspicious record of a chain says happened."""
    if link.step > 1:
        first_missing = link.seq - link.step + 1
        missing = f"#{first_missing}" if link.step == 2 else f"#{first_missing} to #{link.seq - 1}"
        return Break(
            "removed",
            first_missing,
            None,
            f"Record {missing} was removed (the chain goes on at #{link.seq}, {link.record_id}).",
        )
    if link.step < 1 or not link.linked:
        return Break(
            "inserted",
            link.seq,
            link.record_id,
            f"Record {link.record_id} at #{link.seq} does not follow the record before it: "
            "it was inserted.",
        )
    return Break(
        "changed",
        link.seq,
        link.record_id,
        f"Record {link.record_id} at #{link.seq} no longer matches its hash: it was changed.",
    )
