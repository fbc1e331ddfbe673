"""Bookings: a client's order of one shift or a repeating series, one Shift row per occurrence,
made by the CBO's staff for a client or by a client user for their own organisation; and the
lists and pages that show them. Cancellations are in cancellations.py.

A client user sees only their own client's bookings and shifts: any other is NotFound, as if
it did not exist. A job seeker reaches none of this (their offers and shifts are the offers
area's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, func, select

from chassis.audit import audit
from chassis.context import CLIENT, STAFF, Caller
from chassis.db import UnitOfWork
from chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chassis.paging import order_by, page_rows
from services.booking.base import new_id
from services.booking.bookings import rules
from services.booking.bookings.models import NAMED, Booking, Shift
from services.booking.common import check_client, client_scope
from services.booking.jobtypes import domain as jobtypes
from services.booking.jobtypes import rules as jobtype_rules
from services.booking.jobtypes.models import JobType
from services.booking.offers import domain as offers
from services.booking.offers.models import Assignment, Offer
from services.booking.offers.recheck import EligibleNow
from services.booking.sites import domain as sites
from services.booking.sites.models import Site
from services.booking.workers.models import CboRecord, ClientRecord, WorkerRecord

OFFER_STATES = ("sent", "confirmed", "declined", "expired", "withdrawn")


@dataclass(frozen=True)
class Created:
    booking: Booking
    shifts: list[Shift]


# -- Who may book ------------------------------------------------------------------------------


def booking_kind(caller: Caller) -> str:
    """ "staff" or "client": who is booking (or cancelling a booking). Staff need
    bookings.manage, a client user self.book (for their own organisation); others are refused."""
    if caller.kind == STAFF or caller.is_system:
        caller.require("bookings.manage")
        return rules.BY_STAFF
    if caller.kind == CLIENT:
        caller.require("self.book")
        if not caller.client_id:
            raise Forbidden("This account belongs to no client organisation.")
        return rules.BY_CLIENT
    raise Forbidden("Only the CBO's staff and its clients can book or cancel bookings.")


# -- The catalogue a booking uses --------------------------------------------------------------


def bookable(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    client_id: str,
    job_type_id: str,
    site_id: str,
) -> tuple[JobType, Site]:
    """The job type and the site a booking for `client_id` may use (the catalogue's rules: an
    exclusive job type of another client does not exist for a client user, another client's
    site does not exist; inactive ones cannot be booked). An inactive client cannot book."""
    client = uow.session.get(ClientRecord, client_id)
    if client is not None and client.tenant_id == tenant_id and not client.active:
        raise Conflict("This client is inactive: it cannot book.")
    # Both are checked before either is refused, so one answer names every field at fault.
    problems: dict[str, Any] = {}
    job_type = site = None
    try:
        job_type = jobtypes.bookable_job_type(
            uow, caller=caller, tenant_id=tenant_id, job_type_id=job_type_id, client_id=client_id
        )
    except ValidationFailed as refused:
        problems.update(refused.fields)
    try:
        site = sites.site_for_client(uow, tenant_id=tenant_id, client_id=client_id, site_id=site_id)
    except ValidationFailed as refused:
        problems.update(refused.fields)
    if problems or job_type is None or site is None:
        raise ValidationFailed(fields=problems)
    return job_type, site


def _named_worker(uow: UnitOfWork, *, tenant_id: str, worker_id: str) -> WorkerRecord:
    worker = uow.session.get(WorkerRecord, worker_id)
    if worker is None or worker.tenant_id != tenant_id:
        raise NotFound("There is no such worker.")
    return worker


def _refuse_inactive_cbo(uow: UnitOfWork, *, tenant_id: str) -> None:
    """A suspended CBO books nothing (the gateway refuses its people's writes first)."""
    record = uow.session.get(CboRecord, tenant_id)
    if record is not None and record.status != "active":
        raise Forbidden(f"Your CBO is {record.status}; it cannot book now.")


# -- Making a booking --------------------------------------------------------------------------


def _times(
    data: dict[str, Any], *, site: Site, job_type: JobType, now: datetime
) -> list[rules.ShiftTimes]:
    """Every shift's times, or ValidationFailed naming the field at fault."""
    first_day: date = data["starts_on"]
    start = time.fromisoformat(data["start_time"])
    end = time.fromisoformat(data["end_time"])
    today = rules.local_time(now, site.timezone).date()
    if first_day < today:
        raise ValidationFailed(fields={"starts_on": ["The first shift must be in the future."]})
    if first_day > today + rules.MAX_AHEAD:
        raise ValidationFailed(
            fields={"starts_on": [f"At most {rules.MAX_AHEAD.days} days ahead."]}
        )
    if start == end:
        raise ValidationFailed(
            fields={"end_time": ["Must be after the start (earlier than it: the next day)."]}
        )
    try:
        found = rules.shift_times(
            first_day=first_day,
            start=start,
            end=end,
            recurrence=data["recurrence"],
            timezone=site.timezone,
        )
    except rules.RecurrenceError as exc:
        raise ValidationFailed(fields={"recurrence": [str(exc)]}) from exc
    except rules.NonexistentTime as exc:
        field = "start_time" if exc.local.time() == start else "end_time"
        raise ValidationFailed(fields={field: [str(exc)]}) from exc
    if found[0].starts_at <= now:
        raise ValidationFailed(fields={"start_time": ["The first shift must start in the future."]})
    shortest = min(found, key=lambda t: t.minutes)
    if shortest.minutes < job_type.min_shift_minutes:
        raise ValidationFailed(
            fields={
                "end_time": [
                    f"A {job_type.name} shift lasts at least {job_type.min_shift_minutes} "
                    f"minutes; the one on {shortest.local_start:%Y-%m-%d} lasts "
                    f"{shortest.minutes}."
                ]
            }
        )
    return found


def create_booking(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    data: dict[str, Any],
    now: datetime | None = None,
) -> Created:
    """Book for a client (loaded with BookingInputSchema): one shift per occurrence, times from
    the site's wall clock, pay and bill rates copied from the job type. Emits booking.created
    with every shift; staff leave an audit entry. Filling starts separately (start_filling)."""
    now = now or datetime.now(UTC)
    kind = booking_kind(caller)
    client_id = data.get("client_id") or client_scope(caller)
    if client_id is None:
        raise ValidationFailed(fields={"client_id": ["Name the client you book for."]})
    check_client(caller, client_id)
    _refuse_inactive_cbo(uow, tenant_id=tenant_id)
    job_type, site = bookable(
        uow,
        caller=caller,
        tenant_id=tenant_id,
        client_id=client_id,
        job_type_id=data["job_type_id"],
        site_id=data["site_id"],
    )
    if data["fill_mode"] == NAMED:
        _named_worker(uow, tenant_id=tenant_id, worker_id=data["named_worker_id"])
    pay_rate, bill_rate, rate_problems = jobtype_rules.booking_rates(
        job_type_client_id=job_type.client_id,
        default_pay=job_type.pay_rate_cents,
        default_bill=job_type.bill_rate_cents,
        pay=data.get("pay_rate_cents"),
        bill=data.get("bill_rate_cents"),
        by_staff=kind == rules.BY_STAFF,
    )
    if rate_problems:
        raise ValidationFailed(fields=rate_problems)
    times = _times(data, site=site, job_type=job_type, now=now)
    recurrence = rules.normal_recurrence(data["recurrence"]) if data["recurrence"] else None
    booking = Booking(
        id=new_id(),
        tenant_id=tenant_id,
        client_id=client_id,
        site_id=site.id,
        job_type_id=job_type.id,
        starts_local=times[0].local_start.isoformat(timespec="seconds"),
        ends_local=times[0].local_end.isoformat(timespec="seconds"),
        recurrence=recurrence,
        timezone=site.timezone,
        positions=data["positions"],
        fill_mode=data["fill_mode"],
        named_worker_id=data["named_worker_id"],
        notes=data["notes"],
        requirements=data["requirements"],
        pay_rate_cents=pay_rate,
        bill_rate_cents=bill_rate,
        status=rules.ACTIVE,
        created_by=caller.user_id,
        created_by_kind=kind,
    )
    uow.session.add(booking)
    uow.session.flush()
    shifts = [
        Shift(
            id=new_id(),
            tenant_id=tenant_id,
            booking_id=booking.id,
            client_id=client_id,
            site_id=site.id,
            job_type_id=job_type.id,
            starts_at=t.starts_at,
            ends_at=t.ends_at,
            positions=booking.positions,
            filled=0,
            status=rules.OPEN,
            late_cancellation=False,
            fill_state={},
        )
        for t in times
    ]
    uow.session.add_all(shifts)
    uow.session.flush()
    uow.session.refresh(booking)
    uow.emit(
        "booking.created",
        {
            "booking_id": booking.id,
            "client_id": client_id,
            "site_id": site.id,
            "job_type_id": job_type.id,
            "positions": booking.positions,
            "fill_mode": booking.fill_mode,
            "pay_rate_cents": booking.pay_rate_cents,
            "bill_rate_cents": booking.bill_rate_cents,
            # Whether staff gave the rates on the booking (billing's client rates yield to
            # them) or they are the job type's.
            "pay_rate_given": data.get("pay_rate_cents") is not None,
            "bill_rate_given": data.get("bill_rate_cents") is not None,
            "created_by_kind": kind,
            "shifts": [
                {"shift_id": s.id, "starts_at": s.starts_at, "ends_at": s.ends_at} for s in shifts
            ],
        },
        tenant_id=tenant_id,
    )
    if kind == rules.BY_STAFF:
        audit(
            uow,
            caller,
            action="booking.create",
            entity_type="booking",
            entity_id=booking.id,
            after={
                "client_id": client_id,
                "site_id": site.id,
                "job_type_id": job_type.id,
                "starts_local": booking.starts_local,
                "ends_local": booking.ends_local,
                "recurrence": recurrence,
                "timezone": booking.timezone,
                "positions": booking.positions,
                "fill_mode": booking.fill_mode,
                "named_worker_id": booking.named_worker_id,
                "shift_count": len(shifts),
            },
            tenant_id=tenant_id,
        )
    return Created(booking=booking, shifts=shifts)


def start_filling(
    uow: UnitOfWork, *, caller: Caller, shifts: Sequence[Shift], eligible_now: EligibleNow
) -> None:
    """Start filling a new booking's shifts through the offers area (named offer, favourites,
    or the first open-shift tier), in the booking's transaction, with identity's re-check
    (`eligible_now`): a named worker who cannot take the shifts fails the whole booking (409
    with the reasons)."""
    offers.start_filling(uow, caller=caller, shifts=shifts, eligible_now=eligible_now)


# -- Reading -----------------------------------------------------------------------------------


def _scoped(statement: Select, model: Any, *, tenant_id: str, caller: Caller) -> Select:
    statement = statement.where(model.tenant_id == tenant_id)
    scope = client_scope(caller)
    if scope is not None:
        statement = statement.where(model.client_id == scope)
    return statement


def _one(
    uow: UnitOfWork, model: Any, *, caller: Caller, tenant_id: str, row_id: str, lock: bool
) -> Any:
    statement = _scoped(
        select(model).where(model.id == row_id), model, tenant_id=tenant_id, caller=caller
    )
    if lock:
        statement = statement.with_for_update()
    return uow.session.execute(statement).scalar_one_or_none()


def get_booking(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, booking_id: str, lock: bool = False
) -> Booking:
    """The CBO's booking; NotFound for another CBO's, or another client's for a client user."""
    booking = _one(uow, Booking, caller=caller, tenant_id=tenant_id, row_id=booking_id, lock=lock)
    if booking is None:
        raise NotFound("There is no such booking.")
    return booking


def get_shift(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, shift_id: str, lock: bool = False
) -> Shift:
    """The CBO's shift; NotFound for another CBO's, or another client's for a client user."""
    shift = _one(uow, Shift, caller=caller, tenant_id=tenant_id, row_id=shift_id, lock=lock)
    if shift is None:
        raise NotFound("There is no such shift.")
    return shift


def shifts_of(uow: UnitOfWork, *, booking: Booking, lock: bool = False) -> list[Shift]:
    """A booking's shifts in time order; `lock` locks them in the order of their ids, as every
    other change of many shifts does (rebooking's batches), so two never wait in a circle."""
    statement = select(Shift).where(
        Shift.booking_id == booking.id, Shift.tenant_id == booking.tenant_id
    )
    if lock:
        statement = statement.order_by(Shift.id).with_for_update()
        shifts = list(uow.session.execute(statement).scalars())
        return sorted(shifts, key=lambda shift: (shift.starts_at, shift.id))
    return list(uow.session.execute(statement.order_by(Shift.starts_at, Shift.id)).scalars())


def _local(instant: datetime, timezone: str) -> str:
    return rules.local_time(instant, timezone).isoformat(timespec="seconds")


def shift_view(shift: Shift, *, timezone: str) -> dict[str, Any]:
    """A shift as the API shows it, with its times on the site's wall clock."""
    return {
        "id": shift.id,
        "booking_id": shift.booking_id,
        "client_id": shift.client_id,
        "site_id": shift.site_id,
        "job_type_id": shift.job_type_id,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "starts_local": _local(shift.starts_at, timezone),
        "ends_local": _local(shift.ends_at, timezone),
        "timezone": timezone,
        "positions": shift.positions,
        "filled": shift.filled,
        "status": shift.status,
        "late_cancellation": shift.late_cancellation,
        "cancelled_at": shift.cancelled_at,
        "cancelled_by_kind": shift.cancelled_by_kind,
        "cancel_reason": shift.cancel_reason,
        "minutes_before_start": rules.minutes_before_start(
            at=shift.cancelled_at, starts_at=shift.starts_at
        )
        if shift.cancelled_at
        else None,
    }


def _terms(booking: Booking, caller: Caller) -> dict[str, Any]:
    """What was booked; the pay rate (the worker's, under the CBO's margin) is staff's only."""
    return {
        "fill_mode": booking.fill_mode,
        "named_worker_id": booking.named_worker_id,
        "notes": booking.notes,
        "requirements": booking.requirements,
        "pay_rate_cents": None if caller.kind == CLIENT else booking.pay_rate_cents,
        "bill_rate_cents": booking.bill_rate_cents,
    }


def _booking_summary(
    booking: Booking,
    caller: Caller,
    *,
    shift_count: int,
    first: datetime | None,
    last: datetime | None,
) -> dict[str, Any]:
    return {
        "id": booking.id,
        "client_id": booking.client_id,
        "site_id": booking.site_id,
        "job_type_id": booking.job_type_id,
        "starts_local": booking.starts_local,
        "ends_local": booking.ends_local,
        "recurrence": booking.recurrence,
        "timezone": booking.timezone,
        "positions": booking.positions,
        "status": booking.status,
        "created_by_kind": booking.created_by_kind,
        "created_at": booking.created_at,
        "shift_count": shift_count,
        "first_starts_at": first,
        "last_starts_at": last,
        **_terms(booking, caller),
    }


def booking_view(
    uow: UnitOfWork, *, caller: Caller, booking: Booking, shifts: list[Shift] | None = None
) -> dict[str, Any]:
    """A booking with all its shifts."""
    shifts = shifts if shifts is not None else shifts_of(uow, booking=booking)
    return {
        **_booking_summary(
            booking,
            caller,
            shift_count=len(shifts),
            first=min((s.starts_at for s in shifts), default=None),
            last=max((s.starts_at for s in shifts), default=None),
        ),
        "shifts": [shift_view(s, timezone=booking.timezone) for s in shifts],
    }


def assignment_view(
    assignment: Assignment, *, worker_name: str | None, caller: Caller | None = None
) -> dict[str, Any]:
    """A place on a shift. A client user sees why it was cancelled only when their own
    organisation cancelled it: a worker's reason is their own, a stand-down identity's word."""
    hidden = (
        caller is not None
        and caller.kind == CLIENT
        and assignment.cancelled_by_kind != rules.BY_CLIENT
    )
    return {
        "id": assignment.id,
        "shift_id": assignment.shift_id,
        "worker_id": assignment.worker_id,
        "worker_name": worker_name,
        "worker_tenant_id": assignment.worker_tenant_id,
        "status": assignment.status,
        "starts_at": assignment.starts_at,
        "ends_at": assignment.ends_at,
        "cancelled_at": assignment.cancelled_at,
        "cancelled_by_kind": assignment.cancelled_by_kind,
        "cancel_reason": None if hidden else assignment.cancel_reason,
        "minutes_before_start": assignment.minutes_before_start,
        "late": assignment.late,
    }


def worker_names(uow: UnitOfWork, *, worker_ids: Sequence[str]) -> dict[str, str]:
    """Workers' names from booking's read model (a partner CBO's worker included)."""
    if not worker_ids:
        return {}
    rows = uow.session.execute(
        select(WorkerRecord.id, WorkerRecord.name).where(WorkerRecord.id.in_(set(worker_ids)))
    )
    return {worker_id: name for worker_id, name in rows}


def shift_detail(uow: UnitOfWork, *, caller: Caller, shift: Shift) -> dict[str, Any]:
    """A shift with what was booked, its assignments (with the workers' names) and how many
    offers are in each state."""
    booking = uow.session.get(Booking, shift.booking_id)
    assert booking is not None  # a foreign key
    assignments = list(
        uow.session.execute(
            select(Assignment)
            .where(Assignment.shift_id == shift.id, Assignment.tenant_id == shift.tenant_id)
            .order_by(Assignment.created_at, Assignment.id)
        ).scalars()
    )
    names = worker_names(uow, worker_ids=[a.worker_id for a in assignments])
    counts: dict[str, int] = {
        status: count
        for status, count in uow.session.execute(
            select(Offer.status, func.count())
            .where(Offer.shift_id == shift.id, Offer.tenant_id == shift.tenant_id)
            .group_by(Offer.status)
        )
    }
    return {
        **shift_view(shift, timezone=booking.timezone),
        **_terms(booking, caller),
        "assignments": [
            assignment_view(a, worker_name=names.get(a.worker_id), caller=caller)
            for a in assignments
        ],
        "offers": {state: counts.get(state, 0) for state in OFFER_STATES},
    }


def list_bookings(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    page: int,
    per_page: int,
    sort: str,
    client_id: str | None = None,
    status: str | None = None,
    from_: datetime | None = None,
    to: datetime | None = None,
) -> dict[str, Any]:
    """A page of the CBO's bookings (a client user: their own client's only), each with its
    number of shifts and first and last start. `from_` / `to` keep the bookings with a shift
    starting in that range."""
    span = (
        select(
            Shift.booking_id.label("booking_id"),
            func.count().label("shift_count"),
            func.min(Shift.starts_at).label("first"),
            func.max(Shift.starts_at).label("last"),
        )
        .where(Shift.tenant_id == tenant_id)
        .group_by(Shift.booking_id)
        .subquery()
    )
    statement = _scoped(
        select(Booking, span.c.shift_count, span.c.first, span.c.last).join(
            span, span.c.booking_id == Booking.id
        ),
        Booking,
        tenant_id=tenant_id,
        caller=caller,
    )
    if client_id is not None:
        statement = statement.where(Booking.client_id == client_id)
    if status is not None:
        statement = statement.where(Booking.status == status)
    if from_ is not None or to is not None:
        within = select(Shift.id).where(
            Shift.booking_id == Booking.id, Shift.tenant_id == tenant_id
        )
        if from_ is not None:
            within = within.where(Shift.starts_at >= from_)
        if to is not None:
            within = within.where(Shift.starts_at < to)
        statement = statement.where(within.exists())
    columns = {"created_at": Booking.created_at, "starts_at": span.c.first}
    statement = order_by(statement, sort, columns, Booking.id)
    return page_rows(
        uow.session,
        statement,
        page=page,
        per_page=per_page,
        view=lambda row: _booking_summary(
            row[0], caller, shift_count=row[1], first=row[2], last=row[3]
        ),
    )


def list_shifts(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    page: int,
    per_page: int,
    sort: str,
    client_id: str | None = None,
    site_id: str | None = None,
    booking_id: str | None = None,
    status: str | None = None,
    from_: datetime | None = None,
    to: datetime | None = None,
) -> dict[str, Any]:
    """A page of the CBO's shifts (a client user: their own client's only), by start time."""
    statement = _scoped(
        select(Shift, Booking.timezone).join(Booking, Booking.id == Shift.booking_id),
        Shift,
        tenant_id=tenant_id,
        caller=caller,
    )
    for column, value in (
        (Shift.client_id, client_id),
        (Shift.site_id, site_id),
        (Shift.booking_id, booking_id),
        (Shift.status, status),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if from_ is not None:
        statement = statement.where(Shift.starts_at >= from_)
    if to is not None:
        statement = statement.where(Shift.starts_at < to)
    statement = order_by(statement, sort, {"starts_at": Shift.starts_at}, Shift.id)
    return page_rows(
        uow.session,
        statement,
        page=page,
        per_page=per_page,
        view=lambda row: shift_view(row[0], timezone=row[1]),
    )
