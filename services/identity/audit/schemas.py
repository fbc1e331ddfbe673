"""The audit trail's query and response schemas."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chassis.paging import PageQuerySchema, page_of, sort_field

# -- audit trail -----------------------------------------------------------------------------


class AuditQuerySchema(PageQuerySchema):
    sort = sort_field(("occurred_at",), "-occurred_at")
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


AuditPageSchema = page_of(AuditEntrySchema, "AuditPage")
