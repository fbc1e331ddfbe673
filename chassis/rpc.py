"""RPC between services, every call bounded by a timeout."""

from __future__ import annotations

from typing import Any

import eventlet
from amqp.exceptions import ConnectionError as AmqpConnectionError
from amqp.exceptions import RecoverableConnectionError
from kombu.exceptions import OperationalError
from nameko.constants import NON_PERSISTENT
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, ReplyListener

from chassis.config import settings_from
from chassis.errors import BrokerUnavailable, ServiceUnavailable

# What publishing a call raises when RabbitMQ is down or the connection to it was cut (after
# kombu's own retries): refused or reset sockets, and kombu's wrapper of them.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    OperationalError,
    AmqpConnectionError,
    RecoverableConnectionError,
)


class ServiceCaller:
    """Calls `service.method(...)` on the bus within the worker's context (caller propagates)."""

    def __init__(self, worker_ctx, reply_listener: ReplyListener, timeout: float) -> None:
        self.worker_ctx = worker_ctx
        self.reply_listener = reply_listener
        self.timeout = timeout

    def call_async(self, service: str, method: str, *args: Any, **kwargs: Any):
        # Transient: a call outliving a broker restart would be answered to no one (the caller
        # has timed out). Confirmed still: that is how an unknown service is told apart.
        proxy = MethodProxy(
            self.worker_ctx, service, method, self.reply_listener, delivery_mode=NON_PERSISTENT
        )
        try:
            return proxy.call_async(*args, **kwargs)
        except UnknownService as exc:
            raise ServiceUnavailable(f"The {service} service is not running.") from exc
        except BROKER_ERRORS as exc:
            raise BrokerUnavailable(
                "The message broker cannot be reached, so no service can be asked; "
                "try again shortly."
            ) from exc

    def wait(self, reply, service: str, timeout: float | None = None) -> Any:
        limit = self.timeout if timeout is None else timeout
        try:
            with eventlet.Timeout(limit):
                return reply.result()
        except eventlet.Timeout as exc:
            raise ServiceUnavailable(
                f"The {service} service did not answer within {limit:g} s."
            ) from exc

    def call(
        self, service: str, method: str, *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> Any:
        return self.wait(self.call_async(service, method, *args, **kwargs), service, timeout)


class Services(DependencyProvider):
    """Injects a ServiceCaller for any service (typed clients in chassis/contracts wrap it);
    `timeout` defaults to WORKLB_RPC_TIMEOUT."""

    rpc_reply_listener = ReplyListener()

    def __init__(self, timeout: float | None = None) -> None:
        self.requested_timeout = timeout
        self.timeout = 0.0

    def setup(self) -> None:
        self.timeout = self.requested_timeout or settings_from(self.container.config).rpc_timeout

    def get_dependency(self, worker_ctx) -> ServiceCaller:
        return ServiceCaller(worker_ctx, self.rpc_reply_listener, self.timeout)
