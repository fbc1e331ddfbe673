"""From a confirmation deadline to the next offer: 1,000 offers whose deadlines fall in the same
second, with one rebooking instance and then with three.

The platform runs as in `make run` on its own ports, database prefix and RabbitMQ vhost (and
a loopback SMTP server for the job seekers' sign-up). The market is made through the API
(tests/e2e/rebooking_load.py): a licensed CBO whose client prefers Ana, then Bo; 1,000 shifts
offered to Zed by named bookings. Round one moves Zed's 1,000 deadlines to one second (in
booking and in rebooking's timers: no route makes a deadline sooner) and waits until Ana is
offered every shift; round two, with two more rebooking instances started, does the same with
Ana's deadlines, and Bo is offered. Each round starts when every queue is quiet
(the market's own offers handled). Three figures per shift, from the deadline:

- "next offer committed" (the goal's figure): when the next offer could first be read in
  booking's database, that is, its transaction had committed. A thread of this process
  reads the next worker's offers every 10 ms (from just before the deadline); an offer's time
  is the end of the first read that saw it (late by up to one read and its interval, never
  early).
- "next offer written": booking's `created_at` of the offer (the batch path stamps its offers
  when it writes them, its commit some statements later; one at a time, `created_at` is the
  transaction's start).
- "offer.sent out": when the offer's event left booking's outbox (the relay's `published_at`,
  stamped once the broker has taken its batch), the moment a worker could hear of it.

Beside them, in the same run, the floor: one bare `expire_offer` RPC (on an offer already
ended: the shift's lock, the key's lookup, the answer), sequential, through nameko from this
process as rebooking's system, and the same as a one-item `expire_offers` (the sweep's call).

Each round also prints counts per 1,000 deadlines, which a busy machine does not blur: the
RPCs booking and identity answered, the statements booking, identity and rebooking sent to
their databases (their first instance's /metrics), and the CPU seconds each process used
(/proc), counted once every queue is quiet. `--booking-instances N` runs booking as N
processes. With WORKLB_BENCH_REBOOKING_PROFILE=<file>, py-spy samples booking in round one
(WORKLB_BENCH_REBOOKING_PROFILE_SERVICES=booking,rebooking: those services, to <file>.<service>).

    python -m tests.perf rebooking [--shifts 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from chassis.config import SERVICE_NAMES, Settings
from chassis.context import Caller, context_data_for
from deploy.local import Platform, PlatformError, isolated_vhost
from tests.e2e import rebooking_load as load
from tests.perf.bench_gateway import (
    Result,
    check_ports_free,
    drop_databases,
    machine,
    measure,
    table,
)
from tests.smtp import start_smtp
from tests.waiting import wait_for

GATEWAY_PORT = int(os.environ.get("WORKLB_BENCH_REBOOKING_PORT", "18360"))
OPS_PORT_BASE = GATEWAY_PORT + 1
# Another session running the same benchmark on this machine sets its own.
DATABASE_PREFIX = os.environ.get("WORKLB_BENCH_REBOOKING_PREFIX", "worklb_bench_rebooking")
VHOST = DATABASE_PREFIX
GOAL_P99_MS = 1000.0
# With a path, `py-spy record` samples booking during round one into it (collapsed stacks).
PROFILE = os.environ.get("WORKLB_BENCH_REBOOKING_PROFILE", "")
# The services sampled (the first instance of each): booking's samples go to PROFILE, the
# others' to PROFILE.<service>.
PROFILED = os.environ.get("WORKLB_BENCH_REBOOKING_PROFILE_SERVICES", "booking").split(",")
# Counted per round from the services' /metrics (their first instance's): the RPCs booking
# and identity answered and the statements each sent to its database.
COUNTED_RPCS = (
    ("booking", "expire_offer"),
    ("booking", "expire_offers"),
    ("booking", "offer_next"),
    ("identity", "eligible_jobseekers"),
)
COUNTED_SERVICES = ("booking", "identity", "rebooking")


def api_for(url: str):
    session = requests.Session()

    def call(method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return session.request(method, url + path, headers=headers, timeout=60, **kwargs)

    return call


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / tick


def scrape(service: str) -> dict[str, float]:
    """The counters of a service's first instance that the rounds report."""
    port = OPS_PORT_BASE + SERVICE_NAMES.index(service)
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("worklb_db_statements_total{"):
            found["statements"] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("worklb_events_handled_total{"):
            found["events"] = found.get("events", 0.0) + float(line.rsplit(" ", 1)[1])
        elif line.startswith("worklb_requests_total{") and 'kind="rpc"' in line:
            entrypoint = line.split('entrypoint="', 1)[1].split('"', 1)[0]
            found[entrypoint] = found.get(entrypoint, 0.0) + float(line.rsplit(" ", 1)[1])
    return found


