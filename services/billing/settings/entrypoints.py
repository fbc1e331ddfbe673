"""A CBO's billing settings, for its finance staff (payroll.run)."""

from __future__ import annotations

from chassis.context import STAFF, Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.errors import Forbidden
from services.billing.settings import domain
from services.billing.settings.schemas import SettingsSchema, SettingsUpdateSchema


class SettingsEntrypoints:
    db: UnitOfWork
    caller: Caller

    def _staff_tenant(self) -> str:
        tenant_id = self.caller.require_tenant()
        if self.caller.kind != STAFF:
            raise Forbidden("Only the CBO's staff can do this.")
        return tenant_id

    @rpc
    @requires("payroll.run")
    def get_billing_settings(self) -> dict:
        tenant_id = self._staff_tenant()
        found = domain.settings_of(self.db, tenant_id=tenant_id)
        return SettingsSchema().dump(domain.view(found))

    @rpc
    @requires("payroll.run")
    def update_billing_settings(self, body: dict) -> dict:
        data = SettingsUpdateSchema().load(body)
        tenant_id = self._staff_tenant()
        changed = domain.update_settings(
            self.db, caller=self.caller, tenant_id=tenant_id, data=data
        )
        return SettingsSchema().dump(changed)
