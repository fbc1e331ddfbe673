"""Feature licences on tenancy's real database: granted by the operator without overlaps,
asked about for a day, and ended early, each with its event and audit entry."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from chassis.errors import Conflict, NotFound, ValidationFailed
from services.tenancy.branding.rules import today_in
from services.tenancy.licences import domain
from tests.domain.outbox import Outbox
from tests.factories import a_cbo, a_licence, operator_caller

SERVICE = "tenancy"
TIMEZONE = "America/Los_Angeles"  # the factories' CBOs'


def day(text: str) -> date:
    return date.fromisoformat(text)


def licensed(uow, tenant, feature: str, on: str | date | None) -> bool:
    on_date = day(on) if isinstance(on, str) else on
    return domain.is_licensed(uow, tenant_id=tenant.id, feature=feature, on_date=on_date)


def listed(uow, tenant, **options) -> list[tuple[str, str]]:
    """(id, state) of a page of the CBO's licences (newest start first unless `sort`)."""
    options = {"page": 1, "per_page": 50, "sort": "-starts_on", **options}
    found = domain.list_licences(uow, tenant_id=tenant.id, **options)
    return [(licence["id"], licence["state"]) for licence in found["items"]]


def revoke(uow, tenant, licence: dict, *, ends_on: date | None = None, reason: str = "") -> dict:
    return domain.revoke(
        uow,
        caller=operator_caller(),
        tenant_id=tenant.id,
        licence_id=licence["id"],
        ends_on=ends_on,
        reason=reason,
    )


def test_a_grant_has_its_event_audit_entry_and_state_as_seen_today(uow):
    tenant = a_cbo(uow)
    operator = operator_caller()
    sent = Outbox(uow)
    licence = domain.grant(
        uow,
        caller=operator,
        tenant_id=tenant.id,
        data={"feature": "evv", "starts_on": day("2026-01-01"), "ends_on": day("2099-12-31")},
    )
    assert (licence["feature"], licence["state"], licence["tenant_id"]) == (
        "evv",
        "active",
        tenant.id,
    )
    assert (licence["revoked_at"], licence["revoke_reason"]) == (None, None)
    assert sent.types() == ["licence.granted", "audit.recorded"]
    granted = sent.one("licence.granted")
    assert granted["tenant_id"] == tenant.id
    assert granted["data"] == {
        "licence_id": licence["id"],
        "feature": "evv",
        "starts_on": "2026-01-01",
        "ends_on": "2099-12-31",
    }
    [trail] = sent.audit()
    assert (trail["action"], trail["actor_id"], trail["entity_id"]) == (
        "licence.grant",
        operator.user_id,
        licence["id"],
    )
    assert trail["after"]["state"] == "active" and trail["after"]["ends_on"] == "2099-12-31"


@pytest.mark.parametrize(
    ("status", "allowed"), [("applied", False), ("rejected", False), ("suspended", True)]
)
def test_only_a_cbo_the_city_approved_is_licensed(uow, status, allowed):
    tenant = a_cbo(uow, status=status)
    if allowed:
        assert a_licence(uow, tenant_id=tenant.id)["state"] == "active"
    else:
        with pytest.raises(Conflict, match=f"The CBO is {status}"):
            a_licence(uow, tenant_id=tenant.id)


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "overlaps"),
    [
        ("2025-01-01", "2025-12-31", False),  # the year before
        ("2025-06-01", "2026-01-01", True),  # its first day
        ("2026-03-01", "2026-04-01", True),  # inside it
        ("2025-01-01", None, True),  # from before, never ending
        ("2027-12-31", "2028-06-30", True),  # its last day
        ("2028-01-01", None, False),  # from the day after
    ],
)
def test_a_licence_for_part_of_a_period_already_licensed_is_refused(
    uow, starts_on, ends_on, overlaps
):
    tenant = a_cbo(uow)
    a_licence(uow, tenant_id=tenant.id, starts_on="2026-01-01", ends_on="2027-12-31")
    a_licence(uow, tenant_id=tenant.id, feature="rebooking", starts_on="2020-01-01")  # another
    sent = Outbox(uow)
    if overlaps:
        with pytest.raises(Conflict) as refused:
            a_licence(uow, tenant_id=tenant.id, starts_on=starts_on, ends_on=ends_on)
        assert set(refused.value.fields) == {"starts_on"} and sent.events() == []
    else:
        assert a_licence(uow, tenant_id=tenant.id, starts_on=starts_on, ends_on=ends_on)["id"]


