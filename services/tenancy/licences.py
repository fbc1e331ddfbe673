"""Feature licences (EVV, automatic rebooking) the operator grants a CBO for a period; other
services ask `is_licensed` before they use a feature for a CBO."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound, ValidationFailed
from services.tenancy import rules
from services.tenancy.common import tenant_by_id
from services.tenancy.models import Licence
from services.tenancy.schemas import LicenceSchema


def licence_view(licence: Licence, today: date) -> dict[str, Any]:
    return LicenceSchema().dump(
        {
            "id": licence.id,
            "tenant_id": licence.tenant_id,
            "feature": licence.feature,
            "starts_on": licence.starts_on,
            "ends_on": licence.ends_on,
            "state": rules.licence_state(
                licence.starts_on, licence.ends_on, licence.revoked_at is not None, today
            ),
            "revoked_at": licence.revoked_at,
            "revoke_reason": licence.revoke_reason,
            "created_at": licence.created_at,
        }
    )


def _event(licence: Licence) -> dict[str, Any]:
    return {
        "licence_id": licence.id,
        "feature": licence.feature,
        "starts_on": licence.starts_on,
        "ends_on": licence.ends_on,
    }


def grant(uow: UnitOfWork, caller: Caller, tenant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    tenant = tenant_by_id(uow, tenant_id, lock=True)  # the lock serialises grants per CBO
    if tenant.status not in ("approved", "suspended"):
        raise Conflict(f"The CBO is {tenant.status}; approve it before licensing features.")
    existing = uow.session.execute(
        select(Licence).where(Licence.tenant_id == tenant_id, Licence.feature == data["feature"])
    ).scalars()
    for other in existing:
        if rules.periods_overlap(
            other.starts_on, other.ends_on, data["starts_on"], data["ends_on"]
        ):
            raise Conflict(
                f"The CBO already has a {data['feature']} licence for part of that period.",
                {"starts_on": ["Overlaps an existing licence."]},
            )
    licence = Licence(
        tenant_id=tenant_id,
        feature=data["feature"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        granted_by=caller.user_id,
    )
    uow.session.add(licence)
    uow.session.flush()
    uow.session.refresh(licence)
    view = licence_view(licence, rules.today_in(tenant.timezone))
    uow.emit("licence.granted", _event(licence), tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="licence.grant",
        entity_type="licence",
        entity_id=licence.id,
        after=view,
        tenant_id=tenant_id,
    )
    return view


def revoke(
    uow: UnitOfWork, caller: Caller, tenant_id: str, licence_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """End a licence early: its last day becomes `ends_on` (default yesterday, CBO time, so
    that it no longer covers today)."""
    tenant = tenant_by_id(uow, tenant_id)
    today = rules.today_in(tenant.timezone)
    licence = uow.session.execute(
        select(Licence)
        .where(Licence.id == licence_id, Licence.tenant_id == tenant_id)
        .with_for_update()
    ).scalar_one_or_none()
    if licence is None:
        raise NotFound("There is no such licence.")
    if licence.revoked_at is not None:
        raise Conflict("The licence was already ended early.")
    last_day = data["ends_on"] or rules.day_before(today)
    if licence.ends_on is not None and last_day >= licence.ends_on:
        raise ValidationFailed(
            fields={"ends_on": [f"The licence already ends on {licence.ends_on}."]}
        )
    if last_day < rules.day_before(licence.starts_on):
        # Ending before it starts simply means it never applies.
        last_day = rules.day_before(licence.starts_on)
    before = licence_view(licence, today)
    licence.ends_on = last_day
    licence.revoked_at = datetime.now(UTC)
    licence.revoke_reason = data["reason"] or None
    uow.session.flush()
    view = licence_view(licence, today)
    uow.emit("licence.revoked", _event(licence), tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="licence.revoke",
        entity_type="licence",
        entity_id=licence.id,
        before={"ends_on": before["ends_on"], "state": before["state"]},
        after={"ends_on": view["ends_on"], "state": view["state"], "reason": data["reason"]},
        tenant_id=tenant_id,
    )
    return view


def list_licences(uow: UnitOfWork, tenant_id: str) -> list[dict[str, Any]]:
    tenant = tenant_by_id(uow, tenant_id)
    today = rules.today_in(tenant.timezone)
    licences = uow.session.execute(
        select(Licence)
        .where(Licence.tenant_id == tenant_id)
        .order_by(Licence.feature, Licence.starts_on.desc())
    ).scalars()
    return [licence_view(licence, today) for licence in licences]


def is_licensed(uow: UnitOfWork, tenant_id: str, feature: str, on_date: date | None) -> bool:
    """Whether `feature` is licensed to the CBO on `on_date` (default: today, CBO time)."""
    if feature not in rules.FEATURES:
        raise ValidationFailed(fields={"feature": [f"One of {', '.join(rules.FEATURES)}."]})
    tenant = tenant_by_id(uow, tenant_id)
    day = on_date or rules.today_in(tenant.timezone)
    licences = uow.session.execute(
        select(Licence.starts_on, Licence.ends_on).where(
            Licence.tenant_id == tenant_id, Licence.feature == feature
        )
    ).all()
    return any(rules.licence_covers(s, e, day) for s, e in licences)
