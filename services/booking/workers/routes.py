"""Routes of the workers area: the platform operator's rebuild of the read model."""

from __future__ import annotations

from chassis.routes import Route
from services.booking.workers import schemas
from services.booking.workers.entrypoints import WorkersEntrypoints as Workers

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/admin/booking/worker-model/rebuild",
        Workers.rebuild_worker_model,
        "Rebuild booking's read model of workers from the events it received",
        "Administration",
        response=schemas.RebuildSchema,
        description=(
            "Empties the read model (CBOs, clients, worker sources, partnerships, workers and "
            "their dates) and applies every event it was built from again, in arrival order. "
            "Events arriving meanwhile wait for it. Platform operator only."
        ),
    ),
)
