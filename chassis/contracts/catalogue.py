"""The event catalogue as a Markdown table (docs/ARCHITECTURE.md): each event, its publisher,
what happened, its payload fields and who consumes it, from the registered contracts and the
services' event handlers. `python -m deploy.event_catalogue` writes or checks it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from marshmallow import Schema, fields, validate

from chassis.contracts.events import ANY_SERVICE, CATALOGUE, EventContract

START_MARKER = "<!-- event-catalogue:start -->"
END_MARKER = "<!-- event-catalogue:end -->"
GENERATED_NOTE = (
    "<!-- Generated from chassis/contracts and the services' event handlers by "
    "`python -m deploy.event_catalogue --write docs/ARCHITECTURE.md`: edit those, not this. -->"
)


class Handler(Protocol):
    """One event handler (chassis.entrypoints.Subscription)."""

    @property
    def service(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def event_type(self) -> str: ...
    @property
    def description(self) -> str: ...


# The word a field's type gets in the table; strings get none.
_TYPE_WORDS: tuple[tuple[type[fields.Field], str], ...] = (
    (fields.List, "list"),
    (fields.Nested, "object"),
    (fields.Dict, "object"),
    (fields.Boolean, "boolean"),
    (fields.Integer, "integer"),
    (fields.Number, "number"),
    (fields.DateTime, "date-time"),
    (fields.Date, "date"),
    (fields.Email, "email"),
)


def contract_events() -> list[EventContract]:
    """The events registered by chassis/contracts (not by tests' sample services)."""
    return [c for c in CATALOGUE.values() if c.schema.__module__.startswith("chassis.contracts.")]


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().replace("|", "\\|")


def _choices(field: fields.Field) -> list[str]:
    if "enum" in field.metadata:
        return [str(c) for c in field.metadata["enum"]]
    validators = field.validators if isinstance(field.validators, list | tuple) else ()
    for validator in validators:
        if isinstance(validator, validate.OneOf):
            return [str(c) for c in validator.choices]
    return []


def describe_field(name: str, field: fields.Field) -> str:
    """`name` (type: description, choices; optional, nullable): what a reader needs to send or
    read it."""
    kind = [word for cls, word in _TYPE_WORDS if isinstance(field, cls)][:1]
    if description := field.metadata.get("description"):
        kind = [f"{kind[0]}: {description}" if kind else description]
    if choices := _choices(field):
        kind.append("/".join(f"`{c}`" for c in choices))
    presence = [
        word
        for word, on in (("optional", not field.required), ("nullable", field.allow_none))
        if on
    ]
    notes = "; ".join(part for part in (", ".join(kind), ", ".join(presence)) if part)
    return f"`{name}` ({notes})" if notes else f"`{name}`"


def describe_payload(schema: type[Schema]) -> str:
    return ", ".join(describe_field(name, field) for name, field in schema().fields.items())


def describe_consumers(contract: EventContract, handlers: Iterable[Handler]) -> str:
    found = []
    for handler in sorted(handlers, key=lambda h: (h.service, h.method)):
        if handler.event_type != contract.event_type:
            continue
        text = f"{handler.service} `{handler.method}`"
        if contract.publisher == ANY_SERVICE:
            text += f" (from {handler.source})"
        summary = handler.description.strip().split("\n\n")[0]
        if summary:
            text += f": {_one_line(summary)}"
        found.append(text)
    return "; ".join(found) or "none yet"


def render_table(contracts: Iterable[EventContract], handlers: Iterable[Handler]) -> str:
    handlers = list(handlers)
    lines = [
        "| event | publisher | what happened | payload fields | consumers |",
        "| --- | --- | --- | --- | --- |",
    ]
    for contract in contracts:
        publisher = "any service" if contract.publisher == ANY_SERVICE else contract.publisher
        lines.append(
            f"| `{contract.event_type}` v{contract.version} | {publisher} "
            f"| {_one_line(contract.description)} | {describe_payload(contract.schema)} "
            f"| {describe_consumers(contract, handlers)} |"
        )
    return "\n".join(lines)


def render_block(handlers: Iterable[Handler]) -> str:
    """Everything between the markers."""
    return f"{GENERATED_NOTE}\n\n{render_table(contract_events(), handlers)}\n"


def between_markers(text: str) -> str:
    start, end = _marker_span(text)
    return text[start:end]


def replace_between_markers(text: str, block: str) -> str:
    start, end = _marker_span(text)
    return text[:start] + block + text[end:]


def _marker_span(text: str) -> tuple[int, int]:
    start = text.find(START_MARKER)
    end = text.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(f"the text has no {START_MARKER} … {END_MARKER} pair")
    return start + len(START_MARKER) + 1, end
