"""The identity API's request and response schemas (the gateway documents them)."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chassis.contracts.permissions import CBO_PERMISSIONS

PASSWORD_MIN = 12
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,99}$", error="Lower-case letters, digits, dashes.")
ROLE_NAME = validate.Regexp(
    r"^[a-z][a-z0-9_-]{1,49}$",
    error="2 to 50 lower-case letters, digits, '-' or '_', starting with a letter.",
)


def _new_password() -> fields.String:
    return fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(
            min=PASSWORD_MIN, max=200, error=f"Use {PASSWORD_MIN} to 200 characters."
        ),
        metadata={"description": f"At least {PASSWORD_MIN} characters."},
    )


class PageQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


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


class AcceptedSchema(Schema):
    status = fields.String(required=True, metadata={"example": "accepted"})
    message = fields.String(required=True)


# -- staff, roles and client users ------------------------------------------------------------


def _roles_field() -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=50)),
        required=True,
        validate=validate.Length(min=1, max=20, error="Give 1 to 20 roles."),
        metadata={"description": "Built-in (owner, admin, …) or the CBO's custom roles."},
    )


class StaffCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    roles = _roles_field()


class StaffRolesSchema(Schema):
    roles = _roles_field()


class AccountViewSchema(Schema):
    id = fields.String(required=True)
    email = fields.Email(required=True)
    display_name = fields.String(required=True)
    kind = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    status = fields.String(required=True, metadata={"enum": ["invited", "active", "deactivated"]})
    client_id = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class AccountPageSchema(Schema):
    items = fields.List(fields.Nested(AccountViewSchema), required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


class StaffQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(["invited", "active", "deactivated"]))
    role = fields.String(validate=validate.Length(min=1, max=50))


_PERMISSION = fields.String(
    validate=validate.OneOf(sorted(CBO_PERMISSIONS), error="Not a permission a CBO can give.")
)


class RoleCreateSchema(Schema):
    name = fields.String(required=True, validate=ROLE_NAME)
    description = fields.String(load_default="", validate=validate.Length(max=500))
    permissions = fields.List(
        _PERMISSION, required=True, validate=validate.Length(min=1, max=len(CBO_PERMISSIONS))
    )


class RoleUpdateSchema(Schema):
    description = fields.String(validate=validate.Length(max=500))
    permissions = fields.List(
        _PERMISSION, validate=validate.Length(min=1, max=len(CBO_PERMISSIONS))
    )

    @validates_schema
    def something_to_change(self, data: dict, **_) -> None:
        if not data:
            raise ValidationError("Give permissions, a description or both.", "_schema")


class RoleViewSchema(Schema):
    id = fields.String(allow_none=True, metadata={"description": "None for built-in roles."})
    name = fields.String(required=True)
    description = fields.String(required=True)
    permissions = fields.List(fields.String(), required=True)
    builtin = fields.Boolean(required=True)


class ClientUserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))


# -- audit trail -----------------------------------------------------------------------------


class AuditQuerySchema(PageQuerySchema):
    actor_id = fields.String(validate=validate.Length(min=1, max=36))
    entity_type = fields.String(validate=validate.Length(min=1, max=100))
    entity_id = fields.String(validate=validate.Length(min=1, max=100))
    action = fields.String(validate=validate.Length(min=1, max=100))
    since = fields.AwareDateTime(
        data_key="from",
        default_timezone=UTC,
        metadata={"description": "From this time (ISO 8601, inclusive)."},
    )
    until = fields.AwareDateTime(
        data_key="to",
        default_timezone=UTC,
        metadata={"description": "Up to this time (ISO 8601, exclusive)."},
    )

    @validates_schema
    def from_before_to(self, data: dict, **_) -> None:
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ValidationError("Must be after 'from'.", "to")


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    occurred_at = fields.String(required=True, metadata={"format": "date-time"})
    source = fields.String(required=True, metadata={"description": "The service it came from."})
    actor_id = fields.String(allow_none=True)
    actor_kind = fields.String(required=True)
    action = fields.String(required=True)
    entity_type = fields.String(required=True)
    entity_id = fields.String(required=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)
