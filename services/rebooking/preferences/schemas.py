"""A client's rebooking preferences as the API shows and changes them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from chassis.schemas import Pattern
from services.rebooking.preferences.rules import BOUNDS, MAX_PREFERRED

_DESCRIPTIONS = {
    "max_attempts": "At most this many replacement offers in one cascade.",
    "confirmation_window_minutes": "A replacement must be confirmed within this long "
    "(never after the shift starts).",
    "min_lead_minutes": "Under this long before the start, the cascade stops (too close) "
    "and staff are alerted.",
}

WORKER_ID = Pattern(r"^[A-Za-z0-9-]{1,36}$", error="Not a worker id.")


def _bounded(name: str, **options: Any) -> fields.Integer:
    low, high = BOUNDS[name]
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=low, max=high),
        metadata={"description": _DESCRIPTIONS[name]},
        **options,
    )


class PreferencesUpdateSchema(Schema):
    """Any of the preferences; the others stay as they are."""

    preferred_worker_ids = fields.List(
        fields.String(validate=WORKER_ID),
        validate=validate.Length(max=MAX_PREFERRED),
        metadata={"description": "Job seekers offered a replacement first, in this order."},
    )
    use_ranking = fields.Boolean(
        metadata={"description": "After them, booking's ranking of eligible workers."}
    )
    max_attempts = _bounded("max_attempts")
    confirmation_window_minutes = _bounded("confirmation_window_minutes")
    min_lead_minutes = _bounded("min_lead_minutes")


class PreferencesSchema(Schema):
    client_id = fields.String(required=True)
    preferred_worker_ids = fields.List(fields.String(), required=True)
    use_ranking = fields.Boolean(required=True)
    max_attempts = _bounded("max_attempts", required=True)
    confirmation_window_minutes = _bounded("confirmation_window_minutes", required=True)
    min_lead_minutes = _bounded("min_lead_minutes", required=True)
    # True until someone sets them.
    is_default = fields.Boolean(required=True)
    updated_at = fields.DateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)