def test_an_open_ended_licence_refuses_any_later_one(uow):
    tenant = a_cbo(uow)
    a_licence(uow, tenant_id=tenant.id, starts_on="2026-01-01")
    with pytest.raises(Conflict):
        a_licence(uow, tenant_id=tenant.id, starts_on="2040-01-01")
    assert a_licence(uow, tenant_id=tenant.id, starts_on="2025-01-01", ends_on="2025-12-31")


@pytest.mark.parametrize(
    ("feature", "on", "expected"),
    [
        ("evv", "2025-12-31", False),
        ("evv", "2026-01-01", True),
        ("evv", "2026-06-01", True),
        ("evv", "2027-12-31", True),
        ("evv", "2028-01-01", False),
        ("rebooking", "2027-12-31", False),
        ("rebooking", "2028-01-01", True),
        ("rebooking", "2090-01-01", True),
    ],
)
def test_whether_a_feature_is_licensed_on_a_day(uow, feature, on, expected):
    tenant, other = a_cbo(uow), a_cbo(uow)
    a_licence(uow, tenant_id=tenant.id, feature="evv", starts_on="2026-01-01", ends_on="2027-12-31")
    a_licence(uow, tenant_id=tenant.id, feature="rebooking", starts_on="2028-01-01")
    assert licensed(uow, tenant, feature, on) is expected
    assert licensed(uow, other, feature, on) is False  # the licences are the CBO's own


def test_whether_licensed_today_is_asked_in_the_cbos_time_zone(uow):
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # never on the same date
        tenant = a_cbo(uow, timezone=zone)
        today = today_in(zone)
        a_licence(uow, tenant_id=tenant.id, starts_on=today)
        assert licensed(uow, tenant, "evv", None) is True
        tomorrow = a_cbo(uow, timezone=zone)
        a_licence(uow, tenant_id=tomorrow.id, starts_on=today + timedelta(days=1))
        assert licensed(uow, tomorrow, "evv", None) is False


def test_asking_about_an_unknown_feature_or_cbo(uow):
    tenant = a_cbo(uow)
    with pytest.raises(ValidationFailed) as unknown:
        licensed(uow, tenant, "payroll", "2026-06-01")
    assert set(unknown.value.fields) == {"feature"}
    with pytest.raises(NotFound):
        domain.is_licensed(uow, tenant_id=str(uuid.uuid4()), feature="evv", on_date=None)


def test_ending_a_licence_early_on_a_given_day(uow):
    tenant = a_cbo(uow)
    licence = a_licence(uow, tenant_id=tenant.id, starts_on="2026-01-01", ends_on="2027-12-31")
    sent = Outbox(uow)
    revoked = revoke(uow, tenant, licence, ends_on=day("2026-06-30"), reason="Not paid")
    assert (revoked["ends_on"], revoked["revoke_reason"]) == (day("2026-06-30"), "Not paid")
    assert revoked["revoked_at"] is not None and revoked["state"] == "revoked"
    assert sent.one("licence.revoked")["data"]["ends_on"] == "2026-06-30"
    [trail] = sent.audit()
    assert (trail["action"], trail["before"], trail["after"]) == (
        "licence.revoke",
        {"ends_on": "2027-12-31", "state": "active"},
        {"ends_on": "2026-06-30", "state": "revoked", "reason": "Not paid"},
    )
    assert licensed(uow, tenant, "evv", "2026-06-30") is True
    assert licensed(uow, tenant, "evv", "2026-07-01") is False
    with pytest.raises(Conflict, match="already ended early"):
        revoke(uow, tenant, licence)


