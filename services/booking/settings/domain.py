"""A CBO's booking settings: one row per CBO, made with the defaults the first time it is read
(every area that needs a setting calls `settings_for`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.errors import ValidationFailed
from services.booking.settings import rules
from services.booking.settings.models import BookingSettings

FIELDS = tuple(rules.DEFAULTS)


def settings_for(uow: UnitOfWork, *, tenant_id: str, lock: bool = False) -> BookingSettings:
    """The CBO's settings, created with the defaults if it has none yet (two first reads at
    once make one row). `lock` holds the row for a change."""
    query = select(BookingSettings).where(BookingSettings.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    found = uow.session.execute(query).scalar_one_or_none()
    if found is not None:
        return found
    uow.session.execute(
        insert(BookingSettings)
        .values(tenant_id=tenant_id, **rules.DEFAULTS)
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    return uow.session.execute(query).scalar_one()


def _recorded(settings: BookingSettings, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in names}


def update_settings(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, int]
) -> BookingSettings:
    """Change some of the CBO's settings (each within its bounds, the shortest tier delay not
    above the longest, as they will be after the change: ValidationFailed otherwise), with an
    audit entry of what changed."""
    settings = settings_for(uow, tenant_id=tenant_id, lock=True)
    merged = {name: data.get(name, getattr(settings, name)) for name in FIELDS}
    problems = rules.out_of_bounds(merged)
    if problems:
        raise ValidationFailed(fields=problems)
    changed = [name for name in FIELDS if name in data and data[name] != getattr(settings, name)]
    if not changed:
        return settings
    before = _recorded(settings, changed)
    for name in changed:
        setattr(settings, name, data[name])
    settings.updated_by = caller.user_id
    uow.session.flush()
    uow.session.refresh(settings)
    audit(
        uow,
        caller,
        action="booking_settings.update",
        entity_type="booking_settings",
        entity_id=tenant_id,
        before=before,
        after=_recorded(settings, changed),
        tenant_id=tenant_id,
    )
    return settings
