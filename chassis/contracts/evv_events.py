"""Events the evv service publishes: visits clocked in and out from the worker's phone, their
exceptions, staff corrections, verification, weekly timesheets and their approvals. Times are
ISO-8601 UTC; `visit_id` is booking's assignment id (one visit per worker and shift)."""

from marshmallow import Schema, fields

from chassis.contracts.events import published_by

event = published_by("evv")


class _Visit(Schema):
    visit_id = fields.String(required=True)
    shift_id = fields.String(required=True)
    client_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    worker_tenant_id = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)


@event("visit.started")
class VisitStarted(_Visit):
    """The worker clocked in (the time is the device's, as judged; `delay_seconds` is how long
    the punch took to reach the server, e.g. queued offline)."""

    record_id = fields.String(required=True)
    clock_in_at = fields.DateTime(required=True)
    delay_seconds = fields.Integer(required=True)
    inside_geofence = fields.Boolean(allow_none=True)


@event("visit.ended")
class VisitEnded(_Visit):
    """The worker clocked out."""

    record_id = fields.String(required=True)
    clock_in_at = fields.DateTime(required=True)
    clock_out_at = fields.DateTime(required=True)
    delay_seconds = fields.Integer(required=True)
    inside_geofence = fields.Boolean(allow_none=True)


@event("visit.exception_raised")
class VisitExceptionRaised(_Visit):
    """Something about a visit needs staff: must-fix ones block it from payroll until resolved,
    acknowledge-only ones are listed."""

    exception_id = fields.String(required=True)
    code = fields.String(
        required=True,
        metadata={
            "enum": [
                "outside_geofence",
                "early_clock_in",
                "late_clock_in",
                "early_clock_out",
                "late_clock_out",
                "missing_clock_out",
                "too_short",
                "too_long",
                "device_time_skew",
                "mocked_location",
                "no_position",
            ]
        },
    )
    severity = fields.String(required=True, metadata={"enum": ["must_fix", "acknowledge"]})
    detail = fields.String(required=True)


@event("visit.corrected")
class VisitCorrected(_Visit):
    """Staff corrected a visit's clock-in or clock-out time (appended; the original punch is
    kept), with a reason code, an action code and a comment."""

    record_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["clock_in", "clock_out"]})
    corrected_at = fields.DateTime(required=True)
    reason_code = fields.String(required=True)
    action_code = fields.String(required=True)


class CuresElements(Schema):
    """The six elements of the 21st Century Cures Act §12006."""

    service_type = fields.String(required=True, metadata={"description": "job type key"})
    recipient_id = fields.String(required=True, metadata={"description": "the client"})
    service_date = fields.Date(required=True, metadata={"description": "in the CBO's zone"})
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    provider_id = fields.String(required=True, metadata={"description": "the worker"})
    begins_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)


@event("visit.verified")
class VisitVerified(_Visit):
    """A visit has both punches, its six Cures Act elements and no open must-fix exception."""

    elements = fields.Nested(CuresElements, required=True)
    worked_minutes = fields.Integer(required=True)


@event("visit.no_show_suspected")
class VisitNoShowSuspected(_Visit):
    """No clock-in came within the CBO's window after the shift's start: a possible no-show
    for booking and market watch (EVV decides nothing about it)."""

    minutes_after_start = fields.Integer(required=True)


class _Line(Schema):
    timesheet_id = fields.String(required=True)
    visit_id = fields.String(required=True)
    shift_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    worker_tenant_id = fields.String(required=True)
    client_id = fields.String(required=True)
    week_start = fields.Date(required=True, metadata={"description": "Monday, CBO's zone"})
    scheduled_minutes = fields.Integer(required=True)
    worked_minutes = fields.Integer(required=True)


@event("timesheet.generated")
class TimesheetGenerated(Schema):
    """A worker's timesheet for one client and pay week was started (its first verified
    visit)."""

    timesheet_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    client_id = fields.String(required=True)
    week_start = fields.Date(required=True)


@event("timesheet.approved")
class TimesheetApproved(_Line):
    """A timesheet line is approved and may be paid and invoiced: by EVV itself (the CBO holds
    the EVV licence, the client chose EVV, the visit is verified with no open exception), by
    the worker and the client, or by staff resolving a dispute. A line staff amend after its
    approval (its minutes corrected) is approved again, with the new minutes: billing pays the
    difference in its next payroll run."""

    approved_by = fields.String(required=True, metadata={"enum": ["evv", "people", "staff"]})


@event("timesheet.disputed")
class TimesheetDisputed(_Line):
    """The worker or the client disputed a timesheet line; staff resolve it."""

    disputed_by = fields.String(required=True, metadata={"enum": ["worker", "client"]})
    reason = fields.String(required=True)
