"""The RPCs one service offers another: a request and a response schema for each, and the
typed client base that checks both ends.

Each offering service has `chassis/contracts/<service>_rpc.py` with its contracts and a
client (`TenancyClient(services).source_rules(source_id=..., on_date=...)`), so a caller needs
nothing of the other service but its name: booking never imports identity. The client refuses
a bad request before sending it (ValidationFailed, a 422 naming each field) and loads the
answer with the response schema (BrokenContract if it does not fit: a fault, not the caller's).
The modules are found and imported when this one is, so a test can hold every contract against
the service that offers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from marshmallow import Schema, ValidationError
from marshmallow.fields import Field

from chassis.contracts import import_contract_modules
from chassis.errors import ValidationFailed


class CallsServices(Protocol):
    """What a client sends through: chassis.rpc.ServiceCaller (a `Services()` dependency) or
    anything with the same `call`."""

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any: ...


class BrokenContract(RuntimeError):
    """A service answered something its contract does not allow."""


@dataclass(frozen=True)
class RpcContract:
    service: str
    method: str
    # The keyword arguments of the call, named as the entrypoint's parameters.
    request: Schema
    # A Schema for an object (or a list of them, many=True); a Field for a bare value.
    response: Schema | Field
    description: str

    def wire_request(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments as they travel (JSON: dates as ISO strings), once they are valid."""
        try:
            loaded = self.request.load(arguments)
        except ValidationError as exc:
            raise ValidationFailed(fields=exc.normalized_messages()) from exc
        return self.request.dump(loaded)

    def load_response(self, answer: Any) -> Any:
        try:
            if isinstance(self.response, Schema):
                return self.response.load(answer)
            return self.response.deserialize(answer)
        except ValidationError as exc:
            raise BrokenContract(
                f"{self.service}.{self.method} answered outside its contract: {exc.messages}"
            ) from exc


RPC_CONTRACTS: dict[tuple[str, str], RpcContract] = {}


def rpc_contract(
    service: str,
    method: str,
    *,
    request: type[Schema],
    response: Schema | Field,
    description: str = "",
) -> RpcContract:
    """Register the contract of `service.method` (an RPC other services call)."""
    key = (service, method)
    if key in RPC_CONTRACTS:
        raise ValueError(f"the contract of {service}.{method} is registered twice")
    contract = RpcContract(service, method, request(), response, description)
    RPC_CONTRACTS[key] = contract
    return contract


class ServiceClient:
    """Base of the typed clients: one method per contract of `service`."""

    service: ClassVar[str]

    def __init__(self, services: CallsServices, *, timeout: float | None = None) -> None:
        self._services = services
        self._timeout = timeout

    def _call(self, contract: RpcContract, **arguments: Any) -> Any:
        wire = contract.wire_request(arguments)
        if self._timeout is not None:
            wire["timeout"] = self._timeout
        answer = self._services.call(contract.service, contract.method, **wire)
        return contract.load_response(answer)


# Every offering service's contracts register themselves on import (they import from here).
import_contract_modules("_rpc")
