"""Sites for the CBO's staff (any client of their CBO) and its client users (their own
client's only)."""

from __future__ import annotations

from chassis.context import Caller, requires_any
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.rpc import ServiceCaller
from services.booking.common import ensure_client, market_tenant
from services.booking.sites import domain
from services.booking.sites.schemas import (
    SiteInputSchema,
    SitePageSchema,
    SiteQuerySchema,
    SiteSchema,
    SiteUpdateSchema,
)

READ = ("bookings.read", "self.book")
# Staff need bookings.manage, a client user self.book (the domain tells which applies).
MANAGE = ("bookings.manage", "self.book")


class SitesEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    @rpc
    @requires_any(*READ)
    def list_sites(self, query: dict | None = None) -> dict:
        tenant_id = market_tenant(self.caller)
        options = SiteQuerySchema().load(query or {})
        found = domain.list_sites(self.db, caller=self.caller, tenant_id=tenant_id, **options)
        return SitePageSchema().dump(found)

    @rpc
    @requires_any(*READ)
    def get_site(self, site_id: str) -> dict:
        site = domain.read_site(
            self.db, caller=self.caller, tenant_id=market_tenant(self.caller), site_id=site_id
        )
        return SiteSchema().dump(site)

    @rpc
    @requires_any(*MANAGE)
    def create_site(self, body: dict) -> dict:
        tenant_id = market_tenant(self.caller)
        data = SiteInputSchema().load(body)
        ensure_client(self, data.get("client_id") or self.caller.client_id)
        site = domain.create_site(self.db, caller=self.caller, tenant_id=tenant_id, data=data)
        return SiteSchema().dump(site)

    @rpc
    @requires_any(*MANAGE)
    def update_site(self, site_id: str, body: dict) -> dict:
        tenant_id = market_tenant(self.caller)
        data = SiteUpdateSchema().load(body)
        site = domain.update_site(
            self.db, caller=self.caller, tenant_id=tenant_id, site_id=site_id, data=data
        )
        return SiteSchema().dump(site)

    @rpc
    @requires_any(*MANAGE)
    def deactivate_site(self, site_id: str) -> dict:
        site = domain.deactivate_site(
            self.db, caller=self.caller, tenant_id=market_tenant(self.caller), site_id=site_id
        )
        return SiteSchema().dump(site)
