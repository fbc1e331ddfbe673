"""Partner sharing: a CBO shares its open shifts with partner CBOs, whose staff offer them to
their own eligible workers; a partner's worker who confirms fills the owner's shift.

- The owning CBO's staff share one shift or a booking's open shifts with every partner whose
  formed partnership shares "opportunities", or with those they choose among them
  (`share_shift`, `share_booking`): one OpportunityShare per shift and partner, and
  `opportunity.shared` (the partner exchange: the partner's id is in the payload). They list
  and withdraw their shares (`opportunity.withdrawn`).
- A partner CBO's staff see only the shares made with their CBO (`list_shared_with`,
  `shared_with`: any other is 404) and offer one to a named worker of theirs or release it to
  their eligible workers (`offer_shared`, `release_shared`), through the offers area's
  `offer_under_share`, which re-checks every worker like any offer.
- The worker confirms through the offers area's `confirm_offer`, which accepts them under the
  live grant only (sharing.grants) and reports the fill (`opportunity.filled`). The shift keeps
  both CBOs: its own tenant (the owner) and the assignment's worker_tenant_id (the partner,
  the worker's employer of record), which the share also records.
- The end of a partnership (`end_partnership`, on tenancy's partnership.ended) withdraws its
  live shares and the partner offers still sent under them at once; a confirmation after it
  is refused.

Every change of a share happens with its shift's row locked, like every change of an offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork, owned_row
from chassis.errors import Conflict, NotFound, ValidationFailed
from chassis.paging import order_by, page_rows
from services.booking.bookings.models import Booking, Shift
from services.booking.jobtypes.models import JobType
from services.booking.offers import domain as offers
from services.booking.offers.models import Offer
from services.booking.offers.recheck import EligibleNow
from services.booking.sharing import grants, rules
from services.booking.sharing.models import SHARED, OpportunityShare
from services.booking.sites.models import Site
from services.booking.workers.models import CboRecord, PartnershipRecord, WorkerRecord

OWNER_WITHDREW = "withdrawn by the owning CBO"


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def sharing_partners(uow: UnitOfWork, *, tenant_id: str) -> dict[str, str]:
    """The CBOs in a formed partnership with this one that shares opportunities: partner id ->
    partnership id (booking's read model of tenancy's partnerships)."""
    query = (
        select(PartnershipRecord)
        .where(
            PartnershipRecord.active.is_(True),
            PartnershipRecord.shares.contains([grants.OPPORTUNITIES]),
            or_(
                PartnershipRecord.proposer_id == tenant_id,
                PartnershipRecord.partner_id == tenant_id,
            ),
        )
        .order_by(PartnershipRecord.id)
    )
    found: dict[str, str] = {}
    for row in uow.session.execute(query).scalars():
        other = row.partner_id if row.proposer_id == tenant_id else row.proposer_id
        found.setdefault(other, row.id)
    return found


def _partners_for(
    uow: UnitOfWork, *, tenant_id: str, partner_ids: Sequence[str] | None
) -> dict[str, str]:
    sharing = sharing_partners(uow, tenant_id=tenant_id)
    chosen, unknown = rules.chosen_partners(sharing, partner_ids)
    if unknown:
        raise ValidationFailed(
            fields={"partner_ids": [f"{rules.NOT_A_PARTNER} ({', '.join(unknown)})"]}
        )
    if not chosen:
        raise Conflict(rules.NO_PARTNERS)
    return chosen


def _share(
    uow: UnitOfWork,
    *,
    caller: Caller,
    shift: Shift,
    partners: dict[str, str],
    now: datetime,
) -> list[OpportunityShare]:
    """Share a locked, open shift with each partner it is not shared with yet."""
    live = {s.partner_tenant_id: s for s in grants.live_shares(uow, shift_id=shift.id)}
    made: list[OpportunityShare] = []
    for partner_id, partnership_id in partners.items():
        if partner_id in live:
            made.append(live[partner_id])
            continue
        share = OpportunityShare(
            tenant_id=shift.tenant_id,
            shift_id=shift.id,
            partner_tenant_id=partner_id,
            partnership_id=partnership_id,
            status=SHARED,
            shared_by=caller.user_id,
        )
        uow.session.add(share)
        uow.session.flush()
        uow.emit(
            "opportunity.shared",
            grants.shared_payload(uow, share=share, shift=shift),
            tenant_id=shift.tenant_id,
        )
        audit(
            uow,
            caller,
            action="opportunity.share",
            entity_type="shift",
            entity_id=shift.id,
            after={"share_id": share.id, "partner_tenant_id": partner_id},
            tenant_id=shift.tenant_id,
        )
        made.append(share)
    return made


def share_shift(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    shift_id: str,
    partner_ids: Sequence[str] | None = None,
    now: datetime | None = None,
) -> list[OpportunityShare]:
    """Share an open shift of the caller's CBO with its partners (all that share
    opportunities, or `partner_ids` among them: another id is 422); a partner it is shared with
    already keeps its share. Another CBO's shift is 404; one that is not open or has started,
    or a CBO with no such partner, 409."""
    now = _now(now)
    owned_row(uow, Shift, tenant_id=tenant_id, row_id=shift_id, what="shift")
    partners = _partners_for(uow, tenant_id=tenant_id, partner_ids=partner_ids)
    shift = offers.lock_shift(uow, shift_id=shift_id)
    refusal = rules.share_refusal(shift_status=shift.status, starts_at=shift.starts_at, now=now)
    if refusal:
        raise Conflict(refusal)
    return _share(uow, caller=caller, shift=shift, partners=partners, now=now)


def share_booking(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    booking_id: str,
    partner_ids: Sequence[str] | None = None,
    now: datetime | None = None,
) -> list[OpportunityShare]:
    """Share every open shift still to come of a booking of the caller's CBO (as
    `share_shift`); a booking with none is 409."""
    now = _now(now)
    owned_row(uow, Booking, tenant_id=tenant_id, row_id=booking_id, what="booking")
    partners = _partners_for(uow, tenant_id=tenant_id, partner_ids=partner_ids)
    query = (
        select(Shift.id)
        .where(
            Shift.booking_id == booking_id,
            Shift.tenant_id == tenant_id,
            Shift.status == "open",
            Shift.starts_at > now,
        )
        .order_by(Shift.starts_at, Shift.id)
    )
    made: list[OpportunityShare] = []
    for shift_id in uow.session.execute(query).scalars().all():
        shift = offers.lock_shift(uow, shift_id=shift_id)
        if rules.share_refusal(shift_status=shift.status, starts_at=shift.starts_at, now=now):
            continue
        made += _share(uow, caller=caller, shift=shift, partners=partners, now=now)
    if not made:
        raise Conflict("This booking has no open shift still to come.")
    return made


def withdraw_share(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    share_id: str,
    reason: str,
    eligible_now: EligibleNow,
    now: datetime | None = None,
) -> OpportunityShare:
    """The owning CBO takes a share back: the partner's offers still sent under it are
    withdrawn (their confirmations refused). A share that ended is 409; another CBO's, 404."""
    now = _now(now)
    share = owned_row(uow, OpportunityShare, tenant_id=tenant_id, row_id=share_id, what="share")
    shift = offers.lock_shift(uow, shift_id=share.shift_id)
    share = uow.session.get_one(OpportunityShare, share_id, populate_existing=True)
    if share.status != SHARED:
        raise Conflict(f"This share is already {share.status}.")
    _end(uow, share=share, shift=shift, reason=reason, now=now, eligible_now=eligible_now)
    audit(
        uow,
        caller,
        action="opportunity.withdraw",
        entity_type="shift",
        entity_id=shift.id,
        before={"share_id": share.id, "status": SHARED},
        after={"status": share.status, "reason": reason},
        tenant_id=tenant_id,
    )
    return share


