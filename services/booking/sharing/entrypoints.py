"""Partner sharing: the owning CBO's staff share open shifts with partner CBOs, list and
withdraw the shares; a partner CBO's staff list what is shared with them and offer it to their
own workers; the end of a partnership withdraws its shares (tenancy's partnership.ended).

Whatever sends an offer re-checks the workers with identity first (offers/recheck.py)."""

from __future__ import annotations

from chassis.context import Caller, requires
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, rpc
from chassis.rpc import ServiceCaller
from services.booking.common import staff_tenant
from services.booking.offers.recheck import EligibleNow, identity_recheck
from services.booking.sharing import domain
from services.booking.sharing.schemas import (
    ReleasedSchema,
    ShareCreateSchema,
    SharedOfferCreateSchema,
    SharedOfferPageSchema,
    SharedOfferQuerySchema,
    SharedOfferSchema,
    SharedQuerySchema,
    SharePageSchema,
    ShareQuerySchema,
    ShareSchema,
    SharesMadeSchema,
    ShareWithdrawSchema,
)

READ = "bookings.read"
MANAGE = "bookings.manage"


class SharingEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    def _eligible_now(self) -> EligibleNow:
        return identity_recheck(self.services, self.caller)

    def _made(self, tenant_id: str, shares: list) -> dict:
        views = [
            domain.share_view(self.db, tenant_id=tenant_id, share_id=s.id, side="owner")
            for s in shares
        ]
        return SharesMadeSchema().dump({"shares": views})

    # -- the owning CBO ---------------------------------------------------------------------------

    @rpc
    @requires(MANAGE)
    def share_shift(self, shift_id: str, body: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = ShareCreateSchema().load(body or {})
        shares = domain.share_shift(
            self.db, caller=self.caller, tenant_id=tenant_id, shift_id=shift_id, **data
        )
        return self._made(tenant_id, shares)

    @rpc
    @requires(MANAGE)
    def share_booking(self, booking_id: str, body: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = ShareCreateSchema().load(body or {})
        shares = domain.share_booking(
            self.db, caller=self.caller, tenant_id=tenant_id, booking_id=booking_id, **data
        )
        return self._made(tenant_id, shares)

    @rpc
    @requires(READ)
    def list_opportunity_shares(self, query: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        options = ShareQuerySchema().load(query or {})
        return SharePageSchema().dump(domain.list_shares(self.db, tenant_id=tenant_id, **options))

    @rpc
    @requires(MANAGE)
    def withdraw_opportunity_share(self, share_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = ShareWithdrawSchema().load(body)
        domain.withdraw_share(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            share_id=share_id,
            eligible_now=self._eligible_now(),
            **data,
        )
        return ShareSchema().dump(
            domain.share_view(self.db, tenant_id=tenant_id, share_id=share_id, side="owner")
        )

    # -- the partner CBO --------------------------------------------------------------------------

    @rpc
    @requires(READ)
    def list_shared_opportunities(self, query: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        options = SharedQuerySchema().load(query or {})
        found = domain.list_shared_with(self.db, tenant_id=tenant_id, **options)
        return SharePageSchema().dump(found)

    @rpc
    @requires(READ)
    def get_shared_opportunity(self, share_id: str) -> dict:
        tenant_id = staff_tenant(self.caller)
        return ShareSchema().dump(
            domain.share_view(self.db, tenant_id=tenant_id, share_id=share_id, side="partner")
        )

    @rpc
    @requires(MANAGE)
    def offer_shared_opportunity(self, share_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = SharedOfferCreateSchema().load(body)
        offer = domain.offer_shared(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            share_id=share_id,
            worker_id=data["jobseeker_id"],
            eligible_now=self._eligible_now(),
        )
        return SharedOfferSchema().dump(
            domain.offer_view(self.db, tenant_id=tenant_id, offer_id=offer.id)
        )

    @rpc
    @requires(MANAGE)
    def release_shared_opportunity(self, share_id: str) -> dict:
        tenant_id = staff_tenant(self.caller)
        sent = domain.release_shared(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            share_id=share_id,
            eligible_now=self._eligible_now(),
        )
        views = [domain.offer_view(self.db, tenant_id=tenant_id, offer_id=o.id) for o in sent]
        return ReleasedSchema().dump({"offers": views})

    @rpc
    @requires(READ)
    def list_shared_opportunity_offers(self, share_id: str, query: dict | None = None) -> dict:
        tenant_id = staff_tenant(self.caller)
        options = SharedOfferQuerySchema().load(query or {})
        found = domain.list_share_offers(self.db, tenant_id=tenant_id, share_id=share_id, **options)
        return SharedOfferPageSchema().dump(found)

    # -- tenancy ends a partnership --------------------------------------------------------------

    @event_handler("tenancy", "partnership.ended")
    def stop_sharing_with_former_partner(self, event: Event) -> None:
        """Withdraws every live share under the partnership, with the partner's offers still
        sent under it: nothing more is shared, and a confirmation is refused."""
        domain.end_partnership(
            self.db,
            partnership_id=event.data["partnership_id"],
            eligible_now=self._eligible_now(),
        )
