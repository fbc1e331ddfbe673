"""Offers' deadlines: recorded from booking's offer.sent, settled when the offer ends first,
and fired by the sweep (a chassis timer on every instance, WORKLB_DEADLINE_SWEEP_SECONDS)
through booking's `expire_offers`, every command with the offer's idempotency key, each with
the cascade's next step (cascades.domain.plan_expiry_steps)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

import eventlet

from chassis.config import Settings
from chassis.context import Caller
from chassis.contracts.booking_rpc import BookingClient, ExpiredOfferItem, NextOffer
from chassis.db import UnitOfWork
from chassis.entrypoints import EVENT_BATCH, EventBatch, event_handler, timer
from chassis.rpc import ServiceCaller
from services.rebooking.cascades import domain as cascades
from services.rebooking.deadlines import domain, rules

log = logging.getLogger(__name__)

# A sweep's chunk (deadlines.domain.SWEEP_BATCH timers) goes to booking as `expire_offers`
# calls of EXPIRE_BATCH offers each: one call for a whole chunk. Booking takes a batch with the
# same few statements whatever its size, so one call of 1,000 costs it less than four of 250
# (one identity call, one set of reads), and its offers are written in one transaction: four
# calls at once took 1.42 s to the last written offer in the benchmark, one 1.03 s
# (docs/PERFORMANCE.md). Were a chunk larger than a call, its calls would all go at once
# (CONCURRENT_CALLS): booking's workers are shared with its event handlers, and a call sent
# after the first batches' events reached booking waited for a worker behind them. The
# timeout stays generous: on a starved machine a batch may take long, and one that times out
# is done again (the same keys, booking's stored answers, but the work of both).
EXPIRE_BATCH = 1000
CONCURRENT_CALLS = 4
BATCH_TIMEOUT_SECONDS = 120.0


class DeadlinesEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller
    settings: Settings

    # Every offer passes here twice (sent, then ended): the handlers take their events in
    # batches (one worker and one commit for many when a burst of offers ends at once), each
    # in the order of the offers' ids, whose timer rows they write, so that two batches never
    # wait on each other in a circle.

    @event_handler("booking", "offer.sent", batch=EVENT_BATCH)
    def record_offer_deadline(self, events: EventBatch) -> None:
        """Keeps the offer's deadline as a durable timer: when it passes, rebooking has booking
        expire the offer."""
        domain.record_deadlines(
            self.db,
            timers=[
                {
                    "tenant_id": tenant_id,
                    "offer_id": data["offer_id"],
                    "shift_id": data["shift_id"],
                    "worker_id": data["worker_id"],
                    "deadline_at": _when(data["deadline_at"]),
                    "client_id": data["client_id"],
                }
                for tenant_id, data in _by_offer(events)
            ],
        )

    def _settle(self, events: EventBatch, outcome: str) -> None:
        for tenant_id, data in _by_offer(events):
            domain.settle(
                self.db,
                tenant_id=tenant_id,
                offer_id=data["offer_id"],
                shift_id=data["shift_id"],
                worker_id=data["worker_id"],
                outcome=outcome,
            )

    @event_handler("booking", "offer.confirmed", batch=EVENT_BATCH)
    def settle_confirmed_deadline(self, events: EventBatch) -> None:
        """The worker confirmed in time: the offer's timer will not fire."""
        self._settle(events, "confirmed")

    @event_handler("booking", "offer.declined", batch=EVENT_BATCH)
    def settle_declined_deadline(self, events: EventBatch) -> None:
        """The worker declined: the offer's timer will not fire."""
        self._settle(events, "declined")

    @event_handler("booking", "offer.withdrawn", batch=EVENT_BATCH)
    def settle_withdrawn_deadline(self, events: EventBatch) -> None:
        """The offer was withdrawn: its timer will not fire."""
        self._settle(events, "withdrawn")

    @event_handler("booking", "offer.expired", batch=EVENT_BATCH)
    def settle_expired_deadline(self, events: EventBatch) -> None:
        """The offer expired (by this timer, or staff first): its timer is done."""
        self._settle(events, "expired")

    @timer("deadline_sweep_seconds")
    def fire_due_deadlines(self) -> None:
        """Has booking expire the offers whose deadline has come, each with the cascade's next
        step (SKIP LOCKED claims, so every instance may sweep; each command keyed by its
        offer), a chunk at a time, each committed before the next is claimed; then waits,
        until the next tick, for a deadline that falls before it (deadlines.domain.sweep)."""
        domain.sweep(
            self.db,
            expire=self._expire_offers,
            steps=cascades.ExpirySteps(self.db),
            interval=self.settings.deadline_sweep_seconds,
            sleep=eventlet.sleep,
        )

    def _expire_offers(
        self, items: list[tuple[str, str, dict | None]]
    ) -> dict[str, tuple[str, str | None, NextOffer | None]]:
        """Booking's answer for each (offer id, key, next step): batches of EXPIRE_BATCH in
        one `expire_offers` call each, CONCURRENT_CALLS of them in flight together."""
        booking = BookingClient(self.services)

        def batch(part: list[tuple[str, str, dict | None]]) -> list[tuple[str, Answer]]:
            wire = [
                {
                    "offer_id": offer_id,
                    "idempotency_key": key,
                    "next": None
                    if step is None
                    else {k: v for k, v in step.items() if k != "shift_id"},
                }
                for offer_id, key, step in part
            ]
            try:
                answered = booking.expire_offers(items=wire, timeout=BATCH_TIMEOUT_SECONDS)
            except Exception as exc:  # an outage: the timers are tried again with a backoff
                error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning(
                    "expire_offers failed", extra={"fields": {"offers": len(part), "error": error}}
                )
                return [(offer_id, (rules.FAILED, error, None)) for offer_id, _, _ in part]
            return [(item.offer_id, _outcome(item)) for item in answered]

        parts = [items[n : n + EXPIRE_BATCH] for n in range(0, len(items), EXPIRE_BATCH)]
        pool = eventlet.GreenPool(CONCURRENT_CALLS)
        return {offer_id: answer for found in pool.imap(batch, parts) for offer_id, answer in found}


Answer = tuple[str, str | None, NextOffer | None]


def _outcome(item: ExpiredOfferItem) -> Answer:
    """What booking's answer about one offer makes of its timer (rules.EXPIRED …)."""
    if item.error is not None:
        kind, message = item.error["kind"], item.error["message"]
        if kind == "not_found":
            return rules.MISSING, None, None
        if kind == "conflict":
            # Before the deadline by booking's clock (or a key clash: tried again, logged).
            return rules.TOO_EARLY, message, None
        log.warning(
            "expire_offer failed",
            extra={"fields": {"offer_id": item.offer_id, "error": message}},
        )
        return rules.FAILED, message, None
    if item.expired or item.status == "expired":
        return rules.EXPIRED, None, item.next
    return rules.ENDED, f"already {item.status}", None


def _by_offer(events: EventBatch) -> Iterator[tuple[str, dict]]:
    """Each event's CBO and data, in the order of the offers' ids (an offer always has a
    CBO: one without is not rebooking's)."""
    for event in sorted(events, key=lambda e: str(e.data["offer_id"])):
        if event.tenant_id is not None:
            yield event.tenant_id, event.data


def _when(value: str | datetime) -> datetime:
    """A date-time of an event's data (ISO text on the wire)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value
