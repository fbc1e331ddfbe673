"""Bookings and their shifts for the CBO's staff and its client users, and cancellations (by
staff, the client, or a worker for their own place)."""

from __future__ import annotations

from chassis.context import Caller, requires, requires_any
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.rpc import ServiceCaller
from services.booking.bookings import cancellations, domain
from services.booking.bookings.schemas import (
    AssignmentSchema,
    BookingInputSchema,
    BookingPageSchema,
    BookingQuerySchema,
    BookingSchema,
    CancelSchema,
    ShiftDetailSchema,
    ShiftPageSchema,
    ShiftQuerySchema,
)
from services.booking.common import ensure_client, market_tenant
from services.booking.offers.recheck import identity_recheck

BOOK = ("bookings.manage", "self.book")


class BookingsEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    @rpc
    @requires_any(*BOOK)
    def create_booking(self, body: dict) -> dict:
        tenant_id = market_tenant(self.caller)
        data = BookingInputSchema().load(body)
        ensure_client(self, data.get("client_id") or self.caller.client_id)
        created = domain.create_booking(self.db, caller=self.caller, tenant_id=tenant_id, data=data)
        domain.start_filling(
            self.db,
            caller=self.caller,
            shifts=created.shifts,
            eligible_now=identity_recheck(self.services, self.caller),
        )
        return BookingSchema().dump(
            domain.booking_view(
                self.db, caller=self.caller, booking=created.booking, shifts=created.shifts
            )
        )

    @rpc
    @requires("bookings.read")
    def list_bookings(self, query: dict | None = None) -> dict:
        tenant_id = market_tenant(self.caller)
        options = BookingQuerySchema().load(query or {})
        page = domain.list_bookings(self.db, caller=self.caller, tenant_id=tenant_id, **options)
        return BookingPageSchema().dump(page)

    @rpc
    @requires("bookings.read")
    def get_booking(self, booking_id: str) -> dict:
        tenant_id = market_tenant(self.caller)
        booking = domain.get_booking(
            self.db, caller=self.caller, tenant_id=tenant_id, booking_id=booking_id
        )
        return BookingSchema().dump(
            domain.booking_view(self.db, caller=self.caller, booking=booking)
        )

    @rpc
    @requires("bookings.read")
    def list_shifts(self, query: dict | None = None) -> dict:
        tenant_id = market_tenant(self.caller)
        options = ShiftQuerySchema().load(query or {})
        page = domain.list_shifts(self.db, caller=self.caller, tenant_id=tenant_id, **options)
        return ShiftPageSchema().dump(page)

    @rpc
    @requires("bookings.read")
    def get_shift(self, shift_id: str) -> dict:
        tenant_id = market_tenant(self.caller)
        shift = domain.get_shift(
            self.db, caller=self.caller, tenant_id=tenant_id, shift_id=shift_id
        )
        return ShiftDetailSchema().dump(
            domain.shift_detail(self.db, caller=self.caller, shift=shift)
        )

    @rpc
    @requires_any(*BOOK)
    def cancel_booking(self, booking_id: str, body: dict) -> dict:
        tenant_id = market_tenant(self.caller)
        reason = CancelSchema().load(body)["reason"]
        booking = cancellations.cancel_booking(
            self.db, caller=self.caller, tenant_id=tenant_id, booking_id=booking_id, reason=reason
        )
        return BookingSchema().dump(
            domain.booking_view(self.db, caller=self.caller, booking=booking)
        )

    @rpc
    @requires_any(*BOOK)
    def cancel_shift(self, shift_id: str, body: dict) -> dict:
        tenant_id = market_tenant(self.caller)
        reason = CancelSchema().load(body)["reason"]
        shift = cancellations.cancel_shift(
            self.db, caller=self.caller, tenant_id=tenant_id, shift_id=shift_id, reason=reason
        )
        return ShiftDetailSchema().dump(
            domain.shift_detail(self.db, caller=self.caller, shift=shift)
        )

    @rpc
    @requires_any(*BOOK, "self.work")
    def cancel_assignment(self, assignment_id: str, body: dict) -> dict:
        tenant_id = self.caller.require_tenant()
        reason = CancelSchema().load(body)["reason"]
        assignment = cancellations.cancel_assignment(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            assignment_id=assignment_id,
            reason=reason,
            eligible_now=identity_recheck(self.services, self.caller),
        )
        return AssignmentSchema().dump(
            cancellations.assignment_row_view(self.db, assignment=assignment)
        )
