"""Paging shared by every list endpoint: the query (page, per_page), the page it returns, and
the one way to search text in a list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import ColumnElement, Select, func, or_, select
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
    """`text` as a case-insensitive substring pattern (for `ilike(…, escape="\\\\")`; see
    text_search), its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.strip()}%"


def page_rows(
    session: Session,
    query: Select,
    *,
    page: int,
    per_page: int,
    view: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """One page of `query` with the total count: {items, total, page, per_page}. A query of one
    entity pages its objects, one of several columns its rows; `view` turns each into what the
    page holds."""
    total = session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    result = session.execute(query.limit(per_page).offset((page - 1) * per_page))
    found = result.scalars().all() if len(query.column_descriptions) == 1 else result.all()
    items = [view(item) for item in found] if view is not None else list(found)
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def text_search(text: str, *columns: Any) -> ColumnElement[bool]:
    """The one free-text filter (`q`): any of `columns` contains `text`, case aside, its LIKE
    wildcards taken literally."""
    pattern = like_pattern(text)
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


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
