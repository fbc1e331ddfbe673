"""HTTP handling for the gateway, kept apart from nameko: routing, JSON in and out, errors,
CORS, health aggregation. `Api.handle` turns one werkzeug Request into one Response."""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nameko.exceptions import RemoteError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from chassis.config import SERVICE_NAMES
from chassis.context import Caller
from chassis.contracts.tenancy_rpc import LoginBox, TenancyClient
from chassis.errors import (
    BadRequest,
    DomainError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
)
from chassis.rpc import ServiceCaller
from chassis.uploads import MAX_UPLOAD_BYTES
from gateway.openapi import build_openapi
from gateway.routes import ROUTES, Route

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 1 * 1024 * 1024
HEALTH_TIMEOUT = 3.0
# How long the gateway trusts a CBO's login-box settings (allowed origins) before asking again.
LOGIN_BOX_TTL = 30.0
LOGIN_BOX_CACHE_SIZE = 5000
STATIC_ROOT = Path(__file__).resolve().parent / "static"

DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>WorkLB API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#ui", deepLinking: true});</script>
</body></html>"""


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status=status,
        mimetype="application/json",
        headers=headers,
    )


def error_response(error: DomainError, correlation_id: str) -> Response:
    return json_response({"error": error.to_dict(), "correlation_id": correlation_id}, error.status)


def file_response(payload: dict, *, public: bool) -> Response:
    """A download route's answer ({filename, content_type, data}) as the file's own bytes."""
    content_type = str(payload.get("content_type") or "application/octet-stream")
    response = Response(base64.b64decode(payload.get("data") or ""), mimetype=content_type)
    # Images show in the page; anything else (a PDF) is saved, never rendered as our origin.
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    response.headers.set(
        "Content-Disposition", disposition, filename=str(payload.get("filename") or "file")
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response


def origin_of(url: str) -> str:
    """scheme://host[:port] of `url`, as browsers write it in the Origin header."""
    return url.strip().rstrip("/").lower()


def read_json_object(request: Request) -> dict:
    """The request's JSON object body, or a 4xx DomainError saying what is wrong."""
    if request.content_length and request.content_length > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"A JSON body may be at most {MAX_JSON_BYTES} bytes.")
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Send the body as application/json.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.") from exc
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    return body


def read_upload_form(request: Request, max_bytes: int = MAX_UPLOAD_BYTES) -> dict:
    """A multipart form with one `file` part, as JSON the services can take over RPC."""
    too_large = PayloadTooLarge(
        f"A file may be at most {max_bytes // (1024 * 1024)} MB.",
        {"file": [f"At most {max_bytes} bytes."]},
    )
    if request.content_length and request.content_length > max_bytes + 64 * 1024:
        raise too_large
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("Send the file as multipart/form-data, in a part named 'file'.")
    body: dict[str, Any] = request.form.to_dict(flat=True)
    upload = request.files.get("file")
    if upload is not None:
        data = upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise too_large
        body["file"] = {
            "filename": upload.filename or "upload",
            "content_type": upload.mimetype,
            "size": len(data),
            "data": base64.b64encode(data).decode("ascii"),
        }
    return body