def wait_until_idle(pids: list[int], timeout: float = 120) -> None:
    """Until the processes use under 5 % of a core over each of two half-seconds in a row."""
    calm = {"runs": 0, "cpu": cpu_seconds(pids)}

    def idle() -> bool:
        used = cpu_seconds(pids)
        calm["runs"] = calm["runs"] + 1 if used - calm["cpu"] < 0.025 else 0
        calm["cpu"] = used
        return calm["runs"] >= 2

    wait_for(idle, timeout=timeout, interval=0.5, what="the new instances to settle")


def counts(platform, extra) -> dict[str, float]:
    """CPU seconds per process group, RPCs answered and statements sent, so far."""
    procs = platform.processes
    bookings = [p.pid for name, p in procs.items() if name.split("-")[0] == "booking"]
    found: dict[str, float] = {
        "cpu booking": cpu_seconds(bookings),
        "cpu identity": cpu_seconds([procs["identity"].pid]),
        "cpu rebooking": cpu_seconds([procs["rebooking"].pid] + [p.pid for p in extra]),
        "cpu notifications": cpu_seconds([procs["notifications"].pid]),
        "cpu all platform": cpu_seconds([p.pid for p in procs.values()] + [p.pid for p in extra]),
    }
    for service in COUNTED_SERVICES:
        scraped = scrape(service)
        found[f"statements {service}"] = scraped.get("statements", 0.0)
        found[f"events handled {service}"] = scraped.get("events", 0.0)
        for owner, rpc in COUNTED_RPCS:
            if owner == service:
                found[f"rpc {service}.{rpc}"] = scraped.get(rpc, 0.0)
    return found


def print_counts(name: str, before: dict[str, float], after: dict[str, float], shifts: int):
    print(f"  {name}: per 1,000 deadlines (counts from the services, CPU from /proc)", flush=True)
    for key in after:
        spent = (after[key] - before.get(key, 0.0)) * 1000 / shifts
        unit = "s" if key.startswith("cpu") else ""
        print(f"    {key:<40} {spent:>10.1f}{unit}", flush=True)


def a_round(
    platform,
    tenant_id: str,
    offer_ids: list[str],
    next_worker: str,
    name: str,
    shifts: int,
    extra=(),
    profile: str = "",
) -> tuple[Result, Result, Result]:
    """Move the offers' deadlines to one second and time each shift's next offer: when booking
    made it (its created_at) and when its offer.sent left booking's outbox (published_at)."""
    deadline = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    load.due_at(platform, offer_ids, deadline)
    before = counts(platform, extra)
    visible = VisibleOffers(platform, tenant_id, next_worker, shifts)
    visible.start()
    spies = [
        subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(platform.processes[service].pid),
                "--output",
                profile if service == "booking" else f"{profile}.{service}",
                "--rate",
                "50",
                "--nonblocking",
                "--format",
                "raw",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for service in (PROFILED if profile else ())
    ]
    started = time.perf_counter()
    wait_for(
        lambda: len(load.offers_by_shift(platform, tenant_id, next_worker)) == shifts,
        timeout=900,
        interval=0.2,
        what=f"{shifts} next offers",
    )
    wait_for(
        lambda: len(load.offers_published(platform, tenant_id, next_worker)) == shifts,
        timeout=300,
        interval=0.2,
        what=f"{shifts} offer.sent published",
    )
    visible.join(60)
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
    # The events that follow the offers (offer.sent to rebooking and notifications, the
    # reliability entries…) are part of the work per deadline: counted once all are handled.
    load.wait_until_quiet(platform)
    after = counts(platform, extra)
    made = load.offers_by_shift(platform, tenant_id, next_worker)
    samples = sorted((created - deadline).total_seconds() for _, created in made.values())
    published = load.offers_published(platform, tenant_id, next_worker)
    sent = sorted((at - deadline).total_seconds() for at in published.values())
    committed = sorted((at - deadline).total_seconds() for at in visible.seen.values())
    if len(committed) != shifts:
        raise RuntimeError(f"the poller saw {len(committed)} of {shifts} offers")
    last = max(committed)
    print(f"  {name}: last offer committed {last:.2f} s after the deadline", flush=True)
    print_counts(name, before, after, shifts)
    wall = max(last, time.perf_counter() - started - 3, 1e-3)
    return (
        Result(f"{name} committed", tuple(committed), wall),
        Result(f"{name} written", tuple(samples), wall),
        Result(name.replace("next offer", "offer.sent out"), tuple(sent), wall),
    )


