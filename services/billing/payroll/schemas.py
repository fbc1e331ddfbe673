"""Payroll runs as the API takes and shows them."""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate

from chassis.jobs import JobSchema
from chassis.paging import PageQuerySchema
from chassis.schemas import Pattern
from services.billing.payroll.models import RUN_STATUSES
from services.billing.payroll.rules import LAYOUTS

WORKER_ID = Pattern(r"^[A-Za-z0-9-]{1,36}$", error="Not a worker id.")
FIRST_YEAR, LAST_YEAR = 2000, 2200


def _monday(value: date) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"Between {FIRST_YEAR} and {LAST_YEAR}.")
    if value.weekday() != 0:
        raise ValidationError("A pay week starts on a Monday.")


def _week(**options) -> fields.Date:
    return fields.Date(
        validate=_monday,
        metadata={"description": "The Monday of a pay week (the CBO's zone)."},
        **options,
    )


class RunRequestSchema(Schema):
    week_start = _week(required=True)


class RunQuerySchema(PageQuerySchema):
    week_start = _week(load_default=None, allow_none=True)


class LinesQuerySchema(PageQuerySchema):
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class BlockerSchema(Schema):
    code = fields.String(
        required=True,
        metadata={
            "enum": ["unapproved_line", "evv_exception", "missing_payroll_id", "unpriced_line"]
        },
    )
    message = fields.String(required=True)
    worker_id = fields.String()
    visit_id = fields.String()


class RunSchema(Schema):
    id = fields.String(required=True)
    week_start = fields.Date(required=True)
    status = fields.String(required=True, metadata={"enum": list(RUN_STATUSES)})
    started_by_kind = fields.String(required=True, metadata={"enum": ["staff", "schedule"]})
    workers = fields.Integer(required=True)
    gross_cents = fields.Integer(required=True)
    blocker_count = fields.Integer(required=True)
    blockers = fields.List(
        fields.Nested(BlockerSchema),
        required=True,
        metadata={"description": "The first 500; blocker_count counts them all."},
    )
    completed_at = fields.DateTime(allow_none=True)
    preview_job = fields.Nested(JobSchema, allow_none=True)
    complete_job = fields.Nested(JobSchema, allow_none=True)
    exports = fields.List(
        fields.String(metadata={"enum": list(LAYOUTS)}),
        required=True,
        metadata={"description": "The files a completed run has."},
    )


class RunPageSchema(Schema):
    items = fields.List(fields.Nested(RunSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class ClientShareSchema(Schema):
    client_id = fields.String(allow_none=True)
    job_type_id = fields.String(allow_none=True)
    minutes = fields.Integer()
    gross_cents = fields.Integer()


class LineSchema(Schema):
    worker_id = fields.String(required=True)
    worker_tenant_id = fields.String(required=True)
    for_week = fields.Date(required=True)
    kind = fields.String(required=True, metadata={"enum": ["week", "adjustment"]})
    name = fields.String(allow_none=True)
    payroll_id = fields.String(allow_none=True)
    regular_minutes = fields.Integer(required=True)
    overtime_minutes = fields.Integer(required=True, metadata={"description": "At 1.5x."})
    double_time_minutes = fields.Integer(required=True, metadata={"description": "At 2x."})
    reporting_minutes = fields.Integer(required=True)
    meal_premiums = fields.Integer(required=True)
    rest_premiums = fields.Integer(required=True)
    regular_rate = fields.String(required=True, metadata={"description": "Cents an hour."})
    straight_cents = fields.Integer(required=True)
    overtime_premium_cents = fields.Integer(required=True)
    period_premium_cents = fields.Integer(required=True)
    reporting_cents = fields.Integer(required=True)
    bonus_cents = fields.Integer(required=True)
    gross_cents = fields.Integer(required=True)
    clients = fields.List(fields.Nested(ClientShareSchema), required=True)


class LinePageSchema(Schema):
    items = fields.List(fields.Nested(LineSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class BonusSchema(Schema):
    """A non-discretionary bonus (reliability, attendance) for a week not yet run; 0 takes it
    back."""

    worker_id = fields.String(required=True, validate=WORKER_ID)
    week_start = _week(required=True)
    cents = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=10**7))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
