"""Routes of the worker-sources area."""

from __future__ import annotations

from chassis.routes import Route
from services.tenancy.sources import schemas
from services.tenancy.sources.entrypoints import SourcesEntrypoints as Sources

_TAG = "Worker sources"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/worker-sources",
        Sources.list_sources,
        "List worker sources",
        _TAG,
        query=schemas.SourceQuerySchema,
        response=schemas.SourcePageSchema,
    ),
    Route(
        "POST",
        "/api/v1/worker-sources",
        Sources.create_source,
        "Create a worker source with its weekly hour cap and term calendar",
        _TAG,
        body=schemas.SourceInputSchema,
        response=schemas.SourceSchema,
        status=201,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/worker-sources/<source_id>",
        Sources.get_source,
        "One worker source",
        _TAG,
        response=schemas.SourceSchema,
    ),
    Route(
        "PATCH",
        "/api/v1/worker-sources/<source_id>",
        Sources.update_source,
        "Change a worker source's name, cap, terms or active flag",
        _TAG,
        body=schemas.SourceUpdateSchema,
        response=schemas.SourceSchema,
        errors=(409,),
    ),
)
