"""Search for one shift among 20,000 and 100,000 approved job seekers of one CBO: POST
/api/v1/worker-search through the HTTP gateway (staff, who also get the left-out workers and
their reasons, and once more with the counts per reason; and a client user, who gets the
ranking only), beside the same SQL statement run bare against PostgreSQL, in the same run.

The platform runs as in `make run` on its own ports, database prefix and RabbitMQ vhost. Each
population belongs to a fresh CBO made through tenancy's API; its workers, their availability,
ZIPs around Long Beach, sources, scores, ratings and some assignments are written straight
into booking's database with COPY (one helper, `seed`), as booking's read model would hold
them. Calls are sequential: this measures latency, not capacity.

    python -m tests.perf search [--sizes 20000,100000] [--requests 200] [--warmup 20]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg2
import requests
import zipcodes
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.config import SERVICE_NAMES, Settings
from chassis.db import UnitOfWork, make_engine
from deploy.local import Platform, PlatformError, isolated_vhost
from services.booking.jobtypes.models import JobType
from services.booking.search import domain, rules
from services.booking.sites.models import Site
from services.booking.workers import rules as worker_rules
from tests.e2e.tokens import mint_token, staff_token
from tests.perf.bench_gateway import Result, check_ports_free, drop_databases, machine, measure
from tests.perf.bench_import import new_cbo

# Overridable, as the rebooking benchmark's, when another run holds the ports.
GATEWAY_PORT = int(os.environ.get("WORKLB_BENCH_SEARCH_PORT", "18600"))
OPS_PORT_BASE = GATEWAY_PORT + 1
DATABASE_PREFIX = "worklb_bench_search"
VHOST = "worklb_bench_search"
LONG_BEACH = "America/Los_Angeles"
GOAL_P99_MS = 150.0

# The shift searched for: Tuesday 1 December 2026, 09:00-13:00 in Long Beach (in term).
SHIFT_DATE = datetime(2026, 12, 1)
SHIFT_START = SHIFT_DATE.replace(hour=9)
SHIFT_END = SHIFT_DATE.replace(hour=13)
WEEKDAYS = worker_rules.WEEKDAYS

ZIPS = [
    (z["zip_code"], float(z["lat"]), float(z["long"]))
    for z in zipcodes.filter_by(city="Long Beach", state="CA")
    if z["zip_code_type"] == "STANDARD"
]


# -- the population ----------------------------------------------------------------------------


def _availability(rnd: random.Random) -> dict[str, Any]:
    """A realistic spread: office hours, mornings, evenings, weekends, or a few slots a week."""
    kind = rnd.random()

    def days(names, start, end):
        return {d: [{"start": start, "end": end}] for d in names}

    if kind < 0.30:
        weekly = days(WEEKDAYS[:5], "08:00", "17:00")
    elif kind < 0.45:
        weekly = days(WEEKDAYS, "06:00", "12:00")
    elif kind < 0.60:
        weekly = days(WEEKDAYS, "16:00", "23:00")
    elif kind < 0.70:
        weekly = days(WEEKDAYS[5:], "07:00", "20:00")
    else:
        weekly = {}
        for day in rnd.sample(list(WEEKDAYS), rnd.randint(1, 5)):
            start = rnd.randrange(5, 18)
            end = min(24, start + rnd.choice([3, 4, 6, 8]))
            weekly[day] = [{"start": f"{start:02d}:00", "end": f"{end:02d}:00"}]
    exceptions = []
    if rnd.random() < 0.05:
        day = SHIFT_DATE.date() + timedelta(days=rnd.randrange(-2, 3))
        exceptions.append({"date": day.isoformat(), "kind": "unavailable", "slots": []})
    return {"weekly": weekly, "exceptions": exceptions}


def _copy(cur, table: str, columns: list[str], rows: list[list[Any]]) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_cell(v) for v in row) + "\n")
    buffer.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _cell(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list):
        return "{" + ",".join(value) + "}"
    if isinstance(value, dict):
        return json.dumps(value).replace("\\", "\\\\")
    return str(value)


def seed(dsn: str, *, tenant_id: str, workers: int, seed_value: int = 7) -> dict[str, str]:
    """A CBO's market in booking's database: the CBO, a client, a site downtown, a job type
    that needs approval, two worker sources, `workers` approved job seekers (ZIPs around Long
    Beach, availability, 5% with a date exception near the shift), 500 other shifts with
    assignments for about a tenth of the workers, reliability scores for 60% and some client
    favourites and blocks. Returns the ids a search needs."""
    rnd = random.Random(seed_value)
    zone = ZoneInfo(LONG_BEACH)
    client_id, site_id, job_type_id = (str(uuid.uuid4()) for _ in range(3))
    student, capped = str(uuid.uuid4()), str(uuid.uuid4())
    # COPY cannot run under psycogreen's wait callback (chassis.db installs it); the seeding
    # may block this process, so it runs without, and the callback comes back after.
    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO cbo_records (tenant_id, slug, name, timezone, status) "
                "VALUES (%s, %s, 'Bench CBO', %s, 'active') ON CONFLICT (tenant_id) DO NOTHING",
                (tenant_id, f"bench-{tenant_id[:8]}", LONG_BEACH),
            )
            cur.execute(
                "INSERT INTO client_records (id, tenant_id, name, active) "
                "VALUES (%s, %s, %s, true)",
                (client_id, tenant_id, "Port of Long Beach"),
            )
            cur.execute(
                "INSERT INTO sites (id, tenant_id, client_id, name, address_line1, city, state, "
                "zip, latitude, longitude, geofence_radius_m, timezone, active) VALUES "
                "(%s, %s, %s, 'Pier J', '1 World Trade Center', 'Long Beach', 'CA', '90802', "
                "33.7706, -118.182, 150, %s, true)",
                (site_id, tenant_id, client_id, LONG_BEACH),
            )
            cur.execute(
                "INSERT INTO job_types (id, tenant_id, key, name, description, required_skills, "
                "needs_approval, pay_rate_cents, bill_rate_cents, min_shift_minutes, "
                "requirements, active) VALUES (%s, %s, 'warehouse', 'Warehouse', '', "
                "ARRAY['safety']::varchar[], true, 2000, 2800, 60, '', true)",
                (job_type_id, tenant_id),
            )
            terms = json.dumps([{"starts_on": "2026-09-01", "ends_on": "2026-12-18"}])
            cur.execute(
                "INSERT INTO source_records (id, tenant_id, name, weekly_cap_minutes, terms, "
                "active) VALUES (%s, %s, 'City College', 840, %s, true), "
                "(%s, %s, 'Youth programme', 1200, '[]', true)",
                (student, tenant_id, terms, capped, tenant_id),
            )
            worker_rows, day_rows, worker_ids = [], [], []
            for n in range(workers):
                worker_id = str(uuid.uuid4())
                worker_ids.append(worker_id)
                availability = _availability(rnd)
                zip_code, lat, lon = rnd.choice(ZIPS)
                home = rnd.random() > 0.03
                source = rnd.choices([None, student, capped], [75, 20, 5])[0]
                worker_rows.append(
                    [
                        worker_id,
                        tenant_id,
                        f"Worker {n:06d}",
                        True,
                        rnd.random() < 0.01,
                        True,
                        ["warehouse"] if rnd.random() < 0.8 else ["cleaning"],
                        ["safety"] if rnd.random() < 0.9 else ["cpr"],
                        ["en"],
                        zip_code if home else None,
                        lat + rnd.uniform(-0.01, 0.01) if home else None,
                        lon + rnd.uniform(-0.01, 0.01) if home else None,
                        source,
                        "{"
                        + ",".join(
                            f"[{a},{b})" for a, b in worker_rules.weekly_minutes(availability)
                        )
                        + "}",
                    ]
                )
                for on_date, minutes in worker_rules.day_minutes(availability).items():
                    ranges = "{" + ",".join(f"[{a},{b})" for a, b in minutes) + "}"
                    day_rows.append([worker_id, on_date.isoformat(), tenant_id, ranges])
            # The scores first: a worker's row takes its score when written (migration
            # booking_0030), as after a vacuum; written after, each copy would leave a dead row
            # version of the whole table behind in one transaction, a bloat production's
            # one-at-a-time HOT updates do not have.
            _copy(
                cur,
                "reliability_scores",
                ["worker_id", "tenant_id", "score", "active_points", "completed_shifts"],
                [
                    [w, tenant_id, round(rnd.uniform(40, 100), 1), 0.0, rnd.randint(0, 40)]
                    for w in worker_ids
                    if rnd.random() < 0.6
                ],
            )
            _copy(
                cur,
                "workers",
                [
                    "id",
                    "tenant_id",
                    "name",
                    "approved",
                    "suspended",
                    "active",
                    "job_types",
                    "skills",
                    "languages",
                    "home_zip",
                    "latitude",
                    "longitude",
                    "source_id",
                    "weekly_minutes",
                ],
                worker_rows,
            )
            _copy(cur, "worker_days", ["worker_id", "on_date", "tenant_id", "minutes"], day_rows)
            # Other shifts in the weeks around the searched one, and their assignments.
            booking_id = str(uuid.uuid4())
            cur.execute(
                "INSERT INTO bookings (id, tenant_id, client_id, site_id, job_type_id, "
                "starts_local, ends_local, timezone, positions, fill_mode, notes, requirements, "
                "pay_rate_cents, bill_rate_cents, status, created_by_kind) VALUES "
                "(%s, %s, %s, %s, %s, '2026-11-23T08:00:00', '2026-11-23T12:00:00', %s, 1, "
                "'open', '', '', 2000, 2800, 'active', 'staff')",
                (booking_id, tenant_id, client_id, site_id, job_type_id, LONG_BEACH),
            )
            shifts, shift_rows = [], []
            for _ in range(500):
                shift_id = str(uuid.uuid4())
                start = datetime(2026, 11, 23, tzinfo=zone) + timedelta(
                    hours=rnd.randrange(0, 21 * 24)
                )
                end = start + timedelta(hours=rnd.choice([3, 4, 6, 8]))
                shifts.append((shift_id, start, end))
                shift_rows.append(
                    [
                        shift_id,
                        tenant_id,
                        booking_id,
                        client_id,
                        site_id,
                        job_type_id,
                        start.isoformat(),
                        end.isoformat(),
                        100,
                        0,
                        "open",
                        False,
                        {},
                    ]
                )
            _copy(
                cur,
                "shifts",
                [
                    "id",
                    "tenant_id",
                    "booking_id",
                    "client_id",
                    "site_id",
                    "job_type_id",
                    "starts_at",
                    "ends_at",
                    "positions",
                    "filled",
                    "status",
                    "late_cancellation",
                    "fill_state",
                ],
                shift_rows,
            )
            assignment_rows, offer_rows = [], []
            for worker_id in rnd.sample(worker_ids, workers // 10):
                for shift_id, start, end in rnd.sample(shifts, rnd.randint(1, 3)):
                    status = rnd.choice(["booked", "booked", "completed", "cancelled"])
                    assignment_rows.append(
                        [
                            str(uuid.uuid4()),
                            tenant_id,
                            shift_id,
                            worker_id,
                            tenant_id,
                            client_id,
                            start.isoformat(),
                            end.isoformat(),
                            status,
                            False,
                        ]
                    )
            for worker_id in rnd.sample(worker_ids, workers // 50):
                shift_id, start, end = rnd.choice(shifts)
                offer_rows.append(
                    [
                        str(uuid.uuid4()),
                        tenant_id,
                        shift_id,
                        worker_id,
                        tenant_id,
                        start.isoformat(),
                        end.isoformat(),
                        "sent",
                        "ranking",
                        start.isoformat(),
                    ]
                )
            _copy(
                cur,
                "assignments",
                [
                    "id",
                    "tenant_id",
                    "shift_id",
                    "worker_id",
                    "worker_tenant_id",
                    "client_id",
                    "starts_at",
                    "ends_at",
                    "status",
                    "late",
                ],
                assignment_rows,
            )
            _copy(
                cur,
                "offers",
                [
                    "id",
                    "tenant_id",
                    "shift_id",
                    "worker_id",
                    "worker_tenant_id",
                    "starts_at",
                    "ends_at",
                    "status",
                    "channel",
                    "deadline_at",
                ],
                offer_rows,
            )
            _copy(
                cur,
                "client_preferences",
                ["id", "tenant_id", "client_id", "worker_id", "rating"],
                [
                    [str(uuid.uuid4()), tenant_id, client_id, w, rating]
                    for w, rating in zip(
                        rnd.sample(worker_ids, 70),
                        ["favourite"] * 50 + ["blocked"] * 20,
                        strict=True,
                    )
                ],
            )
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    finally:
        conn.close()
        psycopg2.extensions.set_wait_callback(callback)
    return {"client_id": client_id, "site_id": site_id, "job_type_id": job_type_id}


def search_body(ids: dict[str, str]) -> dict[str, Any]:
    return {
        **ids,
        "date": SHIFT_DATE.date().isoformat(),
        "start_time": "09:00",
        "end_time": "13:00",
        "per_page": 50,
    }


# -- measuring -------------------------------------------------------------------------------


def bare_statement(
    url: str, tenant_id: str, ids: dict[str, str], *, staff: bool = True, counted: bool = False
) -> Callable[[], Any]:
    """The search's SQL statement, as domain.search builds it for staff (`counted`: with the
    counts per reason) or a client user, to run bare."""
    engine = make_engine(url, poolclass=NullPool)
    session = Session(engine)
    uow = UnitOfWork(session, source="booking")
    job_type = session.get(JobType, ids["job_type_id"])
    site = session.get(Site, ids["site_id"])
    assert job_type is not None and site is not None
    windows = rules.occurrences(SHIFT_START, SHIFT_END, None, LONG_BEACH)
    context = domain._context(
        uow,
        tenant_id=tenant_id,
        job_type=job_type,
        site=site,
        client_id=ids["client_id"],
        windows=windows,
    )
    statement, params = domain._statement(
        context,
        all_of_own=staff,
        include_partners=False,
        tier=None,
        exclude=[],
        limit=50,
        offset=0,
        excluded_limit=50 if staff else 0,
        excluded_offset=0,
        count_reasons=counted,
    )
    connection = engine.connect()
    connection.execute(text(f"SET work_mem = '{domain.SEARCH_WORK_MEM}'"))

    def call() -> Any:
        return connection.execute(statement, params).one()

    call.connection = connection  # type: ignore[attr-defined]
    call.explain = lambda: "\n".join(  # type: ignore[attr-defined]
        r[0]
        for r in connection.execute(
            text("EXPLAIN (ANALYZE, BUFFERS) " + statement.text).bindparams(
                *statement._bindparams.values()
            ),
            params,
        )
    )
    session.close()
    return call


def bench_http(
    session: requests.Session, url: str, token: str, body: dict, name: str, n: int, warmup: int
) -> Result:
    headers = {"Authorization": f"Bearer {token}"}

    def call() -> None:
        answer = session.post(f"{url}/api/v1/worker-search", json=body, headers=headers, timeout=30)
        if answer.status_code != 200:
            raise RuntimeError(f"the search answered {answer.status_code}: {answer.text[:300]}")

    return measure(name, call, n, warmup)


def table(rows: list[tuple[int, Result, int]]) -> str:
    head = (
        f"{'workers':>8} {'':<38} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} "
        f"{'eligible':>9}"
    )
    lines = [head, "-" * len(head)]
    for size, r, eligible in rows:
        lines.append(
            f"{size:>8} {r.name:<38} {r.n:>5} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
            f"{r.mean_ms:>8.2f} {eligible:>9}"
        )
    return "\n".join(lines)


def run(sizes: list[int], n: int, warmup: int, explain: bool) -> list[tuple[int, Result, int]]:
    base = Settings()
    check_ports_free(base.gateway_host, [GATEWAY_PORT])
    check_ports_free(base.ops_host, [OPS_PORT_BASE + i for i in range(len(SERVICE_NAMES))])
    drop_databases(base, DATABASE_PREFIX)
    var = Path(tempfile.mkdtemp(prefix="worklb-bench-search-"))
    ok = False
    rows: list[tuple[int, Result, int]] = []
    try:
        with isolated_vhost(base, VHOST) as amqp_uri:
            env = {
                "WORKLB_GATEWAY_PORT": str(GATEWAY_PORT),
                "WORKLB_OPS_PORT_BASE": str(OPS_PORT_BASE),
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
                booking_url = platform.settings.database_url("booking")
                dsn = booking_url.replace("postgresql+psycopg2://", "postgresql://")
                with requests.Session() as session:
                    operator = session.post(
                        f"{platform.url}/api/v1/auth/token",
                        json={"email": email, "password": password},
                        timeout=30,
                    )
                    operator.raise_for_status()
                    operator_token = operator.json()["access_token"]
                    for size in sizes:
                        tenant_id, _slug = new_cbo(session, platform.url, operator_token)
                        print(f"writing {size} job seekers…", flush=True)
                        started = time.perf_counter()
                        ids = seed(dsn, tenant_id=tenant_id, workers=size)
                        print(f"  written in {time.perf_counter() - started:.1f} s", flush=True)
                        body = search_body(ids)
                        staff = staff_token(platform, tenant_id, ["scheduler"])
                        client = mint_token(
                            platform,
                            tenant_id=tenant_id,
                            kind="client",
                            roles=["client"],
                            cid=ids["client_id"],
                            minutes=60,
                        )
                        first = session.post(
                            f"{platform.url}/api/v1/worker-search",
                            json=body,
                            headers={"Authorization": f"Bearer {staff}"},
                            timeout=30,
                        ).json()
                        eligible = first["eligible"]["total"]
                        bare = bare_statement(booking_url, tenant_id, ids)
                        print(f"measuring {n} searches each ({warmup} warm-up)…", flush=True)
                        rows.append(
                            (
                                size,
                                bench_http(
                                    session,
                                    platform.url,
                                    staff,
                                    body,
                                    "gateway POST worker-search, staff",
                                    n,
                                    warmup,
                                ),
                                eligible,
                            )
                        )
                        rows.append(
                            (
                                size,
                                bench_http(
                                    session,
                                    platform.url,
                                    staff,
                                    {**body, "count_reasons": True},
                                    "gateway POST ..., staff, by reason",
                                    n,
                                    warmup,
                                ),
                                eligible,
                            )
                        )
                        rows.append(
                            (
                                size,
                                bench_http(
                                    session,
                                    platform.url,
                                    client,
                                    body,
                                    "gateway POST worker-search, client",
                                    n,
                                    warmup,
                                ),
                                eligible,
                            )
                        )
                        rows.append(
                            (size, measure("bare SQL statement (staff)", bare, n, warmup), eligible)
                        )
                        counted = bare_statement(booking_url, tenant_id, ids, counted=True)
                        rows.append(
                            (
                                size,
                                measure(
                                    "bare SQL statement (staff, by reason)", counted, n, warmup
                                ),
                                eligible,
                            )
                        )
                        counted.connection.close()  # type: ignore[attr-defined]
                        bare_client = bare_statement(booking_url, tenant_id, ids, staff=False)
                        rows.append(
                            (
                                size,
                                measure("bare SQL statement (client)", bare_client, n, warmup),
                                eligible,
                            )
                        )
                        bare_client.connection.close()  # type: ignore[attr-defined]
                        if explain:
                            print(bare.explain())  # type: ignore[attr-defined]
                        bare.connection.close()  # type: ignore[attr-defined]
                platform.check_alive()
            finally:
                platform.stop()
        ok = True
        return rows
    finally:
        if ok:
            shutil.rmtree(var, ignore_errors=True)
        else:
            print(f"service logs kept in {var / 'log'}", file=sys.stderr)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf search", description=__doc__)
    parser.add_argument("--sizes", default="20000,100000", help="job seekers, comma-separated")
    parser.add_argument("--requests", type=int, default=200, help="timed searches per row")
    parser.add_argument("--warmup", type=int, default=20, help="untimed searches first")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE too")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.requests < 2:
        parser.error("--requests must be at least 2")
    try:
        rows = run(sizes, args.requests, args.warmup, args.explain)
    except PlatformError as exc:
        print(f"cannot run the benchmark: {exc}", file=sys.stderr)
        return 1
    print()
    print(machine())
    print(table(rows))
    for size in sizes:
        mine = [r for s, r, _ in rows if s == size]
        staff, counted, client, bare, bare_counted, bare_client = mine
        for who, http, sql in (
            ("staff", staff, bare),
            ("staff, by reason", counted, bare_counted),
            ("client", client, bare_client),
        ):
            print(
                f"{size} workers, {who}: gateway/bare p50 {http.p50_ms / sql.p50_ms:.2f}x, "
                f"p99 {http.p99_ms / sql.p99_ms:.2f}x; goal p99 < {GOAL_P99_MS:.0f} ms: "
                f"{'met' if http.p99_ms < GOAL_P99_MS else 'NOT met'}"
            )
    return 0
