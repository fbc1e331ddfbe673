"""Reliability: the handlers of booking's own events that record entries, the worker's and
staff's views of a score, excuses, appeals and their decisions, and review items."""

from __future__ import annotations

from datetime import UTC, datetime

from chassis.context import Caller, requires
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import EVENT_BATCH, EventBatch, event_handler, rpc, timer
from chassis.schemas import ReasonSchema
from services.booking.common import staff_tenant, worker_of
from services.booking.reliability import domain, rules
from services.booking.reliability.schemas import (
    AppealDecisionSchema,
    CloseReliabilityReviewSchema,
    ReliabilityAppealSchema,
    ReliabilityEntryPageSchema,
    ReliabilityEntryQuerySchema,
    ReliabilityEntrySchema,
    ReliabilityReviewPageSchema,
    ReliabilityReviewQuerySchema,
    ReliabilityReviewSchema,
    ReliabilitySchema,
)

READ = "bookings.read"
MANAGE = "bookings.manage"
WORK = "self.work"


def _now() -> datetime:
    return datetime.now(UTC)


class ReliabilityEntrypoints:
    db: UnitOfWork
    caller: Caller

    # -- entries from booking's own events -------------------------------------------------

    @event_handler("booking", "worker.no_show")
    def reliability_on_no_show(self, event: Event) -> None:
        """Counts a no-show against the worker (4 points), voiding the completed shift it
        corrects, if any; recomputes the score and may open a review."""
        self._attendance(event, rules.NO_SHOW)

    @event_handler("booking", "shift.completed")
    def reliability_on_shift_completed(self, event: Event) -> None:
        """Counts a completed shift (it lifts a new worker's score) and a late arrival beyond
        the grace (1 point), voiding the no-show it corrects, if any."""
        self._attendance(event, rules.COMPLETED)

    def _attendance(self, event: Event, outcome: str) -> None:
        data = event.data
        domain.count_attendance(
            self.db,
            tenant_id=data["worker_tenant_id"],
            outcome=outcome,
            assignment_id=data["assignment_id"],
            shift_id=data["shift_id"],
            worker_id=data["worker_id"],
            minutes_late=data.get("minutes_late"),
            occurred_at=event.occurred_at,
            now=_now(),
        )

    @event_handler("booking", "offer.expired", batch=EVENT_BATCH)
    def reliability_on_offer_expired(self, events: EventBatch) -> None:
        """Counts a missed confirmation (2 points) against the worker who let the offer
        expire (in batches: deadlines tend to pass together; each worker's history read once
        per batch, the workers locked in their ids' order)."""
        misses = []
        for event in events:
            data = event.data
            misses.append(
                domain.missed_confirmation(
                    tenant_id=data["worker_tenant_id"],
                    worker_id=data["worker_id"],
                    offer_id=data["offer_id"],
                    shift_id=data["shift_id"],
                    occurred_at=event.occurred_at,
                    correlation_id=event.correlation_id or event.event_id,
                )
            )
        domain.count_entries(self.db, entries=misses, now=_now())

    @event_handler("booking", "assignment.cancelled")
    def reliability_on_assignment_cancelled(self, event: Event) -> None:
        """Counts a worker's own late cancellation (2 points); other cancellations cost the
        worker nothing."""
        data = event.data
        if data["cancelled_by_kind"] != "worker" or not data["late"]:
            return
        tenant_id = data.get("worker_tenant_id") or domain.worker_tenant_of(
            self.db, assignment_id=data["assignment_id"], default=event.tenant_id or ""
        )
        domain.count_cancellation(
            self.db,
            tenant_id=tenant_id,
            worker_id=data["worker_id"],
            assignment_id=data["assignment_id"],
            shift_id=data["shift_id"],
            cancelled_by_kind=data["cancelled_by_kind"],
            late=data["late"],
            occurred_at=event.occurred_at,
            now=_now(),
        )

    @timer("reliability_decay_seconds")
    def store_decayed_scores(self) -> None:
        """Stores every score as its points have decayed by now (hourly by default), so that
        searches rank by today's reliability."""
        domain.recompute_scores(self.db, now=_now())

    # -- the worker ------------------------------------------------------------------------

    @rpc
    @requires(WORK)
    def my_reliability(self) -> dict:
        tenant_id, worker_id = worker_of(self.caller)
        found = domain.reliability_of(self.db, tenant_id=tenant_id, worker_id=worker_id, now=_now())
        return ReliabilitySchema().dump(found)

    @rpc
    @requires(WORK)
    def appeal_reliability_entry(self, entry_id: str, body: dict) -> dict:
        tenant_id, worker_id = worker_of(self.caller)
        data = ReliabilityAppealSchema().load(body)
        now = _now()
        entry = domain.appeal_entry(
            self.db,
            tenant_id=tenant_id,
            worker_id=worker_id,
            entry_id=entry_id,
            text=data["text"],
            now=now,
        )
        return self._entry(entry, tenant_id, now)

    # -- staff -----------------------------------------------------------------------------

    @rpc
    @requires(READ)
    def jobseeker_reliability(self, jobseeker_id: str) -> dict:
        found = domain.staff_reliability_of(
            self.db, tenant_id=staff_tenant(self.caller), worker_id=jobseeker_id, now=_now()
        )
        return ReliabilitySchema().dump(found)

    @rpc
    @requires(READ)
    def list_reliability_entries(self, query: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        options = ReliabilityEntryQuerySchema().load(query)
        page = domain.list_entries(self.db, tenant_id=tenant_id, now=_now(), **options)
        return ReliabilityEntryPageSchema().dump(page)

    @rpc
    @requires(MANAGE)
    def excuse_reliability_entry(self, entry_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = ReasonSchema().load(body)
        now = _now()
        entry = domain.excuse_entry(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            entry_id=entry_id,
            reason=data["reason"],
            now=now,
        )
        return self._entry(entry, tenant_id, now)

    @rpc
    @requires(MANAGE)
    def decide_reliability_appeal(self, entry_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = AppealDecisionSchema().load(body)
        now = _now()
        entry = domain.decide_appeal(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            entry_id=entry_id,
            outcome=data["outcome"],
            reason=data["reason"],
            now=now,
        )
        return self._entry(entry, tenant_id, now)

    def _entry(self, entry, tenant_id: str, now: datetime) -> dict:
        half_life = domain.settings_of(self.db, tenant_id=tenant_id).half_life_days
        return ReliabilityEntrySchema().dump(
            domain.entry_view(entry, now=now, half_life_days=half_life)
        )

    @rpc
    @requires(READ)
    def list_reliability_reviews(self, query: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        options = ReliabilityReviewQuerySchema().load(query)
        page = domain.list_reviews(self.db, tenant_id=tenant_id, **options)
        return ReliabilityReviewPageSchema().dump(page)

    @rpc
    @requires(MANAGE)
    def close_reliability_review(self, review_id: str, body: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        data = CloseReliabilityReviewSchema().load(body)
        review = domain.close_review(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            review_id=review_id,
            outcome=data["outcome"],
            now=_now(),
        )
        return ReliabilityReviewSchema().dump(review)
