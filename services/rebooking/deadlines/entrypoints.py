"""Offers' deadlines: recorded from booking's offer.sent, settled when the offer ends first,
and fired by the sweep (a chassis timer on every instance, WORKLB_DEADLINE_SWEEP_SECONDS)
through booking's `expire_offer`, every command with the offer's idempotency key."""

from __future__ import annotations

import logging
from datetime import datetime

import eventlet

from chassis.context import Caller
from chassis.contracts.booking_rpc import BookingClient
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, timer
from chassis.errors import Conflict, NotFound
from chassis.rpc import ServiceCaller
from services.rebooking.deadlines import domain, rules

log = logging.getLogger(__name__)

# How many expire_offer calls one sweep has in flight at once: about as many as booking has
# workers (WORKLB_MAX_WORKERS), so that a burst queues here rather than timing out there.
CONCURRENT_CALLS = 20


class DeadlinesEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    @event_handler("booking", "offer.sent")
    def record_offer_deadline(self, event: Event) -> None:
        """Keeps the offer's deadline as a durable timer: when it passes, rebooking has booking
        expire the offer."""
        if event.tenant_id is None:
            return
        data = event.data
        domain.record_deadline(
            self.db,
            tenant_id=event.tenant_id,
            offer_id=data["offer_id"],
            shift_id=data["shift_id"],
            worker_id=data["worker_id"],
            deadline_at=_when(data["deadline_at"]),
        )

    def _settle(self, event: Event, outcome: str) -> None:
        if event.tenant_id is None:
            return
        data = event.data
        domain.settle(
            self.db,
            tenant_id=event.tenant_id,
            offer_id=data["offer_id"],
            shift_id=data["shift_id"],
            worker_id=data["worker_id"],
            outcome=outcome,
        )

    @event_handler("booking", "offer.confirmed")
    def settle_confirmed_deadline(self, event: Event) -> None:
        """The worker confirmed in time: the offer's timer will not fire."""
        self._settle(event, "confirmed")

    @event_handler("booking", "offer.declined")
    def settle_declined_deadline(self, event: Event) -> None:
        """The worker declined: the offer's timer will not fire."""
        self._settle(event, "declined")

    @event_handler("booking", "offer.withdrawn")
    def settle_withdrawn_deadline(self, event: Event) -> None:
        """The offer was withdrawn: its timer will not fire."""
        self._settle(event, "withdrawn")

    @event_handler("booking", "offer.expired")
    def settle_expired_deadline(self, event: Event) -> None:
        """The offer expired (by this timer, or staff first): its timer is done."""
        self._settle(event, "expired")

    @timer("deadline_sweep_seconds")
    def fire_due_deadlines(self) -> None:
        """Has booking expire the offers whose deadline has come (SKIP LOCKED claims, so every
        instance may sweep; each command keyed by its offer)."""
        domain.fire_due(self.db, expire=self._expire_offers)

    def _expire_offers(self, items: list[tuple[str, str]]) -> dict[str, tuple[str, str | None]]:
        """Booking's answer for each (offer id, key), the calls in flight together."""
        booking = BookingClient(self.services)

        def one(item: tuple[str, str]) -> tuple[str, tuple[str, str | None]]:
            offer_id, key = item
            try:
                ended = booking.expire_offer(offer_id=offer_id, idempotency_key=key)
            except NotFound:
                return offer_id, (rules.MISSING, None)
            except Conflict as exc:
                # Before the deadline by booking's clock (or a key clash: tried again, logged).
                return offer_id, (rules.TOO_EARLY, str(exc)[:500])
            except Exception as exc:  # an outage: the timer is tried again with a backoff
                error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning(
                    "expire_offer failed", extra={"fields": {"offer_id": offer_id, "error": error}}
                )
                return offer_id, (rules.FAILED, error)
            if ended.expired or ended.status == "expired":
                return offer_id, (rules.EXPIRED, None)
            return offer_id, (rules.ENDED, f"already {ended.status}")

        pool = eventlet.GreenPool(CONCURRENT_CALLS)
        return dict(pool.imap(one, items))


def _when(value: str | datetime) -> datetime:
    """A date-time of an event's data (ISO text on the wire)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value
