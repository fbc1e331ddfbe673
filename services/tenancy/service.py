"""The tenancy service: one class composed of its areas' entrypoint mixins.

Each area (tenants, branding, clients, sources, partnerships, licences) is a sub-package with
the same files: entrypoints.py, domain.py, models.py, schemas.py, routes.py, and rules.py where
it has pure rules.
"""

from __future__ import annotations

from chassis.service import ServiceBase
from services.tenancy.branding.entrypoints import BrandingEntrypoints
from services.tenancy.clients.entrypoints import ClientsEntrypoints
from services.tenancy.licences.entrypoints import LicencesEntrypoints
from services.tenancy.partnerships.entrypoints import PartnershipsEntrypoints
from services.tenancy.sources.entrypoints import SourcesEntrypoints
from services.tenancy.tenants.entrypoints import TenantsEntrypoints


class TenancyService(
    TenantsEntrypoints,
    BrandingEntrypoints,
    ClientsEntrypoints,
    SourcesEntrypoints,
    PartnershipsEntrypoints,
    LicencesEntrypoints,
    ServiceBase,
):
    name = "tenancy"