def _end(
    uow: UnitOfWork,
    *,
    share: OpportunityShare,
    shift: Shift,
    reason: str,
    now: datetime,
    eligible_now: EligibleNow,
) -> None:
    grants.end_share(uow, share=share, shift=shift, reason=reason, now=now)
    withdrawn = offers.withdraw_live_offers(
        uow, shift=shift, reason=reason, now=now, share_id=share.id
    )
    if withdrawn:
        offers.after_offers_ended(uow, shift=shift, eligible_now=eligible_now, now=now)


def end_partnership(
    uow: UnitOfWork,
    *,
    partnership_id: str,
    eligible_now: EligibleNow,
    now: datetime | None = None,
) -> int:
    """Tenancy ended a partnership: every live share under it is withdrawn at once, with the
    partner offers still sent under it (a confirmation after this is refused). Returns how
    many shares ended (a redelivered event finds none)."""
    now = _now(now)
    query = (
        select(OpportunityShare.id, OpportunityShare.shift_id)
        .where(
            OpportunityShare.partnership_id == partnership_id,
            OpportunityShare.status == SHARED,
        )
        .order_by(OpportunityShare.shift_id, OpportunityShare.id)
    )
    ended = 0
    for share_id, shift_id in uow.session.execute(query).all():
        shift = offers.lock_shift(uow, shift_id=shift_id)
        share = uow.session.get_one(OpportunityShare, share_id, populate_existing=True)
        if share.status != SHARED:
            continue
        _end(
            uow,
            share=share,
            shift=shift,
            reason=grants.PARTNERSHIP_ENDED,
            now=now,
            eligible_now=eligible_now,
        )
        ended += 1
    return ended


