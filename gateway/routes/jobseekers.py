"""Routes served by the identity service's job-seeker entrypoints:
registration, profile, documents, approval, import."""

from __future__ import annotations

from gateway.routes.base import Route

ROUTES: tuple[Route, ...] = ()
