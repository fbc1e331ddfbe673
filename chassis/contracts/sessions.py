"""The session check between the gateway and identity.

An access token is signed for 15 minutes, but a person can lose the right to use it sooner:
their account is deactivated, their password reset, their roles changed. Identity keeps, per
account, a session generation that every such change raises, and writes the generation it
issued a token under into the token (`SESSION_CLAIM`, refresh tokens too). On every request
that carries a token, the gateway asks identity's `session_status(generation=…)` RPC, as that
token's caller, whether the session still stands, and caches the answer for a few seconds.

The answer also gives the status of the caller's CBO, so the gateway refuses every write of a
CBO that is not approved in one place.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

# The claim holding the session generation a token was issued under (absent means 0).
SESSION_CLAIM = "sgen"

# The CBO status under which its people may change things.
APPROVED = "approved"
CBO_STATUSES = ("approved", "suspended", "unknown")


class SessionStatusSchema(Schema):
    """identity.session_status's answer."""

    valid = fields.Boolean(required=True)
    # Why the session ended, for the person (None while it stands).
    message = fields.String(required=True, allow_none=True)
    # The caller's CBO as identity knows it; None for a caller of no CBO (the operator).
    cbo_status = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(CBO_STATUSES)
    )
