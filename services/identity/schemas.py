"""The identity API's request and response schemas (the gateway documents them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class SignInSchema(Schema):
    email = fields.Email(required=True, metadata={"description": "The account's email."})
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=200), load_only=True
    )
    tenant_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(equal=36),
        metadata={"description": "The CBO whose site the person signs in on; none for the city."},
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
    roles = fields.List(fields.String(), required=True)
    permissions = fields.List(fields.String(), required=True)


class OperatorSchema(Schema):
    email = fields.Email(required=True)
    password = fields.String(
        required=True, validate=validate.Length(min=12, max=200), load_only=True
    )
    display_name = fields.String(
        load_default="Platform operator", validate=validate.Length(min=1, max=200)
    )
