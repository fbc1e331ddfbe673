"""The caller context: who is asking, for which tenant, under which correlation id.

Only the gateway creates a caller (from a verified token). It travels in nameko context data,
signed with the context secret, so a service trusts the caller and never a tenant id from a
request body. Event handlers (and timers) run as the system of their own service within the
event's tenant: it has every right in its own service, and in another service only passes
entrypoints that are `@public` or opened to it with `@for_services(...)`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from nameko.extensions import DependencyProvider

from chassis.config import settings_from
from chassis.errors import Forbidden, Unauthenticated, ValidationFailed
from chassis.logs import correlation_id_var

CALLER_KEY = "worklb.caller"
SIGNATURE_KEY = "worklb.sig"
CORRELATION_KEY = "correlation_id"

# The kinds of account a caller can be.
OPERATOR = "operator"
STAFF = "staff"
JOBSEEKER = "jobseeker"
CLIENT = "client"
SYSTEM = "system"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Caller:
    kind: str = ANONYMOUS
    user_id: str | None = None
    tenant_id: str | None = None
    roles: tuple[str, ...] = ()
    permissions: frozenset[str] = field(default_factory=frozenset)
    correlation_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # A client user's client organisation: what they book for, and all they may see.
    client_id: str | None = None
    # A system caller's service: the one whose event handler or timer is acting.
    service: str | None = None
    # The service whose entrypoint is being called: set when a worker receives the caller
    # (CallerContext), never sent on. It decides whether a system caller is at home.
    receiving_service: str | None = None
    # The address the request came from, as the gateway saw it (limits per address).
    client_address: str | None = None

    @classmethod
    def system(
        cls, *, service: str, tenant_id: str | None = None, correlation_id: str | None = None
    ) -> Caller:
        """The `service` itself acting (an event handler, a timer), within `tenant_id`."""
        return cls(
            kind=SYSTEM,
            tenant_id=tenant_id,
            correlation_id=correlation_id or uuid.uuid4().hex,
            service=service,
        )

    def received_by(self, service: str) -> Caller:
        """This caller as the entrypoints of `service` see it."""
        return replace(self, receiving_service=service)

    @property
    def authenticated(self) -> bool:
        return self.kind != ANONYMOUS

    @property
    def is_system(self) -> bool:
        """A service acting on its own (its own or another's; see `is_home_system`)."""
        return self.kind == SYSTEM

    @property
    def is_home_system(self) -> bool:
        """The system of the very service it is calling: it may do anything there."""
        return (
            self.is_system and self.service is not None and self.service == self.receiving_service
        )

    def can(self, permission: str) -> bool:
        return self.is_home_system or permission in self.permissions

    def is_service_in(self, services: Iterable[str]) -> bool:
        """A system caller acting for one of `services` (an entrypoint's @for_services)."""
        return self.is_system and self.service in set(services)

    def require(self, permission: str, *, open_to: Iterable[str] = ()) -> None:
        """Refuse unless the caller holds `permission`, is its service's own system, or is the
        system of a service in `open_to`."""
        self.require_any((permission,), open_to=open_to)

    def require_any(self, permissions: Sequence[str], *, open_to: Iterable[str] = ()) -> None:
        """As `require`, for an action any one of several permissions allows."""
        if not self.authenticated:
            raise Unauthenticated("Sign in first.")
        if any(self.can(p) for p in permissions) or self.is_service_in(open_to):
            return
        if self.is_system:
            needs = " or ".join(f"'{p}'" for p in permissions)
            raise Forbidden(f"The {self.service} service may not call this: it needs {needs}.")
        if len(permissions) == 1:
            raise Forbidden(f"You do not have the '{permissions[0]}' permission.")
        raise Forbidden(f"You need one of these permissions: {', '.join(permissions)}.")

    def require_tenant(self) -> str:
        """The caller's tenant id; refuses callers that act for no tenant."""
        if not self.authenticated:
            raise Unauthenticated("Sign in first.")
        if not self.tenant_id:
            raise Forbidden("This action belongs to a CBO; sign in with a CBO account.")
        return self.tenant_id

    def require_staff_tenant(self, *, or_system: bool = False) -> str:
        """The tenant of a CBO staff caller (with `or_system`, also the service's own system
        caller); job seekers, clients and the city are refused."""
        tenant_id = self.require_tenant()
        if self.kind != STAFF and not (or_system and self.is_system):
            raise Forbidden("Only the CBO's staff can do this.")
        return tenant_id

    def service_scope(self) -> str | None:
        """For RPCs other services call: the CBO this caller is bound to, or None for one
        that acts across CBOs (a system caller without a tenant, the platform operator)."""
        if not self.authenticated:
            raise Unauthenticated("Sign in first.")
        if self.tenant_id:
            return self.tenant_id
        if self.is_system or self.kind == OPERATOR:
            return None
        raise Forbidden("This needs a CBO or the platform.")

    def tenant_asked_about(self, tenant_id: str | None) -> str:
        """The CBO an RPC from another service asks about: a caller bound to a CBO may ask only
        of its own (and need not name it); one acting across CBOs must name it."""
        scope = self.service_scope()
        if scope is None:
            if not tenant_id:
                raise ValidationFailed(fields={"tenant_id": ["Name the CBO to ask about."]})
            return tenant_id
        if tenant_id is not None and tenant_id != scope:
            raise Forbidden("You may ask only about your own CBO.")
        return scope

    def to_json(self) -> str:
        data = asdict(self)
        # Where the caller is received is the receiver's to say, never the sender's.
        del data["receiving_service"]
        data["roles"] = list(self.roles)
        data["permissions"] = sorted(self.permissions)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Caller:
        data = json.loads(text)
        return cls(
            kind=data["kind"],
            user_id=data.get("user_id"),
            tenant_id=data.get("tenant_id"),
            roles=tuple(data.get("roles", ())),
            permissions=frozenset(data.get("permissions", ())),
            correlation_id=data.get("correlation_id") or uuid.uuid4().hex,
            client_id=data.get("client_id"),
            service=data.get("service"),
            client_address=data.get("client_address"),
        )


def staff_tenant(caller: Caller) -> str:
    """The tenant of a CBO staff caller, or of the service's own system caller acting for it."""
    return caller.require_staff_tenant(or_system=True)


def sign(payload: str, secret: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def context_data_for(caller: Caller, secret: str) -> dict[str, str]:
    """The nameko context data that carries `caller` to the services it calls."""
    payload = caller.to_json()
    return {
        CALLER_KEY: payload,
        SIGNATURE_KEY: sign(payload, secret),
        CORRELATION_KEY: caller.correlation_id,
    }


def caller_from_context_data(data: dict[str, Any], secret: str) -> Caller:
    """The verified caller in `data`, or an anonymous one if it is missing or forged."""
    payload = data.get(CALLER_KEY)
    signature = data.get(SIGNATURE_KEY)
    correlation_id = data.get(CORRELATION_KEY) or uuid.uuid4().hex
    if (
        isinstance(payload, str)
        and isinstance(signature, str)
        and secret
        and hmac.compare_digest(sign(payload, secret), signature)
    ):
        return Caller.from_json(payload)
    return Caller(correlation_id=correlation_id)


class CallerContext(DependencyProvider):
    """Injects the verified Caller of the current worker and tags its logs."""

    def setup(self) -> None:
        self.secret = settings_from(self.container.config).context_secret

    def get_dependency(self, worker_ctx) -> Caller:
        # Event and timer entrypoints sign a system caller the same way the gateway signs users.
        caller = caller_from_context_data(worker_ctx.data, self.secret)
        return caller.received_by(self.container.service_name)

    def worker_setup(self, worker_ctx) -> None:
        correlation_id_var.set(worker_ctx.data.get(CORRELATION_KEY))


def _open_to(entrypoint: Callable) -> frozenset[str]:
    return getattr(entrypoint, "open_to_services", frozenset())


def requires(permission: str) -> Callable:
    """Refuse the call unless the service's caller holds `permission` (or is a service the
    entrypoint is open to: see `for_services`).

    Every RPC entrypoint states what it needs (or `public`); a test checks that none forgets.
    """

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            self.caller.require(permission, open_to=_open_to(wrapper))
            return method(self, *args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate


def public(method: Callable) -> Callable:
    """Mark an RPC entrypoint that anybody may call (sign-in, public branding, health)."""
    method.required_permission = None  # type: ignore[attr-defined]
    return method


def for_services(*services: str) -> Callable:
    """Open a `@requires` (or `@requires_any`) entrypoint to the system callers (event
    handlers, timers) of other services, besides the people who hold the permission:

        @rpc
        @requires("clients.read")
        @for_services("booking", "rebooking")
        def get_client(self, client_id): ...

    It only records the services on the method (`open_to_services`, beside
    `required_permission`): the check is @requires's, above or below it."""
    if not services:
        raise TypeError("name at least one service")

    def decorate(method: Callable) -> Callable:
        if getattr(method, "required_permission", ...) is None:
            raise TypeError(f"{method.__name__} is @public: every service may call it already")
        method.open_to_services = _open_to(method) | frozenset(services)  # type: ignore[attr-defined]
        return method

    return decorate


def requires_any(*permissions: str) -> Callable:
    """Like `requires`, for an action that any one of several permissions allows."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            self.caller.require_any(permissions, open_to=_open_to(wrapper))
            return method(self, *args, **kwargs)

        wrapper.required_permission = " | ".join(permissions)  # type: ignore[attr-defined]
        return wrapper

    return decorate
