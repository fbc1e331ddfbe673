"""The RPCs booking offers other services, and their typed client.

    ended = BookingClient(self.services).expire_offer(offer_id=..., idempotency_key=...)
    if ended.expired: ...   # this command (or the first one with its key) expired it

Rebooking keeps each offer's deadline as a durable timer and tells booking to end the offer
when it passes. Every command carries an idempotency key: the same key again gets the same
answer and changes nothing, so several rebooking instances may send it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marshmallow import Schema, fields, post_load, validate

from chassis.contracts.rpc import ServiceClient, rpc_contract

SERVICE = "booking"

OFFER_STATUSES: tuple[str, ...] = ("sent", "confirmed", "declined", "expired", "withdrawn")


# -- expire_offer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiredOffer:
    offer_id: str
    # The offer's status now: "expired", or how it had ended before (a no-op).
    status: str
    # True when this command (the first with its key) expired it.
    expired: bool


class ExpireOfferRequest(Schema):
    offer_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    idempotency_key = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ExpiredOfferSchema(Schema):
    """What became of the offer: expired by this command, or already ended (a no-op)."""

    offer_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(OFFER_STATUSES))
    expired = fields.Boolean(required=True)

    @post_load
    def make(self, data: dict, **_) -> ExpiredOffer:
        return ExpiredOffer(**data)


EXPIRE_OFFER = rpc_contract(
    SERVICE,
    "expire_offer",
    request=ExpireOfferRequest,
    response=ExpiredOfferSchema(),
    description=(
        "End a still-sent offer whose deadline has passed (offer.expired); an offer already "
        "ended is a no-op answer; Conflict before the deadline or for a key used for another "
        "command; NotFound outside the caller's CBO. Rebooking's system, or staff with "
        "bookings.manage."
    ),
)


# -- offer_next ------------------------------------------------------------------------------
# Rebooking's cascades ask booking for the next offer of a shift that lost its worker or offer.
# Booking chooses: the client's preferred workers in their order, then (if allowed) its own
# ranking of eligible workers; never one this shift has offered already, nor one in
# `exclude_worker_ids`, blocked by the client, or ineligible now (booking's search and
# identity's re-check decide, as for every offer).

OFFER_SOURCES: tuple[str, ...] = ("preferred", "ranking")
# Why no offer was made: the shift is filled, cancelled, started or starts within
# `min_lead_minutes` (too_close); its free positions are covered by live offers already
# (covered: booking's own filling is at work); nobody is left (no_candidates).
NO_OFFER_REASONS: tuple[str, ...] = (
    "filled",
    "cancelled",
    "started",
    "too_close",
    "covered",
    "no_candidates",
)
MAX_PREFERRED_WORKERS = 50
MAX_EXCLUDED_WORKERS = 1000
# A replacement's confirmation window: 1 minute to 14 days (None: the CBO's usual deadline).
WINDOW_SECONDS_RANGE = (60, 14 * 24 * 3600)


@dataclass(frozen=True)
class NextOffer:
    shift_id: str
    booking_id: str
    client_id: str
    starts_at: datetime
    # True when an offer was made (by this command, or by the first with its key).
    offered: bool
    offer_id: str | None
    worker_id: str | None
    deadline_at: datetime | None
    source: str | None
    # Why no offer was made (NO_OFFER_REASONS); None when one was.
    why: str | None


class NextStepRequest(Schema):
    """offer_next's arguments but the shift (expire_offers' `next`: the offer's shift)."""

    preferred_worker_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        load_default=list,
        validate=validate.Length(max=MAX_PREFERRED_WORKERS),
    )
    use_ranking = fields.Boolean(load_default=True)
    exclude_worker_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        load_default=list,
        validate=validate.Length(max=MAX_EXCLUDED_WORKERS),
    )
    window_seconds = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=WINDOW_SECONDS_RANGE[0], max=WINDOW_SECONDS_RANGE[1]),
    )
    # No offer when the shift starts sooner than this (too_close).
    min_lead_minutes = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=14 * 24 * 60)
    )
    idempotency_key = fields.String(required=True, validate=validate.Length(min=1, max=100))


class OfferNextRequest(NextStepRequest):
    shift_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class NextOfferSchema(Schema):
    """The offer booking made (offer id, worker, deadline, where the worker came from), or why
    it made none; with the shift's booking, client and start either way."""

    shift_id = fields.String(required=True)
    booking_id = fields.String(required=True)
    client_id = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    offered = fields.Boolean(required=True)
    offer_id = fields.String(required=True, allow_none=True)
    worker_id = fields.String(required=True, allow_none=True)
    deadline_at = fields.AwareDateTime(required=True, allow_none=True)
    source = fields.String(required=True, allow_none=True, validate=validate.OneOf(OFFER_SOURCES))
    why = fields.String(required=True, allow_none=True, validate=validate.OneOf(NO_OFFER_REASONS))

    @post_load
    def make(self, data: dict, **_) -> NextOffer:
        return NextOffer(**data)


