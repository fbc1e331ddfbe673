"""Rows and callers the search's tests need besides tests/market/builders.py: a client user,
assignments and pending offers that hold a worker's time, client ratings, reliability scores,
and the facts of a worker as the pure rules take them."""

from __future__ import annotations

import uuid
from datetime import datetime

from chassis.context import Caller
from chassis.contracts.permissions import BUILTIN_ROLES
from chassis.db import UnitOfWork
from services.booking.attendance.models import ClientPreference
from services.booking.bookings.models import Shift
from services.booking.offers.models import Assignment, Offer
from services.booking.reliability.models import ReliabilityScore


def client_caller(tenant_id: str, client_id: str) -> Caller:
    """A client user of `client_id` (the built-in client role's permissions)."""
    return Caller(
        kind="client",
        user_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        roles=("client",),
        permissions=BUILTIN_ROLES["client"],
        client_id=client_id,
    )


def an_assignment(
    uow: UnitOfWork,
    *,
    shift: Shift,
    worker_id: str,
    worker_tenant_id: str | None = None,
    status: str = "booked",
) -> Assignment:
    row = Assignment(
        tenant_id=shift.tenant_id,
        shift_id=shift.id,
        worker_id=worker_id,
        worker_tenant_id=worker_tenant_id or shift.tenant_id,
        client_id=shift.client_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=status,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def an_offer(
    uow: UnitOfWork,
    *,
    shift: Shift,
    worker_id: str,
    worker_tenant_id: str | None = None,
    status: str = "sent",
) -> Offer:
    row = Offer(
        tenant_id=shift.tenant_id,
        shift_id=shift.id,
        worker_id=worker_id,
        worker_tenant_id=worker_tenant_id or shift.tenant_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=status,
        channel="named",
        deadline_at=shift.starts_at,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def a_rating(
    uow: UnitOfWork, *, tenant_id: str, client_id: str, worker_id: str, rating: str
) -> ClientPreference:
    row = ClientPreference(
        tenant_id=tenant_id, client_id=client_id, worker_id=worker_id, rating=rating
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def a_score(uow: UnitOfWork, *, tenant_id: str, worker_id: str, score: float) -> ReliabilityScore:
    row = ReliabilityScore(worker_id=worker_id, tenant_id=tenant_id, score=score, active_points=0.0)
    uow.session.add(row)
    uow.session.flush()
    return row


def utc(text: str) -> datetime:
    """'2026-12-01T17:00' as an aware UTC time."""
    return datetime.fromisoformat(text + "+00:00")
