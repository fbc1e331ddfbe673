"""Request schemas every service shares."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate


class ReasonSchema(Schema):
    """Why staff or the operator took an action (a rejection, a suspension): 1-500 characters,
    not only spaces."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        data["reason"] = data["reason"].strip()
        if not data["reason"]:
            raise ValidationError("Give a reason.", "reason")
        return data
