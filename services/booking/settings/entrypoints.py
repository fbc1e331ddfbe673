"""A CBO's booking settings, for its staff."""

from __future__ import annotations

from chassis.context import Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from services.booking.common import staff_tenant
from services.booking.settings import domain
from services.booking.settings.schemas import BookingSettingsSchema, BookingSettingsUpdateSchema


class SettingsEntrypoints:
    db: UnitOfWork
    caller: Caller

    @rpc
    @requires("bookings.read")
    def get_booking_settings(self) -> dict:
        settings = domain.settings_for(self.db, tenant_id=staff_tenant(self.caller))
        return BookingSettingsSchema().dump(settings)

    @rpc
    @requires("bookings.manage")
    def update_booking_settings(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = BookingSettingsUpdateSchema().load(body)
        settings = domain.update_settings(
            self.db, caller=self.caller, tenant_id=tenant_id, data=data
        )
        return BookingSettingsSchema().dump(settings)
