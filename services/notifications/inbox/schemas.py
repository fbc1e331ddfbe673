"""The inbox as its owner reads it."""

from __future__ import annotations

from marshmallow import Schema, fields

from chassis.paging import PageQuerySchema, page_of


class InboxItemSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    language = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    data = fields.Dict(required=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(required=True, allow_none=True)


InboxPageSchema = page_of(InboxItemSchema, "InboxPage")


class InboxQuerySchema(PageQuerySchema):
    unread = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "true: only unread; false: only read; absent: all"},
    )


class UnreadCountSchema(Schema):
    unread = fields.Integer(required=True)


class MarkedSchema(Schema):
    marked = fields.Integer(required=True)
