"""The costs area has no routes of its own: booking's search shows its answers."""

from __future__ import annotations

from chassis.routes import Route

ROUTES: tuple[Route, ...] = ()
