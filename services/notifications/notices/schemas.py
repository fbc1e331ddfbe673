"""Notices as staff read them: what is to be told (reminders to come among them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chassis.paging import PageQuerySchema, page_of
from services.notifications.messages import templates
from services.notifications.notices.models import CANCELLED, DONE, FAILED, PENDING


class NoticeSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    audience = fields.String(required=True)
    account_ids = fields.List(fields.String(), required=True)
    data = fields.Dict(required=True)
    assignment_id = fields.String(required=True, allow_none=True)
    due_at = fields.DateTime(required=True)
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    last_error = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    done_at = fields.DateTime(required=True, allow_none=True)


NoticePageSchema = page_of(NoticeSchema, "NoticePage")


class NoticeQuerySchema(PageQuerySchema):
    status = fields.String(
        validate=validate.OneOf((PENDING, DONE, CANCELLED, FAILED)), load_default=None
    )
    kind = fields.String(validate=validate.OneOf(templates.KINDS), load_default=None)
    assignment_id = fields.String(validate=validate.Length(min=1, max=64), load_default=None)
