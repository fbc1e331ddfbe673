"""Contracts shared between services: event payload schemas (`*_events.py`, one module per
publisher), the RPCs one service offers another with their typed clients (`*_rpc.py`) and the
permission vocabulary (permissions.py). Services cannot import each other, so what they agree
on lives here."""

from __future__ import annotations

import importlib
import pkgutil


def import_contract_modules(suffix: str) -> list[str]:
    """Import every `chassis/contracts/*<suffix>.py` module (they register themselves on
    import), so a new contract module needs no hand edit anywhere; returns their names."""
    names = sorted(
        info.name for info in pkgutil.iter_modules(__path__) if info.name.endswith(suffix)
    )
    for name in names:
        importlib.import_module(f"{__name__}.{name}")
    return names
