"""Attendance: staff mark each worker's outcome of a shift (completed, with minutes late, or a
no-show), correct it with a reason, and clients rate the workers who worked for them.

Marking writes the outcome on the assignment, keeps the mark (attendance_marks: a correction
is a new mark, never an edit), emits shift.completed or worker.no_show (the reliability area's
handlers turn them into entries) and is audited. When every live assignment of a shift has an
outcome, the shift is completed.

A client's ratings are its preferences (one per client and worker): favourite, OK to book
again, or blocked; a search reads them. A client user acts only for their own client (any
other client does not exist for them); staff act for any client of their CBO.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert

from chassis.audit import audit
from chassis.context import CLIENT, Caller
from chassis.db import UnitOfWork, owned_row
from chassis.errors import Conflict, NotFound, ValidationFailed
from chassis.paging import order_by, page_rows, text_search
from services.booking.attendance.models import (
    BLOCKED,
    AttendanceMark,
    ClientPreference,
)
from services.booking.bookings.models import Booking, Shift
from services.booking.common import check_client
from services.booking.offers.models import BOOKED, CANCELLED, COMPLETED, NO_SHOW, Assignment
from services.booking.workers.models import ClientRecord, WorkerRecord

SHIFT_COMPLETED = "completed"
SHIFT_CANCELLED = "cancelled"
_EVENTS = {COMPLETED: "shift.completed", NO_SHOW: "worker.no_show"}
_LABELS = {COMPLETED: "completed", NO_SHOW: "a no-show"}


# -- Attendance ------------------------------------------------------------------------------


def _assignment_view(assignment: Assignment, shift: Shift, mark: AttendanceMark | None) -> dict:
    return {
        "id": assignment.id,
        "shift_id": assignment.shift_id,
        "client_id": assignment.client_id,
        "worker_id": assignment.worker_id,
        "starts_at": assignment.starts_at,
        "ends_at": assignment.ends_at,
        "status": assignment.status,
        "minutes_late": mark.minutes_late if mark is not None else None,
        "outcome_by": assignment.outcome_by,
        "outcome_at": assignment.outcome_at,
        "shift_status": shift.status,
    }


def _latest_mark(uow: UnitOfWork, *, assignment_id: str) -> AttendanceMark | None:
    return uow.session.execute(
        select(AttendanceMark)
        .where(AttendanceMark.assignment_id == assignment_id)
        .order_by(AttendanceMark.marked_at.desc(), AttendanceMark.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def mark_outcome(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    assignment_id: str,
    outcome: str,
    minutes_late: int | None = None,
    reason: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """Staff of the booking CBO mark an assignment completed (optionally minutes late) or a
    no-show, once its shift has started. Marking the same outcome twice is a Conflict; marking
    the other outcome is a correction, which needs a reason (and reverses the reliability
    effect of the first, through the event it emits)."""
    if outcome not in _EVENTS:
        raise ValidationFailed(fields={"outcome": ["Must be completed or no_show."]})
    if outcome == NO_SHOW and minutes_late is not None:
        raise ValidationFailed(fields={"minutes_late": ["Only a worker who came can be late."]})
    found = owned_row(uow, Assignment, tenant_id=tenant_id, row_id=assignment_id, what="assignment")
    # The shift first (marks of its other assignments wait), then the assignment.
    shift = uow.session.execute(
        select(Shift).where(Shift.id == found.shift_id).with_for_update()
    ).scalar_one()
    assignment = uow.session.execute(
        select(Assignment)
        .where(Assignment.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    previous = assignment.status
    if previous == CANCELLED:
        raise Conflict("This worker's place on the shift was cancelled: there is no attendance.")
    if now < assignment.starts_at:
        raise Conflict(
            "The shift has not started yet: mark attendance once it starts "
            f"({assignment.starts_at.isoformat()})."
        )
    correction = previous in _EVENTS
    if previous == outcome:
        raise Conflict(f"This worker is marked {_LABELS[outcome]} for this shift already.")
    if correction and not reason:
        raise Conflict(
            f"This worker is marked {_LABELS[previous]} for this shift already; to correct "
            f"it to {_LABELS[outcome]}, give a reason."
        )
    if previous not in (BOOKED, *_EVENTS):
        raise Conflict(f"This assignment is {previous}: its attendance cannot be marked.")
    assignment.status = outcome
    assignment.outcome_by = caller.user_id
    assignment.outcome_at = now
    mark = AttendanceMark(
        tenant_id=tenant_id,
        assignment_id=assignment.id,
        shift_id=shift.id,
        worker_id=assignment.worker_id,
        outcome=outcome,
        minutes_late=minutes_late if outcome == COMPLETED else None,
        corrects=previous if correction else None,
        reason=reason,
        marked_by=caller.user_id,
        marked_at=now,
    )
    uow.session.add(mark)
    uow.session.flush()
    payload: dict[str, Any] = {
        "assignment_id": assignment.id,
        "shift_id": shift.id,
        "booking_id": shift.booking_id,
        "client_id": assignment.client_id,
        "worker_id": assignment.worker_id,
        "worker_tenant_id": assignment.worker_tenant_id,
        "starts_at": assignment.starts_at,
        "ends_at": assignment.ends_at,
        "correction": correction,
        "reason": reason,
    }
    if outcome == COMPLETED:
        payload["minutes_late"] = minutes_late or 0
    uow.emit(_EVENTS[outcome], payload, tenant_id=tenant_id)
    _complete_shift_if_done(uow, shift=shift)
    audit(
        uow,
        caller,
        action="attendance.correct" if correction else "attendance.mark",
        entity_type="assignment",
        entity_id=assignment.id,
        before={"status": previous},
        after={"status": outcome, "minutes_late": mark.minutes_late, "reason": reason},
        tenant_id=tenant_id,
    )
    return _assignment_view(assignment, shift, mark)


def _complete_shift_if_done(uow: UnitOfWork, *, shift: Shift) -> None:
    """A shift whose live assignments all have an outcome is completed."""
    if shift.status in (SHIFT_COMPLETED, SHIFT_CANCELLED):
        return
    waiting = uow.session.execute(
        select(
            exists().where(
                Assignment.shift_id == shift.id,
                Assignment.status.not_in((COMPLETED, NO_SHOW, CANCELLED)),
            )
        )
    ).scalar_one()
    if not waiting:
        shift.status = SHIFT_COMPLETED
        uow.session.flush()


def attendance_of(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, assignment_id: str
) -> dict[str, Any]:
    """An assignment's outcome as it is now (staff, or the client user of its client)."""
    assignment = owned_row(
        uow, Assignment, tenant_id=tenant_id, row_id=assignment_id, what="assignment"
    )
    check_client(caller, assignment.client_id)
    shift = uow.session.get(Shift, assignment.shift_id)
    assert shift is not None
    return _assignment_view(assignment, shift, _latest_mark(uow, assignment_id=assignment.id))