def test_ending_a_licence_by_default_leaves_today_uncovered(uow):
    tenant = a_cbo(uow)
    licence = a_licence(uow, tenant_id=tenant.id, starts_on="2026-01-01")
    today = today_in(TIMEZONE)
    revoked = revoke(uow, tenant, licence)
    assert revoked["ends_on"] == today - timedelta(days=1) and revoked["revoke_reason"] is None
    assert licensed(uow, tenant, "evv", None) is False
    assert licensed(uow, tenant, "evv", today - timedelta(days=1)) is True


def test_a_licence_cannot_be_ended_on_or_after_its_own_last_day(uow):
    tenant = a_cbo(uow)
    licence = a_licence(uow, tenant_id=tenant.id, starts_on="2026-01-01", ends_on="2099-12-31")
    sent = Outbox(uow)
    for last_day in ("2099-12-31", "2100-01-01"):
        with pytest.raises(ValidationFailed) as refused:
            revoke(uow, tenant, licence, ends_on=day(last_day))
        assert set(refused.value.fields) == {"ends_on"}
    assert sent.events() == []


def test_ending_a_licence_that_has_not_started_voids_it(uow):
    tenant = a_cbo(uow)
    start = today_in(TIMEZONE) + timedelta(days=30)
    licence = a_licence(uow, tenant_id=tenant.id, feature="rebooking", starts_on=start)
    assert licence["state"] == "scheduled"
    revoked = revoke(uow, tenant, licence)  # by default yesterday: before it starts
    assert revoked["state"] == "revoked"
    assert revoked["ends_on"] == start - timedelta(days=1)
    assert licensed(uow, tenant, "rebooking", start) is False
    # Voided, it overlaps nothing: the CBO may be licensed for that period again.
    assert a_licence(uow, tenant_id=tenant.id, feature="rebooking", starts_on=start)


def test_a_licence_is_ended_only_under_its_own_cbo(uow):
    tenant, other = a_cbo(uow), a_cbo(uow)
    licence = a_licence(uow, tenant_id=tenant.id)
    for owner, licence_id in ((other, licence["id"]), (tenant, str(uuid.uuid4()))):
        with pytest.raises(NotFound):
            revoke(uow, owner, {"id": licence_id})
    assert listed(uow, other) == []


def test_a_cbos_licences_newest_first_with_their_states_today_by_feature_and_paged(uow):
    tenant = a_cbo(uow)
    today = today_in(TIMEZONE)
    ended = a_licence(uow, tenant_id=tenant.id, starts_on="2020-01-01", ends_on="2020-12-31")
    active = a_licence(uow, tenant_id=tenant.id, starts_on=today)
    scheduled = a_licence(uow, tenant_id=tenant.id, feature="rebooking", starts_on="2099-01-01")
    revoked = a_licence(
        uow, tenant_id=tenant.id, feature="rebooking", starts_on="2021-01-01", ends_on="2021-12-31"
    )
    revoke(uow, tenant, revoked, ends_on=day("2021-06-30"))
    assert listed(uow, tenant) == [
        (scheduled["id"], "scheduled"),
        (active["id"], "active"),
        (revoked["id"], "revoked"),
        (ended["id"], "ended"),
    ]
    assert listed(uow, tenant, feature="evv", sort="starts_on") == [
        (ended["id"], "ended"),
        (active["id"], "active"),
    ]
    page = domain.list_licences(uow, tenant_id=tenant.id, page=2, per_page=3, sort="-starts_on")
    assert [lic["id"] for lic in page["items"]] == [ended["id"]] and page["total"] == 4
    with pytest.raises(NotFound):
        domain.list_licences(uow, tenant_id=str(uuid.uuid4()), page=1, per_page=50, sort="feature")
