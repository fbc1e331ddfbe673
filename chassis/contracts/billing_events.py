"""Events the billing service publishes: payroll previews and completed runs, and invoices as
they are issued, paid and voided. Money is integer cents; `week_start` is the Monday of the pay
week in the CBO's time zone. Reporting builds gross earnings and the earnings profile from
`payroll.completed`, never from billing's tables."""

from marshmallow import Schema, fields

from chassis.contracts.events import published_by

event = published_by("billing")


class PayrollWorkerLine(Schema):
    """One worker's pay for the run's week (adjustments for earlier weeks included)."""

    worker_id = fields.String(required=True)
    worker_tenant_id = fields.String(required=True)
    regular_minutes = fields.Integer(required=True)
    overtime_minutes = fields.Integer(required=True, metadata={"description": "paid at 1.5x"})
    double_time_minutes = fields.Integer(required=True, metadata={"description": "paid at 2x"})
    premium_cents = fields.Integer(
        required=True,
        metadata={"description": "reporting-time, meal and rest premiums, bonuses"},
    )
    gross_cents = fields.Integer(required=True)
    # Per client and job type, so reporting can cut earnings by them.
    # Raw, not a list of checked dicts: a run of 10,000 workers publishes one event, and
    # checking each entry's keys and values was a second of the run (docs/PERFORMANCE.md).
    clients = fields.Raw(
        load_default=list,
        metadata={"description": "[{client_id, job_type_id, minutes, gross_cents}]"},
    )


@event("payroll.previewed")
class PayrollPreviewed(Schema):
    """Finance staff (or the Tuesday schedule) previewed a pay week: its totals and blockers."""

    run_id = fields.String(required=True)
    week_start = fields.Date(required=True)
    workers = fields.Integer(required=True)
    gross_cents = fields.Integer(required=True)
    blockers = fields.Integer(required=True)


@event("payroll.completed")
class PayrollCompleted(Schema):
    """A pay week was run and locked: what each worker is paid for it."""

    run_id = fields.String(required=True)
    week_start = fields.Date(required=True)
    completed_at = fields.DateTime(required=True)
    gross_cents = fields.Integer(required=True)
    lines = fields.List(fields.Nested(PayrollWorkerLine), required=True)


class _Invoice(Schema):
    invoice_id = fields.String(required=True)
    number = fields.String(required=True)
    client_id = fields.String(required=True, metadata={"description": "or the CBO, for licences"})
    kind = fields.String(required=True, metadata={"enum": ["client", "licence"]})
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    total_cents = fields.Integer(required=True)


@event("invoice.issued")
class InvoiceIssued(_Invoice):
    """An invoice left draft and took its number."""

    issued_at = fields.DateTime(required=True)


@event("invoice.paid")
class InvoicePaid(_Invoice):
    """An issued invoice was marked paid."""

    paid_at = fields.DateTime(required=True)


@event("invoice.voided")
class InvoiceVoided(_Invoice):
    """An issued invoice was voided; `replaced_by` is the new invoice's id, if one was made."""

    voided_at = fields.DateTime(required=True)
    replaced_by = fields.String(allow_none=True, load_default=None)
