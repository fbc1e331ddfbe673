"""Events the rebooking service publishes: the life of a replacement cascade.

A cascade starts when a shift's offer ends without a confirmation (expired, declined) or a
confirmed worker cancels, while the CBO holds the rebooking licence that day. Each further
offer it has booking make is a step; it ends filled, or exhausted (staff are alerted).
"""

from marshmallow import Schema, fields

from chassis.contracts.events import published_by

event = published_by("rebooking")


class _Cascade(Schema):
    cascade_id = fields.String(required=True)
    shift_id = fields.String(required=True)
    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    # Offers made so far by this cascade, and how many the client's preferences allow.
    attempts = fields.Integer(required=True)
    max_attempts = fields.Integer(required=True)


@event("cascade.started")
class CascadeStarted(_Cascade):
    """A shift lost its worker or offer (`trigger`: offer.expired, offer.declined,
    assignment.cancelled) and rebooking began looking for a replacement."""

    trigger = fields.String(
        required=True,
        metadata={"enum": ["offer.expired", "offer.declined", "assignment.cancelled"]},
    )
    # The worker whose offer or place ended.
    worker_id = fields.String(required=True)


@event("cascade.advanced")
class CascadeAdvanced(_Cascade):
    """The cascade had booking offer the shift to the next worker."""

    offer_id = fields.String(required=True)
    worker_id = fields.String(required=True)
    deadline_at = fields.DateTime(required=True)
    # preferred (the client's ordered list) | ranking (booking's ranking of eligible workers)
    source = fields.String(required=True, metadata={"enum": ["preferred", "ranking"]})


@event("cascade.completed")
class CascadeCompleted(_Cascade):
    """A worker the cascade offered confirmed: the shift has its replacement."""

    worker_id = fields.String(required=True)
    offer_id = fields.String(required=True)


@event("rebooking.exhausted")
class RebookingExhausted(_Cascade):
    """No replacement: the attempts ran out, no candidate was left, or the shift is too close.
    Staff are alerted and the shift waits in market watch."""

    reason = fields.String(
        required=True,
        metadata={"enum": ["attempts_used", "no_candidates", "too_close"]},
    )
