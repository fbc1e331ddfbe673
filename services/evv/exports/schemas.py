"""The exports' query."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate


class ExportQuerySchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "json")))
    start = fields.Date(required=True, metadata={"description": "First day (CBO's time zone)."})
    end = fields.Date(required=True, metadata={"description": "Last day, at most 62 days on."})

    @post_load
    def _period(self, data: dict, **kwargs: Any) -> dict:
        if data["end"] < data["start"]:
            raise ValidationError("The end comes before the start.", "end")
        if (data["end"] - data["start"]).days > 62:
            raise ValidationError("At most 62 days at once.", "end")
        return data
