"""Routes served by the identity service: accounts, staff, job seekers, audit."""

from __future__ import annotations

from gateway.routes.base import Route
from services.identity import schemas as identity

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
