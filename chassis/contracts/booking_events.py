"""Events the booking service publishes: the market's facts (job types, sites, bookings, offers,
attendance, ratings, reliability). Times are ISO-8601 UTC, money integer cents."""

from marshmallow import Schema, fields

from chassis.contracts.events import published_by

event = published_by("booking")


@event("jobtype.created")
class JobTypeCreated(Schema):
    """A CBO defined a job type; `client_id` is set when it is exclusive to one client."""

    job_type_id = fields.String(required=True)
    key = fields.String(required=True)
    name = fields.String(required=True)
    client_id = fields.String(allow_none=True)
    needs_approval = fields.Boolean(required=True)
    pay_rate_cents = fields.Integer(required=True)
    bill_rate_cents = fields.Integer(required=True)
    min_shift_minutes = fields.Integer(required=True)
    active = fields.Boolean(required=True)


@event("jobtype.updated")
class JobTypeUpdated(JobTypeCreated):
    """A job type changed (as it is now, with the names of the fields that changed)."""

    changed = fields.List(fields.String(), required=True)


@event("site.created")
class SiteCreated(Schema):
    """A client's place of work was added: where its shifts happen and EVV's geofence."""

    site_id = fields.String(required=True)
    client_id = fields.String(required=True)
    name = fields.String(required=True)
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    geofence_radius_m = fields.Integer(required=True)
    timezone = fields.String(required=True)
    active = fields.Boolean(required=True)


@event("site.updated")
class SiteUpdated(SiteCreated):
    """A site changed (as it is now, with the names of the fields that changed)."""

    changed = fields.List(fields.String(), required=True)


class ShiftTimes(Schema):
    shift_id = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)


@event("booking.created")
class BookingCreated(Schema):
    """A client (or staff for it) booked one shift or a repeating series, one shift per
    occurrence, each with `positions` places to fill."""

    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    site_id = fields.String(required=True)
    job_type_id = fields.String(required=True)
    positions = fields.Integer(required=True)
    fill_mode = fields.String(required=True, metadata={"enum": ["named", "favourites", "open"]})
    pay_rate_cents = fields.Integer(required=True)
    bill_rate_cents = fields.Integer(required=True)
    # True when staff gave the rate on the booking; false when it is the job type's (billing's
    # per-client rates then apply). Missing in events before they were added: false.
    pay_rate_given = fields.Boolean(load_default=False)
    bill_rate_given = fields.Boolean(load_default=False)
    created_by_kind = fields.String(required=True, metadata={"enum": ["staff", "client"]})
    shifts = fields.List(fields.Nested(ShiftTimes), required=True)


class _Offer(Schema):
    offer_id = fields.String(required=True)
    shift_id = fields.String(required=True)
    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    # The worker's own CBO (a partner CBO's worker has another than the booking's).
    worker_tenant_id = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)


@event("offer.sent")
class OfferSent(_Offer):
    """A worker was offered a shift and must confirm before the deadline."""

    deadline_at = fields.DateTime(required=True)
    channel = fields.String(required=True)


@event("offer.confirmed")
class OfferConfirmed(_Offer):
    """A worker confirmed: they hold one position of the shift."""

    assignment_id = fields.String(required=True)


@event("offer.declined")
class OfferDeclined(_Offer):
    """A worker declined an offer."""

    reason = fields.String(allow_none=True)


@event("offer.expired")
class OfferExpired(_Offer):
    """An offer was not confirmed by its deadline (a missed confirmation)."""


@event("offer.withdrawn")
class OfferWithdrawn(_Offer):
    """An offer was taken back: the shift filled, was cancelled, or the worker can no longer
    take it."""

    reason = fields.String(required=True)


@event("shift.filled")
class ShiftFilled(Schema):
    """Every position of a shift is held by a confirmed worker."""

    shift_id = fields.String(required=True)
    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    worker_ids = fields.List(fields.String(), required=True)


class _Cancellation(Schema):
    cancelled_by_kind = fields.String(
        required=True, metadata={"enum": ["client", "worker", "staff"]}
    )
    reason = fields.String(required=True)
    minutes_before_start = fields.Integer(required=True)
    # A client's cancellation inside the CBO's late window: billing pays reporting time.
    late = fields.Boolean(required=True)


class _CancelledPlace(Schema):
    assignment_id = fields.String(required=True)
    shift_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    worker_tenant_id = fields.String(required=True)


@event("booking.cancelled")
class BookingCancelled(_Cancellation):
    """A booking's shifts still to come were cancelled (all of them, or the ones named)."""

    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    shift_ids = fields.List(fields.String(), required=True)
    # Those of `shift_ids` the client cancelled inside the late window (reporting-time pay);
    # `late` is true when there is any, `minutes_before_start` is the nearest shift's.
    late_shift_ids = fields.List(fields.String(), required=True)
    # The workers who had confirmed and lose the shift (they are told).
    worker_ids = fields.List(fields.String(), required=True)
    # Their places, one per worker and shift.
    assignments = fields.List(fields.Nested(_CancelledPlace), required=True)


