"""Builders for the bookings area's tests: a client user's caller, a booking made through the
real domain function (its body loaded by the API's own schema), and the offers and places
(assignments) a shift has once the offers area has worked on it (rows only: that area's domain
makes real ones)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from chassis.context import Caller
from chassis.contracts.permissions import BUILTIN_ROLES
from chassis.db import UnitOfWork
from services.booking.bookings import domain as bookings
from services.booking.bookings.models import Shift
from services.booking.bookings.schemas import BookingInputSchema
from services.booking.jobtypes.models import JobType
from services.booking.offers.models import Assignment, Offer
from services.booking.sites.models import Site
from services.booking.workers.models import WorkerRecord

WEEKDAYS_FOR_FOUR_WEEKS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=20"


def client_caller(
    tenant_id: str, client_id: str, *, permissions: Iterable[str] | None = None
) -> Caller:
    """A client organisation's user, with the client role's permissions unless given."""
    return Caller(
        kind="client",
        user_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        roles=("client",),
        permissions=BUILTIN_ROLES["client"] if permissions is None else frozenset(permissions),
        client_id=client_id,
    )


def worker_caller(worker: WorkerRecord, *, permissions: Iterable[str] | None = None) -> Caller:
    """The job seeker `worker` signed in to their own CBO."""
    return Caller(
        kind="jobseeker",
        user_id=worker.id,
        tenant_id=worker.tenant_id,
        roles=("jobseeker",),
        permissions=BUILTIN_ROLES["jobseeker"] if permissions is None else frozenset(permissions),
    )


def booking_body(
    *,
    job_type: JobType,
    site: Site,
    starts_on: date,
    start: str = "09:00",
    end: str = "13:00",
    **overrides: Any,
) -> dict[str, Any]:
    """A booking as the API takes it: an open shift of one position at the site."""
    return {
        "client_id": site.client_id,
        "job_type_id": job_type.id,
        "site_id": site.id,
        "starts_on": starts_on.isoformat(),
        "start_time": start,
        "end_time": end,
        "fill_mode": "open",
        **overrides,
    }


def a_booking(
    uow: UnitOfWork,
    *,
    caller: Caller,
    job_type: JobType,
    site: Site,
    starts_on: date,
    now: datetime,
    **body: Any,
) -> bookings.Created:
    """A booking made by `caller` through the domain, at `now`."""
    data = BookingInputSchema().load(
        booking_body(job_type=job_type, site=site, starts_on=starts_on, **body)
    )
    return bookings.create_booking(
        uow, caller=caller, tenant_id=caller.require_tenant(), data=data, now=now
    )


def an_offer(uow: UnitOfWork, *, shift: Shift, worker: WorkerRecord, status: str = "sent") -> Offer:
    row = Offer(
        tenant_id=shift.tenant_id,
        shift_id=shift.id,
        worker_id=worker.id,
        worker_tenant_id=worker.tenant_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=status,
        channel="ranking",
        deadline_at=shift.starts_at,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def an_assignment(uow: UnitOfWork, *, shift: Shift, worker: WorkerRecord) -> Assignment:
    """A worker holding a position of the shift (a confirmed offer), the shift counting it."""
    offer = an_offer(uow, shift=shift, worker=worker, status="confirmed")
    row = Assignment(
        tenant_id=shift.tenant_id,
        shift_id=shift.id,
        offer_id=offer.id,
        worker_id=worker.id,
        worker_tenant_id=worker.tenant_id,
        client_id=shift.client_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
    )
    uow.session.add(row)
    shift.filled += 1
    if shift.filled >= shift.positions:
        shift.status = "filled"
    uow.session.flush()
    return row
