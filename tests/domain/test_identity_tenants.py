"""Identity's projections of tenancy's CBOs, clients and worker sources on its real database:
what tenancy's events leave (an older event never undoes a newer one; a record of one CBO is
never taken over by another's), and a record a caller names before its event has arrived, asked
of tenancy (`ask`, a stand-in for tenancy's answer) and kept."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.identity.tenants import domain as projections
from services.identity.tenants.models import ClientRef, SourceRef
from tests.factories import a_projected_cbo, a_projected_client, a_projected_source

SERVICE = "identity"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Tenancy:
    """What tenancy answers about the records it has (for the caller's CBO only), counting
    the questions."""

    def __init__(self, records: dict[str, dict] | None = None) -> None:
        self.records = records or {}
        self.asked = 0

    def about(self, record_id: str) -> Callable[[], dict | None]:
        def ask() -> dict | None:
            self.asked += 1
            return self.records.get(record_id)

        return ask


def count(uow, model) -> int:
    return uow.session.execute(select(func.count()).select_from(model)).scalar_one()


# -- CBOs --------------------------------------------------------------------------------------


def test_a_cbo_is_kept_from_tenancys_events_and_an_older_one_changes_nothing(uow):
    tenant_id = str(uuid.uuid4())
    fact = {"tenant_id": tenant_id, "slug": "Harbor", "name": "Harbor CBO"}
    assert projections.apply_tenant(uow, **fact, status=projections.ACTIVE, occurred_at=NOW)
    assert projections.tenant_by_slug(uow, slug=" HARBOR ").tenant_id == tenant_id
    assert projections.is_active(uow, tenant_id=tenant_id)
    later = NOW + timedelta(minutes=5)
    renamed = {**fact, "name": "Harbor Works"}
    assert projections.apply_tenant(uow, **renamed, status=projections.SUSPENDED, occurred_at=later)
    assert not projections.is_active(uow, tenant_id=tenant_id)
    # The approval, delivered again late (a retry, a replay), does not undo the suspension.
    assert not projections.apply_tenant(uow, **fact, status=projections.ACTIVE, occurred_at=NOW)
    kept = projections.tenant_by_id(uow, tenant_id=tenant_id)
    assert (kept.status, kept.name, kept.changed_at) == ("suspended", "Harbor Works", later)
    # An event of the same moment applies (the same fact again changes nothing new).
    assert projections.apply_tenant(uow, **renamed, status=projections.ACTIVE, occurred_at=later)
    assert projections.is_active(uow, tenant_id=tenant_id)


def test_only_a_known_active_cbos_people_may_sign_in_and_the_operator_always(uow):
    paused = a_projected_cbo(uow, status=projections.SUSPENDED)
    assert not projections.is_active(uow, tenant_id=paused.tenant_id)
    assert not projections.is_active(uow, tenant_id=str(uuid.uuid4()))  # never heard of
    assert projections.is_active(uow, tenant_id=None)
    assert projections.tenant_by_slug(uow, slug="no-such-cbo") is None


# -- clients and worker sources ----------------------------------------------------------------


def test_a_client_is_kept_and_changed_by_its_own_cbos_events_only(uow):
    cbo, other = a_projected_cbo(uow), a_projected_cbo(uow)
    client = a_projected_client(uow, tenant_id=cbo.tenant_id, name="Port Cafe")
    projections.record_client(
        uow, client_id=client.client_id, tenant_id=cbo.tenant_id, name="Port Cafe Co", active=False
    )
    assert (client.name, client.active) == ("Port Cafe Co", False)
    # Another CBO's event naming the same id takes nothing over.
    projections.record_client(
        uow, client_id=client.client_id, tenant_id=other.tenant_id, name="Mine now"
    )
    assert (client.name, client.tenant_id) == ("Port Cafe Co", cbo.tenant_id)
    assert projections.client_of(uow, tenant_id=other.tenant_id, client_id=client.client_id) is None


def test_a_worker_source_is_kept_with_its_cap_by_its_own_cbos_events_only(uow):
    cbo, other = a_projected_cbo(uow), a_projected_cbo(uow)
    source = a_projected_source(uow, tenant_id=cbo.tenant_id, name="City College", cap=20)
    projections.record_source(
        uow,
        source_id=source.source_id,
        tenant_id=cbo.tenant_id,
        name="LB City College",
        weekly_hour_cap=None,
        active=False,
    )
    assert (source.name, source.weekly_hour_cap, source.active) == ("LB City College", None, False)
    projections.record_source(
        uow, source_id=source.source_id, tenant_id=other.tenant_id, name="X", weekly_hour_cap=1
    )
    assert source.name == "LB City College"
    assert projections.source_of(uow, tenant_id=other.tenant_id, source_id=source.source_id) is None


# -- records asked of tenancy before their event arrives ---------------------------------------


def test_a_client_already_projected_is_not_asked_about(uow):
    cbo = a_projected_cbo(uow)
    client = a_projected_client(uow, tenant_id=cbo.tenant_id)
    tenancy = Tenancy()
    found = projections.ensure_client(
        uow, tenant_id=cbo.tenant_id, client_id=client.client_id, ask=tenancy.about("x")
    )
    assert found is client and tenancy.asked == 0


def test_a_client_created_a_moment_ago_is_asked_of_tenancy_and_kept(uow):
    """Fault 8: POST /clients then POST /clients/<id>/users answered 404 for about 0.2 s."""
    cbo = a_projected_cbo(uow)
    client_id = str(uuid.uuid4())
    tenancy = Tenancy({client_id: {"client_id": client_id, "name": "Port Cafe", "active": True}})
    found = projections.ensure_client(
        uow, tenant_id=cbo.tenant_id, client_id=client_id, ask=tenancy.about(client_id)
    )
    assert (found.client_id, found.tenant_id, found.name, found.active) == (
        client_id,
        cbo.tenant_id,
        "Port Cafe",
        True,
    )
    # Kept: the next request finds it without asking.
    again = projections.ensure_client(
        uow, tenant_id=cbo.tenant_id, client_id=client_id, ask=tenancy.about(client_id)
    )
    assert again is found and tenancy.asked == 1


def test_a_client_tenancy_does_not_know_as_the_cbos_is_not_kept(uow):
    cbo = a_projected_cbo(uow)
    client_id = str(uuid.uuid4())
    # Tenancy answers only about the caller's own CBO: another's client is None to it.
    tenancy = Tenancy({"someone-else": {"client_id": "someone-else", "name": "X", "active": True}})
    for ask in (tenancy.about(client_id), tenancy.about("someone-else")):
        assert (
            projections.ensure_client(uow, tenant_id=cbo.tenant_id, client_id=client_id, ask=ask)
            is None
        )
    assert count(uow, ClientRef) == 0


def test_a_client_whose_event_lands_while_tenancy_is_asked_is_kept_once(uow):
    cbo = a_projected_cbo(uow)
    client_id = str(uuid.uuid4())

    def ask() -> dict:
        # client.registered is handled at this very moment, by another worker.
        projections.record_client(uow, client_id=client_id, tenant_id=cbo.tenant_id, name="Event")
        uow.session.flush()
        return {"client_id": client_id, "name": "Answer", "active": True}

    found = projections.ensure_client(uow, tenant_id=cbo.tenant_id, client_id=client_id, ask=ask)
    assert found.name == "Event" and count(uow, ClientRef) == 1


def test_a_worker_source_created_a_moment_ago_is_asked_of_tenancy_and_kept(uow):
    cbo = a_projected_cbo(uow)
    source_id = str(uuid.uuid4())
    answer = {
        "source_id": source_id,
        "name": "City College",
        "weekly_hour_cap": 20.0,
        "active": True,
    }
    tenancy = Tenancy({source_id: answer})
    found = projections.ensure_source(
        uow, tenant_id=cbo.tenant_id, source_id=source_id, ask=tenancy.about(source_id)
    )
    assert (found.tenant_id, found.name, found.weekly_hour_cap) == (
        cbo.tenant_id,
        "City College",
        20.0,
    )
    assert (
        projections.ensure_source(
            uow, tenant_id=cbo.tenant_id, source_id=source_id, ask=tenancy.about(source_id)
        )
        is found
    )
    assert tenancy.asked == 1
    unknown = str(uuid.uuid4())
    assert (
        projections.ensure_source(
            uow, tenant_id=cbo.tenant_id, source_id=unknown, ask=tenancy.about(unknown)
        )
        is None
    )
    assert count(uow, SourceRef) == 1


@pytest.mark.parametrize("kind", ["client", "source"])
def test_a_record_another_cbo_holds_is_never_given_to_this_one(uow, kind):
    cbo, other = a_projected_cbo(uow), a_projected_cbo(uow)
    if kind == "client":
        theirs = a_projected_client(uow, tenant_id=other.tenant_id).client_id
        ensure, args = projections.ensure_client, {"client_id": theirs}
        answer = {"client_id": theirs, "name": "X", "active": True}
    else:
        theirs = a_projected_source(uow, tenant_id=other.tenant_id).source_id
        ensure, args = projections.ensure_source, {"source_id": theirs}
        answer = {"source_id": theirs, "name": "X", "weekly_hour_cap": None, "active": True}
    # Tenancy knows it only as the other CBO's; even an answer naming it changes nothing.
    for tenancy in (Tenancy(), Tenancy({theirs: answer})):
        assert ensure(uow, tenant_id=cbo.tenant_id, ask=tenancy.about(theirs), **args) is None
        assert tenancy.asked == 1
