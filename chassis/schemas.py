"""Request schemas and validators every service shares."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate


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
