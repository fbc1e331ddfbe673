"""Event envelopes and the catalogue of event payload schemas.

Every event is plain JSON: an envelope (event id, type, schema version, tenant, occurred-at,
correlation id, source service) around a `data` object whose schema is registered here under the
event's name (`<noun>.<past-tense verb>`), together with the one service that publishes it.
Money is integer cents, times ISO-8601 in UTC.

Each publisher's events are in `chassis/contracts/<publisher>_events.py`, found and imported
when this module is (no list to edit). A service may only emit the events it publishes, and a
handler may only subscribe to an event at the service that publishes it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields

from chassis.contracts import import_contract_modules
from chassis.schemas import flat_dumper

# The publisher of an event every service may emit (the audit trail's `audit.recorded`).
ANY_SERVICE = "*"


@dataclass(frozen=True)
class EventContract:
    event_type: str
    version: int
    schema: type[Schema]
    description: str
    # The service that emits it (its name in deploy.catalogue), or ANY_SERVICE.
    publisher: str

    def published_by(self, service: str) -> bool:
        return self.publisher in (ANY_SERVICE, service)


CATALOGUE: dict[str, EventContract] = {}


class UnknownEvent(ValueError):
    pass


class ForeignEvent(ValueError):
    """A service emitted, or subscribed at, an event another service publishes."""


def event(event_type: str, *, publisher: str, version: int = 1, description: str = ""):
    """Register a payload schema for `event_type`, published by the `publisher` service."""

    def register(schema: type[Schema]) -> type[Schema]:
        known = CATALOGUE.get(event_type)
        if known is not None and known.schema is not schema:
            raise ValueError(
                f"event {event_type!r} is registered twice ({known.schema.__name__} of "
                f"{known.publisher}, {schema.__name__} of {publisher})"
            )
        CATALOGUE[event_type] = EventContract(
            event_type,
            version,
            schema,
            description or (schema.__doc__ or "").strip(),
            publisher,
        )
        return schema

    return register


def published_by(publisher: str) -> Callable[..., Callable[[type[Schema]], type[Schema]]]:
    """`event = published_by("identity")` at the top of a contract module: its `@event(...)`
    registrations all name that publisher."""
    return functools.partial(event, publisher=publisher)


def check_publisher(event_type: str, service: str) -> EventContract:
    """The contract of `event_type` if `service` publishes it; raises UnknownEvent or
    ForeignEvent otherwise."""
    contract = CATALOGUE.get(event_type)
    if contract is None:
        raise UnknownEvent(f"no schema is registered for event {event_type!r}")
    if not contract.published_by(service):
        raise ForeignEvent(
            f"{service} does not publish {event_type!r}: the {contract.publisher} service does"
        )
    return contract


class EnvelopeSchema(Schema):
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    schema_version = fields.Integer(required=True)
    tenant_id = fields.String(allow_none=True, load_default=None)
    occurred_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    correlation_id = fields.String(allow_none=True, load_default=None)
    source = fields.String(required=True)
    data = fields.Dict(required=True)


@dataclass(frozen=True)
class Event:
    event_id: str
    event_type: str
    schema_version: int
    tenant_id: str | None
    occurred_at: datetime
    correlation_id: str | None
    source: str
    data: dict[str, Any]


@functools.cache
def _schema_of(contract: EventContract) -> Schema:
    # One instance per contract: making a Schema costs more than dumping a small payload,
    # which matters when an import emits tens of thousands of events.
    return contract.schema()


@functools.cache
def _dumper_of(contract: EventContract) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return flat_dumper(_schema_of(contract))


def build_envelope(
    event_type: str,
    data: dict[str, Any],
    *,
    source: str,
    tenant_id: str | None,
    correlation_id: str | None = None,
    full_check: bool = True,
) -> dict[str, Any]:
    """A JSON-ready envelope from the `source` service; raises UnknownEvent for an event
    nobody registered, ForeignEvent for one another service publishes, ValidationError if
    `data` does not fit the registered schema.

    `full_check=False` (bulk emits, after the first of a batch was checked in full) keeps the
    dump through the schema and the check that every required field is there and not null,
    and skips re-running the schema's validators on what the dump just produced."""
    contract = check_publisher(event_type, source)
    schema = _schema_of(contract)
    payload = _dumper_of(contract)(data)
    if full_check:
        errors = schema.validate(payload)
    else:
        errors = {
            name: ["Missing data for required field."]
            for name, field in schema.fields.items()
            if field.required
            and (name not in payload or (payload[name] is None and not field.allow_none))
        }
    if errors:
        raise ValidationError(errors, field_name=event_type)
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "schema_version": contract.version,
        "tenant_id": tenant_id,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": correlation_id,
        "source": source,
        "data": payload,
    }


# Made once: making a Schema deep-copies its fields, which cost more than loading an event
# (a tenth of a consumer's CPU per event, by py-spy).
_ENVELOPE = EnvelopeSchema()


def parse_envelope(body: Any) -> Event:
    """The Event in a message body; raises ValidationError if it is not a valid envelope."""
    if not isinstance(body, dict):
        raise ValidationError("an event body must be a JSON object")
    loaded = _ENVELOPE.load(body)
    contract = CATALOGUE.get(loaded["event_type"])
    data = _schema_of(contract).load(loaded["data"]) if contract else loaded["data"]
    return Event(
        event_id=str(loaded["event_id"]),
        event_type=loaded["event_type"],
        schema_version=loaded["schema_version"],
        tenant_id=loaded["tenant_id"],
        occurred_at=loaded["occurred_at"],
        correlation_id=loaded["correlation_id"],
        source=loaded["source"],
        data=data,
    )


# Every publisher's event contracts register themselves on import (they import from here).
import_contract_modules("_events")
