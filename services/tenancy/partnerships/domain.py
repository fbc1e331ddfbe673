"""Partnerships between CBOs: one proposes what to share, the other accepts or declines,
either side ends it. A CBO only ever sees the partnerships it is party to, and sees each as
a plain dict of what it may know (`_seen_by`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound, ValidationFailed
from chassis.paging import order_by, page_rows
from services.tenancy.common import active_tenant, approved_tenant_by_slug
from services.tenancy.partnerships.models import Partnership
from services.tenancy.tenants.models import Tenant

LIVE = ("proposed", "formed")


def _party_filter(tenant_id: str):
    return or_(Partnership.proposer_id == tenant_id, Partnership.partner_id == tenant_id)


def _seen_by(uow: UnitOfWork, partnership: Partnership, viewer: str) -> dict[str, Any]:
    return _all_seen_by(uow, [partnership], viewer)[0]


def _all_seen_by(
    uow: UnitOfWork, partnerships: list[Partnership], viewer: str
) -> list[dict[str, Any]]:
    """The partnerships as `viewer` sees them, with both parties' names (one query for all)."""
    ids = {p.proposer_id for p in partnerships} | {p.partner_id for p in partnerships}
    tenants = {
        t.id: t for t in uow.session.execute(select(Tenant).where(Tenant.id.in_(ids))).scalars()
    }

    def side(tenant_id: str) -> dict[str, str]:
        tenant = tenants.get(tenant_id)
        return {
            "id": tenant_id,
            "slug": tenant.slug if tenant else "",
            "name": tenant.display_name if tenant else "",
        }

    return [
        {
            "id": partnership.id,
            "proposer": side(partnership.proposer_id),
            "partner": side(partnership.partner_id),
            "direction": "outgoing" if partnership.proposer_id == viewer else "incoming",
            "shares": partnership.shares,
            "message": partnership.message,
            "status": partnership.status,
            "created_at": partnership.created_at,
            "decided_at": partnership.decided_at,
            "ended_at": partnership.ended_at,
        }
        for partnership in partnerships
    ]


def _event(partnership: Partnership) -> dict[str, Any]:
    return {
        "partnership_id": partnership.id,
        "proposer_id": partnership.proposer_id,
        "partner_id": partnership.partner_id,
        "shares": list(partnership.shares),
    }


def _emit(uow: UnitOfWork, event_type: str, partnership: Partnership, actor: str) -> None:
    # One fact, one event, in the tenant of the CBO that acted; the payload names both sides.
    uow.emit(event_type, _event(partnership), tenant_id=actor)