# -- the partner's side --------------------------------------------------------------------------


def _partner_share(uow: UnitOfWork, *, tenant_id: str, share_id: str) -> OpportunityShare:
    """A share made with the caller's CBO; any other does not exist for them (404)."""
    query = select(OpportunityShare).where(
        OpportunityShare.id == share_id, OpportunityShare.partner_tenant_id == tenant_id
    )
    share = uow.session.execute(query).scalar_one_or_none()
    if share is None:
        raise NotFound("There is no such shared opportunity.")
    return share


def offer_shared(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    share_id: str,
    worker_id: str,
    eligible_now: EligibleNow,
    now: datetime | None = None,
) -> Offer:
    """The partner's staff offer a shift shared with their CBO to one of their own workers
    (re-checked: 409 with the reasons; a worker not of their CBO is 422)."""
    _partner_share(uow, tenant_id=tenant_id, share_id=share_id)
    (offer,) = offers.offer_under_share(
        uow,
        caller=caller,
        share_id=share_id,
        worker_ids=[worker_id],
        named=True,
        eligible_now=eligible_now,
        now=now,
    )
    return offer


def _release_candidates(uow: UnitOfWork, *, tenant_id: str, shift: Shift) -> list[str]:
    """The partner's workers worth re-checking for a shift: approved, active, not suspended,
    approved for its job type when it needs that, in name order (at most four times the
    release's cap: the re-check thins them out)."""
    job_type = uow.session.get_one(JobType, shift.job_type_id)
    query = select(WorkerRecord.id).where(
        WorkerRecord.tenant_id == tenant_id,
        WorkerRecord.approved.is_(True),
        WorkerRecord.active.is_(True),
        WorkerRecord.suspended.is_(False),
    )
    if job_type.needs_approval:
        query = query.where(WorkerRecord.job_types.contains([job_type.key]))
    query = query.order_by(WorkerRecord.name, WorkerRecord.id).limit(rules.RELEASE_CAP * 4)
    return list(uow.session.execute(query).scalars())


def release_shared(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    share_id: str,
    eligible_now: EligibleNow,
    now: datetime | None = None,
) -> list[Offer]:
    """The partner's staff release a shift shared with their CBO to their eligible workers:
    each candidate re-checked as any offer, at most RELEASE_CAP offered at once."""
    share = _partner_share(uow, tenant_id=tenant_id, share_id=share_id)
    shift = uow.session.get_one(Shift, share.shift_id)
    candidates = _release_candidates(uow, tenant_id=tenant_id, shift=shift)
    return offers.offer_under_share(
        uow,
        caller=caller,
        share_id=share_id,
        worker_ids=candidates,
        named=False,
        eligible_now=eligible_now,
        now=now,
        limit=rules.RELEASE_CAP,
    )


# -- reading -------------------------------------------------------------------------------------


def _query(*, side: str, tenant_id: str) -> Select:
    owner = CboRecord.__table__.alias("owner_cbo")
    partner = CboRecord.__table__.alias("partner_cbo")
    offered = (
        select(func.count(Offer.id))
        .where(Offer.share_id == OpportunityShare.id)
        .correlate(OpportunityShare)
        .scalar_subquery()
    )
    filled_by = WorkerRecord.__table__.alias("filled_by")
    query = (
        select(
            OpportunityShare,
            Shift,
            Booking,
            JobType,
            Site,
            owner.c.name,
            partner.c.name,
            offered,
            filled_by.c.name,
        )
        .join(Shift, Shift.id == OpportunityShare.shift_id)
        .join(Booking, Booking.id == Shift.booking_id)
        .join(JobType, JobType.id == Shift.job_type_id)
        .join(Site, Site.id == Shift.site_id)
        .outerjoin(owner, owner.c.tenant_id == OpportunityShare.tenant_id)
        .outerjoin(partner, partner.c.tenant_id == OpportunityShare.partner_tenant_id)
        .outerjoin(filled_by, filled_by.c.id == OpportunityShare.filled_worker_id)
    )
    if side == "owner":
        return query.where(OpportunityShare.tenant_id == tenant_id)
    return query.where(OpportunityShare.partner_tenant_id == tenant_id)


