"""Routes of the sites area."""

from __future__ import annotations

from chassis.routes import Route
from services.booking.sites import schemas
from services.booking.sites.entrypoints import SitesEntrypoints as Sites

_TAG = "Sites"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/sites",
        Sites.list_sites,
        "List clients' sites (a client user: their own client's)",
        _TAG,
        query=schemas.SiteQuerySchema,
        response=schemas.SitePageSchema,
        errors=(404,),
    ),
    Route(
        "POST",
        "/api/v1/sites",
        Sites.create_site,
        "Add a client's site, with its coordinates (or its ZIP code's), geofence and time zone",
        _TAG,
        body=schemas.SiteInputSchema,
        response=schemas.SiteSchema,
        status=201,
        errors=(404,),
    ),
    Route(
        "GET",
        "/api/v1/sites/<site_id>",
        Sites.get_site,
        "One site",
        _TAG,
        response=schemas.SiteSchema,
    ),
    Route(
        "PATCH",
        "/api/v1/sites/<site_id>",
        Sites.update_site,
        "Change a site's name, address, coordinates, geofence, time zone or active flag",
        _TAG,
        body=schemas.SiteUpdateSchema,
        response=schemas.SiteSchema,
    ),
    Route(
        "POST",
        "/api/v1/sites/<site_id>/deactivate",
        Sites.deactivate_site,
        "Stop using a site (it stays, with its history)",
        _TAG,
        response=schemas.SiteSchema,
    ),
)
