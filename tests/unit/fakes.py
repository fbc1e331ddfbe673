"""Stand-ins for unit tests of one unit (the gateway without services)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def fake_endpoint(service: str, rpc: str, permission: str | None = None) -> Callable[..., Any]:
    """A function that passes for `services.<service>`'s entrypoint `rpc` in a Route."""

    def endpoint(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("a fake endpoint is never called")

    endpoint.__module__ = f"services.{service}.fake"
    endpoint.__name__ = endpoint.__qualname__ = rpc
    endpoint.required_permission = permission  # type: ignore[attr-defined]
    return endpoint
