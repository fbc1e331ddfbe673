"""The API's routes: each maps an HTTP method and path onto one service's RPC method.

The table drives both dispatch (gateway.http) and the OpenAPI document (gateway.openapi).
Calling convention: the RPC method receives the path parameters by name, plus `body` (the
JSON object sent) when the route takes one, plus `query` (the query string as a dict) when it
declares query parameters. Services validate both with the same schemas listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema

from services.identity import schemas as identity


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
    description: str = ""


ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/auth/token",
        "identity",
        "sign_in",
        "Sign in with email and password",
        "Accounts",
        body=identity.SignInSchema,
        response=identity.TokenPairSchema,
        auth=False,
        description="Returns a short-lived access token and a refresh token. Repeated "
        "failures lock the account for a while.",
    ),
    Route(
        "POST",
        "/api/v1/auth/refresh",
        "identity",
        "refresh",
        "Swap a refresh token for a new pair",
        "Accounts",
        body=identity.RefreshSchema,
        response=identity.TokenPairSchema,
        auth=False,
    ),
    Route(
        "POST",
        "/api/v1/auth/sign-out",
        "identity",
        "sign_out",
        "End a session (revoke its refresh token)",
        "Accounts",
        body=identity.RefreshSchema,
        status=204,
        auth=False,
    ),
    Route(
        "GET",
        "/api/v1/me",
        "identity",
        "whoami",
        "Who the token belongs to",
        "Accounts",
        response=identity.MeSchema,
    ),
)
