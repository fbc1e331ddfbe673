"""The KPI dashboard through the gateway over a million shift records, for one CBO and for
every CBO (the platform operator), beside the bare rollup queries in the same run.

The platform runs as in `make run` on its own ports, database prefix and RabbitMQ vhost. The
CBOs are applied for and approved through the API; their history is then written straight
into reporting's database (events would take hours): `--shifts` shift records for one CBO
over three years (`shift_records`, with a worker, job type, source and client each), and
`--others` smaller CBOs with `--other-shifts` each, and the rollups those shifts make
(daily rollups and totals, workers' weeks and months) computed from them by SQL, as the
event handlers would have upserted them. Then `--requests` sequential GET /api/v1/reports/kpis
for a random week (and month) of the big CBO as its owner, and the same for the operator over
every CBO, beside `dashboards.domain.kpis` called in-process (the same queries, no gateway)
and the bare sum of `daily_totals` for one period.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import requests
from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.config import SERVICE_NAMES, Settings
from chassis.db import UnitOfWork, make_engine
from deploy.local import Platform, PlatformError, isolated_vhost
from services.reporting.dashboards import domain as dashboards
from services.reporting.dashboards import rules
from tests.e2e.cbos import apply_and_approve
from tests.e2e.tokens import mint_token
from tests.perf.bench_gateway import check_ports_free, machine, sign_in

GATEWAY_PORT = int(os.environ.get("WORKLB_BENCH_REPORTING_PORT", "18540"))
DATABASE_PREFIX = "worklb_bench_rp"
VHOST = "worklb_bench_rp"
FIRST_DAY = date(2024, 1, 1)
DAYS = 3 * 365

# One CBO's history: shift i on day i % DAYS, by one of `workers`, job type, source, client
# drawn at random; 4 hours each; a tenth cancelled, 85 % filled, 3 % no-shows.
SEED_SHIFTS = """
CREATE TEMP TABLE bench_shifts ON COMMIT DROP AS
SELECT i,
       CAST(:first AS date) + (i % :days) AS day,
       'wk-' || floor(random() * :workers)::int AS worker_id,
       'jt-' || floor(random() * 20)::int AS job_type_id,
       'src-' || floor(random() * 3)::int AS source_id,
       'cl-' || floor(random() * 100)::int AS client_id,
       random() AS luck
FROM generate_series(1, :n) AS i;

INSERT INTO shift_records (id, tenant_id, booking_id, client_id, job_type_id, day, minutes,
                           positions, booked_at, filled_at, cancelled)
SELECT gen_random_uuid()::text, :t, 'bk', client_id, job_type_id, day, 240, 1,
       day - 7, CASE WHEN luck < 0.85 THEN day - 6 END, luck > 0.9
FROM bench_shifts;

INSERT INTO daily_rollups (tenant_id, day, job_type_id, source_id, client_id, shifts_booked,
    minutes_booked, shifts_cancelled, shifts_filled, fill_minutes, places_completed,
    minutes_worked, no_shows, late_cancellations, cascades_started, cascades_completed,
    cascades_exhausted, visits, visits_with_exceptions, gross_cents)
SELECT :t, day, job_type_id, source_id, client_id, count(*), 240 * count(*),
       count(*) FILTER (WHERE luck > 0.9), count(*) FILTER (WHERE luck < 0.85),
       1440 * count(*) FILTER (WHERE luck < 0.85),
       count(*) FILTER (WHERE luck < 0.82), 240 * count(*) FILTER (WHERE luck < 0.82),
       count(*) FILTER (WHERE luck BETWEEN 0.82 AND 0.85),
       count(*) FILTER (WHERE luck > 0.98), count(*) FILTER (WHERE luck > 0.95),
       count(*) FILTER (WHERE luck > 0.97), count(*) FILTER (WHERE luck > 0.995),
       count(*) FILTER (WHERE luck < 0.82), count(*) FILTER (WHERE luck < 0.05),
       8000 * count(*) FILTER (WHERE luck < 0.82)
FROM bench_shifts GROUP BY day, job_type_id, source_id, client_id;

INSERT INTO worker_periods (tenant_id, period, starts_on, worker_id, job_type_id, source_id,
                            shifts, minutes, gross_cents)
