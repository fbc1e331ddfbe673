"""Sites as the API takes and shows them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from chassis.paging import PageQuerySchema, page_of, sort_field
from services.booking.jobtypes.schemas import ID, NAME, PartialUpdate
from services.booking.sites import rules


class State(fields.String):
    """A two-letter state code, in any case ("ca" is CA)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if text not in rules.US_STATES:
            raise ValidationError("Use a two-letter state code (CA).")
        return text


class TimeZone(fields.String):
    """An IANA time zone name ("America/Los_Angeles")."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(text) > 64 or not rules.is_timezone(text):
            raise ValidationError("Use an IANA time zone name, like America/Los_Angeles.")
        return text


class _SiteFields(Schema):
    """What may be set and later changed."""

    name = fields.String(required=True, validate=NAME)
    address_line1 = fields.String(required=True, validate=NAME)
    address_line2 = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200)
    )
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    state = State(required=True)
    zip = fields.String(required=True, validate=rules.ZIP_CODE)
    latitude = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=-90, max=90),
        metadata={"description": "With longitude; both left out: the ZIP code's centroid."},
    )
    longitude = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=-180, max=180),
        metadata={"description": "With latitude; both left out: the ZIP code's centroid."},
    )
    geofence_radius_m = fields.Integer(
        load_default=rules.DEFAULT_GEOFENCE_M,
        strict=True,
        validate=validate.Range(min=rules.MIN_GEOFENCE_M, max=rules.MAX_GEOFENCE_M),
        metadata={"description": "Metres around the site within which EVV accepts a punch."},
    )
    timezone = TimeZone(
        load_default=None,
        allow_none=True,
        metadata={"description": "IANA name; the CBO's time zone when left out."},
    )
    active = fields.Boolean(load_default=True)

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        for key in ("name", "address_line1", "city"):
            if key in data:
                data[key] = data[key].strip()
                if not data[key]:
                    raise ValidationError("Fill this in.", key)
        if data.get("address_line2") is not None:
            data["address_line2"] = data["address_line2"].strip() or None
        return data


class SiteInputSchema(_SiteFields):
    client_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=ID,
        metadata={
            "description": "The client whose place of work it is (a client user's own when "
            "left out). It cannot change later."
        },
    )


class SiteUpdateSchema(PartialUpdate, _SiteFields):
    """Any subset of what may change (not whose site it is). A new ZIP code without new
    coordinates moves the site to that ZIP's centroid."""


class SiteQuerySchema(PageQuerySchema):
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Part of the name, address or city."},
    )
    client_id = fields.String(validate=ID)
    active = fields.Boolean()
    sort = sort_field(("name", "city", "created_at", "updated_at"), "name")


class SiteSchema(Schema):
    id = fields.String(required=True)
    client_id = fields.String(required=True)
    name = fields.String(required=True)
    address_line1 = fields.String(required=True)
    address_line2 = fields.String(allow_none=True, required=True)
    city = fields.String(required=True)
    state = fields.String(required=True)
    zip = fields.String(required=True)
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    geofence_radius_m = fields.Integer(required=True)
    timezone = fields.String(required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


SitePageSchema = page_of(SiteSchema, "SitePage")
