"""The chain of each CBO's punches and corrections: sealing (in batches, in order, by one
instance at a time per CBO) and verification.

Punches are written at once with no chain position, so concurrent punches of one CBO never
wait for each other; the sealer (a timer on every instance) takes a CBO's unsealed records
under a transaction-level advisory lock for that CBO (another instance skips it), chains them
after the CBO's head in server-time order, and signs the batch.

A record's canonical text is built by PostgreSQL (CANONICAL), both when sealing and when
verifying, so the verification recomputes every hash in the database, in one pass over the
chain (in ranges at once for a long one), and returns only the first record that does not fit.
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


# One pass over a range of a CBO's chain (every record with `seq` from :low to :high; no
# bound where one is NULL), in chain order, re-checking three things of each record at once:
# its stored hash against the one recomputed from its content now (PostgreSQL recomputes every
# hash: the costly part of a verification, a few microseconds a record), its prev_hash against
# the stored hash of the record before it, and its step from that record's seq (1 in a whole
# chain). The record before the range's first is looked up by the index (the genesis before the
# chain's first). Answers the range's first changed record and its first unlinked one (with
# what is wrong with it), and how many records it holds.
_RANGE = f"""
WITH before AS (
    SELECT seq, hash FROM visit_records
    WHERE tenant_id = :t AND seq < :low AND CAST(:low AS bigint) IS NOT NULL
    ORDER BY seq DESC, id DESC LIMIT 1
), checked AS (
    SELECT seq, id,
           decode(hash, 'hex') IS NOT DISTINCT FROM {HASH_SQL} AS intact,
           prev_hash = coalesce(
               lag(hash) OVER w, (SELECT hash FROM before), CAST(:genesis AS varchar)
           ) AS linked,
           seq - coalesce(lag(seq) OVER w, (SELECT seq FROM before), 0) AS step
    FROM visit_records
    WHERE tenant_id = :t AND seq IS NOT NULL
      AND (CAST(:low AS bigint) IS NULL OR seq >= :low)
      AND (CAST(:high AS bigint) IS NULL OR seq <= :high)
    WINDOW w AS (ORDER BY seq, id)
)
SELECT count(*) AS records,
       (array_agg(seq ORDER BY seq, id) FILTER (WHERE NOT intact))[1] AS changed_seq,
       (array_agg(id ORDER BY seq, id) FILTER (WHERE NOT intact))[1] AS changed_id,
       (array_agg(seq ORDER BY seq, id) FILTER (WHERE NOT linked OR step <> 1))[1]
           AS unlinked_seq,
       (array_agg(id ORDER BY seq, id) FILTER (WHERE NOT linked OR step <> 1))[1]
           AS unlinked_id,
       (array_agg(linked ORDER BY seq, id) FILTER (WHERE NOT linked OR step <> 1))[1]
           AS unlinked_linked,
       (array_agg(step ORDER BY seq, id) FILTER (WHERE NOT linked OR step <> 1))[1]
           AS unlinked_step
