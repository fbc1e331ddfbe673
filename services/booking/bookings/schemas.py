"""Bookings, their shifts and cancellations as the API takes and shows them."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from chassis.paging import PageQuerySchema, page_of, sort_field
from chassis.schemas import Pattern, ReasonSchema
from services.booking.bookings.models import FAVOURITES, NAMED, OPEN

FILL_MODES = (NAMED, FAVOURITES, OPEN)
BOOKING_STATUSES = ("active", "cancelled")
SHIFT_STATUSES = ("open", "filled", "cancelled", "completed")
CANCELLERS = ("client", "worker", "staff")

_ID = validate.Length(min=1, max=36)
_CLOCK = Pattern(r"^([01]\d|2[0-3]):[0-5]\d$", error="A time of day as HH:MM (00:00-23:59).")
_TEXT = validate.Length(max=2000)


class BookingInputSchema(Schema):
    client_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=_ID,
        metadata={"description": "Staff name the client; a client user books for their own."},
    )
    job_type_id = fields.String(required=True, validate=_ID)
    site_id = fields.String(
        required=True, validate=_ID, metadata={"description": "One of the client's sites."}
    )
    starts_on = fields.Date(
        required=True, metadata={"description": "The first shift's date at the site."}
    )
    start_time = fields.String(
        required=True, validate=_CLOCK, metadata={"description": "Local time at the site."}
    )
    end_time = fields.String(
        required=True,
        validate=_CLOCK,
        metadata={"description": "Local time at the site; earlier than the start: next day."},
    )
    recurrence = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "An RFC 5545 rule repeating the first shift, e.g. "
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=20 (COUNT or UNTIL; at most 200 shifts "
            "within a year)."
        },
    )
    positions = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=50))
    notes = fields.String(load_default="", validate=_TEXT)
    requirements = fields.String(load_default="", validate=_TEXT)
    fill_mode = fields.String(
        required=True,
        validate=validate.OneOf(FILL_MODES),
        metadata={
            "description": "named: offer to one worker; favourites: the client's favourites, "
            "then the ranking; open: released in tiers."
        },
    )
    named_worker_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=_ID,
        metadata={"description": "The worker offered the shift (fill_mode named only)."},
    )

    pay_rate_cents = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={
            "description": "Staff only: cents per hour instead of the job type's default "
            "(a client-exclusive job type's pay rate is fixed)."
        },
    )
    bill_rate_cents = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "Staff only: cents per hour instead of the job type's default."},
    )

    @validates_schema
    def _named(self, data: dict[str, Any], **_: Any) -> None:
        named = data.get("fill_mode") == NAMED
        if named and not data.get("named_worker_id"):
            raise ValidationError("Name the worker to offer the shift to.", "named_worker_id")
        if "fill_mode" in data and not named and data.get("named_worker_id"):
            raise ValidationError("Only a named booking names a worker.", "named_worker_id")
        if named and data.get("positions", 1) != 1:
            raise ValidationError("A named booking fills one position.", "positions")

    @post_load
    def _tidy(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["notes"] = data["notes"].strip()
        data["requirements"] = data["requirements"].strip()
        if data["recurrence"] is not None:
            data["recurrence"] = data["recurrence"].strip() or None
        return data


class CancelSchema(ReasonSchema):
    """Why it is cancelled (1-500 characters)."""


class _RangeQuery(PageQuerySchema):
    client_id = fields.String(validate=_ID)
    from_ = fields.AwareDateTime(
        data_key="from",
        default_timezone=UTC,
        metadata={"description": "Shifts starting at or after (ISO 8601; UTC if no offset)."},
    )
    to = fields.AwareDateTime(
        default_timezone=UTC,
        metadata={"description": "Shifts starting before (ISO 8601; UTC if no offset)."},
    )

    @validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        if "from_" in data and "to" in data and data["to"] <= data["from_"]:
            raise ValidationError("Must be after 'from'.", "to")


class BookingQuerySchema(_RangeQuery):
    status = fields.String(validate=validate.OneOf(BOOKING_STATUSES))
    sort = sort_field(("created_at", "starts_at"), "-created_at")


class ShiftQuerySchema(_RangeQuery):
    site_id = fields.String(validate=_ID)
    booking_id = fields.String(validate=_ID)
    status = fields.String(validate=validate.OneOf(SHIFT_STATUSES))
    sort = sort_field(("starts_at",), "starts_at")


class _Cancelled(Schema):
    cancelled_at = fields.DateTime(allow_none=True)
    cancelled_by_kind = fields.String(allow_none=True, metadata={"enum": list(CANCELLERS)})
    cancel_reason = fields.String(allow_none=True)
    minutes_before_start = fields.Integer(
        allow_none=True, metadata={"description": "How long before the start it was cancelled."}
    )


class ShiftSchema(_Cancelled):
    id = fields.String(required=True)
    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    site_id = fields.String(required=True)
    job_type_id = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    starts_local = fields.String(
        required=True, metadata={"description": "The start on the site's wall clock."}
    )
    ends_local = fields.String(required=True)
    timezone = fields.String(required=True)
    positions = fields.Integer(required=True)
    filled = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(SHIFT_STATUSES)})
    late_cancellation = fields.Boolean(
        required=True,
        metadata={"description": "Cancelled by the client inside the late window."},
    )


class AssignmentSchema(_Cancelled):
    id = fields.String(required=True)
    shift_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    worker_name = fields.String(allow_none=True)
    worker_tenant_id = fields.String(
        required=True,
        metadata={
            "description": "The worker's own CBO, their employer of record: a partner CBO "
            "when the shift was filled through partner sharing."
        },
    )
    status = fields.String(
        required=True, metadata={"enum": ["booked", "completed", "no_show", "cancelled"]}
    )
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    late = fields.Boolean(required=True)


class OffersSummarySchema(Schema):
    sent = fields.Integer(required=True)
    confirmed = fields.Integer(required=True)
    declined = fields.Integer(required=True)
    expired = fields.Integer(required=True)
    withdrawn = fields.Integer(required=True)


class _BookingTerms(Schema):
    fill_mode = fields.String(required=True, metadata={"enum": list(FILL_MODES)})
    named_worker_id = fields.String(allow_none=True)
    notes = fields.String(required=True)
    requirements = fields.String(required=True)
    pay_rate_cents = fields.Integer(
        allow_none=True, metadata={"description": "Per hour; staff only (null for clients)."}
    )
    bill_rate_cents = fields.Integer(required=True, metadata={"description": "Per hour."})


class ShiftDetailSchema(ShiftSchema, _BookingTerms):
    assignments = fields.List(fields.Nested(AssignmentSchema), required=True)
    offers = fields.Nested(OffersSummarySchema, required=True)


class BookingSummarySchema(_BookingTerms):
    id = fields.String(required=True)
    client_id = fields.String(required=True)
    site_id = fields.String(required=True)
    job_type_id = fields.String(required=True)
    starts_local = fields.String(required=True)
    ends_local = fields.String(required=True)
    recurrence = fields.String(allow_none=True)
    timezone = fields.String(required=True)
    positions = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(BOOKING_STATUSES)})
    created_by_kind = fields.String(required=True, metadata={"enum": ["staff", "client"]})
    created_at = fields.DateTime(required=True)
    shift_count = fields.Integer(required=True)
    first_starts_at = fields.DateTime(allow_none=True)
    last_starts_at = fields.DateTime(allow_none=True)


class BookingSchema(BookingSummarySchema):
    shifts = fields.List(fields.Nested(ShiftSchema), required=True)


BookingPageSchema = page_of(BookingSummarySchema, "BookingPage")
ShiftPageSchema = page_of(ShiftSchema, "ShiftPage")
