"""Every route of the API, collected from the `routes` modules that live beside each service's
entrypoints (`services/<service>/<area>/routes.py`, each with a `ROUTES` tuple)."""

from __future__ import annotations

import importlib
import pkgutil

import services
from chassis.routes import Route


def collect_routes() -> tuple[Route, ...]:
    found: list[Route] = []
    for module_info in sorted(
        pkgutil.walk_packages(services.__path__, "services."), key=lambda m: m.name
    ):
        name = module_info.name
        if name.rsplit(".", 1)[-1] != "routes" or ".migrations" in name:
            continue
        found.extend(importlib.import_module(name).ROUTES)
    return tuple(found)


ROUTES: tuple[Route, ...] = collect_routes()

__all__ = ["ROUTES", "Route", "collect_routes"]
