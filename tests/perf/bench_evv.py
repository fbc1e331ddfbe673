"""EVV under load: clock-ins through the HTTP gateway from many concurrent clients, with an
authenticated read measured beside them, and the verification of a million-record chain.

1. Punches. The platform runs as in `make run` (one process per service and the gateway) on its
   own ports, database prefix and RabbitMQ vhost. A CBO is applied for and approved through the
   API; its workers' tokens are minted (tests/e2e/tokens.py) and their confirmed visits are
   written straight into EVV's database (booking is not what is measured). `--clients`
   concurrent clients each send their share of `--punches` clock-ins, and send a tenth of them
   again (a device retrying): every punch must be recorded exactly once. Meanwhile `--readers`
   clients call GET /api/v1/me (identity, through the gateway) in a loop. Each client sends
   its next request as soon as it has the answer to the last (a closed loop: the platform's
   most, and the latency of a queue of 54). Then, on fresh visits, the same clients send at a
   steady `--rate` a second in all (an open loop, as phones do: each request at its planned
   moment, its latency counted from that moment, so a platform that falls behind is charged
   for the wait). The clients hold a keep-alive connection each, through http.client
   (`--client requests` for the requests library: its own CPU a request was two thirds of the
   gateway's, on the same two cores).
2. The chain. `--records` records are seeded into one CBO's chain of a bench database
   (inserted with generate_series, then chained and signed by the real sealer in batches), and
   `ledger.domain.verify` re-checks the whole chain.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.config import SERVICE_NAMES, Settings
from chassis.context import context_data_for
from chassis.db import UnitOfWork, make_engine
from chassis.migrations import upgrade
from chassis.tokens import ACCESS, verify
from deploy.local import Platform, PlatformError, isolated_vhost
from services.evv.ledger import domain as ledger
from services.evv.ledger import rules as ledger_rules
from tests.e2e.cbos import apply_and_approve
from tests.e2e.tokens import mint_token
from tests.perf.bench_gateway import (
    caller_from_token,
    check_ports_free,
    drop_databases,
    machine,
    sign_in,
)
from tests.waiting import wait_for

GATEWAY_PORT = 18460
OPS_PORT_BASE = 18461
DATABASE_PREFIX = "worklb_bench_evv"
VHOST = "worklb_bench_evv"
SITE = (33.7701, -118.1937)


@dataclass
class Timed:
    name: str
    samples: list[float]
    elapsed: float
    errors: int = 0

    def p(self, q: int) -> float:
        return statistics.quantiles(self.samples, n=100)[q - 1] * 1000

    @property
    def rate(self) -> float:
        return len(self.samples) / self.elapsed


_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _pids_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, every core."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / _TICKS, sum(values) / _TICKS


class CpuMeter:
    """CPU seconds each platform process, the benchmark client, the PostgreSQL backends of the
    benchmark's databases (those alive at the end: pooled connections live on) and RabbitMQ
    (shared with whatever else runs) used between start() and stop():
    what a request costs in CPU, which a busy machine does not distort the way it distorts
    latency."""

    def __init__(self, processes: dict[str, int], database_url: str) -> None:
        self.processes = processes
        self.database_url = database_url

    def _backends(self) -> dict[int, float]:
        engine = make_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                pids = conn.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE datname LIKE :p"),
                    {"p": f"{DATABASE_PREFIX}%"},
                ).scalars()
                return {pid: _process_cpu(pid) for pid in pids}
        finally:
            engine.dispose()

    def _sample(self) -> dict[str, float]:
        found = {name: _process_cpu(pid) for name, pid in self.processes.items()}
        found["bench client"] = sum(os.times()[:2])
        found["rabbitmq (shared)"] = sum(_process_cpu(p) for p in _pids_named("beam.smp"))
        busy, total = _machine_busy()
        found["machine busy"], found["machine total"] = busy, total
        return found

    def start(self) -> None:
        self.backends = self._backends()
        self.before = self._sample()

    def stop(self) -> dict[str, float]:
        after = self._sample()
        used = {name: after[name] - self.before.get(name, 0.0) for name in after}
        backends = self._backends()
        used["postgresql (bench dbs)"] = sum(
            cpu - self.backends.get(pid, 0.0) for pid, cpu in backends.items()
        )
        return used


# Rows that are not the platform's own work (the broker is shared, but nothing else on this
# machine uses it as much as a run does): left out of the sum a capacity is read from.
_NOT_PLATFORM = ("bench client",)


def cpu_lines(title: str, used: dict[str, float], items: int) -> list[str]:
    """CPU milliseconds per item, busiest first, their sum, the rate two idle cores could
    serve at that cost, and how busy the whole machine was."""
    total = used.pop("machine total")
    busy = used.pop("machine busy")
    rows = sorted(used.items(), key=lambda kv: -kv[1])
    platform = sum(seconds for name, seconds in rows if name not in _NOT_PLATFORM) * 1000 / items
    lines = [
        f"{title}: CPU ms per request (machine {busy / total * 100:.0f}% busy, "
        f"{busy:.1f} of {total:.1f} core-seconds)"
    ]
    lines += [
        f"  {name:<24} {seconds * 1000 / items:7.2f} ms   ({seconds:.1f} s)"
        for name, seconds in rows
        if seconds > 0.05
    ]
    lines.append(
        f"  {'platform, broker, db':<24} {platform:7.2f} ms   "
        f"(at most {2000 / platform:.0f}/s on two idle cores)"
    )
    return lines


def _seed_visits(platform: Platform, tenant_id: str, workers: list[str], per_worker: int) -> dict:
    """Confirmed visits starting now, `per_worker` for each worker, at one site (in EVV's
    database, and their shifts in reporting's)."""
    engine = make_engine(platform.settings.database_url("evv"), poolclass=NullPool)
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    site_id, job_type_id = str(uuid.uuid4()), str(uuid.uuid4())
    visits: dict[str, list[str]] = {}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO site_records VALUES (:s, :t, :c, 'Bench site', :lat, :lon, 150, "
                "'America/Los_Angeles', now())"
            ),
            {"s": site_id, "t": tenant_id, "c": "bench-client", "lat": SITE[0], "lon": SITE[1]},
        )
        conn.execute(
            text("INSERT INTO job_type_records VALUES (:j, :t, 'care', 'Care', now())"),
            {"j": job_type_id, "t": tenant_id},
        )
        for worker in workers:
            ids = [str(uuid.uuid4()) for _ in range(per_worker)]
            visits[worker] = ids
            conn.execute(
                text(
                    "INSERT INTO shift_records SELECT v, :t, v, 'bench-client', :s, :j "
                    "FROM unnest(CAST(:ids AS varchar[])) v"
                ),
                {"t": tenant_id, "s": site_id, "j": job_type_id, "ids": ids},
            )
            conn.execute(
                text(
                    "INSERT INTO visits (id, tenant_id, shift_id, client_id, worker_id, "
                    "worker_tenant_id, starts_at, ends_at, status, no_show_suspected) "
                    "SELECT v, :t, v, 'bench-client', :w, :t, :a, :b, 'scheduled', false "
                    "FROM unnest(CAST(:ids AS varchar[])) v"
                ),
                {
                    "t": tenant_id,
                    "w": worker,
                    "a": start,
                    "b": start + timedelta(hours=4),
                    "ids": ids,
                },
            )
    engine.dispose()
    # Reporting knows the shifts, as booking's events would have told it: each clock-in is
    # then counted as in production (a visit, its day's figures, the activity), not parked.
    engine = make_engine(platform.settings.database_url("reporting"), poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO shift_records (id, tenant_id, booking_id, client_id, job_type_id, "
                "day, minutes, positions, booked_at, filled_at, cancelled) "
                "SELECT v, :t, v, 'bench-client', :j, :d, 240, 1, now(), now(), false "
                "FROM unnest(CAST(:ids AS varchar[])) v"
            ),
            {
                "t": tenant_id,
                "j": job_type_id,
                "d": start.date(),
                "ids": [v for ids in visits.values() for v in ids],
            },
        )
    engine.dispose()
    return visits


