"""Domain errors. Services raise them; nameko carries them over RPC as themselves
(deserialize_to_instance) and the gateway turns each into its HTTP status."""

from __future__ import annotations

from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict | None = None) -> None:
        super().__init__(message, fields or {})
        self.message = message
        self.fields = fields or {}

    def to_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


def _remote(cls: type[DomainError]) -> type[DomainError]:
    return deserialize_to_instance(cls)


@_remote
class BadRequest(DomainError):
    status = 400
    code = "bad_request"


@_remote
class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


@_remote
class Forbidden(DomainError):
    status = 403
    code = "forbidden"


@_remote
class NotFound(DomainError):
    status = 404
    code = "not_found"


@_remote
class Conflict(DomainError):
    status = 409
    code = "conflict"


@_remote
class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


@_remote
class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


@_remote
class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"

    def __init__(self, message: str = "Some fields are not valid.", fields: dict | None = None):
        super().__init__(message, fields)


@_remote
class Locked(DomainError):
    status = 423
    code = "locked"


@_remote
class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"


@_remote
class ServiceUnavailable(DomainError):
    status = 503
    code = "service_unavailable"
