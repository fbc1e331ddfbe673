"""The OpenAPI 3 document, generated from the route table and the marshmallow schemas."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.schemas import DeadLetterSchema, ErrorSchema, HealthSchema

API_VERSION = "1.0.0"
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")

# Every error status the API answers, and what it means. A route's own extra statuses
# (Route.errors) must be listed here too (tests/unit/test_openapi.py checks it).
ERRORS = {
    "400": "The request is malformed: not JSON, not an object, or nested too deeply.",
    "401": "No valid access token: none sent where one is needed, or one that is not valid "
    "(also on public routes, when a token is sent).",
    "403": "The caller lacks the permission this action needs, or its CBO may not do it.",
    "404": "Not found, or not visible to this caller's CBO.",
    "409": "It conflicts with something that exists or with the state it is in.",
    "413": "The body or the file is larger than this route takes.",
    "415": "The body or the file is not of a type this route takes.",
    "422": "Some fields are not valid (a NUL character or a lone surrogate included); `fields` "
    "has a message for each.",
    "423": "The account is locked for a while after repeated failed sign-ins.",
    "429": "Too many requests; try again after the Retry-After header's seconds.",
    "503": "A service or the message broker did not answer; try again after the Retry-After "
    "header's seconds.",
}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer"},
}


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    params = []
    for converter, name in _PARAM.findall(rule):
        kind = "integer" if converter == "int" else "string"
        params.append({"name": name, "in": "path", "required": True, "schema": {"type": kind}})
    return _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule), params


def _errors(codes) -> dict:
    answers: dict[str, dict] = {}
    for code in sorted({str(c) for c in codes}):
        answers[code] = {
            "description": ERRORS[code],
            "content": {"application/json": {"schema": "Error"}},
        }
        if code in ("429", "503"):
            answers[code]["headers"] = {"Retry-After": RETRY_AFTER}
    return answers


def error_statuses(route) -> set[int]:
    """Every error status a route can answer: those its shape implies (what the gateway and
    the chassis check for every route of that shape) plus the route's own `errors`."""
    statuses = {401, 503}  # 401 also for a bad token sent to a public route
    if route.auth and route.permission:
        statuses.add(403)
    if route.method in ("POST", "PUT", "PATCH", "DELETE"):
        # The session check refuses any write with a token of a CBO that is not approved.
        statuses.add(403)
    if _PARAM.search(route.path):
        statuses |= {404, 422}  # no such thing; a NUL character in a path parameter
    if route.origin_checked:
        statuses |= {403, 404}  # a site the CBO does not allow; no such CBO
    if route.upload:
        statuses |= {413, 415, 422}
    elif route.form_signed_by:
        statuses |= {403, 413, 415, 422}  # 403: the signature does not match
    elif route.body is not None:
        statuses |= {400, 413, 415, 422}
    if route.query is not None:
        statuses.add(422)
    return statuses | set(route.errors)


def _download() -> dict:
    return {
        "description": "The file's bytes (Content-Disposition gives its name)",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }


def _ok(schema, many: bool, description: str = "OK") -> dict:
    if schema is None:
        return {"description": description}
    ref = schema if not many else {"type": "array", "items": schema}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def build_openapi(routes) -> dict:
    spec = APISpec(
        title="WorkLB API",
        version=API_VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "The HTTP API of WorkLB, the white-label market for hourly work "
            "run by community-based organisations."
        },
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.schema("Error", schema=ErrorSchema)
    operations: dict[str, dict] = {}
    for route in routes:
        path, params = openapi_path(route.path)
        operation: dict = {
            "summary": route.summary,
            "tags": [route.tag],
            "operationId": f"{route.service}_{route.rpc}",
            "responses": {
                str(route.status): _download()
                if route.download
                else _ok(route.response, route.many, "No content" if route.status == 204 else "OK"),
                **_errors(error_statuses(route)),
            },
        }
        description = route.description
        permission = route.permission
        if permission:
            # Read from the entrypoint's @requires: the one place the permission is written.
            operation["x-permission"] = permission
            needs = f"Needs the `{permission}` permission."
            description = f"{description}\n\n{needs}" if description else needs
        if description:
            operation["description"] = description
        if params:
            operation["parameters"] = params
        if route.query is not None:
            operation.setdefault("parameters", []).append({"in": "query", "schema": route.query})
        if route.upload:
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {"file": {"type": "string", "format": "binary"}},
                            "additionalProperties": {"type": "string"},
                        }
                    }
                },
            }
        elif route.form_signed_by:
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {"type": "object", "additionalProperties": {"type": "string"}}
                    }
                },
            }
            operation.setdefault("parameters", []).append(
                {
                    "in": "header",
                    "name": route.form_signed_by,
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "The provider's signature of the URL and the fields.",
                }
            )
        elif route.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": route.body}},
            }
        if route.auth:
            operation["security"] = [{"bearer": []}]
        operations.setdefault(path, {})[route.method.lower()] = operation

    operations.setdefault("/health", {})["get"] = {
        "summary": "Health of every service",
        "tags": ["Operations"],
        "operationId": "gateway_health",
        "responses": {
            "200": _ok(HealthSchema, False, "Every service is up"),
            "503": {
                **_ok(HealthSchema, False, "The broker or at least one service is down"),
                "headers": {"Retry-After": RETRY_AFTER},
            },
        },
    }
    operations.setdefault("/api/v1/admin/dead-letters", {})["get"] = {
        "summary": "Events that failed every retry, in every service",
        "tags": ["Operations"],
        "operationId": "gateway_list_dead_letters",
        "security": [{"bearer": []}],
        "parameters": [
            {"name": "service", "in": "query", "schema": {"type": "string"}},
            {"name": "include_replayed", "in": "query", "schema": {"type": "boolean"}},
        ],
        "responses": {
            "200": _ok(DeadLetterSchema, True),
            **_errors([400, 401, 403, 503]),
        },
    }
    replay_path, replay_params = openapi_path(
        "/api/v1/admin/dead-letters/<service>/<int:dead_letter_id>/replay"
    )
    operations.setdefault(replay_path, {})["post"] = {
        "summary": "Put a dead letter back on its handler's queue",
        "tags": ["Operations"],
        "operationId": "gateway_replay_dead_letter",
        "security": [{"bearer": []}],
        "parameters": replay_params,
        "responses": {
            "200": {"description": "Replayed"},
            **_errors([401, 403, 404, 409, 422, 503]),
        },
    }
    for path, ops in operations.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()
