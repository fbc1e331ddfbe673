"""A CBO's channel settings, for its owner (tenant.settings.manage)."""

from __future__ import annotations

from chassis.config import Settings
from chassis.context import Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from services.notifications.channels import domain
from services.notifications.channels.schemas import (
    ChannelSettingsSchema,
    ChannelSettingsUpdateSchema,
)
from services.notifications.common import sealer_of, staff_tenant

SETTINGS = "tenant.settings.manage"


class ChannelsEntrypoints:
    db: UnitOfWork
    caller: Caller
    settings: Settings

    @rpc
    @requires(SETTINGS)
    def get_channel_settings(self) -> dict:
        found = domain.settings_for(self.db, tenant_id=staff_tenant(self.caller))
        return ChannelSettingsSchema().dump(domain.view(found, public_url=self.settings.public_url))

    @rpc
    @requires(SETTINGS)
    def update_channel_settings(self, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = ChannelSettingsUpdateSchema().load(body)
        changed = domain.update_settings(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            data=data,
            sealer=sealer_of(self.settings),
        )
        return ChannelSettingsSchema().dump(
            domain.view(changed, public_url=self.settings.public_url)
        )
