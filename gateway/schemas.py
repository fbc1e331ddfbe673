"""Schemas of the gateway's own responses: errors, health, dead letters."""

from __future__ import annotations

from marshmallow import Schema, fields


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"example": "validation_failed"})
    message = fields.String(required=True)
    # Named `fields` on the wire; the attribute must not shadow Schema.fields.
    field_messages = fields.Dict(
        keys=fields.String(),
        data_key="fields",
        metadata={"description": "A list of messages per field that was not valid."},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)
    correlation_id = fields.String(required=True)


class ServiceHealthSchema(Schema):
    service = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["up", "down"]})
    checked_at = fields.DateTime(required=True)
    outbox_pending = fields.Integer()
    outbox_lag_seconds = fields.Float()
    dead_letters = fields.Integer()
    error = fields.String()


class BrokerHealthSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["up", "down"]})
    error = fields.String()


class HealthSchema(Schema):
    status = fields.String(
        required=True,
        metadata={
            "enum": ["up", "degraded", "down"],
            "description": "down: the message broker cannot be reached; degraded: at least one "
            "service did not answer or is unwell.",
        },
    )
    checked_at = fields.DateTime(required=True)
    broker = fields.Nested(BrokerHealthSchema, required=True)
    services = fields.Dict(
        keys=fields.String(), values=fields.Nested(ServiceHealthSchema), required=True
    )


class DeadLetterSchema(Schema):
    id = fields.Integer(required=True)
    service = fields.String(required=True)
    queue = fields.String(required=True)
    handler = fields.String(required=True)
    event_id = fields.String(allow_none=True)
    event_type = fields.String(allow_none=True)
    error = fields.String(required=True)
    attempts = fields.Integer(required=True)
    created_at = fields.String(required=True)
    replayed_at = fields.String(allow_none=True)
    body = fields.String(required=True)
