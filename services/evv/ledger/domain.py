"""The chain of each CBO's punches and corrections: sealing (in batches, in order, by one
instance at a time per CBO) and verification.

Punches are written at once with no chain position, so concurrent punches of one CBO never
wait for each other; the sealer (a timer on every instance) takes a CBO's unsealed records
under a transaction-level advisory lock for that CBO (another instance skips it), chains them
after the CBO's head in server-time order, and signs the batch.

A record's canonical text is built by PostgreSQL (CANONICAL), both when sealing and when
verifying, so the verification of a whole chain is one query: it recomputes every hash in the
database and returns only the first record that does not fit.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select, text
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork
from services.evv.ledger import rules
from services.evv.ledger.models import ChainHead, Seal

# Every field of a record but its tenant and chain columns, as PostgreSQL's text form of a row
# (values with separators or quotes are quoted, so it is unambiguous). Its times and floats are
# written per the session's settings, so every use runs under FIXED_OUTPUT first. Three times
# cheaper than a JSON array, which is what a million-record verification is made of.
CANONICAL = (
    "ROW(id, visit_id, worker_id, record_type, kind, device_punch_id, method, device_time, "
    "server_time, delay_seconds, latitude, longitude, accuracy_m, mocked, distance_m, "
    "corrects_record_id, reason_code, action_code, comment, entered_by)::text"
)
FIXED_OUTPUT = (
    "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 1"
)
# The stored hash (hex) against the one recomputed from the record as it is now.
HASH_SQL = f"sha256(convert_to(prev_hash || '|' || seq::text || '|' || {CANONICAL}, 'UTF8'))"
BATCH = 2000


def _lock_key(tenant_id: str) -> str:
    return f"evv-chain:{tenant_id}"


def seal(uow: UnitOfWork, *, key: Ed25519PrivateKey, batch: int = BATCH) -> int:
    """Chain and sign the unsealed records of every CBO that has some (one batch each per
    call); returns how many were sealed."""
    tenants = uow.session.execute(
        text("SELECT DISTINCT tenant_id FROM visit_records WHERE seq IS NULL")
    ).scalars()
    return sum(seal_tenant(uow, tenant_id=t, key=key, batch=batch) for t in list(tenants))


def seal_tenant(
    uow: UnitOfWork, *, tenant_id: str, key: Ed25519PrivateKey, batch: int = BATCH
) -> int:
    taken = uow.session.execute(
        text("SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": _lock_key(tenant_id)},
    ).scalar()
    if not taken:
        return 0  # another instance is sealing this CBO right now
    uow.session.execute(text(FIXED_OUTPUT))
    head = uow.session.get(ChainHead, tenant_id, with_for_update=True)
    last_seq, last_hash = (0, rules.GENESIS) if head is None else (head.last_seq, head.last_hash)
    rows = uow.session.execute(
        text(
            f"SELECT id, {CANONICAL} FROM visit_records "
            "WHERE tenant_id = :t AND seq IS NULL ORDER BY server_time, id LIMIT :n"
        ),
        {"t": tenant_id, "n": batch},
    ).all()
    if not rows:
        return 0
    first_seq = last_seq + 1
    updates = []
    for record_id, canonical in rows:
        last_seq += 1
        new_hash = rules.record_hash(last_hash, last_seq, canonical)
        updates.append({"i": record_id, "s": last_seq, "p": last_hash, "h": new_hash})
        last_hash = new_hash
    uow.session.execute(
        text(
            "UPDATE visit_records AS r SET seq = u.s, prev_hash = u.p, hash = u.h FROM "
            "unnest(CAST(:ids AS varchar[]), CAST(:seqs AS bigint[]), CAST(:prevs AS varchar[]),"
            " CAST(:hashes AS varchar[])) AS u(i, s, p, h) WHERE r.id = u.i"
        ),
        {
            "ids": [u["i"] for u in updates],
            "seqs": [u["s"] for u in updates],
            "prevs": [u["p"] for u in updates],
            "hashes": [u["h"] for u in updates],
        },
    )
    message = rules.seal_message(tenant_id, first_seq, last_seq, last_hash)
    uow.session.add(
        Seal(
            tenant_id=tenant_id,
            first_seq=first_seq,
            last_seq=last_seq,
            last_hash=last_hash,
            signature=rules.sign_seal(key, message),
            key_id=rules.key_id(key),
        )
    )
    uow.session.execute(
        insert(ChainHead)
        .values(tenant_id=tenant_id, last_seq=last_seq, last_hash=last_hash)
        .on_conflict_do_update(
            index_elements=["tenant_id"], set_={"last_seq": last_seq, "last_hash": last_hash}
        )
    )
    uow.session.flush()
    return len(rows)


@dataclass
class Verification:
    intact: bool
    records: int
    sealed_up_to: int
    unsealed: int
    seals: int
    problem: rules.Break | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "records": self.records,
            "sealed_up_to": self.sealed_up_to,
            "unsealed": self.unsealed,
            "seals": self.seals,
            "problem": None
            if self.problem is None
            else {
                "problem": self.problem.problem,
                "seq": self.problem.seq,
                "record_id": self.problem.record_id,
                "message": self.problem.message,
            },
        }


# The first record whose content no longer gives its stored hash (PostgreSQL recomputes every
# hash: the one costly part of a verification, a few microseconds a record).
_FIRST_CHANGED = f"""
SELECT seq, id FROM visit_records
WHERE tenant_id = :t AND seq BETWEEN :low AND :high
  AND decode(hash, 'hex') IS DISTINCT FROM {HASH_SQL}
