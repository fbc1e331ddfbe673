"""The staff API's request and response schemas: staff, custom roles and client users."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chassis.contracts.permissions import CBO_PERMISSIONS
from chassis.paging import PageQuerySchema, page_of, sort_field
from chassis.schemas import Pattern

ROLE_NAME = Pattern(
    r"^[a-z][a-z0-9_-]{1,49}$",
    error="2 to 50 lower-case letters, digits, '-' or '_', starting with a letter.",
)


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


AccountPageSchema = page_of(AccountViewSchema, "AccountPage")

# The orders a list of people can be read in; the oldest first unless asked otherwise.
ACCOUNT_SORTS = ("created_at", "email", "display_name")


class ClientUserQuerySchema(PageQuerySchema):
    sort = sort_field(ACCOUNT_SORTS, "created_at")


class StaffQuerySchema(ClientUserQuerySchema):
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


RolePageSchema = page_of(RoleViewSchema, "RolePage")


class RoleQuerySchema(PageQuerySchema):
    builtin = fields.Boolean(
        metadata={"description": "true: only the built-in roles; false: only the CBO's own."}
    )


class ClientUserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