@event("assignment.cancelled")
class AssignmentCancelled(_Cancellation):
    """One worker's place on a shift was cancelled (by the worker, staff or the client); the
    position is open again. A worker's own late cancellation counts against reliability."""

    assignment_id = fields.String(required=True)
    shift_id = fields.String(required=True)
    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    # The worker's own CBO (a partner CBO's worker has another than the booking's).
    worker_tenant_id = fields.String(allow_none=True, load_default=None)


class _Attendance(Schema):
    assignment_id = fields.String(required=True)
    shift_id = fields.String(required=True)
    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    worker_tenant_id = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    # True when staff corrected an outcome marked before (completed <-> no-show), with why.
    correction = fields.Boolean(load_default=False)
    reason = fields.String(allow_none=True, load_default=None)


@event("shift.completed")
class ShiftCompleted(_Attendance):
    """A worker worked their shift (marked by staff; EVV will confirm it from visits)."""

    minutes_late = fields.Integer(load_default=0)


@event("worker.no_show")
class WorkerNoShow(_Attendance):
    """A worker did not come to a shift they had confirmed (or staff corrected a completed
    shift to a no-show: `correction`)."""


@event("worker.rated")
class WorkerRated(Schema):
    """A client rated a worker after a shift: favourite, OK to book again, or blocked."""

    client_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    rating = fields.String(required=True, metadata={"enum": ["favourite", "ok", "blocked"]})
    shift_id = fields.String(allow_none=True)
    # Who rated: the client's own user, or staff for the client.
    rated_by_kind = fields.String(
        allow_none=True, load_default=None, metadata={"enum": ["client", "staff"]}
    )


@event("worker.unrated")
class WorkerUnrated(Schema):
    """A client removed its rating of a worker (no longer a favourite, nor blocked)."""

    client_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    rating = fields.String(required=True, metadata={"enum": ["favourite", "ok", "blocked"]})


@event("reliability.changed")
class ReliabilityChanged(Schema):
    """A worker's reliability score was recomputed: an entry counted, was excused, corrected or
    overturned on appeal, or its points decayed."""

    worker_id = fields.String(required=True)
    score = fields.Float(required=True)
    active_points = fields.Float(required=True)
    cause = fields.String(
        required=True,
        metadata={
            "enum": [
                "no_show",
                "missed_confirmation",
                "late_cancellation",
                "late_arrival",
                "completed",
                "correction",
                "excused",
                "appeal_overturned",
                "decay",
            ]
        },
    )
    previous_score = fields.Float(allow_none=True, load_default=None)
    completed_shifts = fields.Integer(load_default=0)
    # The entry that moved it (none for decay).
    entry_id = fields.String(allow_none=True, load_default=None)


@event("reliability.appealed")
class ReliabilityAppealed(Schema):
    """A worker appealed an entry of their reliability history; staff decide (it still counts
    meanwhile)."""

    entry_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    kind = fields.String(required=True)


@event("reliability.appeal_decided")
class ReliabilityAppealDecided(Schema):
    """Staff decided a worker's appeal: upheld (the entry keeps counting) or overturned (it
    weighs nothing)."""

    entry_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    kind = fields.String(required=True)
    outcome = fields.String(required=True, metadata={"enum": ["upheld", "overturned"]})


@event("reliability.review_opened")
class ReliabilityReviewOpened(Schema):
    """A worker passed the CBO's review threshold: staff should look (nothing is automatic)."""

    review_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    active_points = fields.Float(required=True)


@event("reliability.review_closed")
class ReliabilityReviewClosed(Schema):
    """Staff closed a reliability review with what they decided."""

    review_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    outcome = fields.String(required=True)


# -- partner sharing (the partner exchange: see docs/ARCHITECTURE.md, "Sharing") --------------
# The envelope's tenant is the owning CBO; the partner's id is in the payload, so the partner's
# services and outside systems (notifications' webhooks) consume the same event.


class OpportunityParties(Schema):
    share_id = fields.String(required=True)
    shift_id = fields.String(required=True)
    booking_id = fields.String(required=True)
    owner_tenant_id = fields.String(required=True)
    partner_tenant_id = fields.String(required=True)
    partnership_id = fields.String(required=True)


@event("opportunity.shared")
class OpportunityShared(OpportunityParties):
    """A CBO shared an open shift with a partner CBO (a formed partnership sharing
    "opportunities"): the partner's staff may offer it to their own eligible workers."""

    job_type_key = fields.String(required=True)
    job_type_name = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    timezone = fields.String(required=True)
    positions = fields.Integer(required=True)
    pay_rate_cents = fields.Integer(required=True)


@event("opportunity.withdrawn")
class OpportunityWithdrawn(OpportunityParties):
    """A shared shift is no longer shared with the partner: the owner withdrew it, the shift
    filled or was cancelled, or the partnership ended (`reason` "partnership ended")."""

    reason = fields.String(required=True)


@event("opportunity.filled")
class OpportunityFilled(OpportunityParties):
    """A partner CBO's worker confirmed a shared shift: reported back to the owner. The worker's
    own CBO (`worker_tenant_id`, the partner) stays their employer of record."""

    worker_id = fields.String(required=True)
    worker_tenant_id = fields.String(required=True)
    offer_id = fields.String(required=True)
    assignment_id = fields.String(required=True)
