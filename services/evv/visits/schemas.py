"""Punches, visits, exceptions, corrections and EVV settings as the API takes and shows them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from chassis.paging import PageQuerySchema, page_of
from chassis.schemas import Pattern
from services.evv.visits import rules

ID = validate.Length(min=1, max=36)
# The device's own id of a punch: 8-64 letters, digits, '-', '_' or '.' (a UUID fits).
DEVICE_ID = Pattern(r"^[A-Za-z0-9._-]{8,64}$", error="8 to 64 letters, digits, '.', '_' or '-'.")
KINDS = validate.OneOf(("clock_in", "clock_out"))
COMMENT = validate.Length(max=1000)


class PunchInputSchema(Schema):
    id = fields.String(
        required=True,
        validate=DEVICE_ID,
        metadata={"description": "The device's own id of this punch: sent again, it is one."},
    )
    assignment_id = fields.String(
        required=True, validate=ID, metadata={"description": "Your confirmed shift's assignment."}
    )
    kind = fields.String(required=True, validate=KINDS)
    device_time = fields.AwareDateTime(
        required=True, metadata={"description": "When the device recorded it (with its offset)."}
    )
    latitude = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(min=-90, max=90)
    )
    longitude = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(min=-180, max=180)
    )
    accuracy_m = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=100_000)
    )
    mocked = fields.Boolean(
        load_default=False, metadata={"description": "The device reported a mocked location."}
    )

    @post_load
    def _both_or_neither(self, data: dict, **kwargs: Any) -> dict:
        if (data["latitude"] is None) != (data["longitude"] is None):
            missing = "longitude" if data["longitude"] is None else "latitude"
            raise ValidationError("Send latitude and longitude together, or neither.", missing)
        return data


class PunchSchema(Schema):
    id = fields.String(required=True)
    device_punch_id = fields.String(required=True)
    visit_id = fields.String(required=True)
    kind = fields.String(required=True)
    method = fields.String(required=True)
    device_time = fields.DateTime(required=True)
    server_time = fields.DateTime(required=True)
    delay_seconds = fields.Integer(required=True)
    latitude = fields.Float(allow_none=True, required=True)
    longitude = fields.Float(allow_none=True, required=True)
    accuracy_m = fields.Float(allow_none=True, required=True)
    mocked = fields.Boolean(required=True)
    distance_m = fields.Float(allow_none=True, required=True)
    exceptions = fields.List(fields.String(), required=True)
    visit_status = fields.String(required=True)


class RecordSchema(Schema):
    id = fields.String(required=True)
    record_type = fields.String(required=True, metadata={"enum": ["punch", "correction"]})
    kind = fields.String(required=True)
    method = fields.String(required=True)
    device_time = fields.DateTime(required=True)
    server_time = fields.DateTime(required=True)
    delay_seconds = fields.Integer(required=True)
    latitude = fields.Float(allow_none=True, required=True)
    longitude = fields.Float(allow_none=True, required=True)
    accuracy_m = fields.Float(allow_none=True, required=True)
    mocked = fields.Boolean(required=True)
    distance_m = fields.Float(allow_none=True, required=True)
    corrects_record_id = fields.String(allow_none=True, required=True)
    reason_code = fields.String(allow_none=True, required=True)
    action_code = fields.String(allow_none=True, required=True)
    comment = fields.String(allow_none=True, required=True)
    entered_by = fields.String(allow_none=True, required=True)
    seq = fields.Integer(allow_none=True, required=True)
    hash = fields.String(allow_none=True, required=True)


class ExceptionSchema(Schema):
    id = fields.String(required=True)
    record_id = fields.String(allow_none=True, required=True)
    code = fields.String(required=True)
    severity = fields.String(required=True)
    detail = fields.String(required=True)
    status = fields.String(required=True)
    reason_code = fields.String(allow_none=True, required=True)
    action_code = fields.String(allow_none=True, required=True)
    comment = fields.String(allow_none=True, required=True)
    resolved_by = fields.String(allow_none=True, required=True)
    resolved_at = fields.DateTime(allow_none=True, required=True)


class VisitSiteSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    geofence_radius_m = fields.Integer(allow_none=True, required=True)


class VisitSchema(Schema):
    id = fields.String(required=True)
    shift_id = fields.String(required=True)
    client_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    status = fields.String(
        required=True,
        metadata={"enum": ["scheduled", "in_progress", "completed", "verified", "cancelled"]},
    )
    clock_in_at = fields.DateTime(allow_none=True, required=True)
    clock_out_at = fields.DateTime(allow_none=True, required=True)
    no_show_suspected = fields.Boolean(required=True)
    verified_at = fields.DateTime(allow_none=True, required=True)
    service_type = fields.String(allow_none=True, required=True)
    site = fields.Nested(VisitSiteSchema, allow_none=True, required=True)
    records = fields.List(fields.Nested(RecordSchema), required=True)
    exceptions = fields.List(fields.Nested(ExceptionSchema), required=True)


VisitPageSchema = page_of(VisitSchema, "VisitPage")


class VisitQuerySchema(PageQuerySchema):
    status = fields.String(
        validate=validate.OneOf(("scheduled", "in_progress", "completed", "verified", "cancelled"))
    )
    worker_id = fields.String(validate=ID)
    client_id = fields.String(validate=ID)
    exceptions = fields.String(
        validate=validate.OneOf(("open",)),
        metadata={"description": "`open`: only visits with an open exception."},
    )


class _Codes(Schema):
    reason_code = fields.String(
        required=True,
        validate=validate.OneOf(tuple(rules.REASON_CODES)),
        metadata={"description": "A state visit-maintenance reason code (e.g. 100, 215, 600)."},
    )
    action_code = fields.String(required=True, validate=validate.OneOf(tuple(rules.ACTION_CODES)))
    comment = fields.String(load_default=None, allow_none=True, validate=COMMENT)

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        if data.get("comment") is not None:
            data["comment"] = data["comment"].strip() or None
        problem = rules.comment_problem(data["reason_code"], data.get("comment"))
        if problem:
            raise ValidationError(problem, "comment")
        return data


class ResolveSchema(_Codes):
    pass


class CorrectionSchema(_Codes):
    kind = fields.String(required=True, validate=KINDS)
    time = fields.AwareDateTime(required=True)


class SettingsSchema(Schema):
    geofence_default_m = fields.Integer(required=True)
    tolerance_minutes = fields.Integer(required=True)
    no_show_after_minutes = fields.Integer(required=True)
    missing_clock_out_after_minutes = fields.Integer(required=True)
    max_skew_minutes = fields.Integer(required=True)
    too_short_percent = fields.Integer(required=True)
    too_long_minutes = fields.Integer(required=True)


class SettingsUpdateSchema(Schema):
    geofence_default_m = fields.Integer(strict=True, validate=validate.Range(25, 5000))
    tolerance_minutes = fields.Integer(strict=True, validate=validate.Range(0, 240))
    no_show_after_minutes = fields.Integer(strict=True, validate=validate.Range(5, 1440))
    missing_clock_out_after_minutes = fields.Integer(strict=True, validate=validate.Range(5, 1440))
    max_skew_minutes = fields.Integer(strict=True, validate=validate.Range(1, 1440))
    too_short_percent = fields.Integer(strict=True, validate=validate.Range(0, 100))
    too_long_minutes = fields.Integer(strict=True, validate=validate.Range(0, 1440))


class ClientChoiceSchema(Schema):
    evv = fields.Boolean(required=True)


class ClientChoiceViewSchema(Schema):
    client_id = fields.String(required=True)
    evv = fields.Boolean(required=True)


def punch_view(answer: Any) -> dict:
    record = answer.record
    return {
        "id": record.id,
        "device_punch_id": record.device_punch_id,
        "visit_id": record.visit_id,
        "kind": record.kind,
        "method": record.method,
        "device_time": record.device_time,
        "server_time": record.server_time,
        "delay_seconds": record.delay_seconds,
        "latitude": record.latitude,
        "longitude": record.longitude,
        "accuracy_m": record.accuracy_m,
        "mocked": record.mocked,
        "distance_m": record.distance_m,
        "exceptions": answer.exceptions,
        "visit_status": answer.visit.status,
    }


def visit_view(view: Any) -> dict:
    visit = view.visit
    site = view.site
    return {
        "id": visit.id,
        "shift_id": visit.shift_id,
        "client_id": visit.client_id,
        "worker_id": visit.worker_id,
        "starts_at": visit.starts_at,
        "ends_at": visit.ends_at,
        "status": visit.status,
        "clock_in_at": visit.clock_in_at,
        "clock_out_at": visit.clock_out_at,
        "no_show_suspected": visit.no_show_suspected,
        "verified_at": visit.verified_at,
        "service_type": view.job_type.key if view.job_type is not None else None,
        "site": None
        if site is None
        else {
            "id": site.site_id,
            "name": site.name,
            "latitude": site.latitude,
            "longitude": site.longitude,
            "geofence_radius_m": site.geofence_radius_m,
        },
        "records": view.records,
        "exceptions": view.exceptions,
    }
