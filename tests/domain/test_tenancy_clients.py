"""Client organisations on tenancy's real database: registering, duplicates, changes with their
events and audit entries, search, sort and pages, and each CBO seeing only its own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chassis.errors import Conflict, NotFound
from services.tenancy.clients import domain
from services.tenancy.clients.schemas import ClientUpdateSchema
from tests.domain.outbox import Outbox
from tests.factories import a_cbo, a_client, staff_caller

SERVICE = "tenancy"


def update(uow, client, **changes):
    return domain.update_client(
        uow,
        caller=staff_caller(client.tenant_id),
        tenant_id=client.tenant_id,
        client_id=client.id,
        data=ClientUpdateSchema().load(changes),
    )


def names(uow, tenant_id: str, **options) -> list[str]:
    """The names on a page of the CBO's clients (sorted by name unless `sort`)."""
    options = {"page": 1, "per_page": 50, "sort": "name", **options}
    return [c.name for c in domain.list_clients(uow, tenant_id=tenant_id, **options)["items"]]


def test_a_client_is_registered_with_the_apis_defaults_its_event_and_audit_entry(uow):
    tenant = a_cbo(uow)
    owner = staff_caller(tenant.id)
    sent = Outbox(uow)
    client = a_client(
        uow,
        tenant_id=tenant.id,
        caller=owner,
        name="  Harbor Cafe ",
        billing_contact=" Bill Payer ",
    )
    assert (client.name, client.billing_contact) == ("Harbor Cafe", "Bill Payer")  # trimmed
    assert (client.payment_terms_days, client.active, client.po_number) == (30, True, None)
    assert sent.types() == ["client.registered", "audit.recorded"]
    registered = sent.one("client.registered")
    assert registered["tenant_id"] == tenant.id
    assert registered["data"] == {
        "client_id": client.id,
        "name": "Harbor Cafe",
        "kind": "business",
        "channel": "staff",
    }
    [trail] = sent.audit()
    assert (trail["action"], trail["actor_id"], trail["entity_id"]) == (
        "client.create",
        owner.user_id,
        client.id,
    )
    assert trail["after"]["name"] == "Harbor Cafe" and trail["after"]["state"] == "CA"
    assert trail["after"]["id"] == client.id and trail["after"]["created_at"]


def test_a_cbo_registers_a_name_and_billing_email_once_in_any_case(uow):
    tenant, other = a_cbo(uow), a_cbo(uow)
    a_client(uow, tenant_id=tenant.id, name="Harbor Cafe", billing_email="ap@harbor.example.com")
    sent = Outbox(uow)
    with pytest.raises(Conflict) as duplicate:
        a_client(
            uow, tenant_id=tenant.id, name="HARBOR cafe", billing_email="AP@harbor.example.com"
        )
    assert set(duplicate.value.fields) == {"name"} and sent.events() == []
    # Another billing email, or another CBO, is another client.
    a_client(uow, tenant_id=tenant.id, name="Harbor Cafe", billing_email="ap2@harbor.example.com")
    a_client(uow, tenant_id=other.id, name="Harbor Cafe", billing_email="ap@harbor.example.com")
    assert names(uow, tenant.id) == ["Harbor Cafe", "Harbor Cafe"]


def test_a_change_records_what_changed_with_its_event_and_audit_entry(uow):
    client = a_client(uow, tenant_id=a_cbo(uow).id)
    sent = Outbox(uow)
    updated = update(uow, client, active=False, po_number="PO-7", city="Long Beach")
    assert (updated.active, updated.po_number) == (False, "PO-7")
    assert sent.one("client.updated")["data"] == {
        "client_id": client.id,
        "name": client.name,
        "kind": "business",
        "active": False,
        "changed": ["po_number", "active"],  # the city was sent as it was
    }
    [trail] = sent.audit()
    assert (trail["action"], trail["before"], trail["after"]) == (
        "client.update",
        {"po_number": None, "active": True},
        {"po_number": "PO-7", "active": False},
    )
    update(uow, client, active=False, po_number="PO-7")  # nothing new: nothing recorded
    assert len(sent.events()) == 2


def test_a_change_into_another_clients_name_and_email_is_refused(uow):
    tenant = a_cbo(uow)
    a_client(uow, tenant_id=tenant.id, name="Harbor Cafe", billing_email="ap@harbor.example.com")
    other = a_client(
        uow, tenant_id=tenant.id, name="Pier Cafe", billing_email="ap@harbor.example.com"
    )
    sent = Outbox(uow)
    with pytest.raises(Conflict) as duplicate:
        update(uow, other, name="harbor CAFE")
    assert set(duplicate.value.fields) == {"name"} and sent.events() == []
    assert update(uow, other, name="PIER CAFE").name == "PIER CAFE"  # its own, in another case


