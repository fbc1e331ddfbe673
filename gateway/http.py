"""HTTP handling for the gateway, kept apart from nameko: routing, JSON in and out, errors,
CORS, security headers, health aggregation. `Api.handle` turns one werkzeug Request into one
Response."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import mimetypes
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nameko.exceptions import RemoteError
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
    BrokerUnavailable,
    DomainError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from chassis.rpc import ServiceCaller
from chassis.uploads import MAX_UPLOAD_BYTES, safe_filename
from gateway.openapi import build_openapi
from gateway.routes import ROUTES, Route

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 1 * 1024 * 1024
# No request body of this API nests deeper than a few levels; anything past this is an attack
# on the parser or on whoever walks the value next.
MAX_JSON_DEPTH = 64
HEALTH_TIMEOUT = 3.0
# What a 503 tells clients to wait before trying again.
RETRY_AFTER_SECONDS = 5
# How long the gateway trusts a CBO's login-box settings (allowed origins) before asking again.
LOGIN_BOX_TTL = 30.0
LOGIN_BOX_CACHE_SIZE = 5000
STATIC_ROOT = Path(__file__).resolve().parent / "static"

DOCS_SCRIPT = (
    'SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#ui", deepLinking: true, '
    "validatorUrl: null});"
)
DOCS_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>WorkLB API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script>{DOCS_SCRIPT}</script>
</body></html>"""

# -- security headers ------------------------------------------------------------------------
# JSON and files: nothing in them may run, load anything or be framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def page_csp(*, scripts: Iterable[str] = (), frame_ancestors: Iterable[str] = ("'none'",)) -> str:
    """The Content-Security-Policy of one of the gateway's HTML pages: its own scripts and
    styles only (plus the inline `scripts` given), data: images, calls to this origin.

    `frame_ancestors` is who may show the page in a frame: nobody by default. The CBO login-box
    page, when it comes, passes the CBO's allowed origins here (and so gets no
    X-Frame-Options: DENY, see `secure`)."""
    script_src = " ".join(["'self'", *(script_hash(s) for s in scripts)])
    return (
        f"default-src 'self'; script-src {script_src}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        f"form-action 'self'; frame-ancestors {' '.join(frame_ancestors)}"
    )


def page_response(
    body: str | bytes,
    *,
    mimetype: str = "text/html",
    scripts: Iterable[str] = (),
    frame_ancestors: Iterable[str] = ("'none'",),
    cache: str = "no-cache",
) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Security-Policy": page_csp(scripts=scripts, frame_ancestors=frame_ancestors),
            "Cache-Control": cache,
        },
    )


def secure(response: Response, path: str) -> Response:
    """The headers every answer of the gateway carries (what a response set itself wins)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Content-Security-Policy", API_CSP)
    if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
        headers.setdefault("X-Frame-Options", "DENY")
    if path.startswith("/api/v1/"):
        # Tokens and people's data: never kept by a browser or a proxy. A public read that
        # may be cached (a CBO's branding and logo) says so itself.
        headers.setdefault("Cache-Control", "no-store")
    return response


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status=status,
        mimetype="application/json",
        headers=headers,
    )


def error_response(error: DomainError, correlation_id: str) -> Response:
    response = json_response(
        {"error": error.to_dict(), "correlation_id": correlation_id}, error.status
    )
    if error.status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# What a public read (anyone may GET it: a CBO's branding and logo) may be cached for.
PUBLIC_CACHE = "public, max-age=300"

_NOT_IN_FALLBACK = re.compile(r'[\x00-\x1f\x7f"\\%]')


def content_disposition(disposition: str, filename: str) -> str:
    """A Content-Disposition header value (RFC 6266) for a file name in any script: the name
    itself as `filename*=UTF-8''<percent-encoded>`, and an ASCII `filename` for old clients
    (accents dropped; a name with no Latin letters becomes `download.<extension>`)."""
    name = safe_filename(filename, default="download")
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = _NOT_IN_FALLBACK.sub("", fallback).strip()
    stem, dot, extension = fallback.rpartition(".")
    if not (stem if dot else fallback).strip(" ._-"):
        fallback = f"download.{extension}" if dot and extension else "download"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(payload: dict, *, public: bool) -> Response:
    """A download route's answer ({filename, content_type, data}) as the file's own bytes."""
    content_type = str(payload.get("content_type") or "application/octet-stream")
    response = Response(base64.b64decode(payload.get("data") or ""), mimetype=content_type)
    # Images show in the page; anything else (a PDF) is saved, never rendered as our origin.
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    response.headers["Content-Disposition"] = content_disposition(
        disposition, str(payload.get("filename") or "")
    )
    response.headers["Cache-Control"] = PUBLIC_CACHE if public else "private, no-store"
    return response


def origin_of(url: str) -> str:
    """scheme://host[:port] of `url`, as browsers write it in the Origin header."""
    return url.strip().rstrip("/").lower()


