"""Every route of the API, one module per area."""

from gateway.routes import identity, jobseekers, tenancy
from gateway.routes.base import Route

ROUTES: tuple[Route, ...] = (*identity.ROUTES, *tenancy.ROUTES, *jobseekers.ROUTES)

__all__ = ["ROUTES", "Route"]
