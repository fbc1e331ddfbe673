"""Reliability as workers and staff see it; excuses, appeals, decisions and reviews."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from chassis.paging import PageQuerySchema, page_of, sort_field
from chassis.schemas import ReasonSchema
from services.booking.reliability import rules


def _trimmed(data: dict, name: str, message: str) -> dict:
    data[name] = data[name].strip()
    if not data[name]:
        raise ValidationError(message, name)
    return data


class ReliabilityEntrySchema(Schema):
    id = fields.String(required=True)
    worker_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(rules.KINDS)})
    points = fields.Integer(required=True, metadata={"description": "Points when new."})
    current_weight = fields.Float(
        required=True, metadata={"description": "What it weighs now: decayed, or 0."}
    )
    state = fields.String(
        required=True,
        metadata={
            "enum": [rules.COUNTS, rules.EXCUSED, rules.OVERTURNED_STATE, rules.CORRECTED],
            "description": "Whether it counts, and if not why (excused, appeal overturned, "
            "outcome corrected).",
        },
    )
    occurred_at = fields.DateTime(required=True)
    shift_id = fields.String(allow_none=True)
    excused_at = fields.DateTime(allow_none=True)
    excuse_reason = fields.String(allow_none=True)
    appeal_status = fields.String(required=True, metadata={"enum": list(rules.APPEAL_STATES)})
    appeal_text = fields.String(allow_none=True)
    appealed_at = fields.DateTime(allow_none=True)
    appeal_decided_at = fields.DateTime(allow_none=True)
    appeal_decision_reason = fields.String(allow_none=True)
    appealable_until = fields.DateTime(
        allow_none=True, metadata={"description": "Until when the worker may appeal it, if so."}
    )
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.String(allow_none=True)


class ReliabilityTipSchema(Schema):
    code = fields.String(required=True)
    text = fields.String(required=True)


class ReliabilitySchema(Schema):
    worker_id = fields.String(required=True)
    score = fields.Float(required=True, metadata={"description": "0-100, higher is better."})
    reliable = fields.Boolean(
        required=True, metadata={"description": f"Score {rules.RELIABLE_SCORE:g} or more."}
    )
    active_points = fields.Float(required=True)
    completed_shifts = fields.Integer(required=True)
    base_score = fields.Float(required=True)
    explanation = fields.String(required=True)
    half_life_days = fields.Integer(required=True)
    appeal_window_hours = fields.Integer(required=True)
    computed_at = fields.DateTime(required=True)
    open_review_id = fields.String(allow_none=True)
    entries = fields.List(fields.Nested(ReliabilityEntrySchema), required=True)
    how_to_improve = fields.List(fields.Nested(ReliabilityTipSchema), required=True)


class ReliabilityAppealSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        return _trimmed(data, "text", "Say why this entry was not your fault.")


class AppealDecisionSchema(ReasonSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(rules.DECISIONS))


class CloseReliabilityReviewSchema(Schema):
    outcome = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "What staff decided (e.g. talked with the worker)."},
    )

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        return _trimmed(data, "outcome", "Say what was decided.")


class ReliabilityReviewSchema(Schema):
    id = fields.String(required=True)
    worker_id = fields.String(required=True)
    worker_name = fields.String(allow_none=True)
    active_points = fields.Float(
        required=True, metadata={"description": "Active points when it was opened."}
    )
    status = fields.String(required=True, metadata={"enum": ["open", "closed"]})
    outcome = fields.String(allow_none=True)
    closed_by = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)


class ReliabilityReviewQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(("open", "closed")))
    worker_id = fields.String(validate=validate.Length(min=1, max=36))
    sort = sort_field(("created_at", "active_points"), "-created_at")


class ReliabilityEntryQuerySchema(PageQuerySchema):
    worker_id = fields.String(validate=validate.Length(min=1, max=36))
    kind = fields.String(validate=validate.OneOf(rules.KINDS))
    appeal_status = fields.String(validate=validate.OneOf(rules.APPEAL_STATES))
    sort = sort_field(("occurred_at", "appealed_at"), "-occurred_at")


ReliabilityReviewPageSchema = page_of(ReliabilityReviewSchema, "ReliabilityReviewPage")
ReliabilityEntryPageSchema = page_of(ReliabilityEntrySchema, "ReliabilityEntryPage")