# -- what no service is ever handed ----------------------------------------------------------
# PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded to UTF-8 for the bus:
# either used to end as a 500 deep in a service. The gateway refuses both, in every value a
# request carries, before any service is called.
_UNSAFE_CHARACTER = re.compile(r"[\x00\ud800-\udfff]")
_SHOWN_ESCAPED = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def field_label(name: str) -> str:
    """A field's name as an error may show it (control characters and surrogates escaped)."""
    return _SHOWN_ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def refuse_unsafe_text(value: str, field: str) -> None:
    found = _UNSAFE_CHARACTER.search(value)
    if found is None:
        return
    what = "a NUL character" if found.group() == "\x00" else "a lone surrogate (not Unicode)"
    raise ValidationFailed(
        f"{field_label(field)} contains {what}.", {field_label(field): [f"Remove {what}."]}
    )


def _child(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def check_json(value: Any, *, root: str = "", max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse NUL characters and lone surrogates in any key or string of a decoded JSON value,
    and nesting deeper than `max_depth`, naming the field (`address.lines[2]`). Walks with its
    own stack, so no value can exhaust Python's."""
    stack: list[tuple[Any, str, int]] = [(value, root, 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            refuse_unsafe_text(item, path or "body")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise BadRequest(
                f"The body nests deeper than {max_depth} levels.",
                {field_label(path or "body"): [f"At most {max_depth} levels of nesting."]},
            )
        if isinstance(item, dict):
            for key, child in item.items():
                refuse_unsafe_text(key, _child(path, key))
                stack.append((child, _child(path, key), depth + 1))
        else:
            stack.extend((child, _child(path, i), depth + 1) for i, child in enumerate(item))


def check_parameters(values: Iterable[tuple[str, Any]]) -> None:
    """Refuse NUL characters and lone surrogates in path, query or form parameters (name and
    value), naming the parameter."""
    for name, value in values:
        label = str(name)
        refuse_unsafe_text(label, label)
        if isinstance(value, str):
            refuse_unsafe_text(value, label)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_json_object(request: Request) -> dict:
    """The request's JSON object body, or a 4xx DomainError saying what is wrong."""
    if request.content_length and request.content_length > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"A JSON body may be at most {MAX_JSON_BYTES} bytes.")
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Send the body as application/json.")
    if len(raw) > MAX_JSON_BYTES:  # sent without a Content-Length (chunked)
        raise PayloadTooLarge(f"A JSON body may be at most {MAX_JSON_BYTES} bytes.")
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise BadRequest(
            f"The body nests deeper than {MAX_JSON_DEPTH} levels.",
            {"body": [f"At most {MAX_JSON_DEPTH} levels of nesting."]},
        ) from exc
    except ValueError as exc:  # UnicodeDecodeError included
        raise BadRequest(f"The body is not valid JSON: {exc}.") from exc
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    check_json(body)
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
    # A part whose name werkzeug cannot read (`name="x\\"`) comes with the name None: dropped.
    named = [(name, value) for name, value in request.form.items(multi=True) if name]
    check_parameters(named)
    body: dict[str, Any] = dict(reversed(named))  # the first value of a repeated name
    upload = request.files.get("file")
    if upload is not None:
        refuse_unsafe_text(upload.filename or "", "file")
        data = upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise too_large
        body["file"] = {
            # Only the base name: never a client's path (`../../etc/passwd.png`).
            "filename": safe_filename(upload.filename),
            "content_type": upload.mimetype,
            "size": len(data),
            "data": base64.b64encode(data).decode("ascii"),
        }
    return body


def read_signed_form(request: Request, header: str) -> dict:
    """A provider's webhook: its application/x-www-form-urlencoded fields (every value of a
    repeated name, as the signature covers them all) and the signature header, for the service
    to check (it knows the secret)."""
    if request.content_length and request.content_length > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"A form may be at most {MAX_JSON_BYTES} bytes.")
    if request.get_data(cache=True) and request.mimetype != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("Send the fields as application/x-www-form-urlencoded.")
    params: dict[str, list[str]] = {}
    for name, value in request.form.items(multi=True):
        check_parameters([(name, value)])
        params.setdefault(name, []).append(value)
    signature = request.headers.get(header, "")
    refuse_unsafe_text(signature, header)
    return {"params": params, "signature": signature}


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
            # /metrics is not here: the gateway serves it on its ops port (gateway.web).
            "/health": ("GET", self.health),
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
            # A service raised something that is not a DomainError: its bug, logged there.
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
        return secure(response, request.path)

    def dispatch(self, request: Request, caller: Caller, services: ServiceCaller) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except MethodNotAllowed as exc:
            raise DomainError(f"{request.method} is not allowed here.") from exc
        except RouteNotFound as exc:
            raise NotFound(f"There is nothing at {field_label(request.path)}.") from exc
        check_parameters(values.items())
        if isinstance(endpoint, Route):
            return self.call_route(endpoint, dict(values), request, caller, services)
        return endpoint(request=request, caller=caller, services=services, **values)

    def call_route(
        self, route: Route, values: dict, request: Request, caller: Caller, services: ServiceCaller
    ) -> Response:
        if route.auth and not caller.authenticated:
            raise Unauthenticated("Sign in first: send 'Authorization: Bearer <access token>'.")
        kwargs: dict[str, Any] = dict(values)
        if route.upload:
            kwargs["body"] = read_upload_form(request, route.max_upload_bytes or MAX_UPLOAD_BYTES)
        elif route.form_signed_by:
            kwargs["body"] = read_signed_form(request, route.form_signed_by)
        elif route.body is not None:
            kwargs["body"] = read_json_object(request)
        if route.query is not None:
            # Only a route that takes a query passes it on, so only then is it checked.
            check_parameters(request.args.items(multi=True))
            kwargs["query"] = request.args.to_dict(flat=True)
        if route.timeout is not None:
            kwargs["timeout"] = route.timeout  # ServiceCaller.call's own, not the service's
        result = services.call(route.service, route.rpc, **kwargs)
        public_read = not route.auth and route.method == "GET"
        if route.status == 204 or result is None:
            return Response(status=204)
        if route.download:
            return file_response(result, public=public_read)
        response = json_response(result, route.status)
        if public_read:
            response.headers["Cache-Control"] = PUBLIC_CACHE
        return response

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
            check_parameters(values.items())
            return endpoint, dict(values)
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
        """Every service's own health check, asked at once. Never a 500: 503 with what is down
        (the broker, or which service did not answer)."""
        checked_at = datetime.now(UTC).isoformat()
        report: dict[str, dict] = {}
        pending: dict[str, Any] = {}
        broker: dict[str, str] = {"status": "up"}
        for name in SERVICE_NAMES:
            try:
                pending[name] = services.call_async(name, "health")
            except BrokerUnavailable as exc:
                broker = {"status": "down", "error": exc.message}
                break
            except DomainError as exc:  # not running: nobody consumes its queue
                report[name] = self._down(name, exc.message, checked_at)
        for name, reply in pending.items():
            try:
                report[name] = services.wait(reply, name, HEALTH_TIMEOUT)
            except DomainError as exc:
                report[name] = self._down(name, exc.message, checked_at)
            except Exception as exc:  # a health check that failed is a service that is down
                report[name] = self._down(name, type(exc).__name__, checked_at)
        if broker["status"] == "down":
            reason = "Not asked: the message broker cannot be reached."
            for name in SERVICE_NAMES:
                report.setdefault(name, self._down(name, reason, checked_at))
        up = broker["status"] == "up" and all(e.get("status") == "up" for e in report.values())
        status = "up" if up else ("down" if broker["status"] == "down" else "degraded")
        response = json_response(
            {
                "status": status,
                "checked_at": checked_at,
                "broker": broker,
                "services": {name: report[name] for name in SERVICE_NAMES},
            },
            200 if up else 503,
        )
        if not up:
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response.headers["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def _down(name: str, error: str, checked_at: str) -> dict:
        return {"service": name, "status": "down", "checked_at": checked_at, "error": error}

    def openapi(self, **_) -> Response:
        return json_response(self.openapi_document)

    def docs(self, **_) -> Response:
        return page_response(DOCS_PAGE, scripts=[DOCS_SCRIPT])

    def docs_asset(self, asset: str, **_) -> Response:
        return self._file(swagger_ui_path, asset)

    def index(self, **_) -> Response:
        return self._file(STATIC_ROOT, "index.html")

    def _file(self, root, name: str) -> Response:
        path = Path(str(root)) / name
        if ".." in name.split("/") or not path.is_file():
            raise NotFound(f"There is no file {name}.")
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return page_response(path.read_bytes(), mimetype=mimetype, cache="public, max-age=3600")

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
