"""Several EVV instances side by side: their sealers run at once on committed punches of one
CBO (each on its own connection, as two processes would) and the chain stays whole, every
record chained once. Unlike the other domain tests this one commits (sealers on separate
connections only see committed rows), in a CBO of its own that it deletes afterwards."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from chassis.db import UnitOfWork
from services.evv.ledger import domain as ledger
from services.evv.ledger import rules

KEY = rules.signing_key("two sealers share one key, as every instance does")


def test_two_sealers_at_once_keep_one_whole_chain(domain_engine):
    engine = domain_engine("evv")
    tenant_id = f"sealers-{uuid.uuid4().hex[:8]}"
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO visit_records (id, tenant_id, visit_id, worker_id, record_type, "
                    "kind, device_punch_id, method, device_time, server_time, delay_seconds, "
                    "mocked) SELECT gen_random_uuid()::text, :t, 'v' || i, :t, 'punch', "
                    "'clock_in', :t || i, 'mobile_gps', now(), now() + make_interval(secs => i), "
                    "0, false FROM generate_series(1, 5000) AS i"
                ),
                {"t": tenant_id},
            )
        sealed: list[int] = []

        def sealer() -> None:
            while True:
                with Session(engine) as session:
                    uow = UnitOfWork(session, source="evv")
                    done = ledger.seal_tenant(uow, tenant_id=tenant_id, key=KEY, batch=300)
                    uow.commit()
                sealed.append(done)
                remaining = _unsealed(engine, tenant_id)
                if not remaining:
                    return

        workers = [threading.Thread(target=sealer) for _ in range(3)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert sum(sealed) == 5000
        with Session(engine) as session:
            found = ledger.verify(UnitOfWork(session, source="evv"), tenant_id=tenant_id, key=KEY)
        assert found.intact and found.records == 5000 and found.unsealed == 0, found
    finally:
        with engine.begin() as conn:
            for table in ("visit_records", "chain_seals", "chain_heads"):
                conn.execute(text(f"DELETE FROM {table} WHERE tenant_id = :t"), {"t": tenant_id})


def _unsealed(engine, tenant_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM visit_records WHERE tenant_id = :t AND seq IS NULL"),
            {"t": tenant_id},
        ).scalar()
