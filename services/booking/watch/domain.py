"""Market watch: rebooking's cascades learnt from its events, and the one answer staff read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from chassis.db import UnitOfWork
from services.booking.bookings import rules as booking_rules
from services.booking.bookings.models import Shift
from services.booking.offers.models import EXPIRED, NO_SHOW, SENT, Assignment, Offer
from services.booking.reliability import rules as reliability_rules
from services.booking.reliability.models import ReliabilityEntry, ReliabilityScore, ReviewItem
from services.booking.sites.models import Site
from services.booking.watch import rules
from services.booking.watch.models import CascadeRecord
from services.booking.workers.domain import cbo_timezone
from services.booking.workers.models import ClientRecord, WorkerRecord

# -- cascades, from rebooking's events ------------------------------------------------------

_STATE_OF_EVENT = {
    "cascade.started": rules.RUNNING,
    "cascade.advanced": rules.RUNNING,
    "cascade.completed": rules.COMPLETED,
    "rebooking.exhausted": rules.EXHAUSTED,
}


def learn_cascade(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    event_type: str,
    data: dict[str, Any],
    occurred_at: datetime,
) -> CascadeRecord:
    """Record what a cascade event says. Events may arrive out of order: the attempts only
    grow, and an ended cascade stays ended. A cascade's first two events (started, advanced)
    come together: the row is made if missing (ON CONFLICT DO NOTHING), then locked, so the
    second waits for the first instead of failing on its key and being retried."""
    uow.session.execute(
        insert(CascadeRecord)
        .values(
            id=data["cascade_id"],
            tenant_id=tenant_id,
            shift_id=data["shift_id"],
            state=_STATE_OF_EVENT[event_type],
            attempts=0,
            max_attempts=data["max_attempts"],
            started_at=occurred_at,
            event_at=occurred_at,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    record = uow.session.execute(
        select(CascadeRecord)
        .where(CascadeRecord.id == data["cascade_id"], CascadeRecord.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if record is None:  # the id is another CBO's cascade: nothing to learn here
        raise ValueError("a cascade id of another CBO")
    record.state = rules.next_state(record.state, _STATE_OF_EVENT[event_type])
    record.attempts = max(record.attempts, data["attempts"])
    record.max_attempts = data["max_attempts"]
    if event_type == "cascade.started":
        record.trigger = data.get("trigger")
        record.started_at = min(record.started_at, occurred_at)
    if event_type == "cascade.advanced" and occurred_at >= record.event_at:
        record.worker_id = data["worker_id"]
        record.deadline_at = data["deadline_at"]
    if event_type == "rebooking.exhausted":
        record.reason = data["reason"]
    record.event_at = max(record.event_at, occurred_at)
    uow.session.flush()
    return record


# -- the answer ------------------------------------------------------------------------------


def _action(label: str, method: str, href: str) -> dict[str, str]:
    return {"label": label, "method": method, "href": href}


def _offer_shift_action(shift_id: str) -> dict[str, str]:
    return _action("Offer the shift to another worker", "POST", f"/api/v1/shifts/{shift_id}/offers")


def _names(uow: UnitOfWork, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(
        uow.session.execute(  # type: ignore[arg-type]
            select(WorkerRecord.id, WorkerRecord.name).where(WorkerRecord.id.in_(ids))
        ).all()
    )


def _shift_view(shift: Any, client_name: str | None, site_name: str | None) -> dict[str, Any]:
    return {
        "shift_id": shift.id,
        "booking_id": shift.booking_id,
        "client_id": shift.client_id,
        "client_name": client_name,
        "site_name": site_name,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "positions": shift.positions,
        "filled": shift.filled,
    }


def _shift_query():
    """Shifts with their client's and site's names."""
    return (
        select(Shift, ClientRecord.name.label("client_name"), Site.name.label("site_name"))
        .outerjoin(ClientRecord, ClientRecord.id == Shift.client_id)
        .outerjoin(Site, Site.id == Shift.site_id)
    )


def _still_to_fill(w: rules.Windows):
    """A shift still to come that misses workers and is not cancelled."""
    return and_(
        Shift.status != booking_rules.CANCELLED,
        Shift.filled < Shift.positions,
        Shift.starts_at > w.now,
    )


def _section(items: list[dict[str, Any]], total: int) -> dict[str, Any]:
    return {"items": items, "total": total}


def _counted(uow: UnitOfWork, query: Any, limit: int) -> tuple[list[Any], int]:
    total = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    return list(uow.session.execute(query.limit(limit)).all()), int(total)


def market_watch(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    now: datetime,
    horizon_hours: int = rules.DEFAULT_HORIZON_HOURS,
    deadline_minutes: int = rules.DEFAULT_DEADLINE_MINUTES,
    limit: int = 50,
) -> dict[str, Any]:
    """What the CBO's staff should look at now, each section's first `limit` items (soonest
    first) with its total, each item with the action that resolves it."""
    timezone = cbo_timezone(uow, tenant_id=tenant_id)
    w = rules.windows(
        now=now,
        timezone=timezone,
        horizon_hours=horizon_hours,
        deadline_minutes=deadline_minutes,
    )
    mine = Shift.tenant_id == tenant_id

    # Offers a worker has not answered, whose deadline is close.
    near, near_total = _counted(
        uow,
        _shift_query()
        .add_columns(Offer.id.label("offer_id"), Offer.worker_id, Offer.deadline_at)
        .join(Offer, Offer.shift_id == Shift.id)
        .where(mine, Offer.status == SENT, Offer.deadline_at > w.now)
        .where(Offer.deadline_at <= w.deadline_by)
        .order_by(Offer.deadline_at, Offer.id),
        limit,
    )
    # Shifts soon that miss workers, with the offers still waiting for an answer.
    pending = (
        select(func.count())
        .where(Offer.shift_id == Shift.id, Offer.status == SENT)
        .correlate(Shift)
        .scalar_subquery()
    )
    soon, soon_total = _counted(
        uow,
        _shift_query()
        .add_columns(pending.label("pending_offers"))
        .where(mine, _still_to_fill(w), Shift.starts_at <= w.starts_by)
        .order_by(Shift.starts_at, Shift.id),
        limit,
    )
    # Offers that expired lately on shifts still to fill: without the rebooking licence
    # nobody else is offered the shift; with it, the cascade shows below.
    expired, expired_total = _counted(
        uow,
        _shift_query()
        .add_columns(
            Offer.id.label("offer_id"),
            Offer.worker_id,
            Offer.deadline_at,
            func.coalesce(Offer.responded_at, Offer.updated_at).label("expired_at"),
            pending.label("pending_offers"),
        )
        .join(Offer, Offer.shift_id == Shift.id)
        .where(mine, _still_to_fill(w), Offer.status == EXPIRED)
        .where(func.coalesce(Offer.responded_at, Offer.updated_at) >= w.expired_since)
        .order_by(Shift.starts_at, Offer.deadline_at, Offer.id),
        limit,
    )
    # Workers marked no-show on shifts of the CBO's local today.
    no_shows, no_show_total = _counted(
        uow,
        _shift_query()
        .add_columns(
            Assignment.id.label("assignment_id"),
            Assignment.worker_id,
            Assignment.outcome_at,
        )
        .join(Assignment, Assignment.shift_id == Shift.id)
        .where(mine, Assignment.status == NO_SHOW)
        .where(Shift.starts_at >= w.today_starts, Shift.starts_at < w.today_ends)
        .order_by(Shift.starts_at, Assignment.id),
        limit,
    )
    # Rebooking's cascades: running, or exhausted on a shift still to fill.
    cascade = aliased(CascadeRecord)

    def cascades_in(state: str) -> tuple[list[Any], int]:
        return _counted(
            uow,
            _shift_query()
            .add_columns(cascade)
            .join(cascade, cascade.shift_id == Shift.id)
            .where(mine, cascade.tenant_id == tenant_id, _still_to_fill(w))
            .where(cascade.state == state)
            .order_by(Shift.starts_at, cascade.started_at, cascade.id),
            limit,
        )

    running, running_total = cascades_in(rules.RUNNING)
    exhausted, exhausted_total = cascades_in(rules.EXHAUSTED)
    # Workers of the CBO whose recent record counts against them, or who are up for review.
    entry = ReliabilityEntry
    counting = and_(
        entry.tenant_id == tenant_id,
        entry.occurred_at >= w.falling_since,
        entry.points > 0,
        entry.excused_at.is_(None),
        entry.voided_at.is_(None),
        entry.appeal_status != reliability_rules.OVERTURNED,
    )
    recent = (
        select(entry.worker_id, func.sum(entry.points).label("points"))
        .where(counting)
        .group_by(entry.worker_id)
        .subquery()
    )
    reviews = (
        select(ReviewItem.worker_id, func.min(ReviewItem.id).label("review_id"))
        .where(ReviewItem.tenant_id == tenant_id, ReviewItem.status == "open")
        .group_by(ReviewItem.worker_id)
        .subquery()
    )
    workers = (
        select(
            WorkerRecord.id,
            WorkerRecord.name,
            func.coalesce(recent.c.points, 0).label("points"),
            reviews.c.review_id,
            ReliabilityScore.score,
        )
        .outerjoin(recent, recent.c.worker_id == WorkerRecord.id)
        .outerjoin(reviews, reviews.c.worker_id == WorkerRecord.id)
        .outerjoin(ReliabilityScore, ReliabilityScore.worker_id == WorkerRecord.id)
        .where(WorkerRecord.tenant_id == tenant_id)
        .where(
            or_(
                reviews.c.review_id.is_not(None),
                func.coalesce(recent.c.points, 0) >= rules.FALLING_POINTS,
            )
        )
        .order_by(func.coalesce(recent.c.points, 0).desc(), WorkerRecord.name, WorkerRecord.id)
    )
    falling, falling_total = _counted(uow, workers, limit)

    names = _names(
        uow,
        {r.worker_id for r in (*near, *expired, *no_shows) if r.worker_id}
        | {r[3].worker_id for r in (*running, *exhausted) if r[3].worker_id},
    )

    def shift_part(row: Any) -> dict[str, Any]:
        return _shift_view(row[0], row.client_name, row.site_name)

    def worker(worker_id: str | None) -> dict[str, Any] | None:
        if worker_id is None:
            return None
        return {"worker_id": worker_id, "name": names.get(worker_id)}

    def cascade_view(row: Any) -> dict[str, Any]:
        record: CascadeRecord = row[3]
        return {
            **shift_part(row),
            "cascade_id": record.id,
            "state": record.state,
            "trigger": record.trigger,
            "attempts": record.attempts,
            "max_attempts": record.max_attempts,
            "reason": record.reason,
            "offered": worker(record.worker_id),
            "deadline_at": record.deadline_at,
            "started_at": record.started_at,
            "action": _offer_shift_action(record.shift_id),
        }

    return {
        "generated_at": now,
        "timezone": timezone,
        "horizon_hours": horizon_hours,
        "deadline_minutes": deadline_minutes,
        "offers_near_deadline": _section(
            [
                {
                    **shift_part(r),
                    "offer_id": r.offer_id,
                    "worker": worker(r.worker_id),
                    "deadline_at": r.deadline_at,
                    "minutes_left": max(0, int((r.deadline_at - now).total_seconds() // 60)),
                    "action": _action(
                        "Withdraw the offer", "POST", f"/api/v1/offers/{r.offer_id}/withdraw"
                    ),
                }
                for r in near
            ],
            near_total,
        ),
        "shifts_without_workers": _section(
            [
                {
                    **shift_part(r),
                    "missing": r[0].positions - r[0].filled,
                    "pending_offers": int(r.pending_offers),
                    "action": _offer_shift_action(r[0].id),
                }
                for r in soon
            ],
            soon_total,
        ),
        "expired_offers": _section(
            [
                {
                    **shift_part(r),
                    "offer_id": r.offer_id,
                    "worker": worker(r.worker_id),
                    "deadline_at": r.deadline_at,
                    "expired_at": r.expired_at,
                    "pending_offers": int(r.pending_offers),
                    "action": _offer_shift_action(r[0].id),
                }
                for r in expired
            ],
            expired_total,
        ),
        "no_shows_today": _section(
            [
                {
                    **shift_part(r),
                    "assignment_id": r.assignment_id,
                    "worker": worker(r.worker_id),
                    "marked_at": r.outcome_at,
                    "action": _action(
                        "Correct the outcome or excuse it",
                        "POST",
                        f"/api/v1/assignments/{r.assignment_id}/attendance",
                    ),
                }
                for r in no_shows
            ],
            no_show_total,
        ),
        "cascades_running": _section([cascade_view(r) for r in running], running_total),
        "cascades_exhausted": _section([cascade_view(r) for r in exhausted], exhausted_total),
        "reliability_falling": _section(
            [
                {
                    "worker": {"worker_id": r.id, "name": r.name},
                    "recent_points": int(r.points),
                    "score": r.score if r.score is not None else reliability_rules.NEW_WORKER_SCORE,
                    "review_id": r.review_id,
                    "action": _action(
                        "Close the review" if r.review_id else "Look at their record",
                        "POST" if r.review_id else "GET",
                        f"/api/v1/reliability/reviews/{r.review_id}/close"
                        if r.review_id
                        else f"/api/v1/jobseekers/{r.id}/reliability",
                    ),
                }
                for r in falling
            ],
            falling_total,
        ),
    }
