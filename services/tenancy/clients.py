"""Client organisations: the city, businesses and families that buy a CBO's workers' hours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound
from services.tenancy.common import like_pattern, page
from services.tenancy.models import Client
from services.tenancy.schemas import ClientSchema

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


def client_view(client: Client) -> dict[str, Any]:
    return ClientSchema().dump(client)


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """Trimmed text; emails compared and stored without surrounding spaces."""
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


def find_duplicate(
    uow: UnitOfWork, tenant_id: str, name: str, billing_email: str, *, other_than: str | None = None
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


def new_client(tenant_id: str, data: dict[str, Any]) -> Client:
    return Client(tenant_id=tenant_id, **{k: data[k] for k in EDITABLE if k in data})


def registered_event(client: Client, channel: str) -> dict[str, Any]:
    return {"client_id": client.id, "name": client.name, "kind": client.kind, "channel": channel}


def create_client(
    uow: UnitOfWork, caller: Caller, tenant_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    data = clean(data)
    if find_duplicate(uow, tenant_id, data["name"], data["billing_email"]):
        raise _duplicate_error()
    client = new_client(tenant_id, data)
    uow.session.add(client)
    uow.session.flush()
    uow.session.refresh(client)
    view = client_view(client)
    uow.emit("client.registered", registered_event(client, "staff"), tenant_id=tenant_id)
    audit(
        uow, caller, action="client.create", entity_type="client", entity_id=client.id, after=view
    )
    return view


def _client(uow: UnitOfWork, tenant_id: str, client_id: str, *, lock: bool = False) -> Client:
    query = select(Client).where(Client.id == client_id, Client.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    client = uow.session.execute(query).scalar_one_or_none()
    if client is None:
        raise NotFound("There is no such client.")
    return client


def get_client(uow: UnitOfWork, tenant_id: str, client_id: str) -> dict[str, Any]:
    return client_view(_client(uow, tenant_id, client_id))


def update_client(
    uow: UnitOfWork, caller: Caller, tenant_id: str, client_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    client = _client(uow, tenant_id, client_id, lock=True)
    data = clean(data)
    changed = [k for k in EDITABLE if k in data and data[k] != getattr(client, k)]
    if not changed:
        return client_view(client)
    name = data.get("name", client.name)
    email = data.get("billing_email", client.billing_email)
    if find_duplicate(uow, tenant_id, name, email, other_than=client.id):
        raise _duplicate_error()
    before = {k: v for k, v in client_view(client).items() if k in changed}
    for key in changed:
        setattr(client, key, data[key])
    uow.session.flush()
    uow.session.refresh(client)
    view = client_view(client)
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
        after={k: view[k] for k in changed},
    )
    return view


def list_clients(uow: UnitOfWork, tenant_id: str, query: dict[str, Any]) -> dict[str, Any]:
    statement = (
        select(Client)
        .where(Client.tenant_id == tenant_id)
        .order_by(func.lower(Client.name), Client.id)
    )
    if query.get("q"):
        pattern = like_pattern(query["q"])
        statement = statement.where(
            or_(
                Client.name.ilike(pattern),
                Client.billing_contact.ilike(pattern),
                Client.billing_email.ilike(pattern),
                Client.city.ilike(pattern),
                Client.po_number.ilike(pattern),
            )
        )
    if query.get("kind"):
        statement = statement.where(Client.kind == query["kind"])
    if "active" in query:
        statement = statement.where(Client.active.is_(query["active"]))
    found = page(uow, statement, page=query["page"], per_page=query["per_page"])
    found["items"] = [client_view(c) for c in found["items"]]
    return found
