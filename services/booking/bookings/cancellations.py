"""Cancellations, each with a reason and the time left before the start.

- A booking's shifts still to come, or one shift, by the CBO's staff or the client (its own
  only). The shifts are cancelled, their live offers withdrawn (offer.withdrawn each) and their
  workers' places cancelled; booking.cancelled names the shifts and the workers who lose them.
  A client cancelling inside the CBO's late window marks the shift `late_cancellation`: billing
  pays the workers reporting time for it.
- One worker's place (an assignment), by the worker themself, by staff or by the client: the
  position opens again and assignment.cancelled says who and whether it was late. A worker's
  late cancellation counts against their reliability (the reliability area reads the event).

Something already cancelled, or started, cannot be cancelled (Conflict, with why).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from chassis.audit import audit
from chassis.context import CLIENT, JOBSEEKER, STAFF, Caller
from chassis.db import UnitOfWork
from chassis.errors import Conflict, Forbidden, NotFound
from services.booking.bookings import rules
from services.booking.bookings.domain import (
    assignment_view,
    booking_kind,
    get_booking,
    get_shift,
    worker_names,
)
from services.booking.bookings.models import Booking, Shift
from services.booking.offers import domain as offers
from services.booking.offers.models import BOOKED, CANCELLED, SENT, Assignment, Offer
from services.booking.offers.recheck import EligibleNow
from services.booking.settings import rules as setting_rules
from services.booking.settings.domain import settings_for
from services.booking.settings.models import BookingSettings
from services.booking.workers.models import WorkerRecord

# Why the offers of a cancelled shift ended (Offer.end_reason and offer.withdrawn's reason).
SHIFT_CANCELLED = "shift_cancelled"


def _end_assignment(
    assignment: Assignment,
    *,
    caller: Caller,
    kind: str,
    reason: str,
    now: datetime,
    late: bool,
) -> None:
    assignment.status = CANCELLED
    assignment.cancelled_at = now
    assignment.cancelled_by = caller.user_id
    assignment.cancelled_by_kind = kind
    assignment.cancel_reason = reason
    assignment.minutes_before_start = rules.minutes_before_start(
        at=now, starts_at=assignment.starts_at
    )
    assignment.late = late


def _cancel_shift_row(
    uow: UnitOfWork,
    *,
    caller: Caller,
    kind: str,
    shift: Shift,
    reason: str,
    now: datetime,
    settings: BookingSettings,
) -> list[Assignment]:
    """Cancel one (locked, cancellable) shift with its offers and places; the assignments
    cancelled."""
    shift.status = rules.CANCELLED
    shift.cancelled_at = now
    shift.cancelled_by = caller.user_id
    shift.cancelled_by_kind = kind
    shift.cancel_reason = reason
    shift.late_cancellation = kind == rules.BY_CLIENT and setting_rules.is_late_cancellation(
        cancelled_at=now, starts_at=shift.starts_at, settings=settings
    )
    shift.next_tier_at = None
    offers.withdraw_live_offers(uow, shift=shift, reason=SHIFT_CANCELLED, now=now)
    assignments = list(
        uow.session.execute(
            select(Assignment)
            .where(
                Assignment.shift_id == shift.id,
                Assignment.tenant_id == shift.tenant_id,
                Assignment.status == BOOKED,
            )
            .order_by(Assignment.id)
            .with_for_update()
        ).scalars()
    )
    for assignment in assignments:
        _end_assignment(
            assignment,
            caller=caller,
            kind=kind,
            reason=reason,
            now=now,
            late=shift.late_cancellation,
        )
    shift.filled = 0
    return assignments


def _announce(
    uow: UnitOfWork,
    *,
    booking: Booking,
    kind: str,
    reason: str,
    now: datetime,
    shifts: list[Shift],
    assignments: list[Assignment],
) -> None:
    """booking.cancelled for the shifts just cancelled: the nearest one's minutes before its
    start, late if any was, which were late, and every worker who loses a place."""
    workers: list[str] = []
    for assignment in assignments:
        if assignment.worker_id not in workers:
            workers.append(assignment.worker_id)
    uow.emit(
        "booking.cancelled",
        {
            "booking_id": booking.id,
            "client_id": booking.client_id,
            "cancelled_by_kind": kind,
            "reason": reason,
            "minutes_before_start": min(
                rules.minutes_before_start(at=now, starts_at=s.starts_at) for s in shifts
            ),
            "late": any(s.late_cancellation for s in shifts),
            "shift_ids": [s.id for s in shifts],
            "late_shift_ids": [s.id for s in shifts if s.late_cancellation],
            "worker_ids": workers,
            "assignments": [
                {
                    "assignment_id": a.id,
                    "shift_id": a.shift_id,
                    "worker_id": a.worker_id,
                    "worker_tenant_id": a.worker_tenant_id,
                }
                for a in assignments
            ],
        },
        tenant_id=booking.tenant_id,
    )


def _close_if_done(uow: UnitOfWork, *, booking: Booking) -> None:
    """A booking none of whose shifts is left to work is cancelled as a whole."""
    left = uow.session.execute(
        select(Shift.id).where(
            Shift.booking_id == booking.id,
            Shift.tenant_id == booking.tenant_id,
            Shift.status.in_((rules.OPEN, rules.FILLED)),
        )
    ).first()
    if left is None:
        booking.status = rules.CANCELLED


def cancel_booking(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    booking_id: str,
    reason: str,
    now: datetime | None = None,
) -> Booking:
    """Cancel every shift of the booking still to come (staff, or the client for its own);
    shifts already started or over stay as they are. Conflict if there is none left."""
    now = now or datetime.now(UTC)
    kind = booking_kind(caller)
    booking = get_booking(uow, caller=caller, tenant_id=tenant_id, booking_id=booking_id, lock=True)
    if booking.status == rules.CANCELLED:
        raise Conflict("This booking is already cancelled.")
    shifts = list(
        uow.session.execute(
            select(Shift)
            .where(
                Shift.booking_id == booking.id,
                Shift.tenant_id == tenant_id,
                Shift.status.in_((rules.OPEN, rules.FILLED)),
                Shift.starts_at > now,
            )
            # Locked in id order, as stand_down_worker locks a worker's shifts: any other
            # order can deadlock with it.
            .order_by(Shift.id)
            .with_for_update()
        ).scalars()
    )
    shifts.sort(key=lambda s: (s.starts_at, s.id))
    if not shifts:
        raise Conflict("This booking has no shifts still to come; there is nothing to cancel.")
    settings = settings_for(uow, tenant_id=tenant_id)
    assignments: list[Assignment] = []
    for shift in shifts:
        assignments += _cancel_shift_row(
            uow,
            caller=caller,
            kind=kind,
            shift=shift,
            reason=reason,
            now=now,
            settings=settings,
        )
    booking.status = rules.CANCELLED
    uow.session.flush()
    _announce(
        uow,
        booking=booking,
        kind=kind,
        reason=reason,
        now=now,
        shifts=shifts,
        assignments=assignments,
    )
    if kind == rules.BY_STAFF:
        audit(
            uow,
            caller,
            action="booking.cancel",
            entity_type="booking",
            entity_id=booking.id,
            before={"status": rules.ACTIVE},
            after={
                "status": rules.CANCELLED,
                "reason": reason,
                "shift_ids": [s.id for s in shifts],
            },
            tenant_id=tenant_id,
        )
    return booking


def cancel_shift(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    shift_id: str,
    reason: str,
    now: datetime | None = None,
) -> Shift:
    """Cancel one shift still to come (staff, or the client for its own)."""
    now = now or datetime.now(UTC)
    kind = booking_kind(caller)
    shift = get_shift(uow, caller=caller, tenant_id=tenant_id, shift_id=shift_id)
    booking = get_booking(
        uow, caller=caller, tenant_id=tenant_id, booking_id=shift.booking_id, lock=True
    )
    uow.session.refresh(shift, with_for_update=True)
    problem = rules.shift_not_cancellable(status=shift.status, starts_at=shift.starts_at, now=now)
    if problem:
        raise Conflict(problem)
    before = {"status": shift.status, "filled": shift.filled}
    assignments = _cancel_shift_row(
        uow,
        caller=caller,
        kind=kind,
        shift=shift,
        reason=reason,
        now=now,
        settings=settings_for(uow, tenant_id=tenant_id),
    )
    uow.session.flush()
    _close_if_done(uow, booking=booking)
    _announce(
        uow,
        booking=booking,
        kind=kind,
        reason=reason,
        now=now,
        shifts=[shift],
        assignments=assignments,
    )
    if kind == rules.BY_STAFF:
        audit(
            uow,
            caller,
            action="shift.cancel",
            entity_type="shift",
            entity_id=shift.id,
            before=before,
            after={"status": rules.CANCELLED, "filled": 0, "reason": reason},
            tenant_id=tenant_id,
        )
    uow.session.flush()
    return shift


def _assignment_kind(caller: Caller) -> str:
    """Who cancels a place: the worker (self.work, their own), staff (bookings.manage) or the
    client (self.book, its own)."""
    if caller.kind == JOBSEEKER:
        caller.require("self.work")
        return rules.BY_WORKER
    if caller.kind in (STAFF, CLIENT) or caller.is_system:
        return booking_kind(caller)
    raise Forbidden("Only the worker, the CBO's staff or the client can cancel a place.")


def _find_assignment(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, kind: str, assignment_id: str
) -> Assignment:
    """The assignment the caller may cancel: a worker's own (from any CBO that booked them),
    any of the CBO's for staff, its own client's for a client; NotFound otherwise."""
    statement = select(Assignment).where(Assignment.id == assignment_id)
    if kind == rules.BY_WORKER:
        statement = statement.where(
            Assignment.worker_id == caller.user_id, Assignment.worker_tenant_id == tenant_id
        )
    else:
        statement = statement.where(Assignment.tenant_id == tenant_id)
        if kind == rules.BY_CLIENT:
            statement = statement.where(Assignment.client_id == caller.client_id)
    found = uow.session.execute(statement).scalar_one_or_none()
    if found is None:
        raise NotFound("There is no such place on a shift.")
    return found


def _cancel_place(
    uow: UnitOfWork,
    *,
    assignment: Assignment,
    shift: Shift,
    caller: Caller,
    kind: str,
    reason: str,
    late: bool,
    eligible_now: EligibleNow,
    now: datetime,
) -> None:
    """Cancel a (locked) booked place on its (locked) shift: the position opens again, the
    shift's filling goes on, and assignment.cancelled says who, why and whether it was late."""
    _end_assignment(assignment, caller=caller, kind=kind, reason=reason, now=now, late=late)
    shift.filled = max(shift.filled - 1, 0)
    if shift.status == rules.FILLED:
        shift.status = rules.OPEN
    uow.session.flush()
    # The position is open again: the shift's fill mode goes on (favourites: the next one;
    # open: the tiers again; named: staff decide).
    offers.resume_filling(uow, shift=shift, eligible_now=eligible_now, now=now)
    uow.emit(
        "assignment.cancelled",
        {
            "assignment_id": assignment.id,
            "shift_id": shift.id,
            "booking_id": shift.booking_id,
            "client_id": shift.client_id,
            "worker_id": assignment.worker_id,
            "cancelled_by_kind": kind,
            "reason": reason,
            "minutes_before_start": assignment.minutes_before_start,
            "late": late,
        },
        tenant_id=assignment.tenant_id,
    )


