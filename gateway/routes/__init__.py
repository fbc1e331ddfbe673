"""Every route of the API, one module per service that serves them."""

from gateway.routes import identity
from gateway.routes.base import Route

ROUTES: tuple[Route, ...] = (*identity.ROUTES,)

__all__ = ["ROUTES", "Route"]
