"""What the gateway adds to a call: GET /api/v1/me through the HTTP gateway against a bare
nameko RPC to the same method (identity.whoami), measured in the same run.

The platform runs as in `make run` (one process per service and one for the gateway) but on
its own ports, database prefix and RabbitMQ vhost, so it never meets a developer's platform
or the test suite. Calls are sequential: this measures latency, not capacity.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from chassis.config import SERVICE_NAMES, Settings
from chassis.context import Caller, context_data_for
from chassis.tokens import ACCESS, verify
from deploy.local import Platform, PlatformError, isolated_vhost

GATEWAY_PORT = 18400
OPS_PORT_BASE = 18401
DATABASE_PREFIX = "worklb_bench"
VHOST = "worklb_bench"

GATEWAY_ROW = "gateway GET /api/v1/me"
RPC_ROW = "bare RPC identity.whoami"


@dataclass(frozen=True)
class Result:
    name: str
    samples: tuple[float, ...]  # seconds per call, in call order
    elapsed: float  # wall time of the whole measured loop, seconds

    @property
    def n(self) -> int:
        return len(self.samples)

    def percentile(self, p: int) -> float:
        # quantiles(n=100) gives the 99 cut points p1..p99.
        return statistics.quantiles(self.samples, n=100)[p - 1]

    @property
    def p50_ms(self) -> float:
        return self.percentile(50) * 1000

    @property
    def p99_ms(self) -> float:
        return self.percentile(99) * 1000

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.samples) * 1000

    @property
    def throughput(self) -> float:
        return self.n / self.elapsed


def measure(name: str, call: Callable[[], Any], n: int, warmup: int) -> Result:
    """Time `n` sequential calls of `call`, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    samples: list[float] = []
    started = time.perf_counter()
    for _ in range(n):
        before = time.perf_counter()
        call()
        samples.append(time.perf_counter() - before)
    return Result(name, tuple(samples), time.perf_counter() - started)


def check_ports_free(host: str, ports: list[int]) -> None:
    """Refuse to start if something already listens where the benchmark's platform will."""
    busy = []
    for port in ports:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                busy.append(port)
    if busy:
        raise PlatformError(f"ports already in use on {host}: {busy} (a benchmark still running?)")


def drop_databases(base: Settings, prefix: str) -> None:
    """A benchmark's databases of an earlier run, dropped: each run adds its CBOs and their
    rows, and would otherwise measure larger tables than the last (each run measures the same
    fresh platform)."""
    url = base.database_url_template.format(name="postgres")
    conn = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    conn.autocommit = True
    with conn.cursor() as cur:
        for service in SERVICE_NAMES:
            cur.execute(f'DROP DATABASE IF EXISTS "{prefix}_{service}" WITH (FORCE)')
    conn.close()


def sign_in(session: requests.Session, url: str, email: str, password: str) -> str:
    response = session.post(
        f"{url}/api/v1/auth/token", json={"email": email, "password": password}, timeout=10
    )
    response.raise_for_status()
    return response.json()["access_token"]


def caller_from_token(token: str, jwt_secret: str) -> Caller:
    """The caller the gateway would build from this access token (gateway.service)."""
    claims = verify(jwt_secret, token, token_type=ACCESS)
    return Caller(
        kind=claims["kind"],
        user_id=claims["sub"],
        tenant_id=claims.get("tid"),  # None for the operator
        roles=tuple(claims.get("roles", ())),
        permissions=frozenset(claims.get("perms", ())),
    )


def bench_gateway(session: requests.Session, url: str, token: str, n: int, warmup: int) -> Result:
    session.headers["Authorization"] = f"Bearer {token}"

    def call() -> None:
        response = session.get(f"{url}/api/v1/me", timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"GET /api/v1/me answered {response.status_code}: {response.text}")

    return measure(GATEWAY_ROW, call, n, warmup)


def bench_rpc(platform: Platform, caller: Caller, n: int, warmup: int) -> Result:
    settings = platform.settings
    context = context_data_for(caller, platform.env["WORKLB_CONTEXT_SECRET"])
    config = {"AMQP_URI": settings.amqp_uri}
    with ClusterRpcProxy(config, context_data=context, timeout=settings.rpc_timeout) as proxy:
        # One checked call: a wrong context would make the service answer as if anonymous.
        me = proxy.identity.whoami()
        if me.get("user_id") != caller.user_id:
            raise RuntimeError(f"identity.whoami answered for somebody else: {me}")
        return measure(RPC_ROW, proxy.identity.whoami, n, warmup)


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        memory = f", {kib / 2**20:.1f} GiB RAM"
    python = sys.version.split()[0]
    return f"machine: nproc={cores}{memory}, Python {python} ({sys.platform})"


def table(results: list[Result]) -> str:
    head = f"{'':<26} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'req/s':>8}"
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r.name:<26} {r.n:>6} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.mean_ms:>8.2f}"
            f" {r.throughput:>8.0f}"
        )
    return "\n".join(lines)


def run(n: int, warmup: int) -> list[Result]:
    base = Settings()
    check_ports_free(base.gateway_host, [GATEWAY_PORT])
    check_ports_free(base.ops_host, [OPS_PORT_BASE + i for i in range(len(SERVICE_NAMES))])
    var = Path(tempfile.mkdtemp(prefix="worklb-bench-"))
    ok = False
    try:
        with isolated_vhost(base, VHOST) as amqp_uri:
            env = {
                "WORKLB_GATEWAY_PORT": str(GATEWAY_PORT),
                "WORKLB_OPS_PORT_BASE": str(OPS_PORT_BASE),
                "WORKLB_DATABASE_PREFIX": DATABASE_PREFIX,
                "WORKLB_LOG_LEVEL": "WARNING",
                "WORKLB_AMQP_URI": amqp_uri,
                # The bench databases outlive the temp dir that holds the generated operator
                # password, so each run makes its own operator account.
                "WORKLB_OPERATOR_EMAIL": f"bench-{uuid.uuid4().hex[:12]}@worklb.local",
            }
            platform = Platform(env=env, var=var)
            try:
                print("preparing databases and starting the platform…", flush=True)
                email, password = platform.prepare(quiet=True)
                platform.start()
                with requests.Session() as session:
                    token = sign_in(session, platform.url, email, password)
                    caller = caller_from_token(token, platform.env["WORKLB_JWT_SECRET"])
                    print(f"measuring {n} calls each (after {warmup} warm-up calls)…", flush=True)
                    results = [
                        bench_gateway(session, platform.url, token, n, warmup),
                        bench_rpc(platform, caller, n, warmup),
                    ]
                platform.check_alive()
            finally:
                platform.stop()
        ok = True
        return results
    finally:
        if ok:
            shutil.rmtree(var, ignore_errors=True)
        else:
            print(f"service logs kept in {var / 'log'}", file=sys.stderr)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="timed calls per row")
    parser.add_argument("--warmup", type=int, default=200, help="untimed calls first")
    args = parser.parse_args(argv)
    if args.requests < 2:
        parser.error("--requests must be at least 2")
    try:
        results = run(args.requests, args.warmup)
    except PlatformError as exc:
        print(f"cannot run the benchmark: {exc}", file=sys.stderr)
        return 1
    gateway, rpc = results
    print()
    print(machine())
    print(table(results))
    print(
        f"ratio gateway/RPC: p50 {gateway.p50_ms / rpc.p50_ms:.2f}x, "
        f"p99 {gateway.p99_ms / rpc.p99_ms:.2f}x"
    )
    return 0
