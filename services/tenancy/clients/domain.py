"""Client organisations: the city, businesses and families that buy a CBO's workers' hours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork, owned_row
from chassis.errors import Conflict
from chassis.paging import order_by, page_rows, text_search
from services.tenancy.clients.models import Client
from services.tenancy.common import active_tenant, snapshot

EDITABLE = (
    "name",
    "kind",
    "billing_contact",
    "billing_email",
    "billing_phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "payment_terms_days",
    "po_number",
    "active",
)
# What the audit trail records of a new client: all of it.
_RECORDED = ("id", *EDITABLE, "created_at", "updated_at")


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """Trimmed text; emails compared and stored without surrounding spaces."""
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


def find_duplicate(
    uow: UnitOfWork, *, tenant_id: str, name: str, billing_email: str, other_than: str | None = None
) -> Client | None:
    """The client in this CBO with the same name and billing email (case aside), if any."""
    query = select(Client).where(
        Client.tenant_id == tenant_id,
        func.lower(Client.name) == name.lower(),
        func.lower(Client.billing_email) == billing_email.lower(),
    )
    if other_than:
        query = query.where(Client.id != other_than)
    return uow.session.execute(query).scalar_one_or_none()


def _duplicate_error() -> Conflict:
    return Conflict(
        "A client with that name and billing email is already registered.",
        {"name": ["Already registered with this billing email."]},
    )


def create_client(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any]
) -> Client:
    active_tenant(uow, tenant_id=tenant_id)
    data = clean(data)
    if find_duplicate(
        uow, tenant_id=tenant_id, name=data["name"], billing_email=data["billing_email"]
    ):
        raise _duplicate_error()
    client = Client(tenant_id=tenant_id, **{k: data[k] for k in EDITABLE if k in data})
    uow.session.add(client)
    uow.session.flush()
    uow.session.refresh(client)
    uow.emit(
        "client.registered",
        {"client_id": client.id, "name": client.name, "kind": client.kind, "channel": "staff"},
        tenant_id=tenant_id,
    )
    audit(
        uow,
        caller,
        action="client.create",
        entity_type="client",
        entity_id=client.id,
        after=snapshot(client, _RECORDED),
    )
    return client


def get_client(uow: UnitOfWork, *, tenant_id: str, client_id: str, lock: bool = False) -> Client:
    return owned_row(uow, Client, tenant_id=tenant_id, row_id=client_id, what="client", lock=lock)


def update_client(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, client_id: str, data: dict[str, Any]
) -> Client:
    active_tenant(uow, tenant_id=tenant_id)
    client = get_client(uow, tenant_id=tenant_id, client_id=client_id, lock=True)
    data = clean(data)
    changed = [k for k in EDITABLE if k in data and data[k] != getattr(client, k)]
    if not changed:
        return client
    name = data.get("name", client.name)
    email = data.get("billing_email", client.billing_email)
    if find_duplicate(
        uow, tenant_id=tenant_id, name=name, billing_email=email, other_than=client.id
    ):
        raise _duplicate_error()
    before = snapshot(client, changed)
    for key in changed:
        setattr(client, key, data[key])
    uow.session.flush()
    uow.session.refresh(client)
    uow.emit(
        "client.updated",
        {
            "client_id": client.id,
            "name": client.name,
            "kind": client.kind,
            "active": client.active,
            "changed": changed,
        },
        tenant_id=tenant_id,
    )
    audit(
        uow,
        caller,
        action="client.update",
        entity_type="client",
        entity_id=client.id,
        before=before,
        after=snapshot(client, changed),
    )
    return client


def list_clients(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    page: int,
    per_page: int,
    sort: str,
    q: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
) -> dict[str, Any]:
    """A page of the CBO's clients ({items, total, page, per_page}); `q` searches names,
    contacts, emails, cities and PO numbers."""
    statement = select(Client).where(Client.tenant_id == tenant_id)
    if q:
        statement = statement.where(
            text_search(
                q,
                Client.name,
                Client.billing_contact,
                Client.billing_email,
                Client.city,
                Client.po_number,
            )
        )
    if kind:
        statement = statement.where(Client.kind == kind)
    if active is not None:
        statement = statement.where(Client.active.is_(active))
    columns = {
        "name": func.lower(Client.name),
        "kind": Client.kind,
        "city": func.lower(Client.city),
        "created_at": Client.created_at,
        "updated_at": Client.updated_at,
    }
    statement = order_by(statement, sort, columns, Client.id)
    return page_rows(uow.session, statement, page=page, per_page=per_page)