SELECT :t, period, starts_on, worker_id, job_type_id, max(source_id), count(*), 240 * count(*),
       8000 * count(*)
FROM (
    SELECT 'week' AS period, CAST(date_trunc('week', day) AS date) AS starts_on, worker_id,
           job_type_id, source_id FROM bench_shifts WHERE luck < 0.82
    UNION ALL
    SELECT 'month', CAST(date_trunc('month', day) AS date), worker_id, job_type_id, source_id
    FROM bench_shifts WHERE luck < 0.82
) AS worked
GROUP BY period, starts_on, worker_id, job_type_id;
"""

ACTIVE = """
INSERT INTO active_counts (tenant_id, period, starts_on, active)
SELECT tenant_id, period, starts_on, count(DISTINCT worker_id)
FROM worker_periods WHERE shifts > 0 GROUP BY tenant_id, period, starts_on
"""

TOTALS = """
INSERT INTO daily_totals (tenant_id, day, registered, approved, shifts_booked, minutes_booked,
    shifts_cancelled, shifts_filled, fill_minutes, places_completed, minutes_worked, no_shows,
    late_cancellations, cascades_started, cascades_completed, cascades_exhausted, visits,
    visits_with_exceptions, gross_cents)
SELECT tenant_id, day, sum(registered), sum(approved), sum(shifts_booked), sum(minutes_booked),
       sum(shifts_cancelled), sum(shifts_filled), sum(fill_minutes), sum(places_completed),
       sum(minutes_worked), sum(no_shows), sum(late_cancellations), sum(cascades_started),
       sum(cascades_completed), sum(cascades_exhausted), sum(visits),
       sum(visits_with_exceptions), sum(gross_cents)
