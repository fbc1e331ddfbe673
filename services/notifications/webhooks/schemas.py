"""Webhook subscriptions and their delivery log as a CBO reads them, and what it sends."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from chassis.paging import PageQuerySchema, page_of, sort_field
from services.notifications.webhooks import rules


def _events_field(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(rules.EVENTS)),
        validate=validate.Length(min=1, max=len(rules.EVENTS)),
        metadata={"description": "The shared events to receive; all of them by default."},
        **kwargs,
    )


class _Events(Schema):
    @validates("events")
    def _unique(self, value: list[str], **_: Any) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("List each event once.")


class SubscriptionCreateSchema(_Events):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=rules.MAX_URL_LENGTH),
        metadata={"description": "http(s), without user name or password; a public address."},
    )
    events = _events_field(load_default=lambda: list(rules.EVENTS))
    description = fields.String(load_default="", validate=validate.Length(max=200))

    @post_load
    def _tidy(self, data: dict, **_: Any) -> dict:
        data["description"] = data["description"].strip()
        return data


class SubscriptionUpdateSchema(_Events):
    url = fields.String(validate=validate.Length(min=1, max=rules.MAX_URL_LENGTH))
    events = _events_field()
    description = fields.String(validate=validate.Length(max=200))
    active = fields.Boolean()

    @post_load
    def _some(self, data: dict, **_: Any) -> dict:
        if not data:
            raise ValidationError("Change at least one field.", "_schema")
        if "description" in data:
            data["description"] = data["description"].strip()
        return data


class SubscriptionSchema(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    description = fields.String(required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class SubscriptionCreatedSchema(SubscriptionSchema):
    secret = fields.String(
        required=True,
        metadata={
            "description": "The signing secret, shown only now: keep it to check each "
            "request's WorkLB-Signature (t=<unix time>,v1=<HMAC-SHA256 hex of "
            '"<t>.<body>">).'
        },
    )


SubscriptionPageSchema = page_of(SubscriptionSchema, "WebhookSubscriptionPage")


class SubscriptionQuerySchema(PageQuerySchema):
    sort = sort_field(("created_at", "url"), "-created_at")


class AttemptSchema(Schema):
    number = fields.Integer(required=True)
    attempted_at = fields.DateTime(required=True)
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer(required=True)


class DeliverySchema(Schema):
    id = fields.String(required=True)
    subscription_id = fields.String(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(rules.STATUSES)})
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    replay_of = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)


class DeliveryDetailSchema(DeliverySchema):
    body = fields.String(required=True, metadata={"description": "The exact JSON body sent."})
    attempt_log = fields.List(fields.Nested(AttemptSchema), required=True)


DeliveryPageSchema = page_of(DeliverySchema, "WebhookDeliveryPage")


class DeliveryQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(rules.STATUSES))
    event_type = fields.String(validate=validate.OneOf(rules.EVENTS))
    sort = sort_field(("created_at", "next_attempt_at"), "-created_at")
