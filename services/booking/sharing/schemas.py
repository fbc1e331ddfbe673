"""Shares of open shifts with partner CBOs, as their owner and their partner read them, and
what staff send."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from chassis.paging import PageQuerySchema, page_of, sort_field
from chassis.schemas import ReasonSchema
from services.booking.offers.schemas import OFFER_STATUSES
from services.booking.sharing.models import STATUSES

ID = validate.Length(min=1, max=36)


# -- what staff send -----------------------------------------------------------------------------


class ShareCreateSchema(Schema):
    partner_ids = fields.List(
        fields.String(validate=ID),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={
            "description": "The partner CBOs (ids) to share with, among those whose formed "
            "partnership shares opportunities; none: all of them."
        },
    )

    @post_load
    def _tidy(self, data: dict, **_: Any) -> dict:
        ids = [i.strip() for i in data.get("partner_ids") or []]
        if any(not i for i in ids):
            raise ValidationError("Name each partner CBO by its id.", "partner_ids")
        data["partner_ids"] = list(dict.fromkeys(ids)) or None
        return data


class ShareWithdrawSchema(ReasonSchema):
    """Why the owning CBO takes the share back; the partner is told."""


class SharedOfferCreateSchema(Schema):
    jobseeker_id = fields.String(
        required=True, validate=ID, metadata={"description": "One of your CBO's job seekers."}
    )

    @post_load
    def _tidy(self, data: dict, **_: Any) -> dict:
        data["jobseeker_id"] = data["jobseeker_id"].strip()
        if not data["jobseeker_id"]:
            raise ValidationError("Name the job seeker.", "jobseeker_id")
        return data


# -- what they read ------------------------------------------------------------------------------


class _Party(Schema):
    id = fields.String(required=True)
    name = fields.String(allow_none=True)


class _JobType(Schema):
    key = fields.String(required=True)
    name = fields.String(required=True)


class _Site(Schema):
    name = fields.String(required=True)
    city = fields.String(required=True)
    zip = fields.String(required=True)


class SharedShiftSchema(Schema):
    id = fields.String(required=True)
    booking_id = fields.String(required=True)
    status = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    starts_local = fields.NaiveDateTime(required=True)
    ends_local = fields.NaiveDateTime(required=True)
    timezone = fields.String(required=True)
    positions = fields.Integer(required=True)
    filled = fields.Integer(required=True)
    job_type = fields.Nested(_JobType, required=True)
    site = fields.Nested(_Site, required=True)
    pay_rate_cents = fields.Integer(required=True)


class FilledBySchema(Schema):
    worker_id = fields.String(required=True)
    worker_name = fields.String(allow_none=True)
    tenant_id = fields.String(
        required=True, metadata={"description": "The worker's own CBO: their employer of record."}
    )
    assignment_id = fields.String(allow_none=True)


class ShareSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    partnership_id = fields.String(required=True)
    owner = fields.Nested(_Party, required=True)
    partner = fields.Nested(_Party, required=True)
    shared_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)
    offers_made = fields.Integer(required=True)
    filled_by = fields.Nested(FilledBySchema, allow_none=True)
    shift = fields.Nested(SharedShiftSchema, required=True)


class SharesMadeSchema(Schema):
    shares = fields.List(fields.Nested(ShareSchema), required=True)


SharePageSchema = page_of(ShareSchema, "SharePage")


class ShareQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    shift_id = fields.String(validate=ID)
    partner_id = fields.String(validate=ID)
    sort = sort_field(("shared_at", "starts_at"), "-shared_at")


class SharedQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    sort = sort_field(("shared_at", "starts_at"), "-shared_at")


class SharedOfferSchema(Schema):
    id = fields.String(required=True)
    shift_id = fields.String(required=True)
    worker = fields.Nested(_Party, required=True)
    status = fields.String(required=True, metadata={"enum": list(OFFER_STATUSES)})
    deadline_at = fields.DateTime(required=True)
    end_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)


SharedOfferPageSchema = page_of(SharedOfferSchema, "SharedOfferPage")


class SharedOfferQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(OFFER_STATUSES))
    sort = sort_field(("created_at", "status"), "-created_at")


class ReleasedSchema(Schema):
    offers = fields.List(fields.Nested(SharedOfferSchema), required=True)
