"""Paging shared by every list endpoint: the query (page, per_page), the page it returns, and
the one way to search text in a list."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


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


def like_pattern(text: str) -> str:
    """`text` as a case-insensitive substring pattern (use with `escape="\\\\"`), its own %
    and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.strip()}%"


def page_rows(session: Session, query: Select, *, page: int, per_page: int) -> dict[str, Any]:
    """One page of `query`'s rows with the total count: {items, total, page, per_page}."""
    total = session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = session.execute(query.limit(per_page).offset((page - 1) * per_page)).scalars()
    return {"items": list(rows), "total": total, "page": page, "per_page": per_page}


def sort_field(allowed: tuple[str, ...], default: str) -> fields.String:
    """The one sort parameter of every list: `sort=<field>` ascending, `sort=-<field>`
    descending, one of `allowed`. Filters are plain query parameters named after the field
    (`status=approved`), and `q` is a free-text search (see like_pattern)."""
    choices = tuple(allowed) + tuple(f"-{name}" for name in allowed)
    return fields.String(
        load_default=default,
        validate=validate.OneOf(choices),
        metadata={"description": f"One of {', '.join(allowed)}; prefix with - to reverse."},
    )


def order_by(query: Select, sort: str, columns: dict[str, Any], tiebreak: Any) -> Select:
    """`query` ordered by the `sort` parameter (see sort_field), then by `tiebreak` (a unique
    column, so that pages never overlap)."""
    column = columns[sort.lstrip("-")]
    ordered = column.desc() if sort.startswith("-") else column.asc()
    return query.order_by(ordered, tiebreak)
