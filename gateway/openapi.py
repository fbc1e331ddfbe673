"""The OpenAPI 3 document, generated from the route table and the marshmallow schemas."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.schemas import DeadLetterSchema, ErrorSchema, HealthSchema

API_VERSION = "1.0.0"
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")

ERRORS = {
    "400": "The request is malformed (not JSON, wrong shape).",
    "401": "No valid access token.",
    "403": "The caller lacks the permission this action needs.",
    "404": "Not found, or not visible to this caller's CBO.",
    "409": "It conflicts with something that exists.",
    "422": "Some fields are not valid; `fields` has a message for each.",
    "503": "A service did not answer in time.",
}


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    params = []
    for converter, name in _PARAM.findall(rule):
        kind = "integer" if converter == "int" else "string"
        params.append({"name": name, "in": "path", "required": True, "schema": {"type": kind}})
    return _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule), params


def _errors(codes: list[str]) -> dict:
    return {
        code: {"description": ERRORS[code], "content": {"application/json": {"schema": "Error"}}}
        for code in codes
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
                str(route.status): _ok(
                    route.response, route.many, "No content" if route.status == 204 else "OK"
                ),
                **_errors(
                    ["400", "401", "403", "404", "409", "422", "503"]
                    if route.auth
                    else ["400", "401", "422", "503"]
                ),
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
            "503": _ok(HealthSchema, False, "At least one service is down"),
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
        "responses": {"200": _ok(DeadLetterSchema, True), **_errors(["401", "403", "503"])},
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
            **_errors(["401", "403", "404", "409", "503"]),
        },
    }
    for path, ops in operations.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()
