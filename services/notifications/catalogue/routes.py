"""No routes: the catalogue is only read by the notices' dispatch."""

from __future__ import annotations

from chassis.routes import Route

ROUTES: tuple[Route, ...] = ()
