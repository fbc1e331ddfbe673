"""The audit trail on identity's real database: one entry per audit.recorded event (from any
service, replays adding nothing), read per CBO newest first, filtered by actor, entity, action
and time, and paged."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from chassis.contracts.events import Event, build_envelope, parse_envelope
from services.identity.audit import domain as audit
from tests.domain.outbox import Outbox
from tests.factories import a_projected_cbo, a_staff_member, staff_caller

SERVICE = "identity"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def recorded(
    *,
    tenant_id: str | None,
    action: str = "branding.updated",
    actor_id: str | None = "someone",
    entity_type: str = "branding",
    entity_id: str = "e-1",
    at: datetime | None = None,
    source: str = "tenancy",
) -> Event:
    """An audit.recorded event as it arrives from `source`."""
    envelope = build_envelope(
        "audit.recorded",
        {
            "actor_id": actor_id,
            "actor_kind": "staff",
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "before": {"colour": "#000000"},
            "after": {"colour": "#112233"},
        },
        source=source,
        tenant_id=tenant_id,
    )
    event = parse_envelope(envelope)
    return dataclasses.replace(event, occurred_at=at) if at else event


def search(uow, tenant_id: str, **filters) -> dict:
    return audit.search(uow, tenant_id=tenant_id, **filters)


def actions(page: dict) -> list[str]:
    return [entry["action"] for entry in page["items"]]


def test_an_event_is_kept_once_with_who_what_before_and_after(uow):
    cbo = a_projected_cbo(uow)
    event = recorded(tenant_id=cbo.tenant_id, at=START)
    audit.record(uow, event=event)
    audit.record(uow, event=event)  # delivered again, or replayed from a dead letter
    page = search(uow, cbo.tenant_id)
    assert page["total"] == 1
    [entry] = page["items"]
    assert entry == {
        "id": entry["id"],
        "occurred_at": START.isoformat(),
        "source": "tenancy",
        "actor_id": "someone",
        "actor_kind": "staff",
        "action": "branding.updated",
        "entity_type": "branding",
        "entity_id": "e-1",
        "before": {"colour": "#000000"},
        "after": {"colour": "#112233"},
    }


def test_identitys_own_actions_reach_the_trail_from_its_outbox(uow):
    cbo = a_projected_cbo(uow)
    owner = staff_caller(cbo.tenant_id)
    sent = Outbox(uow)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, caller=owner, status="deactivated")
    for envelope in sent.events("audit.recorded"):
        audit.record(uow, event=parse_envelope(envelope))
    trail = search(uow, cbo.tenant_id, entity_id=ana.id)
    assert actions(trail) == ["staff.deactivated", "staff.registered"]  # newest first
    assert {e["source"] for e in trail["items"]} == {"identity"}
    assert {(e["actor_id"], e["actor_kind"]) for e in trail["items"]} == {(owner.user_id, "staff")}


def test_the_trail_filters_by_actor_entity_action_and_time(uow):
    cbo = a_projected_cbo(uow)
    for minutes, action, actor, entity in (
        (0, "client.create", "ana", "c-1"),
        (10, "client.update", "ana", "c-1"),
        (20, "client.update", "bo", "c-2"),
        (30, "staff.registered", "bo", "a-1"),
    ):
        audit.record(
            uow,
            event=recorded(
                tenant_id=cbo.tenant_id,
                action=action,
                actor_id=actor,
                entity_type=action.split(".")[0],
                entity_id=entity,
                at=START + timedelta(minutes=minutes),
            ),
        )
    assert actions(search(uow, cbo.tenant_id, actor_id="ana")) == ["client.update", "client.create"]
    assert search(uow, cbo.tenant_id, entity_type="client")["total"] == 3
    assert search(uow, cbo.tenant_id, entity_type="client", entity_id="c-2")["total"] == 1
    assert search(uow, cbo.tenant_id, action="client.update")["total"] == 2
    # `since` inclusive, `until` exclusive.
    window = search(
        uow,
        cbo.tenant_id,
        since=START + timedelta(minutes=10),
        until=START + timedelta(minutes=30),
    )
    assert actions(window) == ["client.update", "client.update"]
    assert search(uow, cbo.tenant_id, since=START + timedelta(hours=1))["total"] == 0


def test_the_trail_pages_newest_first_or_oldest_first_in_the_order_it_was_recorded(uow):
    cbo = a_projected_cbo(uow)
    for n in range(5):
        # Two entries of each moment, kept in the order they were recorded.
        at = START + timedelta(minutes=n // 2)
        audit.record(uow, event=recorded(tenant_id=cbo.tenant_id, entity_id=f"e-{n}", at=at))

    def entities(**paging) -> list[str]:
        return [e["entity_id"] for e in search(uow, cbo.tenant_id, **paging)["items"]]

    assert entities() == ["e-4", "e-3", "e-2", "e-1", "e-0"]
    assert entities(sort="occurred_at") == ["e-0", "e-1", "e-2", "e-3", "e-4"]
    second = search(uow, cbo.tenant_id, page=2, per_page=2)
    assert (second["total"], second["page"], second["per_page"]) == (5, 2, 2)
    assert [e["entity_id"] for e in second["items"]] == ["e-2", "e-1"]
    assert entities(page=3, per_page=2) == ["e-0"] and entities(page=4, per_page=2) == []


def test_a_cbo_reads_only_its_own_trail(uow):
    cbo, other = a_projected_cbo(uow), a_projected_cbo(uow)
    audit.record(uow, event=recorded(tenant_id=cbo.tenant_id))
    audit.record(uow, event=recorded(tenant_id=None, action="tenant.approved"))  # the city's own
    assert search(uow, other.tenant_id) == {"items": [], "total": 0, "page": 1, "per_page": 50}
    assert search(uow, cbo.tenant_id)["total"] == 1
