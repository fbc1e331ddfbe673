"""The RPCs billing offers other services, and their typed client.

    costs = BillingClient(self.services, timeout=1.5).shift_costs(
        proposed={"starts_at": ..., "ends_at": ..., "client_id": ..., "job_type_id": ...},
        workers=[{"worker_id": ..., "booked_shift_ids": [...]}, ...],
    )

Booking's search asks once per page of ranked candidates what the proposed shift would cost
with each of them: the hours it adds at each premium (California's overtime, double time and
seventh day, all the CBO's clients together) and the pay and bill it adds, worked out by the
same rules and from the same approved lines as the payroll of that week. Each worker's week is
their approved timesheet lines of the pay week (as worked) and the shifts booking says they
hold in it (as booked, where not worked yet).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from chassis.contracts.rpc import ServiceClient, rpc_contract
from chassis.schemas import Pattern

SERVICE = "billing"

ID = Pattern(r"^[A-Za-z0-9-]{1,36}$", error="Not an id.")
# The most candidates one call prices (booking's largest page).
MAX_WORKERS = 200
MAX_BOOKED = 100


class ProposedShiftSchema(Schema):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    client_id = fields.String(required=True, validate=ID)
    job_type_id = fields.String(required=True, validate=ID)
    # Rates staff would give the booking (null: the client's or job type's apply).
    pay_rate_cents = fields.Integer(allow_none=True, load_default=None)
    bill_rate_cents = fields.Integer(allow_none=True, load_default=None)


class WorkerWeekSchema(Schema):
    worker_id = fields.String(required=True, validate=ID)
    booked_shift_ids = fields.List(
        fields.String(validate=ID), load_default=list, validate=validate.Length(max=MAX_BOOKED)
    )


class ShiftCostsRequest(Schema):
    proposed = fields.Nested(ProposedShiftSchema, required=True)
    workers = fields.List(
        fields.Nested(WorkerWeekSchema),
        required=True,
        validate=validate.Length(max=MAX_WORKERS),
    )


class MinutesSchema(Schema):
    regular_minutes = fields.Integer(required=True)
    overtime_minutes = fields.Integer(required=True, metadata={"description": "At 1.5x."})
    double_time_minutes = fields.Integer(required=True, metadata={"description": "At 2x."})


class AddedSchema(MinutesSchema):
    pay_cents = fields.Integer(required=True)
    bill_cents = fields.Integer(required=True)


class WeekTotalsSchema(MinutesSchema):
    gross_cents = fields.Integer(required=True)
    bill_cents = fields.Integer(required=True)


class ShiftCostSchema(Schema):
    """What the proposed shift does to one worker's pay week."""

    worker_id = fields.String(required=True)
    week_start = fields.Date(required=True)
    before = fields.Nested(WeekTotalsSchema, required=True)
    after = fields.Nested(WeekTotalsSchema, required=True)
    # The proposed shift's own hours at each tier.
    shift = fields.Nested(MinutesSchema, required=True)
    # after - before: the hours and money the shift adds (premiums it moves elsewhere included).
    added = fields.Nested(AddedSchema, required=True)
    seventh_day = fields.Boolean(required=True)
    pay_rate_cents = fields.Integer(required=True)
    bill_rate_cents = fields.Integer(required=True)


SHIFT_COSTS = rpc_contract(
    SERVICE,
    "shift_costs",
    request=ShiftCostsRequest,
    response=fields.List(fields.Nested(ShiftCostSchema)),
    description=(
        "What a proposed shift would add to each worker's pay week (hours at each premium, "
        "pay and bill), in one call for a page of candidates; an empty list when billing "
        "cannot price the shift yet. The caller's CBO; staff (bookings.read) or a client's "
        "user (self.book)."
    ),
)


class BillingClient(ServiceClient):
    service = SERVICE

    def shift_costs(
        self, *, proposed: dict[str, Any], workers: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        return self._call(SHIFT_COSTS, proposed=proposed, workers=workers)
