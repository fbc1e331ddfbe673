"""The tenants area has no routes: its projections are fed by tenancy's events."""

from __future__ import annotations

from chassis.routes import Route

ROUTES: tuple[Route, ...] = ()
