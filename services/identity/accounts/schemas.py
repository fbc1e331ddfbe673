"""The accounts API's request and response schemas: signing in, tokens, invitations and password
resets (the gateway documents them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chassis.schemas import Pattern

PASSWORD_MIN = 12
SLUG = Pattern(r"^[a-z0-9][a-z0-9-]{0,99}$", error="Lower-case letters, digits, dashes.")


def _new_password() -> fields.String:
    return fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(
            min=PASSWORD_MIN, max=200, error=f"Use {PASSWORD_MIN} to 200 characters."
        ),
        metadata={"description": f"At least {PASSWORD_MIN} characters."},
    )


# -- signing in -------------------------------------------------------------------------------


class CboSignInSchema(Schema):
    email = fields.Email(required=True, metadata={"description": "The account's email."})
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=200), load_only=True
    )


class SignInSchema(CboSignInSchema):
    slug = fields.String(
        load_default=None,
        allow_none=True,
        validate=SLUG,
        metadata={"description": "The CBO whose site the person signs in on; none for the city."},
    )
    tenant_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(equal=36),
        metadata={"description": "Deprecated: the CBO's id instead of its slug."},
    )


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=20, max=2000))


class TokenPairSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds"})


class MeSchema(Schema):
    user_id = fields.String(required=True)
    email = fields.Email(required=True)
    display_name = fields.String(required=True)
    kind = fields.String(required=True)
    tenant_id = fields.String(allow_none=True)
    client_id = fields.String(allow_none=True)
    roles = fields.List(fields.String(), required=True)
    permissions = fields.List(fields.String(), required=True)


class OperatorSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(
        required=True, validate=validate.Length(min=12, max=200), load_only=True
    )
    display_name = fields.String(
        load_default="Platform operator", validate=validate.Length(min=1, max=200)
    )


# -- invitations and password resets ------------------------------------------------------------


class AcceptInvitationSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=20, max=200))
    password = _new_password()


class PasswordResetRequestSchema(Schema):
    email = fields.Email(required=True)
    slug = fields.String(
        load_default=None,
        allow_none=True,
        validate=SLUG,
        metadata={"description": "The CBO of the account; none for the city's operator."},
    )


class PasswordResetConfirmSchema(AcceptInvitationSchema):
    pass


class EmailConfirmationSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=20, max=200))


class AcceptedSchema(Schema):
    status = fields.String(required=True, metadata={"example": "accepted"})
    message = fields.String(required=True)
