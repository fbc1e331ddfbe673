"""Routes of the sharing area: the owning CBO shares open shifts with partner CBOs; a partner
CBO reads what is shared with it and offers it to its own workers."""

from __future__ import annotations

from chassis.routes import Route
from services.booking.sharing import schemas
from services.booking.sharing.entrypoints import SharingEntrypoints as Sharing

_TAG = "Partner sharing"

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/shifts/<shift_id>/shares",
        Sharing.share_shift,
        "Share an open shift with partner CBOs (all that share opportunities, or those named)",
        _TAG,
        body=schemas.ShareCreateSchema,
        response=schemas.SharesMadeSchema,
        status=201,
        errors=(409,),
        description=(
            "One share per partner (a partner it is shared with already keeps its share), "
            "each published as `opportunity.shared`. 409 when the shift is not open or has "
            "started, or the CBO has no formed partnership that shares opportunities; 422 for "
            "a named CBO that is no such partner."
        ),
    ),
    Route(
        "POST",
        "/api/v1/bookings/<booking_id>/shares",
        Sharing.share_booking,
        "Share a booking's open shifts still to come with partner CBOs",
        _TAG,
        body=schemas.ShareCreateSchema,
        response=schemas.SharesMadeSchema,
        status=201,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/opportunity-shares",
        Sharing.list_opportunity_shares,
        "The shares the caller's CBO made (its shifts shared with partners)",
        _TAG,
        query=schemas.ShareQuerySchema,
        response=schemas.SharePageSchema,
    ),
    Route(
        "POST",
        "/api/v1/opportunity-shares/<share_id>/withdraw",
        Sharing.withdraw_opportunity_share,
        "Take a share back: the partner's offers still sent under it are withdrawn",
        _TAG,
        body=schemas.ShareWithdrawSchema,
        response=schemas.ShareSchema,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/shared-opportunities",
        Sharing.list_shared_opportunities,
        "The shifts partner CBOs shared with the caller's CBO",
        _TAG,
        query=schemas.SharedQuerySchema,
        response=schemas.SharePageSchema,
    ),
    Route(
        "GET",
        "/api/v1/shared-opportunities/<share_id>",
        Sharing.get_shared_opportunity,
        "One shift a partner CBO shared with the caller's CBO",
        _TAG,
        response=schemas.ShareSchema,
    ),
    Route(
        "POST",
        "/api/v1/shared-opportunities/<share_id>/offers",
        Sharing.offer_shared_opportunity,
        "Offer a shared shift to one of the caller's CBO's job seekers (re-checked)",
        _TAG,
        body=schemas.SharedOfferCreateSchema,
        response=schemas.SharedOfferSchema,
        status=201,
        errors=(409,),
        description=(
            "409 with the reasons (`fields.jobseeker_id`) when the job seeker may not work the "
            "shift, or when it is no longer shared, open or still to come; 422 for a job "
            "seeker of another CBO."
        ),
    ),
    Route(
        "POST",
        "/api/v1/shared-opportunities/<share_id>/release",
        Sharing.release_shared_opportunity,
        "Offer a shared shift to the caller's CBO's eligible job seekers at once",
        _TAG,
        response=schemas.ReleasedSchema,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/shared-opportunities/<share_id>/offers",
        Sharing.list_shared_opportunity_offers,
        "The offers the caller's CBO made under a share (its own job seekers')",
        _TAG,
        query=schemas.SharedOfferQuerySchema,
        response=schemas.SharedOfferPageSchema,
    ),
)
