"""The delivery log as staff read it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chassis.paging import PageQuerySchema, page_of
from services.notifications.messages import rules, templates


class MessageSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    account_id = fields.String(required=True)
    channel = fields.String(required=True, metadata={"enum": list(rules.CHANNELS)})
    recipient = fields.String(required=True)
    language = fields.String(required=True)
    subject = fields.String(required=True)
    body = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(rules.STATUSES)})
    provider_id = fields.String(required=True, allow_none=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(required=True)
    last_error = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(required=True, allow_none=True)
    delivered_at = fields.DateTime(required=True, allow_none=True)


MessagePageSchema = page_of(MessageSchema, "MessagePage")


class MessageQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(rules.STATUSES), load_default=None)
    channel = fields.String(validate=validate.OneOf(rules.CHANNELS), load_default=None)
    kind = fields.String(validate=validate.OneOf(templates.KINDS), load_default=None)
    account_id = fields.String(validate=validate.Length(min=1, max=64), load_default=None)
