"""A client's rates as finance staff set and see them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chassis.schemas import Pattern
from services.billing.rates import rules

JOB_TYPE_ID = Pattern(r"^[A-Za-z0-9-]{1,36}$", error="Not a job type id.")


def _rate(**options: Any) -> fields.Integer:
    return fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=0, max=rules.MAX_RATE_CENTS),
        metadata={"description": "Cents an hour; null for the default."},
        **options,
    )


class JobTypeRateSchema(Schema):
    job_type_id = fields.String(required=True, validate=JOB_TYPE_ID)
    pay_rate_cents = _rate(load_default=None)
    bill_rate_cents = _rate(load_default=None)


class ClientRatesSchema(Schema):
    """All of a client's rates: its markup over the pay rate (basis points, 2500 = 25 %; used
    where no bill rate is set for the client) and its own rates per job type (a client-exclusive
    job type's fixed rates are not overridden)."""

    markup_basis_points = fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=rules.MAX_MARKUP_BASIS_POINTS),
    )
    job_types = fields.List(
        fields.Nested(JobTypeRateSchema), load_default=list, validate=validate.Length(max=500)
    )

    @validates_schema
    def _once_each(self, data: dict, **kwargs: Any) -> None:
        ids = [item["job_type_id"] for item in data.get("job_types", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError("Name each job type once.", "job_types")


class ClientRatesViewSchema(ClientRatesSchema):
    client_id = fields.String(required=True)
