"""Attendance: staff mark outcomes; clients (or staff for them) rate workers and keep their
preferences."""

from __future__ import annotations

from datetime import UTC, datetime

from chassis.context import CLIENT, Caller, requires, requires_any
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from services.booking.attendance import domain
from services.booking.attendance.schemas import (
    AttendanceInputSchema,
    AttendanceSchema,
    ClientPreferencePageSchema,
    ClientPreferenceQuerySchema,
    ClientPreferenceSchema,
    WorkerRatingSchema,
)
from services.booking.common import market_tenant, staff_tenant

READ = "bookings.read"
MANAGE = "bookings.manage"
BOOK = "self.book"


def _market(caller: Caller, staff_permission: str) -> str:
    """The tenant of staff holding `staff_permission`, or of a client user who books
    (`self.book`); job seekers are refused."""
    tenant_id = market_tenant(caller)
    if caller.kind == CLIENT:
        caller.require(BOOK)
    elif not caller.is_system:
        caller.require(staff_permission)
    return tenant_id


class AttendanceEntrypoints:
    db: UnitOfWork
    caller: Caller

    @rpc
    @requires(MANAGE)
    def mark_attendance(self, assignment_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = AttendanceInputSchema().load(body)
        marked = domain.mark_outcome(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            assignment_id=assignment_id,
            now=datetime.now(UTC),
            **data,
        )
        return AttendanceSchema().dump(marked)

    @rpc
    @requires_any(READ, BOOK)
    def get_attendance(self, assignment_id: str) -> dict:
        tenant_id = _market(self.caller, READ)
        found = domain.attendance_of(
            self.db, caller=self.caller, tenant_id=tenant_id, assignment_id=assignment_id
        )
        return AttendanceSchema().dump(found)

    @rpc
    @requires_any(MANAGE, BOOK)
    def rate_worker(self, assignment_id: str, body: dict) -> dict:
        tenant_id = _market(self.caller, MANAGE)
        data = WorkerRatingSchema().load(body)
        rated = domain.rate_worker(
            self.db, caller=self.caller, tenant_id=tenant_id, assignment_id=assignment_id, **data
        )
        return ClientPreferenceSchema().dump(rated)

    @rpc
    @requires_any(READ, BOOK)
    def list_client_preferences(self, client_id: str, query: dict) -> dict:
        tenant_id = _market(self.caller, READ)
        options = ClientPreferenceQuerySchema().load(query)
        page = domain.list_preferences(
            self.db, caller=self.caller, tenant_id=tenant_id, client_id=client_id, **options
        )
        return ClientPreferencePageSchema().dump(page)

    @rpc
    @requires_any(MANAGE, BOOK)
    def set_client_preference(self, client_id: str, jobseeker_id: str, body: dict) -> dict:
        tenant_id = _market(self.caller, MANAGE)
        data = WorkerRatingSchema().load(body)
        saved = domain.set_preference(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            client_id=client_id,
            worker_id=jobseeker_id,
            **data,
        )
        return ClientPreferenceSchema().dump(saved)

    @rpc
    @requires_any(MANAGE, BOOK)
    def remove_client_preference(self, client_id: str, jobseeker_id: str) -> None:
        tenant_id = _market(self.caller, MANAGE)
        domain.remove_preference(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            client_id=client_id,
            worker_id=jobseeker_id,
        )