# -- Ratings and preferences -----------------------------------------------------------------


def _client_in_cbo(uow: UnitOfWork, *, caller: Caller, tenant_id: str, client_id: str) -> None:
    """Refuse, as if it did not exist, a client outside the caller's scope or CBO. Booking
    knows a CBO's clients from its read model, or by their bookings."""
    check_client(caller, client_id)
    known = or_(
        exists().where(ClientRecord.id == client_id, ClientRecord.tenant_id == tenant_id),
        exists().where(Booking.client_id == client_id, Booking.tenant_id == tenant_id),
    )
    if not uow.session.execute(select(known)).scalar():
        raise NotFound("There is no such client.")


def _history(uow: UnitOfWork, *, tenant_id: str, client_id: str, worker_id: str) -> set[str]:
    """The outcomes of the worker's shifts for the client (completed, no_show)."""
    return set(
        uow.session.execute(
            select(Assignment.status)
            .where(
                Assignment.tenant_id == tenant_id,
                Assignment.client_id == client_id,
                Assignment.worker_id == worker_id,
                Assignment.status.in_((COMPLETED, NO_SHOW)),
            )
            .distinct()
        ).scalars()
    )


def _preference(
    uow: UnitOfWork, *, tenant_id: str, client_id: str, worker_id: str
) -> ClientPreference | None:
    return uow.session.execute(
        select(ClientPreference).where(
            ClientPreference.tenant_id == tenant_id,
            ClientPreference.client_id == client_id,
            ClientPreference.worker_id == worker_id,
        )
    ).scalar_one_or_none()


def _recorded(preference: ClientPreference | None) -> dict[str, Any] | None:
    if preference is None:
        return None
    return {"rating": preference.rating, "note": preference.note, "shift_id": preference.shift_id}


def _save_preference(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    client_id: str,
    worker_id: str,
    rating: str,
    note: str | None,
    shift_id: str | None,
) -> dict[str, Any]:
    """Upsert the client's one preference for the worker; emit worker.rated; audit."""
    before = _recorded(
        _preference(uow, tenant_id=tenant_id, client_id=client_id, worker_id=worker_id)
    )
    values = {
        "rating": rating,
        "note": note,
        "shift_id": shift_id,
        "rated_by": caller.user_id,
        "updated_at": func.now(),
    }
    uow.session.execute(
        insert(ClientPreference)
        .values(tenant_id=tenant_id, client_id=client_id, worker_id=worker_id, **values)
        .on_conflict_do_update(index_elements=["client_id", "worker_id"], set_=values)
    )
    preference = _preference(uow, tenant_id=tenant_id, client_id=client_id, worker_id=worker_id)
    assert preference is not None
    uow.session.refresh(preference)
    uow.emit(
        "worker.rated",
        {
            "client_id": client_id,
            "worker_id": worker_id,
            "rating": rating,
            "shift_id": shift_id,
            "rated_by_kind": "client" if caller.kind == CLIENT else "staff",
        },
        tenant_id=tenant_id,
    )
    audit(
        uow,
        caller,
        action="preference.set",
        entity_type="client_preference",
        entity_id=preference.id,
        before=before,
        after=_recorded(preference),
        tenant_id=tenant_id,
    )
    return _preference_view(preference, _worker_name(uow, worker_id=worker_id))


