"""Paging shared by every list endpoint: the query (page, per_page) and the page it returns."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """A page of items: {items, total, page, per_page}."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": fields.Integer(required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
        },
        name=name,
    )