FROM daily_rollups GROUP BY tenant_id, day
"""

BARE_SUM = (
    "SELECT day, sum(shifts_booked), sum(shifts_filled), sum(minutes_worked), sum(gross_cents) "
    "FROM daily_totals WHERE {scope} day >= :a AND day < :b GROUP BY day"
)


def _seed(url: str, tenant_id: str, shifts: int, workers: int) -> float:
    engine = make_engine(url, poolclass=NullPool)
    started = time.perf_counter()
    with engine.begin() as conn:
        for statement in SEED_SHIFTS.split(";\n"):
            if statement.strip():
                conn.execute(
                    text(statement),
                    {
                        "t": tenant_id,
                        "n": shifts,
                        "days": DAYS,
                        "first": FIRST_DAY,
                        "workers": workers,
                    },
                )
    engine.dispose()
    return time.perf_counter() - started


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[98] * 1000, statistics.fmean(samples) * 1000


def _timed(call: Callable[[], object], requests_: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(requests_):
        before = time.perf_counter()
        call()
        samples.append(time.perf_counter() - before)
    return samples


def _days(kind: str) -> Callable[[], date]:
    # Any day of the history whose comparisons are inside it too.
    def pick() -> date:
        return FIRST_DAY + timedelta(days=random.randrange(70, DAYS))

    return pick


def run(
    shifts: int, others: int, other_shifts: int, requests_: int, warmup: int, port: int
) -> list[str]:
    base = Settings()
    check_ports_free(base.gateway_host, [port])
    check_ports_free(base.ops_host, [port + 1 + i for i in range(len(SERVICE_NAMES))])
    var = Path(tempfile.mkdtemp(prefix="worklb-bench-reporting-"))
    rows: list[tuple[str, list[float], str]] = []
    counted: dict[str, int] = {}
    with isolated_vhost(base, VHOST) as amqp_uri:
        env = {
            "WORKLB_GATEWAY_PORT": str(port),
            "WORKLB_OPS_PORT_BASE": str(port + 1),
            "WORKLB_DATABASE_PREFIX": DATABASE_PREFIX,
            "WORKLB_LOG_LEVEL": "WARNING",
            "WORKLB_AMQP_URI": amqp_uri,
            "WORKLB_OPERATOR_EMAIL": f"bench-{uuid.uuid4().hex[:12]}@worklb.local",
        }
        platform = Platform(env=env, var=var)
        try:
            print("preparing databases and starting the platform…", flush=True)
            email, password = platform.prepare(quiet=True)
            platform.start()
            session = requests.Session()
            operator = sign_in(session, platform.url, email, password)

            def api(method, path, token=None, **kwargs):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                return session.request(method, platform.url + path, headers=headers, **kwargs)

            big = apply_and_approve(api, operator, f"bench-{uuid.uuid4().hex[:8]}")
            small = [
                apply_and_approve(api, operator, f"bench-{uuid.uuid4().hex[:8]}")
                for _ in range(others)
            ]
            owner = mint_token(platform, tenant_id=big, roles=["owner"], minutes=120)
            url = platform.settings.database_url("reporting")
            print(
                f"seeding {shifts:,} shifts of one CBO and {others} x {other_shifts:,}…", flush=True
            )
            engine = make_engine(url, poolclass=NullPool)
            with engine.begin() as conn:  # a run before this one left its rows
                conn.execute(
                    text(
                        "TRUNCATE shift_records, daily_rollups, daily_totals, worker_periods, "
                        "active_counts"
                    )
                )
            seeded = _seed(url, big, shifts, 3000)
            for tenant_id in small:
                seeded += _seed(url, tenant_id, other_shifts, 300)
            with engine.begin() as conn:
                conn.execute(text(TOTALS))
                conn.execute(text(ACTIVE))
                conn.execute(text("ANALYZE"))
                for table in ("shift_records", "daily_rollups", "daily_totals", "worker_periods"):
                    counted[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            print(f"seeded in {seeded:.0f} s: {counted}", flush=True)

            for kind in ("week", "month"):
                pick = _days(kind)
                for who, token, params in (
                    ("one CBO", owner, {}),
                    ("platform-wide", operator, {}),
                ):

                    def call(token=token, params=params, kind=kind, pick=pick) -> None:
                        answer = api(
                            "GET",
                            "/api/v1/reports/kpis",
                            token,
                            params={"period": kind, "day": pick().isoformat(), **params},
                        )
                        assert answer.status_code == 200, answer.text

                    rows.append((f"gateway {who} {kind}", _timed(call, requests_, warmup), ""))
                    tenant = big if who == "one CBO" else None
                    queries = [0]
                    with Session(engine) as db:
                        uow = UnitOfWork(db, source="reporting")

                        def count(*_args, queries=queries) -> None:
                            queries[0] += 1

                        event.listen(engine, "before_cursor_execute", count)

                        def direct(tenant=tenant, kind=kind, pick=pick, uow=uow) -> None:
                            dashboards.kpis(
                                uow, tenant_id=tenant, period=rules.period_of(kind, pick())
                            )

                        samples = _timed(direct, requests_, warmup)
                        event.remove(engine, "before_cursor_execute", count)
                        per_call = queries[0] / (requests_ + warmup)
                        rows.append(
                            (f"in-process {who} {kind}", samples, f"{per_call:.0f} queries/call")
                        )

                        scope = "tenant_id = :t AND" if tenant else ""

                        def bare(scope=scope, tenant=tenant, kind=kind, pick=pick, db=db) -> None:
                            period = rules.period_of(kind, pick())
                            db.execute(
                                text(BARE_SUM.format(scope=scope)),
                                {"t": tenant, "a": period.starts_on, "b": period.ends_on},
                            ).all()

                        rows.append((f"bare sum {who} {kind}", _timed(bare, requests_, warmup), ""))
            engine.dispose()
            platform.check_alive()
        finally:
            platform.stop()
    lines = [machine(), f"rows: {counted}"]
    lines.append(f"{'':<32} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, samples, note in rows:
        p50, p99, mean = _percentiles(samples)
        lines.append(f"{name:<32} {len(samples):>5} {p50:>8.1f} {p99:>8.1f} {mean:>8.1f} {note}")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf reporting", description=__doc__)
    parser.add_argument("--shifts", type=int, default=1_000_000)
    parser.add_argument("--others", type=int, default=9)
    parser.add_argument("--other-shifts", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--port", type=int, default=GATEWAY_PORT)
    args = parser.parse_args(argv)
    try:
        lines = run(
            args.shifts, args.others, args.other_shifts, args.requests, args.warmup, args.port
        )
    except PlatformError as exc:
        print(f"cannot run the benchmark: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines), flush=True)
    return 0
