"""Routes of the licences area: the operator grants and ends them; a CBO sees its own."""

from __future__ import annotations

from chassis.routes import Route
from services.tenancy.common import CBO_PATH, PLATFORM_PATH, PLATFORM_TAG, SETTINGS_TAG
from services.tenancy.licences import schemas
from services.tenancy.licences.entrypoints import LicencesEntrypoints as Licences

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        f"{PLATFORM_PATH}/<tenant_id>/licences",
        Licences.list_tenant_licences,
        "A CBO's feature licences",
        PLATFORM_TAG,
        query=schemas.LicenceQuerySchema,
        response=schemas.LicencePageSchema,
    ),
    Route(
        "POST",
        f"{PLATFORM_PATH}/<tenant_id>/licences",
        Licences.grant_licence,
        "Grant a CBO a feature licence (evv, rebooking) for a period",
        PLATFORM_TAG,
        body=schemas.LicenceGrantSchema,
        response=schemas.LicenceSchema,
        status=201,
        errors=(409,),
    ),
    Route(
        "POST",
        f"{PLATFORM_PATH}/<tenant_id>/licences/<licence_id>/revoke",
        Licences.revoke_licence,
        "End a feature licence early",
        PLATFORM_TAG,
        body=schemas.LicenceRevokeSchema,
        response=schemas.LicenceSchema,
        errors=(409,),
    ),
    Route(
        "GET",
        f"{CBO_PATH}/licences",
        Licences.own_licences,
        "The features your CBO is licensed for",
        SETTINGS_TAG,
        query=schemas.LicenceQuerySchema,
        response=schemas.LicencePageSchema,
        errors=(403,),
    ),
)
