"""The search's request and answer."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.booking.search.rules import CODES, MAX_OCCURRENCES

ID = validate.Length(min=1, max=36)
# Dates a search may ask about (and the repeating rule's occurrences stay far from the ends
# of Python's calendar).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class SearchRequestSchema(Schema):
    job_type_id = fields.String(required=True, validate=ID)
    client_id = fields.String(required=True, validate=ID)
    site_id = fields.String(required=True, validate=ID)
    starts_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "The window's start (with its offset); or give date and times."},
    )
    ends_at = fields.AwareDateTime(load_default=None, allow_none=True)
    date = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "The local date of the window, in the site's time zone."},
    )
    start_time = fields.Time(load_default=None, allow_none=True)
    end_time = fields.Time(
        load_default=None,
        allow_none=True,
        metadata={"description": "At or before start_time: the next day (a night shift)."},
    )
    recurrence = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "An RFC 5545 RRULE repeating the window in local time, e.g. "
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=20 (COUNT or UNTIL required, at most "
            f"{MAX_OCCURRENCES} occurrences). A worker is eligible only for every occurrence."
        },
    )
    include_partners = fields.Boolean(
        load_default=False,
        metadata={"description": "Also rank workers of partner CBOs that share the job type."},
    )
    jobseeker_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=ID,
        metadata={"description": "Explain this one worker too (`worker` in the answer)."},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    count_reasons = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Staff: also count the left-out workers per reason code "
            "(`excluded.by_reason`; one more pass over every worker of the CBO)."
        },
    )
    excluded_page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=100_000),
        metadata={"description": "Which page of left-out workers (staff only)."},
    )

    @validates_schema
    def _in_range(self, data: dict, **_) -> None:
        for key in ("starts_at", "ends_at", "date"):
            value = data.get(key)
            if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
                raise ValidationError(f"Between {FIRST_YEAR} and {LAST_YEAR}.", key)

    @validates_schema
    def _one_window(self, data: dict, **_) -> None:
        exact = data.get("starts_at") is not None or data.get("ends_at") is not None
        local = any(data.get(k) is not None for k in ("date", "start_time", "end_time"))
        if exact and local:
            raise ValidationError(
                "Give starts_at and ends_at, or date with times, not both.", "date"
            )
        if exact:
            missing = [k for k in ("starts_at", "ends_at") if data.get(k) is None]
        else:
            missing = [k for k in ("date", "start_time", "end_time") if data.get(k) is None]
        if missing:
            raise ValidationError({k: ["Missing data for required field."] for k in missing})


class RankSchema(Schema):
    favourite = fields.Boolean(required=True, metadata={"description": "Of this client."})
    reliability = fields.Float(required=True, metadata={"description": "Score 0-100."})
    reliable = fields.Boolean(required=True)
    distance_km = fields.Float(
        required=True, allow_none=True, metadata={"description": "Home ZIP to the site."}
    )
    booked_minutes_this_week = fields.Integer(required=True)


class CostSchema(Schema):
    """What the shift does to the worker's pay week (billing's rules: overtime, double time,
    the seventh day, all the CBO's clients together)."""

    week_start = fields.Date(required=True)
    week_minutes = fields.Integer(required=True, metadata={"description": "With the shift."})
    regular_minutes = fields.Integer(required=True, metadata={"description": "Of the shift."})
    overtime_minutes = fields.Integer(required=True, metadata={"description": "At 1.5x."})
    double_time_minutes = fields.Integer(required=True, metadata={"description": "At 2x."})
    seventh_day = fields.Boolean(required=True)
    added_pay_cents = fields.Integer(
        allow_none=True, metadata={"description": "Staff only (null for client users)."}
    )
    added_bill_cents = fields.Integer(required=True)
    summary = fields.String(
        required=True,
        metadata={"description": 'e.g. "this shift puts Ana at 42 h: 2 h at 1.5x, +$60.00"'},
    )


class EligibleSchema(Schema):
    worker_id = fields.String(required=True)
    name = fields.String(required=True)
    worker_tenant_id = fields.String(required=True)
    partner = fields.Boolean(required=True, metadata={"description": "Of a partner CBO."})
    position = fields.Integer(required=True)
    rank = fields.Nested(RankSchema, required=True)
    cost = fields.Nested(
        CostSchema,
        allow_none=True,
        metadata={"description": "Null when billing did not answer in time, or a partner's."},
    )


class ReasonOutSchema(Schema):
    code = fields.String(required=True, metadata={"enum": list(CODES)})
    message = fields.String(required=True)


class ExcludedSchema(Schema):
    worker_id = fields.String(required=True)
    name = fields.String(required=True)
    reasons = fields.List(fields.Nested(ReasonOutSchema), required=True)


class EligiblePageSchema(Schema):
    items = fields.List(fields.Nested(EligibleSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class ExcludedPageSchema(Schema):
    items = fields.List(fields.Nested(ExcludedSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    by_reason = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        allow_none=True,
        metadata={
            "description": "Left-out workers per reason code (one may have several); null "
            "unless the request asked for `count_reasons`."
        },
    )


class OccurrenceSchema(Schema):
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)


class WorkerExplainedSchema(Schema):
    worker_id = fields.String(required=True)
    name = fields.String(required=True)
    eligible = fields.Boolean(required=True)
    rank = fields.Nested(RankSchema, required=True, allow_none=True)
    reasons = fields.List(
        fields.Nested(ReasonOutSchema),
        required=True,
        allow_none=True,
        metadata={"description": "Staff only (null for client users)."},
    )


class SearchResultSchema(Schema):
    job_type_id = fields.String(required=True)
    client_id = fields.String(required=True)
    site_id = fields.String(required=True)
    timezone = fields.String(required=True, metadata={"description": "The CBO's."})
    occurrences = fields.List(fields.Nested(OccurrenceSchema), required=True)
    eligible = fields.Nested(EligiblePageSchema, required=True)
    excluded = fields.Nested(
        ExcludedPageSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Staff only: the CBO's workers left out, with why."},
    )
    worker = fields.Nested(WorkerExplainedSchema, required=True, allow_none=True)
