"""CBO applications, the CBOs the city sees, and MOUs."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chassis.paging import PageQuerySchema, page_of, sort_field
from services.tenancy.branding.rules import DEFAULT_TIMEZONE
from services.tenancy.branding.schemas import timezone_name
from services.tenancy.common import NAME
from services.tenancy.tenants.rules import STATUSES, slug_problem


def _slug(value: str) -> None:
    problem = slug_problem(value)
    if problem:
        raise ValidationError(problem)


class ApplicationSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    slug = fields.String(
        required=True,
        validate=_slug,
        metadata={
            "description": "The CBO's short name in URLs: [a-z0-9-], 3 to 50.",
            "example": "lb-works",
        },
    )
    contact_name = fields.String(required=True, validate=NAME)
    contact_email = fields.Email(required=True, validate=validate.Length(max=254))
    owner_name = fields.String(
        required=True,
        validate=NAME,
        metadata={"description": "The senior user invited when the CBO is approved."},
    )
    owner_email = fields.Email(required=True, validate=validate.Length(max=254))
    timezone = fields.String(load_default=DEFAULT_TIMEZONE, validate=timezone_name)


class ApplicationReceiptSchema(Schema):
    id = fields.String(required=True)
    slug = fields.String(required=True)
    status = fields.String(required=True)


class TenantQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    q = fields.String(validate=validate.Length(max=200))
    sort = sort_field(("created_at", "name", "slug"), "-created_at")


class TenantSchema(Schema):
    id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    status_reason = fields.String(allow_none=True)
    contact_name = fields.String(required=True)
    contact_email = fields.String(required=True)
    owner_name = fields.String(required=True)
    owner_email = fields.String(required=True)
    timezone = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)


TenantPageSchema = page_of(TenantSchema, "TenantPage")


# -- MOUs --------------------------------------------------------------------------------------


class SignatorySchema(Schema):
    name = fields.String(required=True, validate=NAME)
    title = fields.String(required=True, validate=NAME)
    organisation = fields.String(required=True, validate=NAME)


class MouInputSchema(Schema):
    signed_on = fields.Date(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True)
    signatories = fields.List(
        fields.Nested(SignatorySchema),
        required=True,
        validate=validate.Length(min=2, max=10, error="Name at least two signatories."),
    )
    notes = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def _dates(self, data: dict, **_) -> None:
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("It must end on or after the day it starts.", "ends_on")


class DocumentInfoSchema(Schema):
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)


class MouSchema(Schema):
    id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    signed_on = fields.Date(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)
    signatories = fields.List(fields.Nested(SignatorySchema), required=True)
    notes = fields.String(required=True)
    document = fields.Nested(DocumentInfoSchema, allow_none=True, attribute="document_info")
    created_at = fields.DateTime(required=True)


MouPageSchema = page_of(MouSchema, "MouPage")


class MouQuerySchema(PageQuerySchema):
    sort = sort_field(("starts_on", "signed_on", "created_at"), "-starts_on")
