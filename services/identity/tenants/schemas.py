"""What the tenants area reads besides tenancy's events (whose payload schemas live in
chassis/contracts/tenancy_events.py): tenancy's answer to `projection_record`, asked when a
client or worker source just created has not reached identity's projection yet."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields


class ClientRecordSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    client_id = fields.String(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)


class SourceRecordSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    source_id = fields.String(required=True)
    name = fields.String(required=True)
    weekly_hour_cap = fields.Float(required=True, allow_none=True)
    active = fields.Boolean(required=True)