ORDER BY seq, id LIMIT 1
"""
# A chain longer than this is re-hashed in PARTS ranges at once, each on its own connection
# (PostgreSQL runs one query on one core).
PARALLEL_FROM = 100_000
PARTS = 4
# The first record that does not follow the one before it (a gap, a repeated position, a
# prev_hash that is not the stored hash before it): narrow columns only, in chain order.
_FIRST_UNLINKED = """
SELECT seq, id, linked, step FROM (
    SELECT seq, id, prev_hash = coalesce(lag(hash) OVER w, :genesis) AS linked,
           seq - coalesce(lag(seq) OVER w, 0) AS step
    FROM visit_records WHERE tenant_id = :t AND seq IS NOT NULL
    WINDOW w AS (ORDER BY seq, id)
) AS c
WHERE NOT linked OR step <> 1
ORDER BY seq, id LIMIT 1
"""


def _first_changed(uow: UnitOfWork, tenant_id: str, max_seq: int) -> Any:
    """The first changed record, by position. A long chain is cut into ranges checked at once
    on connections of their own (the records are append-only, and the ranges end at the last
    position counted); within a test's transaction, or for a short chain, one query."""
    bind = uow.session.get_bind()
    if max_seq < PARALLEL_FROM or not isinstance(bind, Engine):
        return uow.session.execute(
            text(_FIRST_CHANGED), {"t": tenant_id, "low": 0, "high": max_seq}
        ).first()
    step = max_seq // PARTS + 1
    ranges = [(low, min(low + step - 1, max_seq)) for low in range(1, max_seq + 1, step)]
    found: list[Any] = [None] * len(ranges)

    def check(index: int, low: int, high: int) -> None:
        with bind.begin() as conn:
            conn.execute(text(FIXED_OUTPUT))
            found[index] = conn.execute(
                text(_FIRST_CHANGED), {"t": tenant_id, "low": low, "high": high}
            ).first()

    workers = [
        threading.Thread(target=check, args=(i, low, high)) for i, (low, high) in enumerate(ranges)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return next((row for row in found if row is not None), None)


def _first_link_broken(uow: UnitOfWork, tenant_id: str, max_seq: int) -> rules.Link | None:
    params = {"t": tenant_id, "genesis": rules.GENESIS}
    changed = _first_changed(uow, tenant_id, max_seq)
    unlinked = uow.session.execute(text(_FIRST_UNLINKED), params).first()
    if changed is None and unlinked is None:
        return None
    if unlinked is None or (changed is not None and changed.seq < unlinked.seq):
        assert changed is not None
        return rules.Link(seq=changed.seq, record_id=changed.id, intact=False, linked=True, step=1)
    return rules.Link(
        seq=unlinked.seq,
        record_id=unlinked.id,
        intact=not (changed is not None and changed.id == unlinked.id),
        linked=bool(unlinked.linked),
        step=unlinked.step,
    )


def verify(uow: UnitOfWork, *, tenant_id: str, key: Ed25519PrivateKey) -> Verification:
    """Re-check a CBO's whole chain: every record's hash from its content now, every link, no
    gap, every seal's signature and hash, and nothing chained after the last seal."""
    session = uow.session
    session.execute(text(FIXED_OUTPUT))
    counts = session.execute(
        text(
            "SELECT count(*) FILTER (WHERE seq IS NOT NULL), count(*) FILTER (WHERE seq IS NULL),"
            " max(seq) FROM visit_records WHERE tenant_id = :t"
        ),
        {"t": tenant_id},
    ).one()
    sealed, unsealed, max_seq = counts[0], counts[1], counts[2] or 0
    seals = session.execute(
        select(Seal.first_seq, Seal.last_seq, Seal.last_hash, Seal.signature)
        .where(Seal.tenant_id == tenant_id)
        .order_by(Seal.last_seq)
    ).all()
    link = _first_link_broken(uow, tenant_id, max_seq)
    problem = rules.first_break(link) if link is not None else None
    if problem is None:
        problem = _seal_problem(uow, tenant_id, seals, max_seq, key)
    return Verification(
        intact=problem is None,
        records=sealed,
        sealed_up_to=seals[-1].last_seq if seals else 0,
        unsealed=unsealed,
        seals=len(seals),
        problem=problem,
    )


def _seal_problem(
    uow: UnitOfWork, tenant_id: str, seals: Sequence[Any], max_seq: int, key: Ed25519PrivateKey
) -> rules.Break | None:
    public = key.public_key()
    sealed_to = 0
    for seal in seals:
        message = rules.seal_message(tenant_id, seal.first_seq, seal.last_seq, seal.last_hash)
        if seal.first_seq != sealed_to + 1 or not rules.seal_holds(public, message, seal.signature):
            return rules.Break(
                "changed",
                seal.last_seq,
                None,
                f"The seal of records #{seal.first_seq} to #{seal.last_seq} is not the "
                "service's signature.",
            )
        sealed_to = seal.last_seq
    # Each seal's last record must still carry the hash that was signed.
    mismatch = uow.session.execute(
        text(
            "SELECT s.last_seq, r.id FROM chain_seals s LEFT JOIN visit_records r "
            "ON r.tenant_id = s.tenant_id AND r.seq = s.last_seq "
            "WHERE s.tenant_id = :t AND (r.hash IS DISTINCT FROM s.last_hash) "
            "ORDER BY s.last_seq LIMIT 1"
        ),
        {"t": tenant_id},
    ).first()
    if mismatch is not None:
        if mismatch.id is None:
            return rules.Break(
                "removed",
                mismatch.last_seq,
                None,
                f"Record #{mismatch.last_seq} was removed (the last one of a signed seal).",
            )
        return rules.Break(
            "changed",
            mismatch.last_seq,
            mismatch.id,
            f"Record {mismatch.id} at #{mismatch.last_seq} is not the record that was sealed.",
        )
    if max_seq > sealed_to:
        extra = uow.session.execute(
            text(
                "SELECT id FROM visit_records WHERE tenant_id = :t AND seq = :s ORDER BY id LIMIT 1"
            ),
            {"t": tenant_id, "s": sealed_to + 1},
        ).scalar()
        return rules.Break(
            "inserted",
            sealed_to + 1,
            extra,
            f"Record {extra} at #{sealed_to + 1} is chained after the last signed seal: it was "
            "inserted.",
        )
    return None


def public_key(key: Ed25519PrivateKey) -> dict[str, str]:
    raw = rules.public_bytes(key)
    return {
        "algorithm": "Ed25519",
        "public_key_hex": raw.hex(),
        "key_id": rules.key_id(key),
        "signed_message": "worklb-evv-seal|<tenant_id>|<first_seq>|<last_seq>|<last_hash>",
        "record_hash": "sha256(<prev_hash>|<seq>|<canonical JSON array of the record>)",
    }
