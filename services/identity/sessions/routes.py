"""The sessions area has no HTTP routes: only the gateway asks it, over RPC, whether a token's
session still holds (gateway/sessions.py)."""

from __future__ import annotations

from chassis.routes import Route

ROUTES: tuple[Route, ...] = ()