FROM checked
"""
# A chain longer than this is checked in PARTS ranges at once, each on its own connection
# (PostgreSQL runs one query on one core).
PARALLEL_FROM = 100_000
PARTS = 4


@dataclass(frozen=True)
class _Suspect:
    seq: int
    record_id: str
    linked: bool = True
    step: int = 1


@dataclass(frozen=True)
class _Scan:
    records: int
    changed: _Suspect | None
    unlinked: _Suspect | None


def ranges_of(max_seq: int, parts: int) -> list[tuple[int | None, int | None]]:
    """`parts` ranges of positions 1..max_seq in order, the first open below and the last open
    above (a record put at position 0, or past the last, falls in them too)."""
    step = max_seq // parts + 1
    lows = list(range(1, max_seq + 1, step)) or [1]
    bounds: list[tuple[int | None, int | None]] = [
        (low, min(low + step - 1, max_seq)) for low in lows
    ]
    bounds[0] = (None, bounds[0][1])
    bounds[-1] = (bounds[-1][0], None)
    return bounds


def _scan_range(conn: Any, tenant_id: str, low: int | None, high: int | None) -> _Scan:
    row = conn.execute(
        text(_RANGE),
        {"t": tenant_id, "low": low, "high": high, "genesis": rules.GENESIS},
    ).one()
    changed = None if row.changed_seq is None else _Suspect(row.changed_seq, row.changed_id)
    unlinked = (
        None
        if row.unlinked_seq is None
        else _Suspect(row.unlinked_seq, row.unlinked_id, row.unlinked_linked, row.unlinked_step)
    )
    return _Scan(row.records, changed, unlinked)


def _scan(uow: UnitOfWork, tenant_id: str, max_seq: int, parts: int | None = None) -> _Scan:
    """The whole chain checked in one pass: in ranges at once on connections of their own for
    a long chain (the records are append-only); within a test's transaction, the ranges one
    after another in it. The first changed and the first unlinked record of the first range
    that has one."""
    bind = uow.session.get_bind()
    if parts is None:
        parts = PARTS if max_seq >= PARALLEL_FROM and isinstance(bind, Engine) else 1
    bounds = ranges_of(max_seq, parts)
    if not isinstance(bind, Engine) or parts == 1:
        connection = uow.session.connection()
        scans = [_scan_range(connection, tenant_id, low, high) for low, high in bounds]
    else:
        found: list[Any] = [None] * len(bounds)

        def check(index: int, low: int | None, high: int | None) -> None:
            with bind.begin() as conn:
                conn.execute(text(FIXED_OUTPUT))
                found[index] = _scan_range(conn, tenant_id, low, high)

        workers = [
            threading.Thread(target=check, args=(i, low, high))
            for i, (low, high) in enumerate(bounds)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if any(scan is None for scan in found):
            raise RuntimeError("a range of the chain could not be checked")
        scans = found
    return _Scan(
        records=sum(scan.records for scan in scans),
        changed=next((scan.changed for scan in scans if scan.changed), None),
        unlinked=next((scan.unlinked for scan in scans if scan.unlinked), None),
    )


def _first_link_broken(scan: _Scan) -> rules.Link | None:
    changed, unlinked = scan.changed, scan.unlinked
    if changed is None and unlinked is None:
        return None
    if unlinked is None or (changed is not None and changed.seq < unlinked.seq):
        assert changed is not None
        return rules.Link(
            seq=changed.seq, record_id=changed.record_id, intact=False, linked=True, step=1
        )
    return rules.Link(
        seq=unlinked.seq,
        record_id=unlinked.record_id,
        intact=not (changed is not None and changed.record_id == unlinked.record_id),
        linked=bool(unlinked.linked),
        step=unlinked.step,
    )


def verify(
    uow: UnitOfWork, *, tenant_id: str, key: Ed25519PrivateKey, parts: int | None = None
) -> Verification:
    """Re-check a CBO's whole chain: every record's hash from its content now, every link, no
    gap, every seal's signature and hash, and nothing chained after the last seal. One pass
    over the records (`_scan`), in PARTS ranges at once for a long chain (`parts` sets how
    many)."""
    session = uow.session
    session.execute(text(FIXED_OUTPUT))
    # Both from indexes: the chain's last position, and the records not sealed yet.
    counts = session.execute(
        text(
            "SELECT (SELECT max(seq) FROM visit_records WHERE tenant_id = :t), "
            "(SELECT count(*) FROM visit_records WHERE tenant_id = :t AND seq IS NULL)"
        ),
        {"t": tenant_id},
    ).one()
    max_seq, unsealed = counts[0] or 0, counts[1]
    seals = session.execute(
        select(Seal.first_seq, Seal.last_seq, Seal.last_hash, Seal.signature)
        .where(Seal.tenant_id == tenant_id)
        .order_by(Seal.last_seq)
    ).all()
    scan = _scan(uow, tenant_id, max_seq, parts)
    link = _first_link_broken(scan)
    problem = rules.first_break(link) if link is not None else None
    if problem is None:
        problem = _seal_problem(uow, tenant_id, seals, max_seq, key)
    return Verification(
        intact=problem is None,
        records=scan.records,
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
        "record_hash": "sha256(<prev_hash>|<seq>|<the record's row text: PostgreSQL's "
        "ROW(id, visit_id, worker_id, record_type, kind, device_punch_id, method, device_time, "
        "server_time, delay_seconds, latitude, longitude, accuracy_m, mocked, distance_m, "
        "corrects_record_id, reason_code, action_code, comment, entered_by)::text with "
        "TimeZone UTC, DateStyle ISO and extra_float_digits 1>)",
    }
