"""Attendance outcomes, ratings after a shift, and a client's preferences."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from chassis.paging import PageQuerySchema, page_of, sort_field
from services.booking.attendance.models import OUTCOMES, RATINGS


def _tidy_text(data: dict, name: str) -> dict:
    """Trim an optional text; only spaces count as none."""
    if data.get(name) is not None:
        data[name] = data[name].strip() or None
    return data


class AttendanceInputSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    minutes_late = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=24 * 60),
        metadata={"description": "How late the worker came (completed only); none: on time."},
    )
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Why: required to correct an outcome marked before."},
    )

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        _tidy_text(data, "reason")
        if data["outcome"] != "completed" and data.get("minutes_late") is not None:
            raise ValidationError("Only a worker who came can be late.", "minutes_late")
        return data


class AttendanceSchema(Schema):
    id = fields.String(required=True)
    shift_id = fields.String(required=True)
    client_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    status = fields.String(
        required=True, metadata={"enum": ["booked", "completed", "no_show", "cancelled"]}
    )
    minutes_late = fields.Integer(allow_none=True)
    outcome_by = fields.String(allow_none=True)
    outcome_at = fields.DateTime(allow_none=True)
    shift_status = fields.String(required=True)


class WorkerRatingSchema(Schema):
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        return _tidy_text(data, "note")


class ClientPreferenceSchema(Schema):
    client_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    worker_name = fields.String(allow_none=True)
    rating = fields.String(required=True, metadata={"enum": list(RATINGS)})
    note = fields.String(allow_none=True)
    shift_id = fields.String(allow_none=True, metadata={"description": "The shift rated, if any."})
    rated_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(required=True)


class ClientPreferenceQuerySchema(PageQuerySchema):
    rating = fields.String(validate=validate.OneOf(RATINGS))
    q = fields.String(
        validate=validate.Length(max=200), metadata={"description": "Part of the worker's name."}
    )
    sort = sort_field(("updated_at", "worker_name"), "-updated_at")


ClientPreferencePageSchema = page_of(ClientPreferenceSchema, "ClientPreferencePage")
