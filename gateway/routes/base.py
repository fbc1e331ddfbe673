"""A route maps an HTTP method and path onto one service's RPC method.

The table drives both dispatch (gateway.http) and the OpenAPI document (gateway.openapi).
Calling convention: the RPC method receives the path parameters by name, plus `body` (the
JSON object sent) when the route takes one, plus `query` (the query string as a dict) when it
declares query parameters. Services validate both with the same schemas listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # werkzeug rule syntax: /api/v1/things/<thing_id>
    service: str
    rpc: str
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
    description: str = ""
