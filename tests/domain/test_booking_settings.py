"""A CBO's booking settings on booking's real database: made with the defaults when first
read, changed within their bounds by staff with an audit entry, one row per CBO."""

from __future__ import annotations

import uuid

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from chassis.errors import ValidationFailed
from services.booking.settings import domain
from services.booking.settings.models import BookingSettings
from services.booking.settings.rules import DEFAULTS
from services.booking.settings.schemas import BookingSettingsSchema, BookingSettingsUpdateSchema
from tests.domain.outbox import Outbox
from tests.factories import staff_caller

SERVICE = "booking"


def values(settings: BookingSettings) -> dict[str, int]:
    return {name: getattr(settings, name) for name in DEFAULTS}


def change(uow, tenant_id: str, caller=None, **body):
    return domain.update_settings(
        uow,
        caller=caller or staff_caller(tenant_id),
        tenant_id=tenant_id,
        data=BookingSettingsUpdateSchema().load(body),
    )


def rows(uow, tenant_id: str) -> int:
    return uow.session.execute(
        select(func.count()).where(BookingSettings.tenant_id == tenant_id)
    ).scalar_one()


def test_the_first_read_makes_the_defaults_once(uow):
    tenant_id = str(uuid.uuid4())
    first = domain.settings_for(uow, tenant_id=tenant_id)
    assert values(first) == DEFAULTS and first.updated_by is None
    again = domain.settings_for(uow, tenant_id=tenant_id)
    assert again is first and rows(uow, tenant_id) == 1
    shown = BookingSettingsSchema().dump(first)
    assert {k: shown[k] for k in DEFAULTS} == DEFAULTS and shown["updated_at"]


def test_staff_change_some_settings_with_an_audit_entry(uow):
    tenant_id = str(uuid.uuid4())
    owner = staff_caller(tenant_id)
    domain.settings_for(uow, tenant_id=tenant_id)
    sent = Outbox(uow)
    changed = change(uow, tenant_id, owner, late_cancel_hours=6, tier_delay_min_seconds=1)
    assert values(changed) == {**DEFAULTS, "late_cancel_hours": 6, "tier_delay_min_seconds": 1}
    assert changed.updated_by == owner.user_id
    [entry] = sent.audit()
    assert entry["action"] == "booking_settings.update"
    assert (entry["entity_type"], entry["entity_id"]) == ("booking_settings", tenant_id)
    assert entry["before"] == {"late_cancel_hours": 24, "tier_delay_min_seconds": 60}
    assert entry["after"] == {"late_cancel_hours": 6, "tier_delay_min_seconds": 1}
    assert sent.one("audit.recorded")["tenant_id"] == tenant_id
    assert values(domain.settings_for(uow, tenant_id=tenant_id))["late_cancel_hours"] == 6


def test_a_change_of_a_cbo_that_never_read_its_settings_starts_from_the_defaults(uow):
    tenant_id = str(uuid.uuid4())
    changed = change(uow, tenant_id, confirm_within_minutes=120)
    assert values(changed) == {**DEFAULTS, "confirm_within_minutes": 120}
    assert rows(uow, tenant_id) == 1


def test_a_change_to_the_same_values_records_nothing(uow):
    tenant_id = str(uuid.uuid4())
    domain.settings_for(uow, tenant_id=tenant_id)
    sent = Outbox(uow)
    change(uow, tenant_id, late_cancel_hours=24)
    change(uow, tenant_id)
    assert sent.types() == []


def test_each_cbo_has_its_own_settings(uow):
    one, other = str(uuid.uuid4()), str(uuid.uuid4())
    change(uow, one, late_cancel_hours=2)
    assert values(domain.settings_for(uow, tenant_id=other)) == DEFAULTS
    assert values(domain.settings_for(uow, tenant_id=one))["late_cancel_hours"] == 2


def test_tier_delays_of_a_second_or_two_can_be_set(uow):
    tenant_id = str(uuid.uuid4())
    changed = change(uow, tenant_id, tier_delay_min_seconds=1, tier_delay_max_seconds=2)
    assert (changed.tier_delay_min_seconds, changed.tier_delay_max_seconds) == (1, 2)


def test_the_shortest_tier_delay_is_checked_against_the_longest_as_it_will_be(uow):
    tenant_id = str(uuid.uuid4())
    with pytest.raises(ValidationFailed) as raised:
        change(uow, tenant_id, tier_delay_min_seconds=7200)  # above the default longest, 3600
    assert list(raised.value.fields) == ["tier_delay_min_seconds"]
    with pytest.raises(ValidationFailed):
        change(uow, tenant_id, tier_delay_max_seconds=30)  # below the default shortest, 60
    both = change(uow, tenant_id, tier_delay_min_seconds=7200, tier_delay_max_seconds=7200)
    assert (both.tier_delay_min_seconds, both.tier_delay_max_seconds) == (7200, 7200)
    assert values(domain.settings_for(uow, tenant_id=tenant_id))["tier_delay_max_seconds"] == 7200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"late_cancel_hours": -1}, "late_cancel_hours"),
        ({"late_cancel_hours": 10**20}, "late_cancel_hours"),
        ({"tier_delay_min_seconds": 0}, "tier_delay_min_seconds"),
        ({"tier_delay_permille": 1001}, "tier_delay_permille"),
        ({"confirm_within_minutes": 0}, "confirm_within_minutes"),
        ({"reliability_half_life_days": 0}, "reliability_half_life_days"),
        ({"reliability_review_points": "10"}, "reliability_review_points"),
        ({"confirm_before_start_minutes": 1.5}, "confirm_before_start_minutes"),
        ({"late_cancel_hours": True}, "late_cancel_hours"),
        ({"late_cancel_hours": None}, "late_cancel_hours"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_odd_values_are_refused_per_field(body, field):
    with pytest.raises(ValidationError) as raised:
        BookingSettingsUpdateSchema().load(body)
    assert list(raised.value.messages) == [field]
