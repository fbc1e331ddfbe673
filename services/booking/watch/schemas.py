"""Market watch as staff read it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.booking.watch import rules


class MarketWatchQuerySchema(Schema):
    horizon_hours = fields.Integer(
        load_default=rules.DEFAULT_HORIZON_HOURS,
        validate=validate.Range(min=1, max=168),
        metadata={"description": "Shifts starting within this many hours (1-168)."},
    )
    deadline_minutes = fields.Integer(
        load_default=rules.DEFAULT_DEADLINE_MINUTES,
        validate=validate.Range(min=1, max=1440),
        metadata={"description": "Offers whose deadline falls within this many minutes."},
    )
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "Items per section at most (each section gives its total)."},
    )


class ActionSchema(Schema):
    label = fields.String(required=True)
    method = fields.String(required=True, metadata={"enum": ["GET", "POST"]})
    href = fields.String(required=True, metadata={"description": "The API call that acts."})


class WorkerRefSchema(Schema):
    worker_id = fields.String(required=True)
    name = fields.String(allow_none=True)


class _ShiftItem(Schema):
    shift_id = fields.String(required=True)
    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    client_name = fields.String(allow_none=True)
    site_name = fields.String(allow_none=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    positions = fields.Integer(required=True)
    filled = fields.Integer(required=True)
    action = fields.Nested(ActionSchema, required=True)


class NearDeadlineSchema(_ShiftItem):
    offer_id = fields.String(required=True)
    worker = fields.Nested(WorkerRefSchema, required=True)
    deadline_at = fields.DateTime(required=True)
    minutes_left = fields.Integer(required=True)


class WithoutWorkersSchema(_ShiftItem):
    missing = fields.Integer(required=True, metadata={"description": "Positions not held."})
    pending_offers = fields.Integer(required=True)


class ExpiredOfferSchema(_ShiftItem):
    offer_id = fields.String(required=True)
    worker = fields.Nested(WorkerRefSchema, required=True)
    deadline_at = fields.DateTime(required=True)
    expired_at = fields.DateTime(required=True)
    pending_offers = fields.Integer(required=True)


class NoShowSchema(_ShiftItem):
    assignment_id = fields.String(required=True)
    worker = fields.Nested(WorkerRefSchema, required=True)
    marked_at = fields.DateTime(allow_none=True)


class CascadeSchema(_ShiftItem):
    cascade_id = fields.String(required=True)
    state = fields.String(required=True, metadata={"enum": list(rules.CASCADE_STATES)})
    trigger = fields.String(allow_none=True)
    attempts = fields.Integer(required=True)
    max_attempts = fields.Integer(required=True)
    reason = fields.String(
        allow_none=True,
        metadata={"description": "Why it ended without a worker (attempts_used, ...)."},
    )
    offered = fields.Nested(WorkerRefSchema, allow_none=True)
    deadline_at = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(required=True)


class FallingSchema(Schema):
    worker = fields.Nested(WorkerRefSchema, required=True)
    recent_points = fields.Integer(
        required=True, metadata={"description": "Points counted against them in 7 days."}
    )
    score = fields.Float(required=True)
    review_id = fields.String(allow_none=True, metadata={"description": "An open review."})
    action = fields.Nested(ActionSchema, required=True)


def _section(item: type[Schema]) -> type[Schema]:
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "total": fields.Integer(required=True),
        },
        name=f"{item.__name__.removesuffix('Schema')}SectionSchema",
    )


class MarketWatchSchema(Schema):
    generated_at = fields.DateTime(required=True)
    timezone = fields.String(required=True)
    horizon_hours = fields.Integer(required=True)
    deadline_minutes = fields.Integer(required=True)
    offers_near_deadline = fields.Nested(_section(NearDeadlineSchema), required=True)
    shifts_without_workers = fields.Nested(_section(WithoutWorkersSchema), required=True)
    expired_offers = fields.Nested(_section(ExpiredOfferSchema), required=True)
    no_shows_today = fields.Nested(_section(NoShowSchema), required=True)
    cascades_running = fields.Nested(_section(CascadeSchema), required=True)
    cascades_exhausted = fields.Nested(_section(CascadeSchema), required=True)
    reliability_falling = fields.Nested(_section(FallingSchema), required=True)
