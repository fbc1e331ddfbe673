"""JSON logs that carry the correlation id of the request or event being handled."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

import eventlet.patcher

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
service_name_var: ContextVar[str | None] = ContextVar("service_name", default=None)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "service": service_name_var.get() or self.service,
            "correlation_id": correlation_id_var.get(),
            "message": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def native_logging_locks() -> None:
    """The logging module's locks made OS locks again, those of its handlers too, now and
    later. Monkey-patched, they are eventlet's green locks, which only work within one OS
    thread: a record logged from a thread of eventlet's pool (billing renders PDFs there, and
    WeasyPrint and fontTools log) could release one that a green thread of the main thread
    waits on, and that wait never ends ("Cannot switch to a different thread"; eventlet issue
    #432): a service hung. Nothing holds these locks across a green switch (the handlers write
    to standard output, which is not green), so an OS lock never blocks the event loop for
    longer than a write."""
    native = eventlet.patcher.original("threading")
    if logging.threading is native:  # type: ignore[attr-defined]
        return
    logging.threading = native  # type: ignore[attr-defined]
    logging._lock = native.RLock()  # type: ignore[attr-defined]
    for reference in list(logging._handlerList):  # type: ignore[attr-defined]
        handler = reference()
        if handler is not None:
            handler.createLock()


def configure_logging(service: str, level: str = "INFO") -> None:
    native_logging_locks()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # nameko and kombu are chatty at INFO about every connection.
    for noisy in ("nameko", "kombu", "amqp"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
