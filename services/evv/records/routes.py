"""The read model has no routes of its own: visits, timesheets and exports show it."""

from __future__ import annotations

from chassis.routes import Route

ROUTES: tuple[Route, ...] = ()
