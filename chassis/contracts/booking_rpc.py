"""The RPCs booking offers other services, and their typed client.

    ended = BookingClient(self.services).expire_offer(offer_id=..., idempotency_key=...)
    if ended.expired: ...   # this command (or the first one with its key) expired it

Rebooking keeps each offer's deadline as a durable timer and tells booking to end the offer
when it passes. Every command carries an idempotency key: the same key again gets the same
answer and changes nothing, so several rebooking instances may send it.
"""

from __future__ import annotations

from dataclasses import dataclass

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


class BookingClient(ServiceClient):
    service = SERVICE

    def expire_offer(self, *, offer_id: str, idempotency_key: str) -> ExpiredOffer:
        return self._call(EXPIRE_OFFER, offer_id=offer_id, idempotency_key=idempotency_key)