def cancel_assignment(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    assignment_id: str,
    reason: str,
    eligible_now: EligibleNow,
    now: datetime | None = None,
) -> Assignment:
    """Cancel one worker's place on a shift still to come: the position opens again (the shift
    is open, one fewer filled) and its filling goes on, re-checked with identity
    (`eligible_now`). Late when inside the CBO's late window and the worker or the client
    cancelled (a worker's late cancellation counts against their reliability)."""
    now = now or datetime.now(UTC)
    kind = _assignment_kind(caller)
    found = _find_assignment(
        uow, caller=caller, tenant_id=tenant_id, kind=kind, assignment_id=assignment_id
    )
    # The shift first, as every change of its positions locks it, then the place.
    shift = uow.session.execute(
        select(Shift).where(Shift.id == found.shift_id).with_for_update()
    ).scalar_one()
    uow.session.refresh(found, with_for_update=True)
    problem = rules.assignment_not_cancellable(
        status=found.status, starts_at=found.starts_at, now=now
    )
    if problem:
        raise Conflict(problem)
    settings = settings_for(uow, tenant_id=found.tenant_id)
    late = kind in (rules.BY_WORKER, rules.BY_CLIENT) and setting_rules.is_late_cancellation(
        cancelled_at=now, starts_at=found.starts_at, settings=settings
    )
    _cancel_place(
        uow,
        assignment=found,
        shift=shift,
        caller=caller,
        kind=kind,
        reason=reason,
        late=late,
        eligible_now=eligible_now,
        now=now,
    )
    if kind == rules.BY_STAFF:
        audit(
            uow,
            caller,
            action="assignment.cancel",
            entity_type="assignment",
            entity_id=found.id,
            before={"status": BOOKED},
            after={"status": CANCELLED, "reason": reason},
            tenant_id=tenant_id,
        )
    return found


