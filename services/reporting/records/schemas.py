"""Schemas of the records area."""

from __future__ import annotations

from marshmallow import Schema, fields


class ReportModelRebuildSchema(Schema):
    """The read model after a rebuild from its replay log: how many rows it holds."""

    events = fields.Integer(
        required=True, metadata={"description": "Events in the replay log, all applied again."}
    )
    shifts = fields.Integer(required=True)
    workers = fields.Integer(required=True)
    daily_rollups = fields.Integer(required=True)
    daily_totals = fields.Integer(required=True)
    worker_periods = fields.Integer(required=True)
    activity_entries = fields.Integer(required=True)