def rate_worker(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    assignment_id: str,
    rating: str,
    note: str | None = None,
) -> dict[str, Any]:
    """After a completed shift, its client (or staff for it) rates the worker: favourite,
    OK to book again, or blocked. One preference per client and worker: the latest wins."""
    assignment = owned_row(
        uow, Assignment, tenant_id=tenant_id, row_id=assignment_id, what="assignment"
    )
    check_client(caller, assignment.client_id)
    if assignment.status != COMPLETED:
        raise Conflict(
            f"A worker is rated after a completed shift; this one is {assignment.status}."
        )
    return _save_preference(
        uow,
        caller=caller,
        tenant_id=tenant_id,
        client_id=assignment.client_id,
        worker_id=assignment.worker_id,
        rating=rating,
        note=note,
        shift_id=assignment.shift_id,
    )


def set_preference(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    client_id: str,
    worker_id: str,
    rating: str,
    note: str | None = None,
) -> dict[str, Any]:
    """A client's preference for a worker, set directly. Favourite and OK need a shift the
    worker completed for the client; a block needs a shift they completed or missed. Staff
    may rate a worker of their CBO who never worked for the client (a roster the client brings,
    a block it asks for), saying why in the note."""
    _client_in_cbo(uow, caller=caller, tenant_id=tenant_id, client_id=client_id)
    history = _history(uow, tenant_id=tenant_id, client_id=client_id, worker_id=worker_id)
    allowed = COMPLETED in history or (rating == BLOCKED and NO_SHOW in history)
    if not allowed:
        if caller.kind != CLIENT:
            of_cbo = exists().where(
                WorkerRecord.id == worker_id, WorkerRecord.tenant_id == tenant_id
            )
            known = uow.session.execute(select(of_cbo)).scalar_one()
            if not known:
                raise NotFound("There is no such job seeker.")
            if not note:
                raise ValidationFailed(
                    fields={"note": ["Say why you rate a worker who never worked for them."]}
                )
        elif rating == BLOCKED:
            raise Conflict("This worker has not worked for you: there is nobody to block yet.")
        else:
            raise Conflict(
                "This worker has not completed a shift for this client yet: rate them after one."
            )
    return _save_preference(
        uow,
        caller=caller,
        tenant_id=tenant_id,
        client_id=client_id,
        worker_id=worker_id,
        rating=rating,
        note=note,
        shift_id=None,
    )


def remove_preference(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, client_id: str, worker_id: str
) -> None:
    """Forget the client's rating of the worker (emits worker.unrated; audited)."""
    _client_in_cbo(uow, caller=caller, tenant_id=tenant_id, client_id=client_id)
    preference = _preference(uow, tenant_id=tenant_id, client_id=client_id, worker_id=worker_id)
    if preference is None:
        raise NotFound("This client has not rated this worker.")
    before = _recorded(preference)
    uow.session.execute(delete(ClientPreference).where(ClientPreference.id == preference.id))
    uow.emit(
        "worker.unrated",
        {"client_id": client_id, "worker_id": worker_id, "rating": preference.rating},
        tenant_id=tenant_id,
    )
    audit(
        uow,
        caller,
        action="preference.remove",
        entity_type="client_preference",
        entity_id=preference.id,
        before=before,
        tenant_id=tenant_id,
    )


def _worker_name(uow: UnitOfWork, *, worker_id: str) -> str | None:
    return uow.session.execute(
        select(WorkerRecord.name).where(WorkerRecord.id == worker_id)
    ).scalar_one_or_none()


def _preference_view(preference: ClientPreference, name: str | None) -> dict[str, Any]:
    return {
        "client_id": preference.client_id,
        "worker_id": preference.worker_id,
        "worker_name": name,
        "rating": preference.rating,
        "note": preference.note,
        "shift_id": preference.shift_id,
        "rated_by": preference.rated_by,
        "updated_at": preference.updated_at,
    }


def list_preferences(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    client_id: str,
    page: int,
    per_page: int,
    sort: str,
    rating: str | None = None,
    q: str | None = None,
) -> dict[str, Any]:
    """A page of the client's preferences (favourites, OK, blocked), with workers' names."""
    _client_in_cbo(uow, caller=caller, tenant_id=tenant_id, client_id=client_id)
    statement = (
        select(ClientPreference, WorkerRecord.name)
        .outerjoin(WorkerRecord, WorkerRecord.id == ClientPreference.worker_id)
        .where(ClientPreference.tenant_id == tenant_id, ClientPreference.client_id == client_id)
    )
    if rating is not None:
        statement = statement.where(ClientPreference.rating == rating)
    if q:
        statement = statement.where(text_search(q, WorkerRecord.name))
    columns = {
        "updated_at": ClientPreference.updated_at,
        "worker_name": func.lower(func.coalesce(WorkerRecord.name, "")),
    }
    statement = order_by(statement, sort, columns, ClientPreference.id)
    return page_rows(
        uow.session, statement, page=page, per_page=per_page, view=lambda r: _preference_view(*r)
    )