# -- a worker identity stood down ---------------------------------------------------------------

# Why a stood-down worker's offers ended and places were cancelled (offer.withdrawn,
# assignment.cancelled).
WORKER_SUSPENDED = "worker suspended"
ACCOUNT_CLOSED = "account closed"


@dataclass(frozen=True)
class StoodDown:
    """What standing a worker down did: the offers withdrawn and the places cancelled."""

    offers: list[Offer]
    assignments: list[Assignment]


def stand_down_worker(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    worker_id: str,
    reason: str,
    occurred_at: datetime,
    eligible_now: EligibleNow,
    now: datetime | None = None,
) -> StoodDown:
    """A job seeker of `tenant_id` whom identity suspended (`reason` WORKER_SUSPENDED), or
    whose account it closed (ACCOUNT_CLOSED), at `occurred_at`: their live offers (of any
    CBO's shifts) are withdrawn (offer.withdrawn, `reason`) and their places on shifts still
    to come cancelled by staff, not late (assignment.cancelled, `reason`); each position opens
    again and its shift's filling goes on (favourites: the next worker; open: the tiers again;
    named: staff decide), re-checked with identity (`eligible_now`).

    Nothing happens when booking's read model already has a newer word than `occurred_at`
    that the worker may work (reinstated, reactivated: events come in any order). Idempotent:
    a second time there is nothing live left to end. Each shift is locked, in id order, before
    anything of it changes."""
    if reason not in (WORKER_SUSPENDED, ACCOUNT_CLOSED):
        raise ValueError(f"a worker is stood down as {WORKER_SUSPENDED!r} or {ACCOUNT_CLOSED!r}")
    now = now or datetime.now(UTC)
    if rules.cleared_since(_clearance(uow, worker_id, tenant_id, reason), occurred_at):
        return StoodDown([], [])
    live_offers = select(Offer.shift_id).where(
        Offer.worker_id == worker_id, Offer.worker_tenant_id == tenant_id, Offer.status == SENT
    )
    places = select(Assignment.shift_id).where(
        Assignment.worker_id == worker_id,
        Assignment.worker_tenant_id == tenant_id,
        Assignment.status == BOOKED,
        Assignment.starts_at > now,
    )
    shift_ids = sorted(set(uow.session.execute(live_offers.union(places)).scalars()))
    done = StoodDown([], [])
    for shift_id in shift_ids:
        shift = uow.session.execute(
            select(Shift)
            .where(Shift.id == shift_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
        withdrawn = offers.withdraw_live_offers(
            uow, shift=shift, reason=reason, now=now, worker=(worker_id, tenant_id)
        )
        held = uow.session.execute(
            select(Assignment)
            .where(
                Assignment.shift_id == shift.id,
                Assignment.worker_id == worker_id,
                Assignment.worker_tenant_id == tenant_id,
                Assignment.status == BOOKED,
                Assignment.starts_at > now,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if held is not None:
            _cancel_place(
                uow,
                assignment=held,
                shift=shift,
                caller=caller,
                kind=rules.BY_STAFF,
                reason=reason,
                late=False,
                eligible_now=eligible_now,
                now=now,
            )
            done.assignments.append(held)
        elif withdrawn:
            offers.after_offers_ended(uow, shift=shift, eligible_now=eligible_now, now=now)
        done.offers.extend(withdrawn)
    uow.session.flush()
    return done


def _clearance(
    uow: UnitOfWork, worker_id: str, tenant_id: str, reason: str
) -> rules.Clearance | None:
    """What booking's read model says now of the part of the worker the stand-down is about:
    suspended or not (a suspension), active or not (an account closed), and as of when."""
    worker = uow.session.get(WorkerRecord, worker_id)
    if worker is None or worker.tenant_id != tenant_id:
        return None
    if reason == ACCOUNT_CLOSED:
        return rules.Clearance(may_work=worker.active, as_of=worker.active_event_at)
    return rules.Clearance(may_work=not worker.suspended, as_of=worker.status_event_at)


def assignment_row_view(uow: UnitOfWork, *, assignment: Assignment) -> dict[str, Any]:
    """The assignment as the API shows it, with the worker's name."""
    names = worker_names(uow, worker_ids=[assignment.worker_id])
    return assignment_view(assignment, worker_name=names.get(assignment.worker_id))
