"""Request schemas and validators every service shares."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, missing, post_load, validate
from marshmallow.decorators import POST_DUMP, PRE_DUMP


class Pattern(validate.Regexp):
    """A regular expression the WHOLE value must match. marshmallow's Regexp uses re.match, and
    a pattern's `$` also matches before a final newline, so "90802\n" passes r"^\\d{5}$"; this
    one uses fullmatch. Write the pattern anchored, ^…$: the OpenAPI document shows it as it
    is, to clients whose regular expressions (ECMA-262) know no `\\Z`."""

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class ReasonSchema(Schema):
    """Why staff or the operator took an action (a rejection, a suspension): 1-500 characters,
    not only spaces."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        data["reason"] = data["reason"].strip()
        if not data["reason"]:
            raise ValidationError("Give a reason.", "reason")
        return data


def flat_dumper(schema: Schema) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """`schema.dump` of a dict, cheaper for the common fields: a string that is already a str,
    an int, a bool, an aware or naive datetime in ISO form are written as marshmallow would
    write them without its per-field calls (the events of a bulk emit were a tenth of a
    batch's CPU in `Schema.dump`). Any other field or value goes through the field's own
    `serialize`; a schema with dump hooks, through `schema.dump`."""
    if (
        schema._hooks[PRE_DUMP]
        or schema._hooks[POST_DUMP]
        or schema.many
        or schema.dict_class is not dict
        # A schema that reads or writes in its own way keeps it.
        or any(getattr(type(schema), m) is not getattr(Schema, m) for m in _OWN_WAYS)
    ):
        return schema.dump
    plan: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        (
            field.data_key if field.data_key is not None else name,
            _fast_serializer(schema, name, field),
        )
        for name, field in schema.dump_fields.items()
    ]

    def dump(data: Mapping[str, Any]) -> dict[str, Any]:
        if type(data) is not dict:
            return schema.dump(data)
        out: dict[str, Any] = {}
        for key, serialize in plan:
            value = serialize(data)
            if value is not missing:
                out[key] = value
        return out

    return dump


def _fast_serializer(
    schema: Schema, name: str, field: fields.Field
) -> Callable[[dict[str, Any]], Any]:
    def exact(data: dict[str, Any]) -> Any:
        return field.serialize(name, data, accessor=schema.get_attribute)

    kind = type(field)
    native: type | None = None
    if kind is fields.String:
        native = str
    elif isinstance(field, fields.Integer) and kind is fields.Integer and not field.as_string:
        native = int
    elif kind is fields.Boolean:
        native = bool
    elif isinstance(field, fields.DateTime) and kind in (fields.DateTime, fields.AwareDateTime):
        native = datetime if field.format in (None, "iso") else None
    # A name dict has as an attribute: marshmallow reads that attribute when the key is away;
    # a dotted name, a path into nested dicts.
    if native is None or field.attribute is not None or hasattr(dict, name) or "." in name:
        return exact
    if field.dump_default is not missing:
        return exact

    write: Callable[[Any], Any] = datetime.isoformat if native is datetime else _as_is

    def fast(data: dict[str, Any]) -> Any:
        value: Any = data.get(name, missing)
        if value is None or value is missing:
            return value
        if type(value) is not native:
            return exact(data)
        return write(value)

    return fast


_OWN_WAYS = ("dump", "_serialize", "get_attribute")


def _as_is(value: Any) -> Any:
    return value
