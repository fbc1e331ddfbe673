"""The share grant, as the offers area checks it: a partner CBO's worker may be offered and may
confirm a shift of another CBO only while that shift is shared with their CBO (a live
OpportunityShare) under a formed partnership that shares "opportunities". Partner access is
this explicit grant, never a missing filter.

The offers area imports this module (not sharing.domain, which builds on the offers area), and
calls it under the shift's lock, where every change of a share also happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from chassis.db import UnitOfWork
from services.booking.bookings.models import Booking, Shift
from services.booking.jobtypes.models import JobType
from services.booking.search import rules as search_rules
from services.booking.sharing.models import FILLED, SHARED, WITHDRAWN, OpportunityShare
from services.booking.workers.models import PartnershipRecord

# What a partnership's `shares` holds when the two CBOs share open shifts (tenancy's SHARES).
OPPORTUNITIES = "opportunities"

NO_LONGER_SHARED = "This shift is no longer shared with your CBO."
PARTNERSHIP_ENDED = "partnership ended"
SHIFT_FILLED = "shift filled"


def partnership_live(uow: UnitOfWork, *, partnership_id: str) -> bool:
    """Whether booking's read model holds the partnership as formed, sharing opportunities."""
    row = uow.session.get(PartnershipRecord, partnership_id, populate_existing=True)
    return row is not None and row.active and OPPORTUNITIES in (row.shares or ())


def fresh_share(uow: UnitOfWork, *, share_id: str) -> OpportunityShare | None:
    return uow.session.get(OpportunityShare, share_id, populate_existing=True)


def refusal(uow: UnitOfWork, *, share: OpportunityShare | None) -> str | None:
    """Why the grant no longer holds (None: it does)."""
    if (
        share is None
        or share.status != SHARED
        or not partnership_live(uow, partnership_id=share.partnership_id)
    ):
        return NO_LONGER_SHARED
    return None


def without_not_shared(reasons: Iterable[search_rules.Reason]) -> list[search_rules.Reason]:
    """The search's reasons less "from another CBO that does not share this job type": under a
    live share grant, the shift itself is shared with the worker's CBO."""
    return [r for r in reasons if r.code != search_rules.NOT_SHARED]


def payload(uow: UnitOfWork, *, share: OpportunityShare, shift: Shift) -> dict[str, Any]:
    return {
        "share_id": share.id,
        "shift_id": shift.id,
        "booking_id": shift.booking_id,
        "owner_tenant_id": share.tenant_id,
        "partner_tenant_id": share.partner_tenant_id,
        "partnership_id": share.partnership_id,
    }


def shared_payload(uow: UnitOfWork, *, share: OpportunityShare, shift: Shift) -> dict[str, Any]:
    job_type = uow.session.get_one(JobType, shift.job_type_id)
    booking = uow.session.get_one(Booking, shift.booking_id)
    return {
        **payload(uow, share=share, shift=shift),
        "job_type_key": job_type.key,
        "job_type_name": job_type.name,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "timezone": booking.timezone,
        "positions": shift.positions,
        "pay_rate_cents": booking.pay_rate_cents,
    }


def end_share(
    uow: UnitOfWork, *, share: OpportunityShare, shift: Shift, reason: str, now: datetime
) -> None:
    """Withdraw a live share (opportunity.withdrawn, with why)."""
    share.status = WITHDRAWN
    share.ended_at = now
    share.end_reason = reason
    uow.session.flush()
    uow.emit(
        "opportunity.withdrawn",
        {**payload(uow, share=share, shift=shift), "reason": reason},
        tenant_id=share.tenant_id,
    )


def live_shares(uow: UnitOfWork, *, shift_id: str) -> list[OpportunityShare]:
    query = (
        select(OpportunityShare)
        .where(OpportunityShare.shift_id == shift_id, OpportunityShare.status == SHARED)
        .order_by(OpportunityShare.created_at, OpportunityShare.id)
        .execution_options(populate_existing=True)
    )
    return list(uow.session.execute(query).scalars())


def record_fill(
    uow: UnitOfWork,
    *,
    share_id: str,
    shift: Shift,
    offer_id: str,
    worker_id: str,
    worker_tenant_id: str,
    assignment_id: str,
) -> None:
    """A partner's worker confirmed under the share: it is filled and reported back to the
    owner (opportunity.filled)."""
    share = uow.session.get_one(OpportunityShare, share_id)
    share.status = FILLED
    share.ended_at = datetime.now(UTC)
    share.filled_worker_id = worker_id
    share.assignment_id = assignment_id
    uow.session.flush()
    uow.emit(
        "opportunity.filled",
        {
            **payload(uow, share=share, shift=shift),
            "worker_id": worker_id,
            "worker_tenant_id": worker_tenant_id,
            "offer_id": offer_id,
            "assignment_id": assignment_id,
        },
        tenant_id=share.tenant_id,
    )


def close_shares(uow: UnitOfWork, *, shift: Shift, reason: str, now: datetime) -> None:
    """A (locked) shift that takes no more offers (filled, cancelled): its live shares end."""
    for share in live_shares(uow, shift_id=shift.id):
        end_share(uow, share=share, shift=shift, reason=reason, now=now)
