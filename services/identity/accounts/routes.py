"""The accounts area's routes: signing in, tokens, who I am, invitations and password resets."""

from __future__ import annotations

from chassis.routes import Route
from services.identity.accounts import schemas
from services.identity.accounts.entrypoints import AccountsEntrypoints

TAG = "Accounts"

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/auth/token",
        AccountsEntrypoints.sign_in,
        "Sign in with email and password",
        TAG,
        body=schemas.SignInSchema,
        response=schemas.TokenPairSchema,
        auth=False,
        errors=(403, 423),
        description="Returns a short-lived access token and a refresh token. A CBO's people "
        "give the CBO's `slug` and can sign in to that CBO only; the city's operator gives "
        "none. Every failure answers the same 401, whether or not the email has an account; "
        "5 failures for one email within 15 minutes lock it (423) for a while, whether or not "
        "it has an account. A suspended CBO's people are refused (403).",
    ),
    Route(
        "POST",
        "/api/v1/cbos/<slug>/auth/token",
        AccountsEntrypoints.sign_in_to_cbo,
        "Sign in to one CBO (its site or embedded login box)",
        TAG,
        body=schemas.CboSignInSchema,
        response=schemas.TokenPairSchema,
        auth=False,
        origin_checked=True,
        errors=(403, 423),
        description="As /api/v1/auth/token with the CBO in the path. A browser request from "
        "a site the CBO has not allowed is refused.",
    ),
    Route(
        "POST",
        "/api/v1/auth/refresh",
        AccountsEntrypoints.refresh,
        "Swap a refresh token for a new pair",
        TAG,
        body=schemas.RefreshSchema,
        response=schemas.TokenPairSchema,
        auth=False,
    ),
    Route(
        "POST",
        "/api/v1/auth/sign-out",
        AccountsEntrypoints.sign_out,
        "End a session (revoke its refresh token)",
        TAG,
        body=schemas.RefreshSchema,
        status=204,
        auth=False,
    ),
    Route(
        "GET",
        "/api/v1/me",
        AccountsEntrypoints.whoami,
        "Who the token belongs to",
        TAG,
        response=schemas.MeSchema,
        errors=(404,),
    ),
    Route(
        "POST",
        "/api/v1/auth/invitations/accept",
        AccountsEntrypoints.accept_invitation,
        "Accept an invitation: set a first password",
        TAG,
        body=schemas.AcceptInvitationSchema,
        response=schemas.TokenPairSchema,
        auth=False,
        description="The token comes from the emailed link; it works once and expires after "
        "7 days. Answers a token pair: the person is signed in.",
        errors=(403,),
    ),
    Route(
        "POST",
        "/api/v1/auth/email-confirmation",
        AccountsEntrypoints.confirm_email,
        "Confirm a self-registration's email: the account becomes active",
        TAG,
        body=schemas.EmailConfirmationSchema,
        response=schemas.TokenPairSchema,
        auth=False,
        description="The token comes from the link emailed after self-registration; it works "
        "once and expires after 7 days. Answers a token pair: the person is signed in.",
    ),
    Route(
        "POST",
        "/api/v1/auth/password-reset",
        AccountsEntrypoints.request_password_reset,
        "Ask for a password reset link by email",
        TAG,
        body=schemas.PasswordResetRequestSchema,
        response=schemas.AcceptedSchema,
        status=202,
        auth=False,
        errors=(429,),
        description="Always answers 202, whether or not the account exists; the link is "
        "emailed only if it does, at most 3 an hour per account (beyond that the answer is the "
        "same and nothing is sent), and a new link closes the earlier ones. One client address "
        "may ask 10 times an hour (429 beyond). Give the CBO's `slug` for a CBO account.",
    ),
    Route(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        AccountsEntrypoints.confirm_password_reset,
        "Set a new password from a reset link",
        TAG,
        body=schemas.PasswordResetConfirmSchema,
        status=204,
        auth=False,
        description="The link works once and expires after an hour. It unlocks the account "
        "and ends its other sessions.",
        errors=(403,),
    ),
)
