"""Event envelopes and the catalogue of event payload schemas.

Every event is plain JSON: an envelope (event id, type, schema version, tenant, occurred-at,
correlation id, source service) around a `data` object whose schema is registered here under the
event's name (`<noun>.<past-tense verb>`). Money is integer cents, times ISO-8601 in UTC.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields


@dataclass(frozen=True)
class EventContract:
    event_type: str
    version: int
    schema: type[Schema]
    description: str


CATALOGUE: dict[str, EventContract] = {}


def event(event_type: str, *, version: int = 1, description: str = ""):
    """Register a payload schema for `event_type` in the catalogue."""

    def register(schema: type[Schema]) -> type[Schema]:
        CATALOGUE[event_type] = EventContract(
            event_type, version, schema, description or (schema.__doc__ or "").strip()
        )
        return schema

    return register


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


class UnknownEvent(ValueError):
    pass


@functools.cache
def _schema_of(contract: EventContract) -> Schema:
    # One instance per contract: making a Schema costs more than dumping a small payload,
    # which matters when an import emits tens of thousands of events.
    return contract.schema()


def build_envelope(
    event_type: str,
    data: dict[str, Any],
    *,
    source: str,
    tenant_id: str | None,
    correlation_id: str | None = None,
    full_check: bool = True,
) -> dict[str, Any]:
    """A JSON-ready envelope; raises if `data` does not fit the registered schema.

    `full_check=False` (bulk emits, after the first of a batch was checked in full) keeps the
    dump through the schema and the check that every required field is there and not null,
    and skips re-running the schema's validators on what the dump just produced."""
    contract = CATALOGUE.get(event_type)
    if contract is None:
        raise UnknownEvent(f"no schema is registered for event {event_type!r}")
    schema = _schema_of(contract)
    payload = schema.dump(data)
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


def parse_envelope(body: Any) -> Event:
    """The Event in a message body; raises ValidationError if it is not a valid envelope."""
    if not isinstance(body, dict):
        raise ValidationError("an event body must be a JSON object")
    loaded = EnvelopeSchema().load(body)
    contract = CATALOGUE.get(loaded["event_type"])
    data = contract.schema().load(loaded["data"]) if contract else loaded["data"]
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


# Every service's event contracts, registered on import (they import `event` from here).
from chassis.contracts import identity_events, tenancy_events  # noqa: E402,F401