def _bodies(visits: list[str]) -> list[dict]:
    """A worker's clock-ins in sending order: a tenth of them sent twice, as a device that did
    not hear the answer would."""
    sent: list[dict] = []
    order: list[dict] = []
    for index, visit_id in enumerate(visits):
        body = {
            "id": uuid.uuid4().hex,
            "assignment_id": visit_id,
            "kind": "clock_in",
            "device_time": datetime.now(UTC).isoformat(),
            "latitude": SITE[0],
            "longitude": SITE[1],
            "accuracy_m": 5.0,
        }
        sent.append(body)
        order.append(body)
        if index % 10 == 9:
            order.append(sent[index // 2])
    return order


# Which HTTP client the load uses: "http" (http.client, one keep-alive connection a client)
# or "requests" (a requests.Session a client, what the benchmark used before).
CLIENT = {"kind": "http"}


class _Http:
    """A client's keep-alive connection to the gateway, as a phone's app holds one."""

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection: http.client.HTTPConnection | None = None

    def status(self, method: str, path: str, body: dict | None = None) -> int:
        payload = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.request(method, path, body=payload, headers=self.headers)
                answer = self.connection.getresponse()
                answer.read()
                return answer.status
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed a kept-alive connection: once more on a new one (a punch
                # is idempotent by its device id).
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _http_sender(
    url: str, token: str, method: str, path: str, expected: int, with_body: bool
) -> Callable[[], Callable[[dict], bool]]:
    def open_client() -> Callable[[dict], bool]:
        if CLIENT["kind"] == "requests":
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"

            def send_requests(body: dict) -> bool:
                answer = session.request(method, url + path, json=body if with_body else None)
                return answer.status_code == expected

            return send_requests
        client = _Http(url, token)
        return lambda body: client.status(method, path, body if with_body else None) == expected

    return open_client


def _gateway_sender(url: str, token: str) -> Callable[[], Callable[[dict], bool]]:
    return _http_sender(url, token, "POST", "/api/v1/me/visits/punches", 201, True)


# The bare-RPC clients' connections, closed when the load is over.
_OPENED: list[ClusterRpcProxy] = []


def _rpc_sender(platform: Platform, token: str) -> Callable[[], Callable[[dict], bool]]:
    """evv.punch straight over the bus, with the caller context the gateway would sign."""
    caller = caller_from_token(token, platform.env["WORKLB_JWT_SECRET"])
    context = context_data_for(caller, platform.env["WORKLB_CONTEXT_SECRET"])
    config = {"AMQP_URI": platform.settings.amqp_uri}

    def open_client() -> Callable[[dict], bool]:
        standalone = ClusterRpcProxy(config, context_data=context, timeout=30)
        proxy = standalone.start()
        _OPENED.append(standalone)

        def send(body: dict) -> bool:
            try:
                proxy.evv.punch(body=body)
            except RemoteError:
                return False
            return True

        return send

    return open_client


def _options_sender(url: str, token: str) -> Callable[[], Callable[[dict], bool]]:
    """The gateway alone: a preflight with the worker's token is verified and its session
    checked like a punch, then answered by the gateway itself (no service is called)."""

    return _http_sender(url, token, "OPTIONS", "/api/v1/me/visits/punches", 204, False)


def _load(
    name: str,
    senders: dict[str, Callable[[], Callable[[dict], bool]]],
    visits: dict[str, list[str]],
    meter: CpuMeter,
    reader: Callable[[], Callable[[dict], bool]] | None = None,
    readers: int = 0,
    rate: float | None = None,
) -> tuple[Timed, Timed | None, dict[str, float]]:
    """Every worker's client sends its bodies one after another, all clients at once;
    `readers` clients meanwhile repeat the `reader` request until the senders are done.

    Without `rate`, a client sends as soon as it has its last answer (a closed loop). With it,
    the senders' requests are planned `rate` a second in all (client after client, round
    after round) and the readers' a tenth of that; each request is sent at its planned moment
    (or at once when its client is late) and timed from that moment."""
    timings: list[float] = []
    reads: list[float] = []
    errors = [0, 0]
    lock = threading.Lock()
    done = threading.Event()
    plans = {worker: _bodies(visits[worker]) for worker in senders}
    clients = {worker: open_client() for worker, open_client in senders.items()}
    order = {worker: number for number, worker in enumerate(senders)}
    begin = [0.0]

    def due(step: int, index: int, width: int, per_second: float | None) -> float | None:
        if per_second is None:
            return None
        moment = begin[0] + (step * width + index) / per_second
        # The load's own schedule (an open loop sends at planned moments), not a wait for the
        # platform: what the platform does is timed from `moment`, however late it answers.
        time.sleep(max(0.0, moment - time.perf_counter()))
        return moment

    def client(worker: str) -> None:
        send = clients[worker]
        for step, body in enumerate(plans[worker]):
            planned = due(step, order[worker], len(senders), rate)
            before = time.perf_counter() if planned is None else planned
            ok = send(body)
            took = time.perf_counter() - before
            with lock:
                timings.append(took)
                errors[0] += not ok

    def read_loop(index: int) -> None:
        assert reader is not None
        send = reader()
        step = 0
        while not done.is_set():
            planned = due(step, index, readers, None if rate is None else rate / 10)
            step += 1
            if done.is_set():
                break
            before = time.perf_counter() if planned is None else planned
            ok = send({})
            took = time.perf_counter() - before
            with lock:
                reads.append(took)
                errors[1] += not ok

    read_threads = [threading.Thread(target=read_loop, args=(n,)) for n in range(readers)]
    threads = [threading.Thread(target=client, args=(w,)) for w in senders]
    meter.start()
    started = begin[0] = time.perf_counter()
    for thread in read_threads + threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    used = meter.stop()
    done.set()
    for thread in read_threads:
        thread.join()
    read_elapsed = time.perf_counter() - started
    read = Timed("GET /api/v1/me (gateway)", reads, read_elapsed, errors[1]) if readers else None
    return Timed(name, timings, elapsed, errors[0]), read, used


def _reader_sender(url: str, token: str) -> Callable[[], Callable[[dict], bool]]:
    return _http_sender(url, token, "GET", "/api/v1/me", 200, False)


def _can_connect(engine) -> bool:
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False


def run_punches(clients: int, punches: int, readers: int, port: int, rate: float) -> list[str]:
    base = Settings()
    check_ports_free(base.gateway_host, [port])
    check_ports_free(base.ops_host, [port + 1 + i for i in range(len(SERVICE_NAMES))])
    drop_databases(base, DATABASE_PREFIX)
    var = Path(tempfile.mkdtemp(prefix="worklb-bench-evv-"))
    lines = []
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
        ok = False
        try:
            print("preparing databases and starting the platform…", flush=True)
            email, password = platform.prepare(quiet=True)
            platform.start()
            with requests.Session() as session:
                operator = sign_in(session, platform.url, email, password)

                def api(method, path, token=None, **kwargs):
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    return session.request(method, platform.url + path, headers=headers, **kwargs)

                tenant_id = apply_and_approve(api, operator, f"bench-{uuid.uuid4().hex[:8]}")
            workers = {}
            for _ in range(clients):
                token = mint_token(
                    platform, tenant_id=tenant_id, kind="jobseeker", roles=["jobseeker"], minutes=60
                )
                workers[
                    verify(platform.env["WORKLB_JWT_SECRET"], token, token_type=ACCESS)["sub"]
                ] = token
            reader = mint_token(platform, tenant_id=tenant_id, roles=["viewer"], minutes=60)
            per_worker = punches // clients
            visits = _seed_visits(platform, tenant_id, list(workers), per_worker)
            bare_visits = _seed_visits(platform, tenant_id, list(workers), per_worker)
            paced_visits = _seed_visits(platform, tenant_id, list(workers), per_worker)
            meter = CpuMeter(
                {name: p.pid for name, p in platform.processes.items()},
                platform.settings.database_url("evv"),
            )
            print(
                f"{clients} clients sending {punches} clock-ins (+10% resent), {readers} readers…",
                flush=True,
            )
            url = platform.url
            punch, read, punch_cpu = _load(
                "POST punch (gateway)",
                {w: _gateway_sender(url, t) for w, t in workers.items()},
                visits,
                meter,
                reader=_reader_sender(url, reader),
                readers=readers,
            )
            print(f"the same at a steady {rate:g} a second…", flush=True)
            paced, paced_read, paced_cpu = _load(
                f"POST punch (gateway) at {rate:g}/s",
                {w: _gateway_sender(url, t) for w, t in workers.items()},
                paced_visits,
                meter,
                reader=_reader_sender(url, reader),
                readers=readers,
                rate=rate,
            )
            print("the same through bare RPC (evv.punch), then the gateway alone…", flush=True)
            bare, _, bare_cpu = _load(
                "bare RPC evv.punch",
                {w: _rpc_sender(platform, t) for w, t in workers.items()},
                bare_visits,
                meter,
            )
            while _OPENED:
                _OPENED.pop().stop()
            alone, _, alone_cpu = _load(
                "gateway alone (OPTIONS)",
                {w: _options_sender(url, t) for w, t in workers.items()},
                visits,
                meter,
            )
            assert read is not None and paced_read is not None
            paced_read.name = f"GET /api/v1/me at {rate / 10:g}/s"
            rows = (punch, read, paced, paced_read, bare, alone)
            for row in rows:
                print(
                    f"{row.name}: n={len(row.samples)} p50={row.p(50):.1f} ms "
                    f"p99={row.p(99):.1f} ms {row.rate:.1f}/s errors={row.errors}",
                    flush=True,
                )
            engine = make_engine(platform.settings.database_url("evv"), poolclass=NullPool)
            # The database server is shared: wait for a free connection rather than lose the run.
            wait_for(lambda: _can_connect(engine), timeout=120, interval=1, what="a connection")
            with engine.connect() as conn:
                recorded = conn.execute(
                    text("SELECT count(*) FROM visit_records WHERE tenant_id = :t"),
                    {"t": tenant_id},
                ).scalar()
                twice = conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT visit_id FROM visit_records "
                        "WHERE tenant_id = :t GROUP BY visit_id HAVING count(*) > 1) x"
                    ),
                    {"t": tenant_id},
                ).scalar()
            engine.dispose()
            platform.check_alive()
            ok = True
        finally:
            platform.stop()
            if ok:
                shutil.rmtree(var, ignore_errors=True)  # the service logs, once all went well
            else:
                print(f"service logs kept in {var / 'log'}", file=sys.stderr)
    lines.append(machine())
    lines.append(f"{'':<34} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>7}")
    for row in rows:
        lines.append(
            f"{row.name:<34} {len(row.samples):>6} {row.p(50):>8.1f} {row.p(99):>8.1f} "
            f"{row.rate:>8.1f} {row.errors:>7}"
        )
    expected = (punches // clients) * clients * 3
    lines += cpu_lines("punches through the gateway (+ 4 readers)", punch_cpu, len(punch.samples))
    lines += cpu_lines(f"the same at {rate:g}/s", paced_cpu, len(paced.samples))
    lines += cpu_lines("bare RPC evv.punch", bare_cpu, len(bare.samples))
    lines += cpu_lines("gateway alone (OPTIONS)", alone_cpu, len(alone.samples))
    lines.append(
        f"clock-ins recorded (gateway twice, bare RPC): {recorded} of {expected} distinct sent; "
        f"visits with two records: {twice}"
    )
    return lines


# What a verification cannot be faster than, on one core, measured on the same chain: reading
# every record, and recomputing every record's hash (no links, no window, no seals).
FLOORS = {
    "read every record (one query)": (
        "SELECT count(*), sum(length(id)) FROM visit_records "
        "WHERE tenant_id = :t AND seq IS NOT NULL"
    ),
    "re-hash every record (one query)": (
        "SELECT count(*) FROM visit_records WHERE tenant_id = :t AND seq IS NOT NULL "
        f"AND decode(hash, 'hex') IS DISTINCT FROM {ledger.HASH_SQL}"
    ),
}


def run_chain(records: int) -> list[str]:
    settings = Settings()
    url = settings.database_url("evv").replace(
        settings.database_name("evv"), f"{DATABASE_PREFIX}_chain_evv"
    )
    upgrade("evv", url)
    engine = make_engine(url, poolclass=NullPool)
    tenant_id = str(uuid.uuid4())
    key = ledger_rules.signing_key("bench " * 8)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO visit_records (id, tenant_id, visit_id, worker_id, record_type, kind, "
                "device_punch_id, method, device_time, server_time, delay_seconds, latitude, "
                "longitude, accuracy_m, mocked, distance_m) "
                "SELECT gen_random_uuid()::text, :t, 'v' || (i / 2), 'w' || (i % 500), 'punch', "
                "CASE WHEN i % 2 = 0 THEN 'clock_in' ELSE 'clock_out' END, :t || i, 'mobile_gps', "
                "now() - make_interval(secs => :n - i), now() - make_interval(secs => :n - i), 0, "
                "33.77 + (i % 100) * 1e-5, -118.19, 5.0, false, 1.5 "
                "FROM generate_series(1, :n) AS i"
            ),
            {"t": tenant_id, "n": records},
        )
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    with Session(engine) as session:
        uow = UnitOfWork(session, source="evv")
        while ledger.seal_tenant(uow, tenant_id=tenant_id, key=key, batch=20_000):
            uow.commit()
    sealed = time.perf_counter() - started
    # A chain of this length has been vacuumed by autovacuum many times over: the sealer's
    # updates leave a dead version of every record behind until then.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE visit_records"))
    floors: dict[str, float] = {}
    with engine.begin() as conn:
        conn.execute(text(ledger.FIXED_OUTPUT))
        for name, query in FLOORS.items():
            before = time.perf_counter()
            conn.execute(text(query), {"t": tenant_id}).all()
            floors[name] = time.perf_counter() - before
    timings: dict[str, list[float]] = {"verification, one query": [], "verification": []}
    busy_before = _machine_busy()
    for _ in range(3):
        for name, parts in (("verification, one query", 1), ("verification", None)):
            with Session(engine) as session:
                uow = UnitOfWork(session, source="evv")
                before = time.perf_counter()
                found = ledger.verify(uow, tenant_id=tenant_id, key=key, parts=parts)
                timings[name].append(time.perf_counter() - before)
                assert found.intact and found.records == records, found
    busy_after = _machine_busy()
    busy = (busy_after[0] - busy_before[0]) / (busy_after[1] - busy_before[1])
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM visit_records WHERE tenant_id = :t"), {"t": tenant_id})
        conn.execute(text("DELETE FROM chain_seals WHERE tenant_id = :t"), {"t": tenant_id})
        conn.execute(text("DELETE FROM chain_heads WHERE tenant_id = :t"), {"t": tenant_id})
    engine.dispose()
    return [
        f"chain of {records:,} records: seeded in {seeded:.1f} s, sealed in {sealed:.1f} s "
        f"({records / sealed:,.0f} records/s)",
        *(f"  floor, {name}: {seconds:.2f} s" for name, seconds in floors.items()),
        *(
            f"  {name}: " + ", ".join(f"{t:.2f} s" for t in runs) + f" (best {min(runs):.2f} s)"
            for name, runs in timings.items()
        ),
        f"  machine {busy * 100:.0f}% busy during the verifications",
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf evv", description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--punches", type=int, default=5000)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=GATEWAY_PORT)
    parser.add_argument("--rate", type=float, default=200.0, help="punches a second, paced")
    parser.add_argument("--client", choices=("http", "requests"), default="http")
    parser.add_argument("--only", choices=("punches", "chain"), default=None)
    args = parser.parse_args(argv)
    lines: list[str] = []
    try:
        if args.only in (None, "punches"):
            CLIENT["kind"] = args.client
            lines += run_punches(args.clients, args.punches, args.readers, args.port, args.rate)
            print("\n".join(lines), flush=True)
        if args.only in (None, "chain"):
            found = run_chain(args.records)
            print("\n".join(found), flush=True)
            lines += found
    except PlatformError as exc:
        print(f"cannot run the benchmark: {exc}", file=sys.stderr)
        return 1
    return 0
