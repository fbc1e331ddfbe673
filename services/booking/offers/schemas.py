"""Offers and assignments as job seekers, staff and client users read them, and what they send."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from chassis.paging import PageQuerySchema, page_of, sort_field
from chassis.schemas import ReasonSchema
from services.booking.offers.models import (
    BOOKED,
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    DECLINED,
    EXPIRED,
    NO_SHOW,
    SENT,
    WITHDRAWN,
)

OFFER_STATUSES = (SENT, CONFIRMED, DECLINED, EXPIRED, WITHDRAWN)
ASSIGNMENT_STATUSES = (BOOKED, COMPLETED, NO_SHOW, CANCELLED)
ID = validate.Length(min=1, max=36)


# -- what people send --------------------------------------------------------------------------


class DeclineSchema(Schema):
    """Why the worker declines, if they want to say (1-500 characters)."""

    reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=500)
    )

    @post_load
    def _tidy(self, data: dict, **_: Any) -> dict:
        if data.get("reason") is not None:
            data["reason"] = data["reason"].strip() or None
        return data


class WithdrawSchema(ReasonSchema):
    """Why staff take the offer back; the worker is told."""


class OfferCreateSchema(Schema):
    jobseeker_id = fields.String(
        required=True, validate=ID, metadata={"description": "The job seeker to offer it to."}
    )

    @post_load
    def _tidy(self, data: dict, **_: Any) -> dict:
        data["jobseeker_id"] = data["jobseeker_id"].strip()
        if not data["jobseeker_id"]:
            raise ValidationError("Name the job seeker.", "jobseeker_id")
        return data


class MyOfferQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(OFFER_STATUSES))
    sort = sort_field(("created_at", "starts_at", "deadline_at"), "-created_at")


class MyShiftQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(ASSIGNMENT_STATUSES))
    sort = sort_field(("starts_at", "created_at"), "starts_at")


class ShiftOfferQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(OFFER_STATUSES))
    sort = sort_field(("created_at", "deadline_at", "status"), "created_at")


# -- what they read ----------------------------------------------------------------------------


class PlaceSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    address_line1 = fields.String(required=True)
    address_line2 = fields.String(allow_none=True)
    city = fields.String(required=True)
    state = fields.String(required=True)
    zip = fields.String(required=True)


class NamedSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(allow_none=True)


class WorkShiftSchema(Schema):
    """A shift as the worker reads it: when (UTC and the site's local time), where, what,
    for whom and the pay."""

    id = fields.String(required=True)
    status = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    starts_local = fields.NaiveDateTime(
        required=True, metadata={"description": "The start in the site's time zone."}
    )
    ends_local = fields.NaiveDateTime(required=True)
    timezone = fields.String(required=True)
    site = fields.Nested(PlaceSchema, required=True)
    job_type = fields.Nested(NamedSchema, required=True)
    client = fields.Nested(NamedSchema, required=True)
    pay_rate_cents = fields.Integer(required=True, metadata={"description": "Per hour."})
    requirements = fields.String(required=True)


class MyOfferSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(OFFER_STATUSES)})
    channel = fields.String(required=True)
    deadline_at = fields.DateTime(
        required=True, metadata={"description": "Confirm before this (never after the start)."}
    )
    responded_at = fields.DateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    assignment_id = fields.String(
        allow_none=True, metadata={"description": "The place it became, once confirmed."}
    )
    shift = fields.Nested(WorkShiftSchema, required=True)


class MyShiftSchema(Schema):
    id = fields.String(required=True, metadata={"description": "The assignment's id."})
    status = fields.String(required=True, metadata={"enum": list(ASSIGNMENT_STATUSES)})
    offer_id = fields.String(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    shift = fields.Nested(WorkShiftSchema, required=True)


class ShiftOfferSchema(Schema):
    """An offer of a shift as staff and the client see it."""

    id = fields.String(required=True)
    shift_id = fields.String(required=True)
    worker = fields.Nested(NamedSchema, required=True)
    worker_tenant_id = fields.String(
        required=True, metadata={"description": "The worker's CBO (a partner's, sometimes)."}
    )
    status = fields.String(required=True, metadata={"enum": list(OFFER_STATUSES)})
    channel = fields.String(
        required=True,
        metadata={"description": "named | favourites | ranking | tier:<name> | rebooking"},
    )
    rank = fields.Integer(allow_none=True)
    deadline_at = fields.DateTime(required=True)
    responded_at = fields.DateTime(allow_none=True)
    end_reason = fields.String(
        allow_none=True, metadata={"description": "Why the offer ended (null for a client user)."}
    )
    created_at = fields.DateTime(required=True)


MyOfferPageSchema = page_of(MyOfferSchema, "MyOfferPage")
MyShiftPageSchema = page_of(MyShiftSchema, "MyShiftPage")
ShiftOfferPageSchema = page_of(ShiftOfferSchema, "ShiftOfferPage")
