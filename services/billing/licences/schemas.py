"""Licence prices and charges as the API takes and shows them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from services.billing.invoices.schemas import InvoiceSummarySchema
from services.billing.licences import rules


class LicencePriceSchema(Schema):
    feature = fields.String(dump_only=True, metadata={"enum": list(rules.FEATURES)})
    name = fields.String(dump_only=True)
    monthly_cents = fields.Integer(
        required=True,
        allow_none=True,
        validate=validate.Range(min=0, max=rules.MAX_MONTHLY_CENTS),
        metadata={"description": "null until the operator sets it: the feature is not charged"},
    )


class LicencePriceBodySchema(Schema):
    monthly_cents = fields.Integer(
        required=True, validate=validate.Range(min=0, max=rules.MAX_MONTHLY_CENTS)
    )


class LicencePriceListSchema(Schema):
    items = fields.List(fields.Nested(LicencePriceSchema), required=True)


class ChargeMonthSchema(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM", "example": "2026-11"})

    @post_load
    def _month(self, data: dict, **kwargs: Any) -> dict:
        try:
            data["month"] = rules.parse_month(data["month"])
        except ValueError as exc:
            raise ValidationError(str(exc), "month") from exc
        return data


class ChargeResultSchema(Schema):
    month = fields.String(required=True)
    drafts = fields.List(fields.Nested(InvoiceSummarySchema), required=True)
    unpriced_features = fields.List(fields.String(), required=True)
