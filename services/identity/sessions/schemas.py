"""The sessions area's schemas. The answer's schema is a contract the gateway reads too:
chassis.contracts.sessions.SessionStatusSchema."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class SessionQuerySchema(Schema):
    # The generation the caller's token was issued under (its SESSION_CLAIM).
    generation = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
