"""Worker sources, their term calendars, and the rules other services ask for."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from chassis.paging import PageQuerySchema, page_of, sort_field
from services.tenancy.common import NAME, PartialUpdate
from services.tenancy.sources.rules import parse_terms


class TermSchema(Schema):
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class SourceInputSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    weekly_hour_cap = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False, max=168),
        metadata={"description": "Hours a week while the cap applies (in term); none: no cap."},
    )
    terms = fields.List(
        fields.Nested(TermSchema),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "Term dates in which the cap applies; none: all year."},
    )
    active = fields.Boolean(load_default=True)

    @validates("terms")
    def _terms(self, value: list[dict], **_) -> None:
        # Marshmallow runs this even when a term failed, passing that term's valid part; the
        # failed term already has its errors, so the calendar is checked only when all are whole.
        if not all(isinstance(t, dict) and {"starts_on", "ends_on"} <= t.keys() for t in value):
            return
        try:
            parse_terms(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class SourceUpdateSchema(PartialUpdate, SourceInputSchema):
    pass


class SourceQuerySchema(PageQuerySchema):
    q = fields.String(
        validate=validate.Length(max=200), metadata={"description": "Part of the name."}
    )
    active = fields.Boolean()
    sort = sort_field(("name", "created_at", "updated_at"), "name")


class SourceSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    weekly_hour_cap = fields.Float(allow_none=True, attribute="cap")
    terms = fields.List(fields.Nested(TermSchema), required=True, attribute="term_dates")
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


SourcePageSchema = page_of(SourceSchema, "SourcePage")