def _view(row: Any) -> dict[str, Any]:
    share, shift, booking, job_type, site, owner_name, partner_name, offered, filled_name = row
    zone = ZoneInfo(site.timezone)
    return {
        "id": share.id,
        "status": share.status,
        "partnership_id": share.partnership_id,
        "owner": {"id": share.tenant_id, "name": owner_name},
        "partner": {"id": share.partner_tenant_id, "name": partner_name},
        "shared_at": share.created_at,
        "ended_at": share.ended_at,
        "end_reason": share.end_reason,
        "offers_made": offered or 0,
        "filled_by": (
            {
                "worker_id": share.filled_worker_id,
                "worker_name": filled_name,
                "tenant_id": share.partner_tenant_id,
                "assignment_id": share.assignment_id,
            }
            if share.filled_worker_id
            else None
        ),
        "shift": {
            "id": shift.id,
            "booking_id": shift.booking_id,
            "status": shift.status,
            "starts_at": shift.starts_at,
            "ends_at": shift.ends_at,
            "starts_local": shift.starts_at.astimezone(zone).replace(tzinfo=None),
            "ends_local": shift.ends_at.astimezone(zone).replace(tzinfo=None),
            "timezone": site.timezone,
            "positions": shift.positions,
            "filled": shift.filled,
            "job_type": {"key": job_type.key, "name": job_type.name},
            "site": {"name": site.name, "city": site.city, "zip": site.zip},
            "pay_rate_cents": booking.pay_rate_cents,
        },
    }


_COLUMNS = {"shared_at": OpportunityShare.created_at, "starts_at": Shift.starts_at}


def list_shares(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
    shift_id: str | None = None,
    partner_id: str | None = None,
) -> dict[str, Any]:
    """A page of the caller's CBO's shares (as the owner), filtered."""
    query = _query(side="owner", tenant_id=tenant_id)
    if status:
        query = query.where(OpportunityShare.status == status)
    if shift_id:
        query = query.where(OpportunityShare.shift_id == shift_id)
    if partner_id:
        query = query.where(OpportunityShare.partner_tenant_id == partner_id)
    query = order_by(query, sort, _COLUMNS, OpportunityShare.id)
    return page_rows(uow.session, query, page=page, per_page=per_page, view=_view)


def share_view(uow: UnitOfWork, *, tenant_id: str, share_id: str, side: str) -> dict[str, Any]:
    """One share as its owner (`side="owner"`) or its partner (`"partner"`) sees it; 404 for
    anyone else."""
    query = _query(side=side, tenant_id=tenant_id).where(OpportunityShare.id == share_id)
    row = uow.session.execute(query).one_or_none()
    if row is None:
        raise NotFound("There is no such shared opportunity.")
    return _view(row)


def list_shared_with(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
) -> dict[str, Any]:
    """A page of the shifts other CBOs shared with the caller's CBO (theirs only)."""
    query = _query(side="partner", tenant_id=tenant_id)
    if status:
        query = query.where(OpportunityShare.status == status)
    query = order_by(query, sort, _COLUMNS, OpportunityShare.id)
    return page_rows(uow.session, query, page=page, per_page=per_page, view=_view)


def list_share_offers(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    share_id: str,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
) -> dict[str, Any]:
    """A page of the offers the partner's staff made under a share (their workers only)."""
    _partner_share(uow, tenant_id=tenant_id, share_id=share_id)
    query = (
        select(Offer, WorkerRecord.name)
        .outerjoin(WorkerRecord, WorkerRecord.id == Offer.worker_id)
        .where(Offer.share_id == share_id, Offer.worker_tenant_id == tenant_id)
    )
    if status:
        query = query.where(Offer.status == status)
    columns = {"created_at": Offer.created_at, "status": Offer.status}
    query = order_by(query, sort, columns, Offer.id)
    return page_rows(uow.session, query, page=page, per_page=per_page, view=_offer_view)


def _offer_view(row: Any) -> dict[str, Any]:
    offer, name = row
    return {
        "id": offer.id,
        "shift_id": offer.shift_id,
        "worker": {"id": offer.worker_id, "name": name},
        "status": offer.status,
        "deadline_at": offer.deadline_at,
        "end_reason": offer.end_reason,
        "created_at": offer.created_at,
    }


def offer_view(uow: UnitOfWork, *, tenant_id: str, offer_id: str) -> dict[str, Any]:
    """One offer the partner's staff made under a share."""
    query = (
        select(Offer, WorkerRecord.name)
        .outerjoin(WorkerRecord, WorkerRecord.id == Offer.worker_id)
        .where(
            Offer.id == offer_id, Offer.worker_tenant_id == tenant_id, Offer.share_id.is_not(None)
        )
    )
    row = uow.session.execute(query).one_or_none()
    if row is None:
        raise NotFound("There is no such offer.")
    return _offer_view(row)