class VisibleOffers(threading.Thread):
    """Reads the worker's offers every 10 ms until `expected` are there (or `timeout` seconds
    have passed): when each could first be read (booking's transaction committed), at the end
    of the read that first saw it. Started before the deadline: no offer to the worker can be
    there sooner."""

    INTERVAL = 0.01

    def __init__(self, platform, tenant_id: str, worker_id: str, expected: int, timeout=900.0):
        super().__init__(daemon=True)
        self.engine = load.db(platform, "booking")
        self.tenant_id, self.worker_id, self.expected = tenant_id, worker_id, expected
        self.timeout = timeout
        self.seen: dict[str, datetime] = {}
        self.pause = threading.Event()  # never set: its wait is the interval between reads

    def run(self) -> None:
        query = text("SELECT id FROM offers WHERE tenant_id = :t AND worker_id = :w")
        arguments = {"t": self.tenant_id, "w": self.worker_id}
        give_up = time.monotonic() + self.timeout
        with self.engine.connect() as conn:
            while len(self.seen) < self.expected and time.monotonic() < give_up:
                ids = conn.execute(query, arguments).scalars().all()
                conn.rollback()
                at = datetime.now(UTC)
                for offer_id in ids:
                    self.seen.setdefault(offer_id, at)
                self.pause.wait(self.INTERVAL)