class Api:
    def __init__(
        self,
        *,
        cors_origins: tuple[str, ...] = (),
        routes=ROUTES,
        own_origins: tuple[str, ...] = (),
        login_box_ttl: float = LOGIN_BOX_TTL,
        clock: Callable[[], float] = time.monotonic,
        session_check: Callable[[Request, Caller, ServiceCaller], None] | None = None,
    ) -> None:
        self.routes = routes
        # Refuses a token whose session ended and a suspended CBO's writes (gateway.sessions).
        self.session_check = session_check
        self.cors_origins = set(cors_origins)
        # The platform's own origins (its public URL): never subject to a CBO's origin list.
        self.own_origins = {origin_of(o) for o in own_origins if o}
        self.login_box_ttl = login_box_ttl
        self.clock = clock
        # slug → (expires at, the CBO's login-box rules, or None for no such CBO)
        self._login_boxes: dict[str, tuple[float, LoginBox | None]] = {}
        rules = [Rule(r.path, methods=[r.method], endpoint=r) for r in routes]
        native: dict[str, tuple[str, Callable]] = {
            "/health": ("GET", self.health),
            "/metrics": ("GET", self.metrics),
            "/api/openapi.json": ("GET", self.openapi),
            "/api/docs": ("GET", self.docs),
            "/api/docs/<path:asset>": ("GET", self.docs_asset),
            "/api/v1/admin/dead-letters": ("GET", self.list_dead_letters),
            "/api/v1/admin/dead-letters/<service>/<int:dead_letter_id>/replay": (
                "POST",
                self.replay_dead_letter,
            ),
            "/": ("GET", self.index),
        }
        rules += [
            Rule(path, methods=[method], endpoint=fn) for path, (method, fn) in native.items()
        ]
        self.url_map = Map(rules, strict_slashes=False)
        self.openapi_document = build_openapi(routes)

    # -- the door ----------------------------------------------------------------------------

    def handle(self, request: Request, caller: Caller, services: ServiceCaller) -> Response:
        origin = request.headers.get("Origin")
        # A route a CBO's own site calls, requested from a site that is not the platform's.
        cbo_route: Route | None = None
        try:
            if origin and not self.is_own_origin(origin, request):
                found = self.origin_checked_route(request)
                if found is not None:
                    self.check_cbo_origin(found[1]["slug"], origin, services)
                    cbo_route = found[0]
            if self.session_check is not None:
                self.session_check(request, caller, services)
            if request.method == "OPTIONS":
                response = Response(status=204)
            else:
                response = self.dispatch(request, caller, services)
        except DomainError as error:
            response = error_response(error, caller.correlation_id)
        except RemoteError as error:
            log.error("a service failed", extra={"fields": {"error": str(error)}})
            response = json_response(
                {
                    "error": {
                        "code": "internal_error",
                        "message": "Something went wrong on our side; it has been logged.",
                    },
                    "correlation_id": caller.correlation_id,
                },
                500,
            )
        response.headers["X-Request-ID"] = caller.correlation_id
        if cbo_route is not None:
            # The CBO allows this site: let its pages read the answer (tokens travel in the
            # body, so no credentials are allowed).
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response.headers["Access-Control-Allow-Methods"] = f"{cbo_route.method}, OPTIONS"
            response.headers["Access-Control-Expose-Headers"] = "X-Request-ID"
            response.headers["Access-Control-Max-Age"] = "600"
        elif origin and origin in self.cors_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
            response.headers["Access-Control-Expose-Headers"] = "X-Request-ID"
        return response

    def dispatch(self, request: Request, caller: Caller, services: ServiceCaller) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except MethodNotAllowed as exc:
            raise DomainError(f"{request.method} is not allowed here.") from exc
        except RouteNotFound as exc:
            raise NotFound(f"There is nothing at {request.path}.") from exc
        if isinstance(endpoint, Route):
            return self.call_route(endpoint, values, request, caller, services)
        return endpoint(request=request, caller=caller, services=services, **values)

    def call_route(
        self, route: Route, values: dict, request: Request, caller: Caller, services: ServiceCaller
    ) -> Response:
        if route.auth and not caller.authenticated:
            raise Unauthenticated("Sign in first: send 'Authorization: Bearer <access token>'.")
        kwargs: dict[str, Any] = dict(values)
        if route.upload:
            kwargs["body"] = read_upload_form(request, route.max_upload_bytes or MAX_UPLOAD_BYTES)
        elif route.body is not None:
            kwargs["body"] = read_json_object(request)
        if route.query is not None:
            kwargs["query"] = request.args.to_dict(flat=True)
        result = services.call(route.service, route.rpc, **kwargs)
        if route.status == 204 or result is None:
            return Response(status=204)
        if route.download:
            return file_response(result, public=not route.auth)
        return json_response(result, route.status)

    # -- a CBO's own sites (the embedded login box) -----------------------------------------

    def is_own_origin(self, origin: str, request: Request) -> bool:
        """True for the platform's own pages: its public URL, the host the request came to,
        and the origins allowed for the whole API."""
        origin = origin_of(origin)
        return (
            origin in self.own_origins
            or origin == origin_of(request.host_url)
            or origin in self.cors_origins
        )

    def origin_checked_route(self, request: Request) -> tuple[Route, dict] | None:
        """The origin-checked route (with a `slug`) the request, or its preflight, is for."""
        method = request.method
        if method == "OPTIONS":
            method = request.headers.get("Access-Control-Request-Method", "").upper()
            if not method:
                return None
        try:
            endpoint, values = self.url_map.bind_to_environ(request.environ).match(method=method)
        except HTTPException:
            return None
        if isinstance(endpoint, Route) and endpoint.origin_checked and "slug" in values:
            return endpoint, values
        return None

    def login_box(self, slug: str, services: ServiceCaller) -> LoginBox | None:
        """The CBO's login-box rules, cached for a short while; None if there is no such CBO."""
        now = self.clock()
        cached = self._login_boxes.get(slug)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            rules: LoginBox | None = TenancyClient(services).login_box(slug=slug)
        except NotFound:
            rules = None
        if len(self._login_boxes) >= LOGIN_BOX_CACHE_SIZE:
            # Bounded: drop what has expired, and everything if that was not enough.
            self._login_boxes = {k: v for k, v in self._login_boxes.items() if v[0] > now}
            if len(self._login_boxes) >= LOGIN_BOX_CACHE_SIZE:
                self._login_boxes.clear()
        self._login_boxes[slug] = (now + self.login_box_ttl, rules)
        return rules

    def check_cbo_origin(self, slug: str, origin: str, services: ServiceCaller) -> None:
        """Refuse a request from a site the CBO has not listed in its allowed origins."""
        rules = self.login_box(slug, services)
        if rules is None:
            raise NotFound("There is no such CBO.")
        if origin_of(origin) not in rules.allowed_origins:
            raise Forbidden(
                f"{origin} may not use this CBO's sign-in; the CBO can allow it in its "
                "login box settings."
            )

    # -- the gateway's own endpoints ---------------------------------------------------------

    def health(self, services: ServiceCaller, **_) -> Response:
        pending = {name: services.call_async(name, "health") for name in SERVICE_NAMES}
        report: dict[str, dict] = {}
        for name, reply in pending.items():
            try:
                report[name] = services.wait(reply, name, HEALTH_TIMEOUT)
            except Exception as exc:
                report[name] = {
                    "service": name,
                    "status": "down",
                    "error": getattr(exc, "message", type(exc).__name__),
                }
        up = all(entry.get("status") == "up" for entry in report.values())
        return json_response(
            {"status": "up" if up else "degraded", "services": report}, 200 if up else 503
        )

    def metrics(self, **_) -> Response:
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    def openapi(self, **_) -> Response:
        return json_response(self.openapi_document)

    def docs(self, **_) -> Response:
        return Response(DOCS_PAGE, mimetype="text/html")

    def docs_asset(self, asset: str, **_) -> Response:
        return self._file(swagger_ui_path, asset)

    def index(self, **_) -> Response:
        return self._file(STATIC_ROOT, "index.html")

    def _file(self, root, name: str) -> Response:
        path = Path(str(root)) / name
        if ".." in name.split("/") or not path.is_file():
            raise NotFound(f"There is no file {name}.")
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Response(
            path.read_bytes(), mimetype=mimetype, headers={"Cache-Control": "public, max-age=3600"}
        )

    def list_dead_letters(
        self, request: Request, caller: Caller, services: ServiceCaller, **_
    ) -> Response:
        caller.require("platform.operate")
        wanted = request.args.get("service")
        if wanted is not None and wanted not in SERVICE_NAMES:
            raise BadRequest(
                "Unknown service.", {"service": [f"One of {', '.join(SERVICE_NAMES)}."]}
            )
        include = request.args.get("include_replayed", "false").lower() == "true"
        names = [wanted] if wanted else list(SERVICE_NAMES)
        pending = {
            n: services.call_async(n, "list_dead_letters", include_replayed=include) for n in names
        }
        letters = []
        for name, reply in pending.items():
            for letter in services.wait(reply, name):
                letters.append({"service": name, **letter})
        letters.sort(key=lambda letter: letter["created_at"], reverse=True)
        return json_response(letters)

    def replay_dead_letter(
        self, caller: Caller, services: ServiceCaller, service: str, dead_letter_id: int, **_
    ) -> Response:
        caller.require("platform.operate")
        if service not in SERVICE_NAMES:
            raise NotFound(f"There is no service {service}.")
        if dead_letter_id > 2**63 - 1:
            raise NotFound(f"There is no dead letter {dead_letter_id} in {service}.")
        return json_response(services.call(service, "replay_dead_letter", dead_letter_id))
