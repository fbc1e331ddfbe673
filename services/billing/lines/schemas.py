"""What the lines area takes and shows: a worker's payroll id."""

from __future__ import annotations

from marshmallow import Schema, fields

from chassis.schemas import Pattern

ID = Pattern(r"^[A-Za-z0-9-]{1,36}$", error="Not an id.")


class PayrollIdSchema(Schema):
    """The payroll provider's employee number (ADP's File #, Paychex's Worker ID); null clears
    it."""

    payroll_id = fields.String(
        required=True,
        allow_none=True,
        validate=Pattern(
            r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
            error="Letters, digits, dot, dash or underscore; at most 40.",
        ),
    )


class WorkerPayrollSchema(Schema):
    worker_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    payroll_id = fields.String(allow_none=True)
