"""Routes served by the tenancy service:
CBOs, MOUs, branding, login box, clients, sources, partnerships, licences."""

from __future__ import annotations

from gateway.routes.base import Route

ROUTES: tuple[Route, ...] = ()
