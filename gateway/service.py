"""The gateway as a nameko service: one HTTP entrypoint that authenticates the request, turns the
token into a signed caller context, and hands the request to gateway.http.Api."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from functools import partial

from eventlet.event import Event
from nameko.web.handlers import HttpRequestHandler
from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from chassis.config import Settings, SettingsProvider, settings_from
from chassis.context import Caller, CallerContext, context_data_for
from chassis.contracts.sessions import SESSION_CLAIM
from chassis.entrypoints import timer
from chassis.errors import DomainError, Unauthenticated
from chassis.metrics import Metrics
from chassis.rpc import ServiceCaller, Services
from chassis.tokens import ACCESS, verify
from gateway.http import Api, error_response, json_response, secure
from gateway.sessions import GENERATION_KEY, SessionCheck
from gateway.web import PublicWebServer, liveness_response, metrics_response, ops_http

log = logging.getLogger(__name__)

# \Z, not $: `$` would also take an id with a newline after it.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}\Z")
# How many verified access tokens the gateway remembers (VerifiedTokens).
TOKEN_CACHE_SIZE = 20_000


class VerifiedTokens:
    """Access tokens whose signature and claims this process has verified, with their claims:
    a client sends the same token with every request for up to its whole lifetime, so its
    HMAC and JSON are checked once. Only the expiry is checked again (the same bytes cannot
    verify differently); a bounded LRU of the tokens seen lately."""

    def __init__(self, size: int = TOKEN_CACHE_SIZE, clock: Callable[[], float] = time.time):
        self.size = size
        self.clock = clock
        self._claims: OrderedDict[str, dict] = OrderedDict()

    def claims(self, secret: str, token: str) -> dict:
        found = self._claims.get(token)
        if found is None:
            found = verify(secret, token, token_type=ACCESS)
            self._claims[token] = found
            while len(self._claims) > self.size:
                self._claims.popitem(last=False)
        else:
            self._claims.move_to_end(token)
        # As PyJWT judges it: expired from the second `exp` names on.
        if found["exp"] <= self.clock():
            self._claims.pop(token, None)
            raise Unauthenticated("Your session has expired; sign in again.")
        return found


def caller_from_request(
    request, secret: str, correlation_id: str, tokens: VerifiedTokens | None = None
) -> Caller:
    """The caller a request's bearer token names; anonymous without one."""
    header = request.headers.get("Authorization", "")
    if not header:
        return Caller(correlation_id=correlation_id, client_address=request.remote_addr)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Use 'Authorization: Bearer <access token>'.")
    if tokens is None:
        claims = verify(secret, token.strip(), token_type=ACCESS)
    else:
        claims = tokens.claims(secret, token.strip())
    generation = claims.get(SESSION_CLAIM, 0)
    if type(generation) is not int or generation < 0:
        raise Unauthenticated("The token is not valid.")
    # The session check (gateway.sessions) asks identity whether this session still stands.
    request.environ[GENERATION_KEY] = generation
    return Caller(
        kind=claims.get("kind", "anonymous"),
        user_id=claims["sub"],
        tenant_id=claims.get("tid"),
        roles=tuple(claims.get("roles", ())),
        permissions=frozenset(claims.get("perms", ())),
        correlation_id=correlation_id,
        client_id=claims.get("cid"),
        client_address=request.remote_addr,
    )


class ApiEntrypoint(HttpRequestHandler):
    """Every path and method; the worker gets the request and a verified caller context."""

    server = PublicWebServer()

    def __init__(self, **kwargs) -> None:
        super().__init__("GET,POST,PUT,PATCH,DELETE,OPTIONS,HEAD", "/<anything:path>", **kwargs)

    def get_url_rule(self):
        return Rule(self.url, methods=self.method.split(","))

    def setup(self) -> None:
        settings = settings_from(self.container.config)
        self.jwt_secret = settings.jwt_secret
        self.context_secret = settings.context_secret
        self.tokens = VerifiedTokens()
        super().setup()

    def handle_request(self, request):
        started = time.perf_counter()
        response = self._respond(request)
        log.info(
            "request",
            extra={
                "fields": {
                    "correlation_id": response.headers.get("X-Request-ID"),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                }
            },
        )
        return response

    def _respond(self, request):
        request.shallow = False
        given = request.headers.get("X-Request-ID", "")
        correlation_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        try:
            caller = caller_from_request(request, self.jwt_secret, correlation_id, self.tokens)
        except DomainError as error:
            response = error_response(error, correlation_id)
            response.headers["X-Request-ID"] = correlation_id
            # Answers the gateway makes before its worker (Api.handle secures those) runs.
            return secure(response, request.path)
        event = Event()
        self.container.spawn_worker(
            self,
            (request,),
            {},
            context_data=context_data_for(caller, self.context_secret),
            handle_result=partial(self.handle_result, event),
        )
        try:
            return event.wait()
        except Exception:
            log.exception("the gateway failed to handle a request")
            failed = json_response(
                {
                    "error": {
                        "code": "internal_error",
                        "message": "Something went wrong on our side; it has been logged.",
                    },
                    "correlation_id": correlation_id,
                },
                500,
            )
            return secure(failed, request.path)


class RootEntrypoint(ApiEntrypoint):
    def get_url_rule(self):
        return Rule("/", methods=self.method.split(","))


class Gateway:
    name = "gateway"

    caller: Caller = CallerContext()  # type: ignore[assignment]
    services: ServiceCaller = Services()  # type: ignore[assignment]
    settings: Settings = SettingsProvider()  # type: ignore[assignment]
    metrics = Metrics()
    _api: Api | None = None
    _sessions: SessionCheck | None = None

    def api(self) -> Api:
        # Built once per process: the route map and the OpenAPI document do not change.
        if Gateway._api is None:
            Gateway._api = Api(
                cors_origins=self.settings.cors_origins,
                # The platform's public URL is its own origin, also behind a proxy whose Host
                # differs (CBO origin checks never apply to it).
                own_origins=(getattr(self.settings, "public_url", ""),),
                session_check=self.sessions(),
            )
        return Gateway._api

    def sessions(self) -> SessionCheck:
        if Gateway._sessions is None:
            Gateway._sessions = SessionCheck(ttl=self.settings.session_check_seconds)
        return Gateway._sessions

    @timer("session_refresh_seconds")
    def refresh_sessions(self) -> None:
        """Renew the session answers in use before they expire (gateway.sessions)."""
        self.sessions().refresh(self.services)

    @ApiEntrypoint.decorator
    def handle(self, request) -> Response:
        return self.api().handle(request, self.caller, self.services)

    @RootEntrypoint.decorator
    def handle_root(self, request) -> Response:
        return self.api().handle(request, self.caller, self.services)

    # -- the ops port (gateway.web), never the public one

    @ops_http("GET", "/metrics")
    def ops_metrics(self, request) -> Response:
        return metrics_response()

    @ops_http("GET", "/health")
    def ops_health(self, request) -> Response:
        return liveness_response()
