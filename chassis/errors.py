"""Domain errors. Services raise them; nameko carries them over RPC as themselves
(deserialize_to_instance) and the gateway turns each into its HTTP status."""

from __future__ import annotations

from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init_subclass__(cls, **kwargs) -> None:
        # Every domain error crosses RPC as itself, rebuilt from (message, fields): subclasses
        # must keep that constructor.
        super().__init_subclass__(**kwargs)
        deserialize_to_instance(cls)

    def __init__(self, message: str, fields: dict | None = None) -> None:
        super().__init__(message, fields or {})
        self.message = message
        self.fields = fields or {}

    def to_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


deserialize_to_instance(DomainError)


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"

    def __init__(self, message: str = "Some fields are not valid.", fields: dict | None = None):
        super().__init__(message, fields)


class Locked(DomainError):
    status = 423
    code = "locked"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"


class ServiceUnavailable(DomainError):
    status = 503
    code = "service_unavailable"


class BrokerUnavailable(ServiceUnavailable):
    """The message broker (RabbitMQ) cannot be reached, so no service can be asked."""
