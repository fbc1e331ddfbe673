"""Invoices as the API takes and shows them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from marshmallow import Schema, fields, validate

from chassis.jobs import JobSchema
from chassis.paging import PageQuerySchema, page_of
from chassis.schemas import ReasonSchema
from services.billing.invoices import rules

ID = validate.Length(min=1, max=36)
# Dates the platform bills for: anything else is a typo (and keeps date arithmetic in range).
BILLED_DATES = validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31))
PAID_TIMES = validate.Range(
    min=datetime(2000, 1, 1, tzinfo=UTC), max=datetime(2100, 12, 31, tzinfo=UTC)
)


class EvvElementsSchema(Schema):
    """The six Cures Act elements of a visit, where the client's invoices carry them."""

    service_type = fields.String()
    recipient = fields.String()
    recipient_id = fields.String()
    service_date = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    provider = fields.String()
    provider_id = fields.String()
    begins_at = fields.String()
    ends_at = fields.String()


class InvoiceLineSchema(Schema):
    id = fields.String(required=True)
    position = fields.Integer(required=True)
    source_id = fields.String(
        required=True, metadata={"description": "what it bills: a visit, a licence month"}
    )
    service_date = fields.Date(allow_none=True, required=True)
    worker_id = fields.String(allow_none=True, required=True)
    worker_name = fields.String(allow_none=True, required=True)
    job_type_id = fields.String(allow_none=True, required=True)
    job_type_name = fields.String(allow_none=True, required=True)
    description = fields.String(required=True)
    minutes = fields.Integer(allow_none=True, required=True)
    rate_cents = fields.Integer(allow_none=True, required=True, metadata={"description": "hourly"})
    base_cents = fields.Integer(required=True)
    premium_cents = fields.Integer(required=True)
    amount_cents = fields.Integer(required=True)
    premiums = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        allow_none=True,
        required=True,
        metadata={"description": "minutes per multiplier billed, and flat premiums in cents"},
    )
    evv = fields.Nested(EvvElementsSchema, allow_none=True, required=True)


class InvoiceSummarySchema(Schema):
    id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(rules.KINDS)})
    client_id = fields.String(allow_none=True, required=True)
    period = fields.String(required=True, metadata={"enum": list(rules.PERIODS)})
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    status = fields.String(required=True, metadata={"enum": list(rules.STATUSES)})
    number = fields.String(allow_none=True, required=True)
    issuer_name = fields.String(required=True)
    bill_to_name = fields.String(required=True)
    timezone = fields.String(required=True)
    evv_elements = fields.Boolean(required=True)
    terms_days = fields.Integer(required=True)
    base_cents = fields.Integer(required=True)
    premium_cents = fields.Integer(required=True)
    total_cents = fields.Integer(required=True)
    issued_at = fields.DateTime(allow_none=True, required=True)
    due_on = fields.Date(allow_none=True, required=True)
    paid_at = fields.DateTime(allow_none=True, required=True)
    payment_reference = fields.String(allow_none=True, required=True)
    voided_at = fields.DateTime(allow_none=True, required=True)
    void_reason = fields.String(allow_none=True, required=True)
    replaces_id = fields.String(allow_none=True, required=True)
    replaces_number = fields.String(allow_none=True, required=True)
    replaced_by_id = fields.String(allow_none=True, required=True)
    allowed_actions = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class InvoiceSchema(InvoiceSummarySchema):
    lines = fields.List(fields.Nested(InvoiceLineSchema), required=True)


InvoicePageSchema = page_of(InvoiceSummarySchema, "InvoicePage")


class InvoiceQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(rules.STATUSES))
    kind = fields.String(validate=validate.OneOf(rules.KINDS))
    client_id = fields.String(validate=ID)
    tenant_id = fields.String(validate=ID, metadata={"description": "the operator's filter"})
    period_start = fields.Date(validate=BILLED_DATES)


class PaySchema(Schema):
    paid_at = fields.AwareDateTime(
        load_default=None,
        validate=PAID_TIMES,
        metadata={"description": "when the money came; now if not given"},
    )
    reference = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=200)
    )


class VoidSchema(ReasonSchema):
    replace = fields.Boolean(
        load_default=True,
        metadata={"description": "put its lines on a new draft, which takes a new number"},
    )


class VoidResultSchema(Schema):
    voided = fields.Nested(InvoiceSchema, required=True)
    replacement = fields.Nested(InvoiceSchema, allow_none=True, required=True)


class ClientInvoicingSchema(Schema):
    """A client's invoicing settings (defaults until set: weekly, no EVV elements, premiums
    billed, net 30)."""

    client_id = fields.String(dump_only=True)
    period = fields.String(required=True, validate=validate.OneOf(rules.PERIODS))
    evv_elements = fields.Boolean(required=True)
    bill_premiums = fields.Boolean(required=True)
    terms_days = fields.Integer(required=True, validate=validate.Range(min=0, max=365))


class InvoiceRunSchema(Schema):
    """Which period to invoice: the pay week (a Monday) for clients invoiced weekly, or the
    month (its first day) for clients invoiced monthly."""

    period = fields.String(required=True, validate=validate.OneOf(rules.PERIODS))
    period_start = fields.Date(required=True, validate=BILLED_DATES)


class InvoiceRunViewSchema(JobSchema):
    period = fields.String(required=True)
    period_start = fields.Date(required=True)
    drafts = fields.Integer(required=True, metadata={"description": "drafts made so far"})
    unpriced_lines = fields.Integer(
        required=True, metadata={"description": "approved lines left out: no bill rate applies"}
    )


class ExportQuerySchema(Schema):
    period_start = fields.Date(required=True, validate=BILLED_DATES)
    client_id = fields.String(validate=ID)
