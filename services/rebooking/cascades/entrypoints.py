"""Cascades: booking's events start and move them (each step asks booking's `offer_next`, keyed
by the triggering event), and staff and a client's users list them."""

from __future__ import annotations

from chassis.context import CLIENT, STAFF, Caller, requires_any
from chassis.contracts.booking_rpc import BookingClient, NextOffer
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, rpc, timer
from chassis.errors import Forbidden
from chassis.rpc import ServiceCaller
from services.rebooking.cascades import domain, rules
from services.rebooking.cascades.schemas import CascadePageSchema, CascadeQuerySchema


class CascadesEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    def _offer_next(self, **arguments) -> NextOffer:
        return BookingClient(self.services).offer_next(**arguments)

    def _lost(self, event: Event, trigger: str, offer_id: str | None) -> None:
        if event.tenant_id is None:
            return
        data = event.data
        domain.offer_lost(
            self.db,
            tenant_id=event.tenant_id,
            event_id=event.event_id,
            trigger=trigger,
            shift_id=data["shift_id"],
            client_id=data["client_id"],
            worker_id=data["worker_id"],
            offer_id=offer_id,
            offer_next=self._offer_next,
        )

    @event_handler("booking", "offer.expired")
    def rebook_expired_offer(self, event: Event) -> None:
        """Starts or moves on the shift's cascade (licensed CBOs only): booking offers the next
        worker by the client's rebooking preferences."""
        self._lost(event, rules.EXPIRED, event.data["offer_id"])

    @event_handler("booking", "offer.declined")
    def rebook_declined_offer(self, event: Event) -> None:
        """Starts or moves on the shift's cascade (licensed CBOs only), as an expiry does."""
        self._lost(event, rules.DECLINED, event.data["offer_id"])

    @event_handler("booking", "assignment.cancelled")
    def rebook_cancelled_place(self, event: Event) -> None:
        """A worker gave their place up: starts the shift's cascade (licensed CBOs only);
        places the client or staff cancelled are not filled again."""
        if rules.is_trigger(event.event_type, cancelled_by_kind=event.data["cancelled_by_kind"]):
            self._lost(event, rules.CANCELLED, None)

    @event_handler("booking", "offer.confirmed")
    def complete_cascade(self, event: Event) -> None:
        """A worker the cascade offered confirmed: cascade.completed."""
        if event.tenant_id is not None:
            domain.offer_confirmed(
                self.db,
                tenant_id=event.tenant_id,
                shift_id=event.data["shift_id"],
                offer_id=event.data["offer_id"],
                worker_id=event.data["worker_id"],
            )

    @event_handler("booking", "shift.filled")
    def close_filled_cascade(self, event: Event) -> None:
        """The shift filled: its active cascade completes if one of its workers holds it now
        (cascade.completed), else closes."""
        if event.tenant_id is not None:
            domain.shift_settled(
                self.db,
                tenant_id=event.tenant_id,
                shift_id=event.data["shift_id"],
                reason="filled",
                worker_ids=event.data["worker_ids"],
            )

    @event_handler("booking", "booking.cancelled")
    def close_cancelled_cascades(self, event: Event) -> None:
        """Shifts cancelled: their active cascades close."""
        if event.tenant_id is not None:
            for shift_id in event.data["shift_ids"]:
                domain.shift_settled(
                    self.db, tenant_id=event.tenant_id, shift_id=shift_id, reason="cancelled"
                )

    @event_handler("booking", "offer.withdrawn")
    def note_withdrawn_offer(self, event: Event) -> None:
        """A cascade's offer was withdrawn: its step says so."""
        if event.tenant_id is not None:
            domain.offer_withdrawn(
                self.db, tenant_id=event.tenant_id, offer_id=event.data["offer_id"]
            )

    @timer("deadline_sweep_seconds")
    def retry_cascade_steps(self) -> None:
        """Tries again the cascade steps booking could not take when their event came (kept
        rows, SKIP LOCKED; the same idempotency key)."""
        domain.retry_pending_steps(self.db, offer_next=self._offer_next)

    @rpc
    @requires_any("bookings.read", "self.book")
    def list_cascades(self, query: dict | None = None) -> dict:
        tenant_id = self.caller.require_tenant()
        if self.caller.kind not in (STAFF, CLIENT):
            raise Forbidden("Only the CBO's staff and its clients can do this.")
        if self.caller.kind == CLIENT and not self.caller.client_id:
            raise Forbidden("This account belongs to no client organisation.")
        options = CascadeQuerySchema().load(query or {})
        found = domain.list_cascades(
            self.db,
            tenant_id=tenant_id,
            client_id=self.caller.client_id if self.caller.kind == CLIENT else None,
            **options,
        )
        return CascadePageSchema().dump(found)
