"""Routes of the offers area: a job seeker's offers and shifts, a shift's offers for staff and
its client, and staff offering and withdrawing."""

from __future__ import annotations

from chassis.routes import Route
from services.booking.offers import schemas
from services.booking.offers.entrypoints import OffersEntrypoints as Offers

_TAG = "Offers"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/me/offers",
        Offers.list_my_offers,
        "The job seeker's own offers, with each shift's time, site, job type and pay",
        _TAG,
        query=schemas.MyOfferQuerySchema,
        response=schemas.MyOfferPageSchema,
    ),
    Route(
        "GET",
        "/api/v1/me/shifts",
        Offers.list_my_shifts,
        "The job seeker's own shifts (the places they hold or held)",
        _TAG,
        query=schemas.MyShiftQuerySchema,
        response=schemas.MyShiftPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/offers/<offer_id>/confirm",
        Offers.confirm_offer,
        "Confirm one's own offer: the first confirmation of a free position wins it",
        _TAG,
        response=schemas.MyOfferSchema,
        errors=(409,),
        description=(
            "409 with a clear message when the offer expired, was withdrawn (the shift filled, "
            "say), was declined or confirmed already, its deadline passed, the shift started "
            "or is full, or the job seeker can no longer take it (`fields.reasons`: a "
            "suspension, an overlapping shift, a weekly cap; or identity's re-check: \"You can "
            "no longer be booked: …\"). Another worker's offer is 404."
        ),
    ),
    Route(
        "POST",
        "/api/v1/offers/<offer_id>/decline",
        Offers.decline_offer,
        "Decline one's own offer, with a reason if one likes",
        _TAG,
        body=schemas.DeclineSchema,
        response=schemas.MyOfferSchema,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/shifts/<shift_id>/offers",
        Offers.list_shift_offers,
        "A shift's offers (staff; a client user for their own client's shifts only)",
        _TAG,
        query=schemas.ShiftOfferQuerySchema,
        response=schemas.ShiftOfferPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/shifts/<shift_id>/offers",
        Offers.create_shift_offer,
        "Offer an open shift to a job seeker staff name (re-checked by the search)",
        _TAG,
        body=schemas.OfferCreateSchema,
        response=schemas.ShiftOfferSchema,
        status=201,
        errors=(409,),
        description=(
            "409 with the reasons (`fields.jobseeker_id`) when the job seeker may not work "
            "the shift (by booking's records, or by identity's re-check at this moment), "
            "already holds an offer or a place on it, or the shift is not open or "
            "has started; 422 for a job seeker this CBO does not know."
        ),
    ),
    Route(
        "POST",
        "/api/v1/offers/<offer_id>/withdraw",
        Offers.withdraw_offer,
        "Take a sent offer back, with a reason the job seeker is told",
        _TAG,
        body=schemas.WithdrawSchema,
        response=schemas.ShiftOfferSchema,
        errors=(409,),
    ),
)
