from openapi_spec_validator import validate

from gateway.openapi import build_openapi, openapi_path
from gateway.routes import ROUTES


def test_openapi_document_is_valid_openapi_3():
    document = build_openapi(ROUTES)
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_route_is_documented_with_its_schemas():
    document = build_openapi(ROUTES)
    for route in ROUTES:
        path, _ = openapi_path(route.path)
        operation = document["paths"][path][route.method.lower()]
        assert operation["summary"] == route.summary
        if route.body is not None:
            assert "requestBody" in operation
        if route.auth:
            assert operation["security"] == [{"bearer": []}]


def test_path_parameters_are_converted():
    path, params = openapi_path("/api/v1/things/<thing_id>/parts/<int:part>")
    assert path == "/api/v1/things/{thing_id}/parts/{part}"
    assert [p["schema"]["type"] for p in params] == ["string", "integer"]


def test_the_permission_a_route_needs_is_read_from_its_entrypoint():
    document = build_openapi(ROUTES)
    guarded = [r for r in ROUTES if r.permission]
    assert guarded
    for route in guarded:
        path, _ = openapi_path(route.path)
        operation = document["paths"][path][route.method.lower()]
        assert operation["x-permission"] == route.endpoint.required_permission
        assert f"`{route.endpoint.required_permission}`" in operation["description"]
