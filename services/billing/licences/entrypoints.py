"""Licence charges: tenancy's licence and CBO events kept in billing's read model, and the
operator's prices and monthly charges (drafts of each CBO's licence invoice)."""

from __future__ import annotations

from datetime import date

from chassis.context import Caller, requires
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, rpc
from chassis.errors import NotFound
from services.billing.licences import domain, rules
from services.billing.licences.schemas import (
    ChargeMonthSchema,
    ChargeResultSchema,
    LicencePriceBodySchema,
    LicencePriceListSchema,
    LicencePriceSchema,
)


def _day(value: str | date | None) -> date | None:
    """A date of an event's data (loaded by its schema; ISO text if not)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


class LicencesEntrypoints:
    db: UnitOfWork
    caller: Caller

    def _learn_licence(self, event: Event) -> None:
        if event.tenant_id is None:
            return  # a licence always belongs to a CBO
        starts_on = _day(event.data["starts_on"])
        assert starts_on is not None  # required by the contract
        domain.learn_licence(
            self.db,
            tenant_id=event.tenant_id,
            licence_id=event.data["licence_id"],
            feature=event.data["feature"],
            starts_on=starts_on,
            ends_on=_day(event.data.get("ends_on")),
            event_at=event.occurred_at,
        )

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
