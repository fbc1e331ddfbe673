from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from chassis.routes import Route
from gateway.openapi import ERRORS, build_openapi, openapi_path
from gateway.routes import ROUTES
from tests.unit.fakes import fake_endpoint


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


def _operation(document, route):
    path, _ = openapi_path(route.path)
    return document["paths"][path][route.method.lower()]


def test_every_status_a_routes_shape_implies_is_documented():
    document = build_openapi(ROUTES)
    for route in ROUTES:
        documented = set(_operation(document, route)["responses"])
        expected = {"401", "503"}
        if route.permission:
            expected.add("403")
        if route.method != "GET":  # a write by the people of a CBO that is not approved
            expected.add("403")
        if "<" in route.path:
            expected |= {"404", "422"}
        if route.upload:
            expected |= {"413", "415", "422"}
        elif route.body is not None:
            expected |= {"400", "413", "415", "422"}
        if route.query is not None:
            expected.add("422")
        expected |= {str(code) for code in route.errors}
        assert expected <= documented, f"{route.method} {route.path}: {expected - documented}"


def test_public_branding_logo_and_uploads_document_what_they_answer():
    document = build_openapi(ROUTES)
    paths = document["paths"]
    assert "404" in paths["/api/v1/public/cbos/{slug}/branding"]["get"]["responses"]
    assert "404" in paths["/api/v1/public/cbos/{slug}/logo"]["get"]["responses"]
    uploads = [r for r in ROUTES if r.upload]
    assert uploads
    for route in uploads:
        assert {"413", "415"} <= set(_operation(document, route)["responses"])


def test_a_routes_own_errors_are_documented_with_a_description():
    route = Route(
        "POST",
        "/api/v1/applications",
        fake_endpoint("tenancy", "apply"),
        "Apply",
        "X",
        auth=False,
        errors=(409, 429),
    )
    responses = build_openapi((route,))["paths"]["/api/v1/applications"]["post"]["responses"]
    assert responses["409"]["description"] == ERRORS["409"]
    assert "Retry-After" in responses["429"]["headers"]
    # Even a public write: a token of a CBO that is not approved is refused there too.
    assert "403" in responses
    read = Route(
        "GET", "/api/v1/things", fake_endpoint("tenancy", "things"), "Things", "X", auth=False
    )
    assert "403" not in build_openapi((read,))["paths"]["/api/v1/things"]["get"]["responses"]


def test_every_error_a_route_names_has_a_description():
    for route in ROUTES:
        for code in route.errors:
            assert str(code) in ERRORS, f"{route.method} {route.path}: {code}"


def test_downloads_document_their_bytes_not_json():
    document = build_openapi(ROUTES)
    for route in (r for r in ROUTES if r.download):
        ok = _operation(document, route)["responses"][str(route.status)]
        assert list(ok["content"]) == ["*/*"]


def test_health_answers_match_the_documented_health_schema():
    """checked_at used to be in every service's answer and not in the schema, which forbids
    unknown properties."""
    document = build_openapi(ROUTES)
    schemas = document["components"]["schemas"]
    service = schemas["ServiceHealth"]
    assert "checked_at" in service["properties"] and "checked_at" in service["required"]
    validator = OAS30Validator(
        {"$ref": "#/components/schemas/Health", "components": document["components"]}
    )
    report = {
        "status": "degraded",
        "checked_at": "2025-01-01T00:00:00+00:00",
        "broker": {"status": "up"},
        "services": {
            "identity": {
                "service": "identity",
                "status": "up",
                "checked_at": "2025-01-01T00:00:00.123456+00:00",
                "outbox_pending": 0,
                "outbox_lag_seconds": 0.0,
                "dead_letters": 0,
            },
            "evv": {
                "service": "evv",
                "status": "down",
                "checked_at": "2025-01-01T00:00:00+00:00",
                "error": "The evv service did not answer within 3 s.",
            },
        },
    }
    validator.validate(report)
    health = document["paths"]["/health"]["get"]["responses"]
    assert "Retry-After" in health["503"]["headers"]
