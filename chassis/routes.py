"""A route maps an HTTP method and path onto one service's RPC entrypoint.

Routes live beside the entrypoints they reach (`services/<svc>/<area>/routes.py`); the gateway
collects every such module (gateway.routes). A route names the entrypoint function itself, so
the service, the RPC name and the permission it needs (its `@requires`) are read from the code
and never written twice.

Calling convention: the RPC method receives the path parameters by name, plus `body` (the
JSON object sent) when the route takes one, plus `query` (the query string as a dict) when it
declares query parameters. Services validate both with the same schemas listed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from marshmallow import Schema

# A marker for "this entrypoint states no permission" (neither @requires nor @public).
_UNSTATED = object()


def service_of(endpoint: Callable[..., Any]) -> str:
    """The service an entrypoint belongs to: `services.<service>....` in its module path."""
    parts = endpoint.__module__.split(".")
    if len(parts) < 2 or parts[0] != "services":
        raise ValueError(f"{endpoint.__qualname__} is not a service entrypoint")
    return parts[1]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # werkzeug rule syntax: /api/v1/things/<thing_id>
    endpoint: Callable[..., Any]  # the @rpc method of an entrypoints mixin
    summary: str
    tag: str
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    auth: bool = True
    # multipart/form-data with a `file` part: the service gets the form fields plus
    # body["file"] = {filename, content_type, size, data (base64)}.
    upload: bool = False
    # The largest file an upload route takes; None for chassis.uploads.MAX_UPLOAD_BYTES.
    max_upload_bytes: int | None = None
    # The service answers {filename, content_type, data (base64)} and the gateway sends the
    # bytes themselves (a logo, a PDF), not JSON.
    download: bool = False
    # For routes a CBO's own site calls (sign-in, self-registration) whose path has a `<slug>`:
    # a request from another site's Origin is refused unless the CBO allows that origin.
    origin_checked: bool = False
    # A provider's webhook (an SMS status callback, an inbound message): the body is
    # application/x-www-form-urlencoded and the service gets body = {"params": {name: [values]},
    # "signature": <the value of this header, or "">} to check the signature itself.
    form_signed_by: str | None = None
    description: str = ""
    # Statuses this route can answer besides the ones its shape implies (see gateway.openapi),
    # e.g. 409 for a create that can collide.
    errors: tuple[int, ...] = ()
    # Seconds the gateway waits for the service's answer; None for WORKLB_RPC_TIMEOUT. Only
    # for an operator's action whose work grows with the data (a rebuild of a read model).
    timeout: float | None = None

    @property
    def service(self) -> str:
        return service_of(self.endpoint)

    @property
    def rpc(self) -> str:
        return self.endpoint.__name__

    @property
    def permission(self) -> str | None:
        """What the entrypoint's @requires names; None for a @public one."""
        value = getattr(self.endpoint, "required_permission", _UNSTATED)
        if value is _UNSTATED:
            raise ValueError(f"{self.service}.{self.rpc} has neither @requires nor @public")
        return cast(str | None, value)
