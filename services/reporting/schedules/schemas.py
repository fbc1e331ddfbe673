"""Schemas of scheduled deliveries."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from chassis.paging import PageQuerySchema, page_of
from services.reporting.dashboards.rules import PERIOD_KINDS
from services.reporting.dashboards.schemas import FORMATS
from services.reporting.schedules.rules import STATUSES

MAX_RECIPIENTS = 50


class _ScheduleFields(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    recipients = fields.List(
        fields.Email(validate=validate.Length(max=254)),
        validate=validate.Length(min=1, max=MAX_RECIPIENTS),
    )
    period = fields.String(validate=validate.OneOf(PERIOD_KINDS))
    weekday = fields.Integer(
        validate=validate.Range(min=0, max=6),
        metadata={"description": "For a weekly schedule: 0 = Monday ... 6 = Sunday."},
    )
    day_of_month = fields.Integer(
        validate=validate.Range(min=1, max=28),
        metadata={"description": "For a monthly schedule: 1 to 28."},
    )
    hour = fields.Integer(validate=validate.Range(min=0, max=23))
    minute = fields.Integer(validate=validate.Range(min=0, max=59))
    file_format = fields.String(validate=validate.OneOf(FORMATS))
    active = fields.Boolean()

    @validates("name")
    def _name(self, value: str, **_: Any) -> None:
        if not value.strip() or "\x00" in value:
            raise ValidationError("Give the schedule a name.")

    @post_load
    def _tidy(self, data: dict, **_: Any) -> dict:
        if "name" in data:
            data["name"] = data["name"].strip()
        if "recipients" in data:
            lowered = [address.strip().lower() for address in data["recipients"]]
            data["recipients"] = list(dict.fromkeys(lowered))
        return data


class ScheduleCreateSchema(_ScheduleFields):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    recipients = fields.List(
        fields.Email(validate=validate.Length(max=254)),
        required=True,
        validate=validate.Length(min=1, max=MAX_RECIPIENTS),
    )
    period = fields.String(required=True, validate=validate.OneOf(PERIOD_KINDS))
    hour = fields.Integer(required=True, validate=validate.Range(min=0, max=23))
    file_format = fields.String(load_default="xlsx", validate=validate.OneOf(FORMATS))


class ScheduleUpdateSchema(_ScheduleFields):
    @post_load
    def _something(self, data: dict, **_: Any) -> dict:
        if not data:
            raise ValidationError("Change at least one field.", "_schema")
        return data


class ScheduleSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    recipients = fields.List(fields.String(), required=True)
    period = fields.String(required=True)
    weekday = fields.Integer(required=True)
    day_of_month = fields.Integer(required=True)
    hour = fields.Integer(required=True)
    minute = fields.Integer(required=True)
    file_format = fields.String(required=True)
    active = fields.Boolean(required=True)
    next_run_at = fields.DateTime(required=True)
    created_at = fields.DateTime(required=True)


SchedulePageSchema = page_of(ScheduleSchema, "SchedulePage")


class ReportDeliverySchema(Schema):
    id = fields.String(required=True)
    occurrence_at = fields.DateTime(required=True)
    period_starts_on = fields.Date(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    attempts = fields.Integer(required=True)
    last_error = fields.String(required=True, allow_none=True)
    sent_at = fields.DateTime(required=True, allow_none=True)


DeliveryPageSchema = page_of(ReportDeliverySchema, "ReportDeliveryPage")


class ScheduleListQuerySchema(PageQuerySchema):
    pass
