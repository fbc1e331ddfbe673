"""Run one service in its own process:

    python -m chassis.runner services.identity.service:IdentityService


Ctrl-C or SIGTERM stops it gracefully (running workers finish, consumers cancel).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from chassis.config import Settings  # noqa: E402
from chassis.logs import configure_logging  # noqa: E402

log = logging.getLogger("chassis.runner")


def load(path: str):
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def serve(service_cls, settings: Settings, config: dict | None = None) -> None:
    configure_logging(service_cls.name, settings.log_level)
    settings.require_secrets()
    runner = ServiceRunner(config or settings.nameko_config(service_cls.name))
    runner.add_service(service_cls)

    def shutdown(signum, frame):
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    runner.start()
    log.info("service started", extra={"fields": {"ops": settings.ops_address(service_cls.name)}})
    waiter = eventlet.spawn(runner.wait)
    while True:
        try:
            waiter.wait()
            break
        except KeyboardInterrupt:
            eventlet.spawn_n(runner.stop)
    log.info("service stopped")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m chassis.runner package.module:ServiceClass", file=sys.stderr)
        return 2
    serve(load(argv[0]), Settings())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
