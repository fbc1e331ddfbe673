"""Licence charges: tenancy's licence and CBO events kept in billing's read model, and the
operator's prices and monthly charges (drafts of each CBO's licence invoice)."""

from __future__ import annotations

from chassis.context import Caller, requires
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, rpc
from chassis.errors import NotFound
from chassis.licence_records import learn_licence_event
from services.billing.licences import domain, rules
from services.billing.licences.models import LicenceRecord
from services.billing.licences.schemas import (
    ChargeMonthSchema,
    ChargeResultSchema,
    LicencePriceBodySchema,
    LicencePriceListSchema,
    LicencePriceSchema,
)


class LicencesEntrypoints:
    db: UnitOfWork
    caller: Caller

    def _learn_licence(self, event: Event) -> None:
        learn_licence_event(self.db, model=LicenceRecord, event=event)

    @event_handler("tenancy", "licence.granted")
    def charge_licence_granted(self, event: Event) -> None:
        """Keeps the CBO's licence: its days are charged monthly."""
        self._learn_licence(event)

    @event_handler("tenancy", "licence.revoked")
    def charge_licence_revoked(self, event: Event) -> None:
        """Keeps the licence's new last day: no day after it is charged."""
        self._learn_licence(event)

    @event_handler("tenancy", "tenant.approved")
    def learn_cbo_name(self, event: Event) -> None:
        """Keeps the CBO's name: its invoices come from it, its licence invoices bill it."""
        if event.tenant_id is not None:
            domain.learn_cbo_name(
                self.db,
                tenant_id=event.tenant_id,
                name=event.data["name"],
                event_at=event.occurred_at,
            )

    @rpc
    @requires("platform.licences.manage")
    def list_licence_prices(self) -> dict:
        return LicencePriceListSchema().dump({"items": domain.price_list(self.db)})

    @rpc
    @requires("platform.licences.manage")
    def set_licence_price(self, feature: str, body: dict) -> dict:
        if feature not in rules.FEATURES:
            raise NotFound("There is no such licence feature.")
        data = LicencePriceBodySchema().load(body)
        found = domain.set_price(
            self.db, caller=self.caller, feature=feature, monthly_cents=data["monthly_cents"]
        )
        return LicencePriceSchema().dump(found)

    @rpc
    @requires("platform.licences.manage")
    def charge_licences(self, body: dict) -> dict:
        data = ChargeMonthSchema().load(body)
        found = domain.charge_month(self.db, caller=self.caller, month=data["month"])
        return ChargeResultSchema().dump(found)
