"""The event every service may publish: the audit trail's entries (chassis.audit)."""

from marshmallow import Schema, fields

from chassis.contracts.events import ANY_SERVICE, published_by

event = published_by(ANY_SERVICE)


@event("audit.recorded")
class AuditRecorded(Schema):
    """A staff action changed something: who, what, when, before and after.

    Any service emits it (chassis.audit); identity keeps the trail."""

    actor_id = fields.String(allow_none=True)
    actor_kind = fields.String(required=True)
    action = fields.String(required=True)
    entity_type = fields.String(required=True)
    entity_id = fields.String(required=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
