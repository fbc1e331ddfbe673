"""What every WorkLB service has: its database, caller context, metrics, outbox relay, a health
check (RPC for the gateway, HTTP for probes), /metrics, and dead-letter listing and replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from nameko.web.handlers import http
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text, update
from werkzeug.wrappers import Response

from chassis.config import Settings, SettingsProvider
from chassis.context import Caller, CallerContext, public, requires
from chassis.db import Database, UnitOfWork
from chassis.entrypoints import republish_to_queue, rpc
from chassis.errors import Conflict, NotFound
from chassis.metrics import DEAD_LETTERS, Metrics
from chassis.outbox import OutboxRelay, outbox_status
from chassis.tables import dead_letters


def _dead_letter_row(row) -> dict:
    return {
        "id": row.id,
        "queue": row.queue,
        "handler": row.handler,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "error": row.error,
        "attempts": row.attempts,
        "created_at": row.created_at.isoformat(),
        "replayed_at": row.replayed_at.isoformat() if row.replayed_at else None,
        "body": row.body,
    }


class ServiceBase:
    """Subclass it, set `name`, add entrypoints from chassis.entrypoints."""

    name: str
    db: UnitOfWork = Database()  # type: ignore[assignment]
    caller: Caller = CallerContext()  # type: ignore[assignment]
    outbox: OutboxRelay = OutboxRelay()  # type: ignore[assignment]
    settings: Settings = SettingsProvider()  # type: ignore[assignment]
    metrics = Metrics()

    def _health(self) -> dict:
        checked_at = datetime.now(UTC).isoformat()
        try:
            conn = self.db.session.connection()
            conn.execute(text("SELECT 1"))
            pending, lag = outbox_status(conn)
            unreplayed = conn.execute(
                select(func.count()).where(dead_letters.c.replayed_at.is_(None))
            ).scalar_one()
        except Exception as exc:  # the check reports, it never raises
            return {
                "service": self.name,
                "status": "down",
                "checked_at": checked_at,
                "error": f"database: {type(exc).__name__}",
            }
        DEAD_LETTERS.labels(self.name).set(unreplayed)
        return {
            "service": self.name,
            "status": "up",
            "checked_at": checked_at,
            "outbox_pending": pending,
            "outbox_lag_seconds": round(lag, 3),
            "dead_letters": unreplayed,
        }

    @rpc
    @public
    def health(self) -> dict:
        return self._health()

    @http("GET", "/health")
    def http_health(self, request):
        report = self._health()
        status = 200 if report["status"] == "up" else 503
        return Response(json.dumps(report), status=status, mimetype="application/json")

    @http("GET", "/metrics")
    def http_metrics(self, request):
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    @rpc
    @requires("platform.operate")
    def list_dead_letters(self, include_replayed: bool = False, limit: int = 100) -> list[dict]:
        query = select(dead_letters).order_by(dead_letters.c.id.desc()).limit(min(limit, 1000))
        if not include_replayed:
            query = query.where(dead_letters.c.replayed_at.is_(None))
        return [_dead_letter_row(row) for row in self.db.session.execute(query)]

    @rpc
    @requires("platform.operate")
    def replay_dead_letter(self, dead_letter_id: int) -> dict:
        row = self.db.session.execute(
            select(dead_letters).where(dead_letters.c.id == dead_letter_id).with_for_update()
        ).one_or_none()
        if row is None:
            raise NotFound(f"There is no dead letter {dead_letter_id} in {self.name}.")
        if row.replayed_at is not None:
            raise Conflict(f"Dead letter {dead_letter_id} was already replayed.")
        self.db.session.execute(
            update(dead_letters)
            .where(dead_letters.c.id == dead_letter_id)
            .values(replayed_at=func.now())
        )
        # Flush the mark first: if publishing fails the transaction rolls back with it.
        self.db.session.flush()
        republish_to_queue(self.outbox.amqp_uri, row.queue, row.body, row.content_type)
        return {"id": dead_letter_id, "replayed": True}
