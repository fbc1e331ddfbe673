"""What the workers area answers: the counts of a rebuilt read model."""

from __future__ import annotations

from marshmallow import Schema, fields


class RebuildSchema(Schema):
    """The read model after a rebuild from its replay log: how many rows each table holds."""

    events = fields.Integer(
        required=True, metadata={"description": "Events in the replay log, all applied again."}
    )
    cbos = fields.Integer(required=True)
    clients = fields.Integer(required=True)
    sources = fields.Integer(required=True)
    partnerships = fields.Integer(required=True)
    workers = fields.Integer(required=True)
    worker_days = fields.Integer(
        required=True, metadata={"description": "Dates whose availability differs from the week."}
    )
