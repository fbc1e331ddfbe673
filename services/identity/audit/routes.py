"""The audit trail's route."""

from __future__ import annotations

from chassis.routes import Route
from services.identity.audit import schemas
from services.identity.audit.entrypoints import AuditEntrypoints

TAG = "Audit trail"

ROUTES: tuple[Route, ...] = (
    # -- audit trail (tenant.audit.read)
    Route(
        "GET",
        "/api/v1/audit",
        AuditEntrypoints.list_audit,
        "The CBO's audit trail, newest first",
        TAG,
        query=schemas.AuditQuerySchema,
        response=schemas.AuditPageSchema,
        description="Every staff action of every service: who, what, when, before and after. "
        "Filter by actor_id, entity_type, entity_id, action and a time range (from, to).",
    ),
)
