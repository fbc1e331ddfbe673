"""Helpers the identity service's areas share."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class OffsetQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))
