"""Prometheus metrics every service exposes on its ops port (/metrics)."""

from __future__ import annotations

import time

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "worklb_requests_total",
    "Entrypoint calls handled, by outcome.",
    ["service", "entrypoint", "kind", "outcome"],
)
LATENCY = Histogram(
    "worklb_request_seconds",
    "Time spent in an entrypoint.",
    ["service", "entrypoint", "kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_HANDLED = Counter(
    "worklb_events_handled_total",
    "Events handled, by outcome (ok, duplicate, retried, deferred, dead_lettered).",
    ["service", "handler", "outcome"],
)
EVENTS_PUBLISHED = Counter(
    "worklb_events_published_total",
    "Events relayed from the outbox to the broker.",
    ["service", "event_type"],
)
OUTBOX_LAG = Gauge(
    "worklb_outbox_lag_seconds",
    "Age of the oldest event still waiting in the outbox.",
    ["service"],
)
OUTBOX_PENDING = Gauge(
    "worklb_outbox_pending",
    "Events waiting in the outbox.",
    ["service"],
)
# Statements sent to the service's database (counts, not timings: cheap enough to keep on;
# the benchmarks report them per item, which a busy machine does not blur).
DB_STATEMENTS = Counter(
    "worklb_db_statements_total",
    "SQL statements sent to the service's database.",
    ["service"],
)
DEAD_LETTERS = Gauge(
    "worklb_dead_letters",
    "Dead-lettered events not yet replayed.",
    ["service"],
)


def entrypoint_kind(entrypoint) -> str:
    name = type(entrypoint).__name__.lower()
    for kind in ("rpc", "event", "http", "timer"):
        if kind in name:
            return kind
    return name


class Metrics(DependencyProvider):
    """Counts and times every worker of the service; injects nothing useful."""

    def __init__(self) -> None:
        self.started: dict = {}

    def worker_setup(self, worker_ctx) -> None:
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started = self.started.pop(worker_ctx, None)
        entrypoint = worker_ctx.entrypoint
        labels = (self.container.service_name, entrypoint.method_name, entrypoint_kind(entrypoint))
        if started is not None:
            LATENCY.labels(*labels).observe(time.perf_counter() - started)
        REQUESTS.labels(*labels, "error" if exc_info else "ok").inc()

    def worker_teardown(self, worker_ctx) -> None:
        self.started.pop(worker_ctx, None)

    def get_dependency(self, worker_ctx) -> None:
        return None
