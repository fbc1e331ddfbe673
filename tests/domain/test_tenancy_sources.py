"""Worker sources on tenancy's real database: their names, caps and term calendars with their
events and audit entries, and the rules other services ask for on a given day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from chassis.errors import Conflict, NotFound
from services.tenancy.branding.rules import today_in
from services.tenancy.sources import domain
from services.tenancy.sources.schemas import SourceUpdateSchema
from tests.domain.outbox import Outbox
from tests.factories import a_cbo, a_worker_source, staff_caller

SERVICE = "tenancy"

COLLEGE_TERMS = [("2027-01-20", "2027-05-15"), ("2026-08-25", "2026-12-15")]
FALL = {"starts_on": date(2026, 8, 25), "ends_on": date(2026, 12, 15)}
SPRING = {"starts_on": date(2027, 1, 20), "ends_on": date(2027, 5, 15)}


def update(uow, source, **changes):
    return domain.update_source(
        uow,
        caller=staff_caller(source.tenant_id),
        tenant_id=source.tenant_id,
        source_id=source.id,
        data=SourceUpdateSchema().load(changes),
    )


def rules_on(uow, source, day: str | None, *, scope: str | None = "own") -> dict:
    return domain.source_rules(
        uow,
        scope=source.tenant_id if scope == "own" else scope,
        source_id=source.id,
        on_date=date.fromisoformat(day) if day else None,
    )


def test_a_source_keeps_its_terms_sorted_with_its_event_and_audit_entry(uow):
    tenant = a_cbo(uow)
    owner = staff_caller(tenant.id)
    sent = Outbox(uow)
    source = a_worker_source(
        uow,
        tenant_id=tenant.id,
        name=" LB City College ",
        cap=14,
        terms=COLLEGE_TERMS,
        caller=owner,
    )
    assert (source.name, source.cap, source.active) == ("LB City College", 14.0, True)
    assert source.terms == [
        {"starts_on": "2026-08-25", "ends_on": "2026-12-15"},
        {"starts_on": "2027-01-20", "ends_on": "2027-05-15"},
    ]
    assert source.term_dates == [FALL, SPRING]
    assert sent.types() == ["source.created", "audit.recorded"]
    assert sent.one("source.created")["data"] == {
        "source_id": source.id,
        "name": "LB City College",
        "weekly_hour_cap": 14.0,
        "terms": source.terms,
        "active": True,
    }
    [trail] = sent.audit()
    assert (trail["action"], trail["actor_id"]) == ("source.create", owner.user_id)
    assert trail["after"]["terms"] == source.terms and trail["after"]["weekly_hour_cap"] == 14.0


def test_a_cap_is_kept_to_the_hundredth(uow):
    source = a_worker_source(uow, tenant_id=a_cbo(uow).id, cap=12.345)
    assert source.cap == 12.35


def test_a_source_name_is_used_once_per_cbo_in_any_case(uow):
    tenant, other = a_cbo(uow), a_cbo(uow)
    a_worker_source(uow, tenant_id=tenant.id, name="LB City College")
    walk_ins = a_worker_source(uow, tenant_id=tenant.id, name="Walk-ins")
    sent = Outbox(uow)
    with pytest.raises(Conflict) as taken:
        a_worker_source(uow, tenant_id=tenant.id, name="lb city COLLEGE")
    assert set(taken.value.fields) == {"name"}
    with pytest.raises(Conflict):
        update(uow, walk_ins, name="LB CITY COLLEGE")
    assert sent.events() == []
    assert update(uow, walk_ins, name="WALK-INS").name == "WALK-INS"  # its own, in another case
    assert a_worker_source(uow, tenant_id=other.id, name="LB City College").id  # another CBO


def test_a_change_records_what_changed(uow):
    source = a_worker_source(uow, tenant_id=a_cbo(uow).id, cap=14, terms=COLLEGE_TERMS)
    sent = Outbox(uow)
    updated = update(uow, source, weekly_hour_cap=12.5, name=source.name)
    assert updated.cap == 12.5
    assert sent.one("source.updated")["data"] == {
        "source_id": source.id,
        "name": source.name,
        "weekly_hour_cap": 12.5,
        "terms": source.terms,
        "active": True,
        "changed": ["weekly_hour_cap"],
    }
    [trail] = sent.audit()
    assert (trail["action"], trail["before"], trail["after"]) == (
        "source.update",
        {"weekly_hour_cap": 14.0},
        {"weekly_hour_cap": 12.5},
    )

    update(uow, source, terms=[], active=False)
    assert sent.events("source.updated")[-1]["data"]["changed"] == ["terms", "active"]
    assert sent.events("source.updated")[-1]["data"]["terms"] == []
    assert sent.audit()[-1]["before"]["terms"] == [
        {"starts_on": "2026-08-25", "ends_on": "2026-12-15"},
        {"starts_on": "2027-01-20", "ends_on": "2027-05-15"},
    ]
    count = len(sent.events())
    update(uow, source, terms=[], active=False, weekly_hour_cap=12.5)  # as it is
    assert len(sent.events()) == count


@pytest.mark.parametrize(
    ("day", "in_term", "term"),
    [
        ("2026-08-24", False, None),  # the day before the first term
        ("2026-08-25", True, FALL),  # its first day
        ("2026-10-01", True, FALL),
        ("2026-12-15", True, FALL),  # its last day
        ("2026-12-25", False, None),  # between terms
        ("2027-01-20", True, SPRING),
        ("2027-05-15", True, SPRING),
        ("2027-07-04", False, None),  # summer
    ],
)
def test_the_cap_applies_within_a_term_only(uow, day, in_term, term):
    source = a_worker_source(
        uow, tenant_id=a_cbo(uow).id, name="LB City College", cap=14, terms=COLLEGE_TERMS
    )
    assert rules_on(uow, source, day) == {
        "source_id": source.id,
        "name": "LB City College",
        "active": True,
        "weekly_hour_cap": 14.0,
        "on_date": date.fromisoformat(day),
        "in_term": in_term,
        "cap_applies": in_term,
        "term": term,
    }


def test_without_terms_a_cap_applies_all_year_and_without_a_cap_nothing_applies(uow):
    tenant = a_cbo(uow)
    capped = a_worker_source(uow, tenant_id=tenant.id, cap=20)
    free = a_worker_source(uow, tenant_id=tenant.id)
    free_in_term = a_worker_source(uow, tenant_id=tenant.id, terms=COLLEGE_TERMS)
    for day in ("2026-07-04", "2026-12-25", "2027-02-01"):
        assert rules_on(uow, capped, day)["cap_applies"] is True
        assert rules_on(uow, capped, day)["in_term"] is False
        assert rules_on(uow, free, day)["cap_applies"] is False
    assert rules_on(uow, free_in_term, "2026-10-01")["in_term"] is True
    assert rules_on(uow, free_in_term, "2026-10-01")["cap_applies"] is False


def test_the_rules_are_for_today_in_the_cbos_time_zone_unless_a_day_is_given(uow):
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # never on the same date
        tenant = a_cbo(uow, timezone=zone)
        source = a_worker_source(uow, tenant_id=tenant.id, cap=10)
        assert rules_on(uow, source, None)["on_date"] == today_in(zone)


def test_an_inactive_source_says_so(uow):
    source = a_worker_source(uow, tenant_id=a_cbo(uow).id, cap=10, active=False)
    assert rules_on(uow, source, "2026-10-01")["active"] is False


def test_rules_are_scoped_to_the_callers_cbo_unless_it_acts_across_cbos(uow):
    tenant, other = a_cbo(uow), a_cbo(uow)
    source = a_worker_source(uow, tenant_id=tenant.id, cap=14)
    with pytest.raises(NotFound):
        rules_on(uow, source, "2026-10-01", scope=other.id)
    assert rules_on(uow, source, "2026-10-01", scope=None)["cap_applies"] is True
    with pytest.raises(NotFound):
        domain.source_rules(uow, scope=None, source_id=str(uuid.uuid4()), on_date=None)


def source_page(uow, tenant, **options) -> dict:
    """A page of the CBO's worker sources (by name unless `sort`)."""
    options = {"page": 1, "per_page": 50, "sort": "name", **options}
    return domain.list_sources(uow, tenant_id=tenant.id, **options)


