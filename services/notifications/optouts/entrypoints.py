"""The provider's incoming-message webhook (STOP, START), and the opt-outs for staff."""

from __future__ import annotations

from datetime import UTC, datetime

from chassis.config import Settings
from chassis.context import Caller, public, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from services.notifications.channels import domain as channels
from services.notifications.common import sealer_of, staff_tenant
from services.notifications.optouts import domain
from services.notifications.optouts.schemas import (
    ProviderRequestSchema,
    SmsOptoutPageSchema,
    SmsOptoutQuerySchema,
)


def first(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name) or [""]
    return values[0]


class OptoutsEntrypoints:
    db: UnitOfWork
    caller: Caller
    settings: Settings

    @rpc
    @public
    def sms_inbound(self, tenant_id: str, body: dict) -> None:
        """A message to the CBO's number, from its provider (signature checked, else 403):
        STOP and the other opt-out keywords stop its SMS to the sender, START resumes them."""
        request = ProviderRequestSchema().load(body)
        channels.check_provider_request(
            self.db,
            tenant_id=tenant_id,
            url=channels.callback_urls(self.settings.public_url, tenant_id)["inbound_url"],
            params=request["params"],
            signature=request["signature"],
            sealer=sealer_of(self.settings),
        )
        domain.record_inbound(
            self.db,
            tenant_id=tenant_id,
            from_number=first(request["params"], "From"),
            body=first(request["params"], "Body"),
            now=datetime.now(UTC),
        )

    @rpc
    @requires("bookings.read")
    def list_sms_optouts(self, query: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        wanted = SmsOptoutQuerySchema().load(query)
        found = domain.list_optouts(
            self.db, tenant_id=tenant_id, page=wanted["page"], per_page=wanted["per_page"]
        )
        return SmsOptoutPageSchema().dump(found)