def test_search_finds_names_contacts_emails_cities_and_po_numbers_and_wildcards_as_themselves(uow):
    tenant = a_cbo(uow)
    for n in range(4):
        a_client(uow, tenant_id=tenant.id, name=f"Family {n}", kind="family")
    a_client(uow, tenant_id=tenant.id, name="Harbor Cafe", billing_contact="Jo Ledger")
    a_client(uow, tenant_id=tenant.id, name="Pier Shop", city="Signal Hill", po_number="PO-77")
    a_client(uow, tenant_id=tenant.id, name="Half 50% Off_Shop")

    second_page = domain.list_clients(
        uow, tenant_id=tenant.id, page=2, per_page=3, sort="name", q="family"
    )
    assert [c.name for c in second_page["items"]] == ["Family 3"] and second_page["total"] == 4
    assert names(uow, tenant.id, q="FAMILY 2") == ["Family 2"]
    assert names(uow, tenant.id, q="ledger") == ["Harbor Cafe"]  # the contact
    assert names(uow, tenant.id, q="ap.pier") == ["Pier Shop"]  # the billing email
    assert names(uow, tenant.id, q="signal") == ["Pier Shop"]  # the city
    assert names(uow, tenant.id, q="po-77") == ["Pier Shop"]  # the PO number
    assert names(uow, tenant.id, q="50%") == names(uow, tenant.id, q="f_s") == ["Half 50% Off_Shop"]
    for wildcard in ("Family%", "Family_", "F%y", "\\", "%%"):
        assert names(uow, tenant.id, q=wildcard) == []


def test_lists_filter_by_kind_and_active(uow):
    tenant = a_cbo(uow)
    a_client(uow, tenant_id=tenant.id, name="City of Long Beach", kind="city")
    a_client(uow, tenant_id=tenant.id, name="The Smiths", kind="family")
    gone = a_client(uow, tenant_id=tenant.id, name="Closed Cafe")
    update(uow, gone, active=False)
    assert names(uow, tenant.id, kind="city") == ["City of Long Beach"]
    assert names(uow, tenant.id, kind="business") == ["Closed Cafe"]
    assert names(uow, tenant.id, active=False) == ["Closed Cafe"]
    assert names(uow, tenant.id, active=True) == ["City of Long Beach", "The Smiths"]
    assert names(uow, tenant.id, kind="business", active=True) == []


def test_clients_sort_by_the_one_sort_parameter(uow):
    tenant = a_cbo(uow)
    for hours_ago, name, city in (
        (1, "Beta Co", "Lakewood"),
        (3, "alpha co", "Signal Hill"),
        (2, "Gamma", "Carson"),
    ):
        client = a_client(uow, tenant_id=tenant.id, name=name, city=city)
        client.created_at = datetime.now(UTC) - timedelta(hours=hours_ago)
    uow.session.flush()
    assert names(uow, tenant.id) == ["alpha co", "Beta Co", "Gamma"]  # any case
    assert names(uow, tenant.id, sort="-name") == ["Gamma", "Beta Co", "alpha co"]
    assert names(uow, tenant.id, sort="city") == ["Gamma", "Beta Co", "alpha co"]
    assert names(uow, tenant.id, sort="created_at") == ["alpha co", "Gamma", "Beta Co"]
    assert names(uow, tenant.id, sort="-created_at") == ["Beta Co", "Gamma", "alpha co"]


def test_a_cbo_sees_and_changes_only_its_own_clients(uow):
    tenant, other = a_cbo(uow), a_cbo(uow)
    client = a_client(uow, tenant_id=tenant.id)
    assert domain.get_client(uow, tenant_id=tenant.id, client_id=client.id) is client
    assert domain.list_clients(uow, tenant_id=other.id, page=1, per_page=10, sort="name") == {
        "items": [],
        "total": 0,
        "page": 1,
        "per_page": 10,
    }
    sent = Outbox(uow)
    with pytest.raises(NotFound):
        domain.get_client(uow, tenant_id=other.id, client_id=client.id)
    with pytest.raises(NotFound):
        domain.update_client(
            uow,
            caller=staff_caller(other.id),
            tenant_id=other.id,
            client_id=client.id,
            data={"name": "Mine now"},
        )
    with pytest.raises(NotFound):
        domain.get_client(uow, tenant_id=tenant.id, client_id=str(uuid.uuid4()))
    assert sent.events() == [] and client.name != "Mine now"
