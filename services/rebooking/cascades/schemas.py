"""Cascades as staff and a client's users read them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chassis.paging import PageQuerySchema, page_of, sort_field
from chassis.schemas import Pattern
from services.rebooking.cascades.models import STATUSES


class CascadeQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    shift_id = fields.String(validate=Pattern(r"^[A-Za-z0-9-]{1,36}$", error="Not a shift id."))
    sort = sort_field(("created_at", "starts_at"), "-created_at")


class CascadeStepSchema(Schema):
    attempt = fields.Integer(required=True)
    offer_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    source = fields.String(required=True, metadata={"enum": ["preferred", "ranking"]})
    deadline_at = fields.DateTime(required=True)
    outcome = fields.String(
        required=True,
        metadata={"enum": ["sent", "confirmed", "declined", "expired", "withdrawn"]},
    )
    created_at = fields.DateTime(required=True)


class CascadeSchema(Schema):
    id = fields.String(required=True)
    shift_id = fields.String(required=True)
    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    trigger = fields.String(required=True)
    trigger_worker_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    attempts = fields.Integer(required=True)
    max_attempts = fields.Integer(required=True)
    end_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(allow_none=True)
    steps = fields.List(fields.Nested(CascadeStepSchema), required=True)


CascadePageSchema = page_of(CascadeSchema, "CascadePage")