def bare_expire(platform, offer_ids: list[str], n: int, batch: bool = False) -> Result:
    """The floor: expire_offer on offers already ended, one after another (rebooking's system);
    with `batch`, expire_offers with one such offer (what the sweep's batches cost besides
    their items)."""
    settings = platform.settings
    caller = Caller.system(service="rebooking")
    context = context_data_for(caller, platform.env["WORKLB_CONTEXT_SECRET"])
    config = {"AMQP_URI": settings.amqp_uri}
    ids = iter(offer_ids * (1 + (n + 10) // max(len(offer_ids), 1)))
    with ClusterRpcProxy(config, context_data=context, timeout=settings.rpc_timeout) as proxy:

        def call() -> None:
            key = f"bench-{uuid.uuid4().hex}"
            if batch:
                proxy.booking.expire_offers(items=[{"offer_id": next(ids), "idempotency_key": key}])
            else:
                proxy.booking.expire_offer(offer_id=next(ids), idempotency_key=key)

        name = "floor: bare expire_offers RPC" if batch else "floor: bare expire_offer RPC"
        return measure(name, call, n, warmup=10)


def run(shifts: int, booking_instances: int = 1) -> list[Result]:
    base = Settings()
    check_ports_free(base.gateway_host, [GATEWAY_PORT])
    check_ports_free(base.ops_host, [OPS_PORT_BASE + i for i in range(len(SERVICE_NAMES))])
    drop_databases(base, DATABASE_PREFIX)
    var = Path(tempfile.mkdtemp(prefix="worklb-bench-rebooking-"))
    ok = False
    controller, smtp = start_smtp()
    try:
        with isolated_vhost(base, VHOST) as amqp_uri:
            env = {
                "WORKLB_GATEWAY_PORT": str(GATEWAY_PORT),
                "WORKLB_OPS_PORT_BASE": str(OPS_PORT_BASE),
                "WORKLB_DATABASE_PREFIX": DATABASE_PREFIX,
                "WORKLB_LOG_LEVEL": "WARNING",
                "WORKLB_AMQP_URI": amqp_uri,
                "WORKLB_SMTP_PORT": str(smtp.port),
                "WORKLB_OPERATOR_EMAIL": f"bench-{uuid.uuid4().hex[:12]}@worklb.local",
                # Counts of RPCs and statements come from the first instance only.
                "WORKLB_BOOKING_INSTANCES": str(booking_instances),
            }
            platform = Platform(env=env, var=var)
            extra = []
            try:
                print("preparing databases and starting the platform…", flush=True)
                email, password = platform.prepare(quiet=True)
                platform.start()
                api = api_for(platform.url)
                signed_in = api(
                    "POST", "/api/v1/auth/token", json={"email": email, "password": password}
                )
                signed_in.raise_for_status()
                operator = signed_in.json()["access_token"]
                print(f"making the market: {shifts} shifts offered to Zed…", flush=True)
                started = time.perf_counter()
                market = load.a_load_market(
                    api, smtp, platform, operator, shifts=shifts, also_bo=True
                )
                print(f"  made in {time.perf_counter() - started:.0f} s", flush=True)
                tenant_id = market["cbo"]["id"]
                ana, bo = market["ana"]["id"], market["bo"]["id"]
                # The market's own offers are handled first (notifications, rebooking's timers).
                load.wait_until_quiet(platform)
                print("round 1: one rebooking instance…", flush=True)
                one, one_written, one_sent = a_round(
                    platform,
                    tenant_id,
                    market["zed_offers"],
                    ana,
                    f"deadline -> next offer, 1 instance ({shifts} at once)",
                    shifts,
                    profile=PROFILE,
                )
                ana_offers = load.offers_of(platform, tenant_id, ana)
                wait_for(
                    lambda: load.timers(platform, ana_offers) == shifts,
                    timeout=120,
                    what="rebooking to keep Ana's deadlines",
                )
                extra = load.more_rebooking(platform, 2)
                load.wait_for_instances(platform, 3)
                # Started is not settled: a new process spends a few CPU-seconds after it
                # consumes (imports, first statements), on the cores the round needs.
                wait_until_idle([p.pid for p in extra])
                print("round 2: three rebooking instances…", flush=True)
                three, three_written, three_sent = a_round(
                    platform,
                    tenant_id,
                    ana_offers,
                    bo,
                    f"deadline -> next offer, 3 instances ({shifts} at once)",
                    shifts,
                    extra,
                )
                counts = load.offer_counts(platform, tenant_id)
                assert max(counts.values()) == 1, "an offer was made twice"
                print("measuring the floor…", flush=True)
                load.wait_until_quiet(platform)
                floor = bare_expire(platform, market["zed_offers"], 200)
                batch_floor = bare_expire(platform, market["zed_offers"], 200, batch=True)
                platform.check_alive()
            finally:
                load.stop(extra)
                platform.stop()
        ok = True
        return [one, three, one_written, three_written, one_sent, three_sent, floor, batch_floor]
    finally:
        controller.stop()
        if ok:
            shutil.rmtree(var, ignore_errors=True)
        else:
            print(f"service logs kept in {var / 'log'}", file=sys.stderr)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf rebooking", description=__doc__)
    parser.add_argument("--shifts", type=int, default=1000, help="offers due in the same second")
    parser.add_argument(
        "--booking-instances", type=int, default=1, help="booking processes (RPC counts: the first)"
    )
    args = parser.parse_args(argv)
    try:
        results = run(args.shifts, args.booking_instances)
    except PlatformError as exc:
        print(f"cannot run the benchmark: {exc}", file=sys.stderr)
        return 1
    print()
    print(machine())
    print(table(results))
    for result in results[:6]:
        met = "met" if result.p99_ms < GOAL_P99_MS else "NOT met"
        print(
            f"{result.name}: p99 {result.p99_ms:.0f} ms, max {max(result.samples) * 1000:.0f} ms; "
            f"goal p99 < {GOAL_P99_MS:.0f} ms: {met}"
        )
    return 0
