"""Job types as the API takes and shows them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from chassis.contracts.identity_rpc import JOB_TYPE_KEY
from chassis.paging import PageQuerySchema, page_of, sort_field
from services.booking.jobtypes import rules

NAME = validate.Length(min=1, max=200)
LONG_TEXT = validate.Length(max=5000)
ID = validate.Length(min=1, max=36)


class PartialUpdate(Schema):
    """Mixed in before an input schema: a PATCH may send any subset of its top-level fields
    (and gets no defaults filled in)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=tuple(self._declared_fields), **kwargs)


class Skill(fields.String):
    """A skill as a short lower-case phrase ("home care", "forklift"), as identity keeps job
    seekers' skills, so that the two match."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        try:
            return rules.normalise_skill(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def _rate(description: str, **kwargs: Any) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=rules.MIN_RATE_CENTS, max=rules.MAX_RATE_CENTS),
        metadata={"description": description},
        **kwargs,
    )


class _JobTypeFields(Schema):
    """What staff may set and later change."""

    name = fields.String(required=True, validate=NAME)
    description = fields.String(load_default="", validate=LONG_TEXT)
    required_skills = fields.List(
        Skill(), load_default=list, validate=validate.Length(max=rules.MAX_SKILLS)
    )
    needs_approval = fields.Boolean(
        load_default=False,
        metadata={"description": "Workers need identity's approval for this job type first."},
    )
    pay_rate_cents = _rate(
        "What the worker earns, cents per hour (fixed for a client-exclusive job type).",
        required=True,
    )
    bill_rate_cents = _rate(
        "What the client pays, cents per hour; at least the pay rate.", required=True
    )
    min_shift_minutes = fields.Integer(
        load_default=rules.DEFAULT_MIN_SHIFT_MINUTES,
        strict=True,
        validate=validate.Range(min=rules.MIN_SHIFT_MINUTES, max=rules.MAX_SHIFT_MINUTES),
    )
    requirements = fields.String(
        load_default="",
        validate=LONG_TEXT,
        metadata={"description": "What the client asks of workers (a client-exclusive role)."},
    )
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _rates(self, data: dict, **kwargs: Any) -> None:
        # Only when both are here and each valid on its own (a PATCH of one is checked against
        # the stored other by the domain).
        if "pay_rate_cents" in data and "bill_rate_cents" in data:
            problems = rules.rate_problems(data["pay_rate_cents"], data["bill_rate_cents"])
            if problems:
                raise ValidationError(problems)

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        if "name" in data:
            data["name"] = data["name"].strip()
            if not data["name"]:
                raise ValidationError("Give a name.", "name")
        if "required_skills" in data:
            data["required_skills"] = list(dict.fromkeys(data["required_skills"]))
        for key in ("description", "requirements"):
            if key in data:
                data[key] = data[key].strip()
        return data


class JobTypeInputSchema(_JobTypeFields):
    key = fields.String(
        load_default=None,
        allow_none=True,
        validate=JOB_TYPE_KEY,
        metadata={
            "description": "The name identity's per-job-type approvals use; derived from the "
            "name when not given. It cannot change later."
        },
    )
    client_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=ID,
        metadata={
            "description": "Set for a job type exclusive to one client: nobody else sees it. "
            "It cannot change later."
        },
    )


class JobTypeUpdateSchema(PartialUpdate, _JobTypeFields):
    """Any subset of what may change (not the key, nor whose job type it is)."""


class JobTypeQuerySchema(PageQuerySchema):
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Part of the name, key or description."},
    )
    client_id = fields.String(
        validate=ID, metadata={"description": "Only the job types exclusive to this client."}
    )
    for_client = fields.String(
        validate=ID,
        metadata={
            "description": "The job types this client may book: every CBO-wide one and its "
            "own exclusive ones."
        },
    )
    exclusive = fields.Boolean(
        metadata={"description": "true: only client-exclusive ones; false: only CBO-wide ones."}
    )
    active = fields.Boolean()
    sort = sort_field(("name", "key", "created_at", "updated_at"), "name")


class JobTypeSchema(Schema):
    id = fields.String(required=True)
    key = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    required_skills = fields.List(fields.String(), required=True)
    needs_approval = fields.Boolean(required=True)
    pay_rate_cents = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Null for a client user."}
    )
    bill_rate_cents = fields.Integer(required=True)
    fixed_pay_rate = fields.Boolean(
        required=True,
        metadata={
            "description": "A client-exclusive job type pays this rate on every booking: it is "
            "not a default a booking may change (staff may still change the job type itself)."
        },
    )
    min_shift_minutes = fields.Integer(required=True)
    client_id = fields.String(allow_none=True, required=True)
    requirements = fields.String(required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


JobTypePageSchema = page_of(JobTypeSchema, "JobTypePage")