OFFER_NEXT = rpc_contract(
    SERVICE,
    "offer_next",
    request=OfferNextRequest,
    response=NextOfferSchema(),
    description=(
        "Offer a shift to the next worker (channel rebooking): the preferred workers in order, "
        "then booking's ranking if use_ranking; never one offered this shift before, excluded, "
        "blocked or ineligible now. Answers the offer, or none with why. Idempotent by key "
        "(per CBO); Conflict for a key used for another command; NotFound outside the caller's "
        "CBO. Rebooking's system only."
    ),
)


# -- expire_offers ---------------------------------------------------------------------------
# Rebooking's deadline sweep: a batch of expiries in one call, each with the cascade's next step
# when rebooking asks for it (the step offer.expired would otherwise cause, with the same key),
# so that the next worker is offered in the call that ends the offer.

MAX_EXPIRE_ITEMS = 1000


@dataclass(frozen=True)
class ExpiredOfferItem:
    offer_id: str
    # The offer's status now (None after an error): "expired", or how it had ended before.
    status: str | None
    # True when this command (the first with its key) expired it.
    expired: bool
    # Why the expiry failed: kind "not_found", "conflict" (before the deadline, a key used for
    # another command) or "failed" (tried again later), with a message; None when it did not.
    error: dict | None
    # The next step's answer, when one was asked for and the offer is expired.
    next: NextOffer | None
    # Why the next step asked for could not be taken (rebooking takes it after offer.expired).
    next_error: str | None


class ExpireOffersItem(Schema):
    offer_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    idempotency_key = fields.String(required=True, validate=validate.Length(min=1, max=100))
    next = fields.Nested(NextStepRequest, load_default=None, allow_none=True)


class ExpireOffersRequest(Schema):
    items = fields.List(
        fields.Nested(ExpireOffersItem),
        required=True,
        validate=validate.Length(min=1, max=MAX_EXPIRE_ITEMS),
    )


class ExpireErrorSchema(Schema):
    kind = fields.String(
        required=True, validate=validate.OneOf(("not_found", "conflict", "failed"))
    )
    message = fields.String(required=True)


class ExpiredOfferItemSchema(Schema):
    offer_id = fields.String(required=True)
    status = fields.String(required=True, allow_none=True, validate=validate.OneOf(OFFER_STATUSES))
    expired = fields.Boolean(required=True)
    error = fields.Nested(ExpireErrorSchema, required=True, allow_none=True)
    next = fields.Nested(NextOfferSchema, required=True, allow_none=True)
    next_error = fields.String(required=True, allow_none=True)

    @post_load
    def make(self, data: dict, **_) -> ExpiredOfferItem:
        return ExpiredOfferItem(**data)


EXPIRE_OFFERS = rpc_contract(
    SERVICE,
    "expire_offers",
    request=ExpireOffersRequest,
    response=ExpiredOfferItemSchema(many=True),
    description=(
        "A batch of expire_offer commands (each keyed), each with, optionally, the cascade's "
        "next step (offer_next's arguments, keyed) taken at once when the offer is expired; "
        "answers per item in order, an item's failure (not_found, conflict, failed) leaving "
        "the others done. Rebooking's system only."
    ),
)


class BookingClient(ServiceClient):
    service = SERVICE

    def expire_offer(self, *, offer_id: str, idempotency_key: str) -> ExpiredOffer:
        return self._call(EXPIRE_OFFER, offer_id=offer_id, idempotency_key=idempotency_key)

    def expire_offers(
        self, *, items: list[dict], timeout: float | None = None
    ) -> list[ExpiredOfferItem]:
        """`items`: {offer_id, idempotency_key, next: offer_next's arguments but the shift, or
        None}; `timeout` overrides the client's for this (longer) call."""
        client = BookingClient(self._services, timeout=timeout) if timeout else self
        return client._call(EXPIRE_OFFERS, items=items)

    def offer_next(
        self,
        *,
        shift_id: str,
        idempotency_key: str,
        preferred_worker_ids: list[str] | None = None,
        use_ranking: bool = True,
        exclude_worker_ids: list[str] | None = None,
        window_seconds: int | None = None,
        min_lead_minutes: int = 0,
    ) -> NextOffer:
        return self._call(
            OFFER_NEXT,
            shift_id=shift_id,
            idempotency_key=idempotency_key,
            preferred_worker_ids=preferred_worker_ids or [],
            use_ranking=use_ranking,
            exclude_worker_ids=exclude_worker_ids or [],
            window_seconds=window_seconds,
            min_lead_minutes=min_lead_minutes,
        )
