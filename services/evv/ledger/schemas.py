"""The chain's verification and the public key as the API shows them."""

from __future__ import annotations

from marshmallow import Schema, fields


class BreakSchema(Schema):
    problem = fields.String(required=True, metadata={"enum": ["changed", "inserted", "removed"]})
    seq = fields.Integer(required=True)
    record_id = fields.String(allow_none=True, required=True)
    message = fields.String(required=True)


class VerificationSchema(Schema):
    intact = fields.Boolean(required=True)
    records = fields.Integer(required=True, metadata={"description": "records in the chain"})
    sealed_up_to = fields.Integer(required=True)
    unsealed = fields.Integer(
        required=True, metadata={"description": "punches written but not chained yet"}
    )
    seals = fields.Integer(required=True)
    problem = fields.Nested(BreakSchema, allow_none=True, required=True)


class PublicKeySchema(Schema):
    algorithm = fields.String(required=True)
    public_key_hex = fields.String(required=True)
    key_id = fields.String(required=True)
    signed_message = fields.String(required=True)
    record_hash = fields.String(required=True)
