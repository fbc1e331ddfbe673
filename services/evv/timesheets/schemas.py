"""Timesheets as the API takes and shows them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chassis.paging import PageQuerySchema, page_of

ID = validate.Length(min=1, max=36)


class LineSchema(Schema):
    visit_id = fields.String(required=True)
    shift_id = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    clock_in_at = fields.DateTime(allow_none=True, required=True)
    clock_out_at = fields.DateTime(allow_none=True, required=True)
    scheduled_minutes = fields.Integer(required=True)
    worked_minutes = fields.Integer(required=True)
    worker_answer = fields.String(required=True)
    client_answer = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["pending", "approved", "disputed"]})
    approved_by = fields.String(allow_none=True, required=True)
    dispute_reason = fields.String(allow_none=True, required=True)
    resolution = fields.String(allow_none=True, required=True)


class TimesheetSchema(Schema):
    id = fields.String(required=True)
    worker_id = fields.String(required=True)
    client_id = fields.String(required=True)
    week_start = fields.Date(required=True)
    scheduled_minutes = fields.Integer(required=True)
    worked_minutes = fields.Integer(required=True)
    approved = fields.Boolean(required=True)
    lines = fields.List(fields.Nested(LineSchema), required=True)


TimesheetPageSchema = page_of(TimesheetSchema, "TimesheetPage")


class TimesheetQuerySchema(PageQuerySchema):
    week_start = fields.Date(metadata={"description": "The pay week's Monday."})
    worker_id = fields.String(validate=ID)
    client_id = fields.String(validate=ID)


class AnswerSchema(Schema):
    answer = fields.String(required=True, validate=validate.OneOf(("approved", "disputed")))
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata={"description": "Why, when disputing."},
    )


class AmendLineSchema(Schema):
    """The minutes an approved line should have had, and why."""

    comment = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    worked_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(0, 1440))


class ResolveLineSchema(Schema):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    worked_minutes = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(0, 1440)
    )
