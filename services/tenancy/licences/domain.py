"""Feature licences the operator grants a CBO for a period, and whether one covers a day.

A licence is answered as a plain dict with its `state` as seen today in the CBO's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from chassis.audit import audit
from chassis.context import Caller
from chassis.contracts.tenancy_rpc import FEATURES
from chassis.db import UnitOfWork, owned_row
from chassis.errors import Conflict, ValidationFailed
from chassis.paging import order_by, page_rows
from services.tenancy.branding.rules import today_in
from services.tenancy.common import jsonable, snapshot, tenant_by_id
from services.tenancy.licences import rules
from services.tenancy.licences.models import Licence
from services.tenancy.tenants.rules import APPROVED, SUSPENDED

_SHOWN = (
    "id",
    "tenant_id",
    "feature",
    "starts_on",
    "ends_on",
    "revoked_at",
    "revoke_reason",
    "created_at",
)


def _as_seen(licence: Licence, today: date) -> dict[str, Any]:
    state = rules.licence_state(
        licence.starts_on, licence.ends_on, licence.revoked_at is not None, today
    )
    return {**{name: getattr(licence, name) for name in _SHOWN}, "state": state}


def _event(licence: Licence) -> dict[str, Any]:
    return {
        "licence_id": licence.id,
        "feature": licence.feature,
        "starts_on": licence.starts_on,
        "ends_on": licence.ends_on,
    }


def grant(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    tenant = tenant_by_id(uow, tenant_id=tenant_id, lock=True)  # serialises grants per CBO
    if tenant.status not in (APPROVED, SUSPENDED):
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
    seen = _as_seen(licence, today_in(tenant.timezone))
    uow.emit("licence.granted", _event(licence), tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="licence.grant",
        entity_type="licence",
        entity_id=licence.id,
        after={**snapshot(licence, _SHOWN), "state": seen["state"]},
        tenant_id=tenant_id,
    )
    return seen


def revoke(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    licence_id: str,
    ends_on: date | None,
    reason: str,
) -> dict[str, Any]:
    """End a licence early: its last day becomes `ends_on` (default yesterday, CBO time, so
    that it no longer covers today)."""
    tenant = tenant_by_id(uow, tenant_id=tenant_id)
    today = today_in(tenant.timezone)
    licence = owned_row(
        uow, Licence, tenant_id=tenant_id, row_id=licence_id, what="licence", lock=True
    )
    if licence.revoked_at is not None:
        raise Conflict("The licence was already ended early.")
    last_day = ends_on or rules.day_before(today)
    if licence.ends_on is not None and last_day >= licence.ends_on:
        raise ValidationFailed(
            fields={"ends_on": [f"The licence already ends on {licence.ends_on}."]}
        )
    if last_day < rules.day_before(licence.starts_on):
        # Ending before it starts simply means it never applies.
        last_day = rules.day_before(licence.starts_on)
    before = {"ends_on": jsonable(licence.ends_on), "state": _as_seen(licence, today)["state"]}
    licence.ends_on = last_day
    licence.revoked_at = datetime.now(UTC)
    licence.revoke_reason = reason or None
    uow.session.flush()
    seen = _as_seen(licence, today)
    uow.emit("licence.revoked", _event(licence), tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="licence.revoke",
        entity_type="licence",
        entity_id=licence.id,
        before=before,
        after={"ends_on": jsonable(last_day), "state": seen["state"], "reason": reason},
        tenant_id=tenant_id,
    )
    return seen


def list_licences(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    page: int,
    per_page: int,
    sort: str,
    feature: str | None = None,
) -> dict[str, Any]:
    """A page of the CBO's licences ({items, total, page, per_page}), each with its state as
    seen today in the CBO's time zone (404 for an unknown CBO)."""
    tenant = tenant_by_id(uow, tenant_id=tenant_id)
    today = today_in(tenant.timezone)
    statement = select(Licence).where(Licence.tenant_id == tenant_id)
    if feature:
        statement = statement.where(Licence.feature == feature)
    columns = {
        "starts_on": Licence.starts_on,
        "feature": Licence.feature,
        "created_at": Licence.created_at,
    }
    statement = order_by(statement, sort, columns, Licence.id)
    return page_rows(
        uow.session,
        statement,
        page=page,
        per_page=per_page,
        view=lambda licence: _as_seen(licence, today),
    )


def is_licensed(uow: UnitOfWork, *, tenant_id: str, feature: str, on_date: date | None) -> bool:
    """Whether `feature` is licensed to the CBO on `on_date` (default: today, CBO time)."""
    if feature not in FEATURES:
        raise ValidationFailed(fields={"feature": [f"One of {', '.join(FEATURES)}."]})
    tenant = tenant_by_id(uow, tenant_id=tenant_id)
    day = on_date or today_in(tenant.timezone)
    licences = uow.session.execute(
        select(Licence.starts_on, Licence.ends_on).where(
            Licence.tenant_id == tenant_id, Licence.feature == feature
        )
    ).all()
    return any(rules.licence_covers(s, e, day) for s, e in licences)
