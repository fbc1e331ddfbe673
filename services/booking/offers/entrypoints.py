"""Offers for job seekers (their own), staff and client users (a shift's), rebooking (expiry),
the timer that releases open shifts' tiers when they are due, and the handlers that stand a
worker down when identity suspends them or closes their account.

Whatever may send or confirm an offer re-checks the workers with identity first
(offers/recheck.py), as the caller: when identity cannot be reached, 503 and nothing sent."""

from __future__ import annotations

from chassis.context import JOBSEEKER, Caller, for_services, requires, requires_any
from chassis.contracts import booking_rpc
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, rpc, timer
from chassis.errors import Forbidden
from chassis.rpc import ServiceCaller
from services.booking.bookings import cancellations
from services.booking.common import client_scope, market_tenant, staff_tenant, worker_of
from services.booking.offers import domain, replacements
from services.booking.offers.recheck import EligibleNow, identity_recheck
from services.booking.offers.schemas import (
    DeclineSchema,
    MyOfferPageSchema,
    MyOfferQuerySchema,
    MyOfferSchema,
    MyShiftPageSchema,
    MyShiftQuerySchema,
    OfferCreateSchema,
    ShiftOfferPageSchema,
    ShiftOfferQuerySchema,
    ShiftOfferSchema,
    WithdrawSchema,
)

WORK = "self.work"
MANAGE = "bookings.manage"
# Made once: making a schema deep-copies its fields (the sweep's batches call every second).
_EXPIRE_OFFERS_REQUEST = booking_rpc.ExpireOffersRequest()
_EXPIRED_OFFER_ITEMS = booking_rpc.ExpiredOfferItemSchema(many=True)


class OffersEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    def _eligible_now(self) -> EligibleNow:
        return identity_recheck(self.services, self.caller)

    # -- the job seeker's own -------------------------------------------------------------------

    @rpc
    @requires(WORK)
    def list_my_offers(self, query: dict | None = None) -> dict:
        tenant_id, worker_id = worker_of(self.caller)
        options = MyOfferQuerySchema().load(query or {})
        found = domain.list_my_offers(self.db, tenant_id=tenant_id, worker_id=worker_id, **options)
        return MyOfferPageSchema().dump(found)

    @rpc
    @requires(WORK)
    def list_my_shifts(self, query: dict | None = None) -> dict:
        tenant_id, worker_id = worker_of(self.caller)
        options = MyShiftQuerySchema().load(query or {})
        found = domain.list_my_shifts(self.db, tenant_id=tenant_id, worker_id=worker_id, **options)
        return MyShiftPageSchema().dump(found)

    @rpc
    @requires(WORK)
    def confirm_offer(self, offer_id: str) -> dict:
        tenant_id, worker_id = worker_of(self.caller)
        domain.confirm_offer(
            self.db,
            tenant_id=tenant_id,
            worker_id=worker_id,
            offer_id=offer_id,
            eligible_now=self._eligible_now(),
        )
        found = domain.my_offer(
            self.db, tenant_id=tenant_id, worker_id=worker_id, offer_id=offer_id
        )
        return MyOfferSchema().dump(found)

    @rpc
    @requires(WORK)
    def decline_offer(self, offer_id: str, body: dict | None = None) -> dict:
        tenant_id, worker_id = worker_of(self.caller)
        data = DeclineSchema().load(body or {})
        domain.decline_offer(
            self.db,
            tenant_id=tenant_id,
            worker_id=worker_id,
            offer_id=offer_id,
            eligible_now=self._eligible_now(),
            **data,
        )
        found = domain.my_offer(
            self.db, tenant_id=tenant_id, worker_id=worker_id, offer_id=offer_id
        )
        return MyOfferSchema().dump(found)

    # -- staff and client users -----------------------------------------------------------------

    @rpc
    @requires_any("bookings.read", "self.book")
    def list_shift_offers(self, shift_id: str, query: dict | None = None) -> dict:
        tenant_id = market_tenant(self.caller)
        options = ShiftOfferQuerySchema().load(query or {})
        found = domain.list_shift_offers(
            self.db,
            tenant_id=tenant_id,
            client_id=client_scope(self.caller),
            shift_id=shift_id,
            **options,
        )
        return ShiftOfferPageSchema().dump(found)

    @rpc
    @requires(MANAGE)
    def create_shift_offer(self, shift_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = OfferCreateSchema().load(body)
        offer = domain.offer_shift(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            shift_id=shift_id,
            worker_id=data["jobseeker_id"],
            eligible_now=self._eligible_now(),
        )
        return ShiftOfferSchema().dump(
            domain.shift_offer(self.db, tenant_id=tenant_id, offer_id=offer.id)
        )

    @rpc
    @requires(MANAGE)
    def withdraw_offer(self, offer_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = WithdrawSchema().load(body)
        domain.withdraw_offer(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            offer_id=offer_id,
            eligible_now=self._eligible_now(),
            **data,
        )
        return ShiftOfferSchema().dump(
            domain.shift_offer(self.db, tenant_id=tenant_id, offer_id=offer_id)
        )

    # -- rebooking ------------------------------------------------------------------------------

    @rpc
    @requires(MANAGE)
    @for_services("rebooking")
    def expire_offer(self, offer_id: str, idempotency_key: str) -> dict:
        """For rebooking (its deadline timers) and staff: end a sent offer whose deadline has
        passed (chassis.contracts.booking_rpc)."""
        request = booking_rpc.ExpireOfferRequest().load(
            {"offer_id": offer_id, "idempotency_key": idempotency_key}
        )
        # Rebooking's system acts within its event's CBO (or across CBOs, without one).
        scope = self.caller.service_scope() if self.caller.is_system else staff_tenant(self.caller)
        result = domain.expire_offer(
            self.db, scope=scope, eligible_now=self._eligible_now(), caller=self.caller, **request
        )
        return booking_rpc.ExpiredOfferSchema().dump(result)

    @rpc
    @requires(MANAGE)
    @for_services("rebooking")
    def expire_offers(self, items: list[dict]) -> list[dict]:
        """For rebooking's deadline sweep: a batch of expiries, each with the cascade's next
        step when asked (chassis.contracts.booking_rpc; offers/replacements.py)."""
        if not self.caller.is_system:
            raise Forbidden("Only the rebooking service can expire offers in a batch.")
        request = _EXPIRE_OFFERS_REQUEST.load({"items": items})
        result = replacements.expire_offers(
            self.db,
            scope=self.caller.service_scope(),
            items=request["items"],
            eligible_now=self._eligible_now(),
        )
        # The offers are there for everyone once committed: before a thousand answers are
        # written out, not after.
        self.db.commit()
        return _EXPIRED_OFFER_ITEMS.dump(result)

    @rpc
    @requires(MANAGE)
    @for_services("rebooking")
    def offer_next(
        self,
        shift_id: str,
        idempotency_key: str,
        preferred_worker_ids: list[str] | None = None,
        use_ranking: bool = True,
        exclude_worker_ids: list[str] | None = None,
        window_seconds: int | None = None,
        min_lead_minutes: int = 0,
    ) -> dict:
        """For rebooking's cascades: offer a shift to the next worker, or say why not
        (chassis.contracts.booking_rpc; offers/replacements.py)."""
        if not self.caller.is_system:
            raise Forbidden("Only the rebooking service can ask for a replacement offer.")
        request = booking_rpc.OfferNextRequest().load(
            {
                "shift_id": shift_id,
                "idempotency_key": idempotency_key,
                "preferred_worker_ids": preferred_worker_ids or [],
                "use_ranking": use_ranking,
                "exclude_worker_ids": exclude_worker_ids or [],
                "window_seconds": window_seconds,
                "min_lead_minutes": min_lead_minutes,
            }
        )
        result = replacements.offer_next(
            self.db,
            scope=self.caller.service_scope(),
            eligible_now=self._eligible_now(),
            **request,
        )
        return booking_rpc.NextOfferSchema().dump(result)

    # -- identity stands a worker down ----------------------------------------------------------
    # Handlers of their own beside the workers area's (which keep the read model): the read
    # model never waits on identity's re-check, and these retry alone if it cannot be reached.

    @event_handler("identity", "jobseeker.suspended")
    def stand_down_suspended_worker(self, event: Event) -> None:
        """Withdraws the suspended worker's live offers and cancels their places on shifts
        still to come (staff, not late), each position filled again."""
        self._stand_down(event, event.data["jobseeker_id"], cancellations.WORKER_SUSPENDED)

    @event_handler("identity", "account.deactivated")
    def stand_down_closed_account(self, event: Event) -> None:
        """A job seeker's account closed: withdraws their live offers and cancels their places
        on shifts still to come (staff, not late), each position filled again."""
        if event.data.get("kind") == JOBSEEKER:
            self._stand_down(event, event.data["account_id"], cancellations.ACCOUNT_CLOSED)

    def _stand_down(self, event: Event, worker_id: str, reason: str) -> None:
        if event.tenant_id is None:
            return  # a job seeker always belongs to a CBO
        cancellations.stand_down_worker(
            self.db,
            caller=self.caller,
            tenant_id=event.tenant_id,
            worker_id=worker_id,
            reason=reason,
            occurred_at=event.occurred_at,
            eligible_now=self._eligible_now(),
        )

    # -- the sweep ------------------------------------------------------------------------------

    @timer("tier_sweep_seconds")
    def release_due_tiers(self) -> None:
        """Release the next tier of every open shift that is due (WORKLB_TIER_SWEEP_SECONDS).
        The sweep is booking's system caller without a CBO, so identity's re-check names each
        worker's CBO (and answers about partners' workers too)."""
        domain.release_due_tiers(self.db, eligible_now=self._eligible_now())
