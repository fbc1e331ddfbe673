"""Opt-outs as staff read them, and the provider's webhook body as the gateway passes it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chassis.paging import PageQuerySchema, page_of


class ProviderRequestSchema(Schema):
    """A provider's signed webhook as the gateway hands it over: every form field's values and
    the signature header."""

    params = fields.Dict(
        keys=fields.String(validate=validate.Length(max=200)),
        values=fields.List(fields.String(validate=validate.Length(max=2000)), required=True),
        validate=validate.Length(max=100),
        load_default=dict,
    )
    signature = fields.String(load_default="", validate=validate.Length(max=200))


class SmsOptoutSchema(Schema):
    phone = fields.String(required=True)
    keyword = fields.String(required=True)
    changed_at = fields.DateTime(required=True)


SmsOptoutPageSchema = page_of(SmsOptoutSchema, "SmsOptoutPage")


class SmsOptoutQuerySchema(PageQuerySchema):
    pass
