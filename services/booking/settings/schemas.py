"""A CBO's booking settings as the API shows and changes them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from services.booking.settings.rules import BOUNDS

_DESCRIPTIONS = {
    "confirm_within_minutes": "An offer must be confirmed within this long of being sent "
    "(scaled down when the shift is near; never after it starts).",
    "confirm_before_start_minutes": "... and at least this long before the shift starts, "
    "when there is time for both.",
    "late_cancel_hours": "A cancellation less than this before the start is late: a client "
    "pays reporting time, a worker loses reliability.",
    "tier_delay_permille": "Open shifts: each tier waits this share (per mille) of the time "
    "left before the shift ...",
    "tier_delay_min_seconds": "... but at least this long ...",
    "tier_delay_max_seconds": "... and at most this long.",
    "reliability_half_life_days": "Reliability points lose half their weight every this many days.",
    "reliability_review_points": "Active reliability points at which staff get a review item "
    "(never an automatic suspension).",
}


def _setting(name: str, **options: Any) -> fields.Integer:
    low, high = BOUNDS[name]
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=low, max=high),
        metadata={"description": _DESCRIPTIONS[name]},
        **options,
    )


class BookingSettingsUpdateSchema(Schema):
    """Any of the settings; the others stay as they are."""

    confirm_within_minutes = _setting("confirm_within_minutes")
    confirm_before_start_minutes = _setting("confirm_before_start_minutes")
    late_cancel_hours = _setting("late_cancel_hours")
    tier_delay_permille = _setting("tier_delay_permille")
    tier_delay_min_seconds = _setting("tier_delay_min_seconds")
    tier_delay_max_seconds = _setting("tier_delay_max_seconds")
    reliability_half_life_days = _setting("reliability_half_life_days")
    reliability_review_points = _setting("reliability_review_points")


class BookingSettingsSchema(Schema):
    confirm_within_minutes = _setting("confirm_within_minutes", required=True)
    confirm_before_start_minutes = _setting("confirm_before_start_minutes", required=True)
    late_cancel_hours = _setting("late_cancel_hours", required=True)
    tier_delay_permille = _setting("tier_delay_permille", required=True)
    tier_delay_min_seconds = _setting("tier_delay_min_seconds", required=True)
    tier_delay_max_seconds = _setting("tier_delay_max_seconds", required=True)
    reliability_half_life_days = _setting("reliability_half_life_days", required=True)
    reliability_review_points = _setting("reliability_review_points", required=True)
    updated_at = fields.DateTime(required=True)
    updated_by = fields.String(allow_none=True)
