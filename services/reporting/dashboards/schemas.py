"""Schemas of the reports: their query parameters and what they answer."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from chassis.paging import PageQuerySchema
from chassis.schemas import Pattern
from services.reporting.dashboards import rules

# Ids are UUIDs; anything else names nothing (and is refused before any query).
ID = Pattern(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    error="Not an id.",
)
# Days a report may ask about: far enough either way, and never near date's own limits.
DAYS = validate.Range(
    min=date(2000, 1, 1), max=date(2099, 12, 31), error="A day from 2000 to 2099."
)
FORMATS = ("csv", "xlsx")


class ScopeQuerySchema(Schema):
    tenant_id = fields.String(
        validate=ID,
        metadata={
            "description": "Another CBO's reports: the operator any CBO's, a CBO a partner's "
            "that shares its reports. The operator without it reads every CBO's."
        },
    )


class KpiQuerySchema(ScopeQuerySchema):
    period = fields.String(load_default=rules.WEEK, validate=validate.OneOf(rules.PERIOD_KINDS))
    day = fields.Date(
        validate=DAYS,
        metadata={"description": "Any day of the week or month wanted (default: today)."},
    )
    job_type_id = fields.String(validate=ID)
    source_id = fields.String(validate=ID)
    client_id = fields.String(validate=ID)


class KpiDownloadQuerySchema(KpiQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(FORMATS))


class EarningsQuerySchema(ScopeQuerySchema):
    period = fields.String(load_default=rules.WEEK, validate=validate.OneOf(rules.PERIOD_KINDS))
    day = fields.Date(validate=DAYS, metadata={"description": "Any day of the period."})


class ActivityQuerySchema(PageQuerySchema, ScopeQuerySchema):
    start = fields.Date(validate=DAYS, metadata={"description": "First day (default: 7 days ago)."})
    end = fields.Date(validate=DAYS, metadata={"description": "Last day (default: today)."})
    actor_kind = fields.String(
        validate=validate.OneOf(("staff", "jobseeker", "client", "operator", "system"))
    )
    actor_id = fields.String(validate=ID)
    action = fields.String(validate=validate.Length(min=1, max=100))

    @post_load
    def _period(self, data: dict, **kwargs: Any) -> dict:
        if "start" in data and "end" in data:
            if data["end"] < data["start"]:
                raise ValidationError("The end comes before the start.", "end")
            if (data["end"] - data["start"]).days > 366:
                raise ValidationError("At most a year at once.", "end")
        return data


class SkillsQuerySchema(ScopeQuerySchema):
    weeks = fields.Integer(load_default=4, validate=validate.Range(min=1, max=26))
    ending = fields.Date(validate=DAYS, metadata={"description": "Last day (default: today)."})


# -- answers --------------------------------------------------------------------------------------


class PeriodSchema(Schema):
    kind = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True, metadata={"description": "Its last day."})


class CascadesSchema(Schema):
    started = fields.Integer(required=True)
    completed = fields.Integer(required=True)
    exhausted = fields.Integer(required=True)
    other = fields.Integer(required=True)


class KpisSchema(Schema):
    active_jobseekers = fields.Integer(required=True, allow_none=True)
    newly_registered = fields.Integer(required=True)
    newly_approved = fields.Integer(required=True)
    shifts_booked = fields.Integer(required=True)
    shifts_cancelled = fields.Integer(required=True)
    shifts_filled = fields.Integer(required=True)
    fill_rate = fields.Float(required=True, allow_none=True)
    time_to_fill_minutes = fields.Float(required=True, allow_none=True)
    places_worked = fields.Integer(required=True)
    hours_worked = fields.Float(required=True)
    hours_booked = fields.Float(required=True)
    gross_earnings_cents = fields.Integer(required=True)
    no_shows = fields.Integer(required=True)
    late_cancellations = fields.Integer(required=True)
    cascades = fields.Nested(CascadesSchema, required=True)
    evv_visits = fields.Integer(required=True)
    evv_exception_rate = fields.Float(required=True, allow_none=True)


class PeriodKpisSchema(Schema):
    period = fields.Nested(PeriodSchema, required=True)
    kpis = fields.Nested(KpisSchema, required=True)


class DayKpisSchema(KpisSchema):
    day = fields.Date(required=True)


class KpiReportSchema(Schema):
    tenant_id = fields.String(required=True, allow_none=True)
    current = fields.Nested(PeriodKpisSchema, required=True)
    previous = fields.Nested(PeriodKpisSchema, required=True)
    month_before = fields.Nested(PeriodKpisSchema, required=True)
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True)),
        required=True,
        metadata={"description": "Per comparison, each KPI's relative change (0.25 = 25 % up)."},
    )
    series = fields.List(fields.Nested(DayKpisSchema), required=True)


class BandSchema(Schema):
    from_ = fields.Float(required=True, data_key="from", attribute="from")
    to = fields.Float(required=True, allow_none=True)
    workers = fields.Integer(required=True)


class SpreadSchema(Schema):
    bands = fields.List(fields.Nested(BandSchema), required=True)
    percentiles = fields.Dict(
        keys=fields.String(), values=fields.Float(allow_none=True), required=True
    )
    mean = fields.Float(required=True, allow_none=True)


class DistributionSchema(Schema):
    worker_weeks = fields.Integer(required=True)
    earnings_cents = fields.Nested(SpreadSchema, required=True)
    hours = fields.Nested(SpreadSchema, required=True)


class SourceDistributionSchema(DistributionSchema):
    source_id = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)


class JobTypeDistributionSchema(DistributionSchema):
    job_type_id = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)


class EarningsProfileSchema(Schema):
    tenant_id = fields.String(required=True, allow_none=True)
    period = fields.Nested(PeriodSchema, required=True)
    weeks = fields.List(fields.Date(), required=True)
    overall = fields.Nested(DistributionSchema, required=True)
    by_source = fields.List(fields.Nested(SourceDistributionSchema), required=True)
    by_job_type = fields.List(fields.Nested(JobTypeDistributionSchema), required=True)


class ActionCountSchema(Schema):
    action = fields.String(required=True)
    count = fields.Integer(required=True)


class ActorActivitySchema(Schema):
    actor_id = fields.String(required=True)
    actor_kind = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    total = fields.Integer(required=True)
    first_at = fields.DateTime(required=True)
    last_at = fields.DateTime(required=True)
    actions = fields.List(fields.Nested(ActionCountSchema), required=True)


class ActivityPageSchema(Schema):
    items = fields.List(fields.Nested(ActorActivitySchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class ProspectSchema(Schema):
    client_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    hours_booked = fields.Float(required=True)


class SkillSchema(Schema):
    rank = fields.Integer(required=True)
    skill = fields.String(required=True)
    approved_workers = fields.Integer(required=True)
    hours_booked = fields.Float(required=True)
    hours_per_worker_week = fields.Float(required=True)
    underused = fields.Boolean(required=True)
    client_kinds = fields.List(fields.String(), required=True)
    prospects = fields.List(fields.Nested(ProspectSchema), required=True)


class SkillsReportSchema(Schema):
    tenant_id = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    weeks = fields.Integer(required=True)
    threshold_hours_per_worker_week = fields.Float(required=True)
    skills = fields.List(fields.Nested(SkillSchema), required=True)