def propose(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    active_tenant(uow, tenant_id=tenant_id)
    partner = approved_tenant_by_slug(uow, slug=data["partner_slug"])
    if partner.id == tenant_id:
        raise ValidationFailed(fields={"partner_slug": ["A CBO cannot partner with itself."]})
    live = uow.session.execute(
        select(Partnership.id).where(
            Partnership.status.in_(LIVE),
            or_(
                (Partnership.proposer_id == tenant_id) & (Partnership.partner_id == partner.id),
                (Partnership.proposer_id == partner.id) & (Partnership.partner_id == tenant_id),
            ),
        )
    ).first()
    if live is not None:
        raise Conflict(
            "There is already a partnership, or a proposal, between these CBOs.",
            {"partner_slug": ["Already a partner or proposed."]},
        )
    partnership = Partnership(
        proposer_id=tenant_id,
        partner_id=partner.id,
        shares=list(data["shares"]),
        message=data["message"].strip(),
        status="proposed",
    )
    uow.session.add(partnership)
    try:
        uow.session.flush()
    except IntegrityError as exc:  # both proposed at the same moment
        raise Conflict("There is already a proposal between these CBOs.") from exc
    uow.session.refresh(partnership)
    _emit(uow, "partnership.proposed", partnership, tenant_id)
    view = _seen_by(uow, partnership, tenant_id)
    audit(
        uow,
        caller,
        action="partnership.propose",
        entity_type="partnership",
        entity_id=partnership.id,
        after={"partner_id": partner.id, "shares": view["shares"], "status": "proposed"},
    )
    return view


def _partnership(
    uow: UnitOfWork, tenant_id: str, partnership_id: str, *, lock: bool = True
) -> Partnership:
    query = select(Partnership).where(Partnership.id == partnership_id, _party_filter(tenant_id))
    if lock:
        query = query.with_for_update()
    partnership = uow.session.execute(query).scalar_one_or_none()
    if partnership is None:
        raise NotFound("There is no such partnership.")
    return partnership


def _move(
    uow: UnitOfWork,
    caller: Caller,
    partnership: Partnership,
    tenant_id: str,
    *,
    to: str,
    event_type: str,
    action: str,
) -> dict[str, Any]:
    before = partnership.status
    now = datetime.now(UTC)
    partnership.status = to
    if to in ("formed", "declined"):
        partnership.decided_at = now
    else:
        partnership.ended_at = now
        partnership.ended_by = tenant_id
    uow.session.flush()
    _emit(uow, event_type, partnership, tenant_id)
    audit(
        uow,
        caller,
        action=action,
        entity_type="partnership",
        entity_id=partnership.id,
        before={"status": before},
        after={"status": to},
    )
    return _seen_by(uow, partnership, tenant_id)


def answer(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, partnership_id: str, accept: bool
) -> dict[str, Any]:
    """The invited CBO accepts (the partnership forms) or declines a proposal."""
    active_tenant(uow, tenant_id=tenant_id)
    partnership = _partnership(uow, tenant_id, partnership_id)
    if partnership.partner_id != tenant_id:
        raise Conflict("Only the invited CBO can answer a proposal.")
    if partnership.status != "proposed":
        raise Conflict(f"The partnership is {partnership.status}; it is not waiting for an answer.")
    if accept:
        # Declining needs only the answering CBO approved; forming needs both.
        active_tenant(uow, tenant_id=partnership.proposer_id)
        return _move(
            uow,
            caller,
            partnership,
            tenant_id,
            to="formed",
            event_type="partnership.formed",
            action="partnership.accept",
        )
    return _move(
        uow,
        caller,
        partnership,
        tenant_id,
        to="declined",
        event_type="partnership.declined",
        action="partnership.decline",
    )


def end(uow: UnitOfWork, *, caller: Caller, tenant_id: str, partnership_id: str) -> dict[str, Any]:
    """Either side ends a formed partnership; the proposer may withdraw an open proposal."""
    active_tenant(uow, tenant_id=tenant_id)
    partnership = _partnership(uow, tenant_id, partnership_id)
    if partnership.status == "formed":
        return _move(
            uow,
            caller,
            partnership,
            tenant_id,
            to="ended",
            event_type="partnership.ended",
            action="partnership.end",
        )
    if partnership.status == "proposed" and partnership.proposer_id == tenant_id:
        return _move(
            uow,
            caller,
            partnership,
            tenant_id,
            to="cancelled",
            event_type="partnership.cancelled",
            action="partnership.cancel",
        )
    if partnership.status == "proposed":
        raise Conflict("Decline the proposal instead of ending it.")
    raise Conflict(f"The partnership is already {partnership.status}.")


def get_partnership(uow: UnitOfWork, *, tenant_id: str, partnership_id: str) -> dict[str, Any]:
    partnership = _partnership(uow, tenant_id, partnership_id, lock=False)
    return _seen_by(uow, partnership, tenant_id)


def list_partnerships(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
    direction: str | None = None,
) -> dict[str, Any]:
    """A page of the partnerships the CBO is party to ({items, total, page, per_page})."""
    statement = select(Partnership).where(_party_filter(tenant_id))
    if status:
        statement = statement.where(Partnership.status == status)
    if direction == "outgoing":
        statement = statement.where(Partnership.proposer_id == tenant_id)
    elif direction == "incoming":
        statement = statement.where(Partnership.partner_id == tenant_id)
    columns = {"created_at": Partnership.created_at, "status": Partnership.status}
    statement = order_by(statement, sort, columns, Partnership.id)
    found = page_rows(uow.session, statement, page=page, per_page=per_page)
    return {**found, "items": _all_seen_by(uow, found["items"], tenant_id)}


def partners(uow: UnitOfWork, *, tenant_id: str, share: str | None) -> list[dict[str, Any]]:
    """For other services: the CBOs this one is partnered with now, and what they share."""
    query = select(Partnership).where(_party_filter(tenant_id), Partnership.status == "formed")
    found = []
    for partnership in uow.session.execute(query).scalars():
        if share and share not in partnership.shares:
            continue
        other = (
            partnership.partner_id
            if partnership.proposer_id == tenant_id
            else partnership.proposer_id
        )
        found.append(
            {
                "partnership_id": partnership.id,
                "tenant_id": other,
                "shares": list(partnership.shares),
            }
        )
    return found
