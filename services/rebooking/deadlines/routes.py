"""The deadlines area has no routes."""

from __future__ import annotations

from chassis.routes import Route

ROUTES: tuple[Route, ...] = ()
