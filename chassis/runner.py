"""Run one service in its own process:

    python -m chassis.runner services.identity.service:IdentityService


SIGTERM or Ctrl-C stops it: consumers cancel, running workers may finish for
WORKLB_STOP_GRACE_SECONDS (8 s), then whatever still runs is killed, so the process is gone
within 10 s, as a cluster's rolling update expects. Work cut short is not lost: an RPC caller
gets no answer and times out; an event is redelivered, as it was not acknowledged; a
background job resumes from its lease.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import gc  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from chassis.config import Settings  # noqa: E402
from chassis.logs import configure_logging  # noqa: E402

log = logging.getLogger("chassis.runner")

# After the grace, killing takes a moment; if even that hangs (a call blocking the whole
# process), the process exits anyway this long after the grace ran out.
KILL_SECONDS = 1.5
# A real OS thread, not a green one: it fires even if the event loop is stuck.
_os_threading = eventlet.patcher.original("threading")


# The cyclic garbage collector's thresholds once a service runs (Python's: 700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 50)


def settle_garbage_collector() -> None:
    """What the service made to start (modules, mappers, schemas, compiled statements) is
    frozen out of the collector's reach, and young collections come less often: under load
    the full collections that walked all of it were pauses in the middle of requests
    (docs/PERFORMANCE.md: the punches' p99 fell from 413–417 ms to 341–359)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def load(path: str):
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


class Shutdown:
    """Stops a ServiceRunner once, within a deadline."""

    def __init__(self, runner: ServiceRunner, grace: float) -> None:
        self.runner = runner
        self.grace = grace
        self.started = False

    def __call__(self, signum=None, frame=None) -> None:
        if self.started:
            return
        self.started = True
        log.info("stopping", extra={"fields": {"grace_seconds": self.grace}})
        last_resort = _os_threading.Timer(self.grace + KILL_SECONDS, os._exit, (1,))
        last_resort.daemon = True
        last_resort.start()
        eventlet.spawn_n(self._stop)

    def _stop(self) -> None:
        try:
            with eventlet.Timeout(self.grace):
                self.runner.stop()
            return
        except eventlet.Timeout:
            log.warning(
                "workers still running after the grace; killing them",
                extra={"fields": {"grace_seconds": self.grace}},
            )
        self.runner.kill()


def serve(service_cls, settings: Settings, config: dict | None = None) -> None:
    configure_logging(service_cls.name, settings.log_level)
    settings.require_secrets()
    runner = ServiceRunner(config or settings.nameko_config(service_cls.name))
    runner.add_service(service_cls)
    shutdown = Shutdown(runner, settings.stop_grace_seconds)
    signal.signal(signal.SIGTERM, shutdown)
    runner.start()
    settle_garbage_collector()
    log.info("service started", extra={"fields": {"ops": settings.ops_address(service_cls.name)}})
    waiter = eventlet.spawn(runner.wait)
    while True:
        try:
            waiter.wait()
            break
        except KeyboardInterrupt:
            shutdown()
    log.info("service stopped")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m chassis.runner package.module:ServiceClass", file=sys.stderr)
        return 2
    serve(load(argv[0]), Settings())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
