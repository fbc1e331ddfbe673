"""Granting and ending feature licences, and the licences a CBO holds."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chassis.contracts.tenancy_rpc import FEATURES
from chassis.paging import PageQuerySchema, page_of, sort_field


class LicenceGrantSchema(Schema):
    feature = fields.String(required=True, validate=validate.OneOf(FEATURES))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _dates(self, data: dict, **_) -> None:
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("It must end on or after the day it starts.", "ends_on")


class LicenceRevokeSchema(Schema):
    ends_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "The last day it still covers; default: yesterday (CBO time)."},
    )
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class LicenceSchema(Schema):
    id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    feature = fields.String(required=True, metadata={"enum": list(FEATURES)})
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)
    state = fields.String(
        required=True, metadata={"enum": ["scheduled", "active", "ended", "revoked"]}
    )
    revoked_at = fields.DateTime(allow_none=True)
    revoke_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)


LicencePageSchema = page_of(LicenceSchema, "LicencePage")


class LicenceQuerySchema(PageQuerySchema):
    feature = fields.String(validate=validate.OneOf(FEATURES))
    sort = sort_field(("starts_on", "feature", "created_at"), "-starts_on")
