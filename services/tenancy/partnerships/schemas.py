"""Partnership proposals and the partnerships a CBO sees."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

# What partners may share: one vocabulary with tenancy's callers.
from chassis.contracts.tenancy_rpc import SHARES
from chassis.paging import PageQuerySchema, page_of, sort_field

STATUSES: tuple[str, ...] = ("proposed", "formed", "declined", "cancelled", "ended")
# Who proposed, as seen by the CBO looking.
DIRECTIONS: tuple[str, ...] = ("outgoing", "incoming")


class PartnershipProposalSchema(Schema):
    partner_slug = fields.String(required=True, validate=validate.Length(min=1, max=50))
    shares = fields.List(
        fields.String(validate=validate.OneOf(SHARES)),
        required=True,
        validate=validate.Length(min=1, error="Share at least one thing."),
    )
    message = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates("shares")
    def _unique(self, value: list[str], **_) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("List each thing once.")


class PartnerSchema(Schema):
    id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)


class PartnershipSchema(Schema):
    id = fields.String(required=True)
    proposer = fields.Nested(PartnerSchema, required=True)
    partner = fields.Nested(PartnerSchema, required=True)
    direction = fields.String(
        required=True,
        metadata={"enum": list(DIRECTIONS), "description": "Who proposed, seen by you."},
    )
    shares = fields.List(fields.String(), required=True)
    message = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)


PartnershipPageSchema = page_of(PartnershipSchema, "PartnershipPage")


class PartnershipQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    direction = fields.String(
        validate=validate.OneOf(DIRECTIONS),
        metadata={"description": "outgoing: proposed by your CBO; incoming: proposed to it."},
    )
    sort = sort_field(("created_at", "status"), "-created_at")