def test_sources_sort_by_the_one_sort_parameter_filter_and_page(uow):
    tenant = a_cbo(uow)
    for hours_ago, name in ((3, "Youth"), (2, "college"), (1, "Walk-ins")):
        source = a_worker_source(uow, tenant_id=tenant.id, name=name, active=name != "Youth")
        source.created_at = datetime.now(UTC) - timedelta(hours=hours_ago)
    uow.session.flush()

    def names(sort: str = "name", **options) -> list[str]:
        return [s.name for s in source_page(uow, tenant, sort=sort, **options)["items"]]

    assert names("name") == ["college", "Walk-ins", "Youth"]  # any case
    assert names("-name") == ["Youth", "Walk-ins", "college"]
    assert names("-created_at") == ["Walk-ins", "college", "Youth"]
    assert names("created_at") == ["Youth", "college", "Walk-ins"]
    assert names(active=False) == ["Youth"]
    assert names(active=True) == ["college", "Walk-ins"]
    assert names(q="COLL") == ["college"]
    assert names(q="%") == []  # LIKE's wildcards are taken literally
    second = source_page(uow, tenant, page=2, per_page=2)
    assert [s.name for s in second["items"]] == ["Youth"] and second["total"] == 3


def test_a_cbo_sees_and_changes_only_its_own_sources(uow):
    tenant, other = a_cbo(uow), a_cbo(uow)
    source = a_worker_source(uow, tenant_id=tenant.id)
    assert domain.get_source(uow, tenant_id=tenant.id, source_id=source.id) is source
    assert source_page(uow, other)["total"] == 0
    sent = Outbox(uow)
    with pytest.raises(NotFound):
        domain.get_source(uow, tenant_id=other.id, source_id=source.id)
    with pytest.raises(NotFound):
        domain.update_source(
            uow,
            caller=staff_caller(other.id),
            tenant_id=other.id,
            source_id=source.id,
            data={"weekly_hour_cap": 40},
        )
    assert sent.events() == [] and source.cap is None
