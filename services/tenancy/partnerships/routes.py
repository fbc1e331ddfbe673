"""Routes of the partnerships area."""

from __future__ import annotations

from chassis.routes import Route
from services.tenancy.partnerships import schemas
from services.tenancy.partnerships.entrypoints import PartnershipsEntrypoints as Partnerships

_TAG = "Partnerships"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/partnerships",
        Partnerships.list_partnerships,
        "Partnerships your CBO is party to",
        _TAG,
        query=schemas.PartnershipQuerySchema,
        response=schemas.PartnershipPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/partnerships",
        Partnerships.propose_partnership,
        "Propose a partnership to another CBO",
        _TAG,
        body=schemas.PartnershipProposalSchema,
        response=schemas.PartnershipSchema,
        status=201,
        errors=(404, 409),
    ),
    Route(
        "GET",
        "/api/v1/partnerships/<partnership_id>",
        Partnerships.get_partnership,
        "One partnership",
        _TAG,
        response=schemas.PartnershipSchema,
    ),
    Route(
        "POST",
        "/api/v1/partnerships/<partnership_id>/accept",
        Partnerships.accept_partnership,
        "Accept a proposed partnership",
        _TAG,
        response=schemas.PartnershipSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        "/api/v1/partnerships/<partnership_id>/decline",
        Partnerships.decline_partnership,
        "Decline a proposed partnership",
        _TAG,
        response=schemas.PartnershipSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        "/api/v1/partnerships/<partnership_id>/end",
        Partnerships.end_partnership,
        "End a partnership (or withdraw your proposal)",
        _TAG,
        response=schemas.PartnershipSchema,
        errors=(409,),
    ),
)
