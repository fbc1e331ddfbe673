"""The running platform, driven over HTTP through the gateway only."""

from __future__ import annotations

import json

import requests
from openapi_spec_validator import validate

from chassis.config import SERVICE_NAMES


def test_health_reports_every_service_up(api):
    response = api("GET", "/health")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "up"
    assert sorted(report["services"]) == sorted(SERVICE_NAMES)
    assert all(entry["status"] == "up" for entry in report["services"].values())


def test_each_service_answers_its_own_probe_and_metrics(platform):
    base = platform.settings.ops_port_base
    for offset, service in enumerate(SERVICE_NAMES):
        health = requests.get(f"http://127.0.0.1:{base + offset}/health", timeout=5)
        assert health.status_code == 200 and health.json()["service"] == service
        metrics = requests.get(f"http://127.0.0.1:{base + offset}/metrics", timeout=5)
        assert "worklb_requests_total" in metrics.text


def test_openapi_document_validates_and_docs_page_serves(api):
    document = api("GET", "/api/openapi.json").json()
    validate(document)
    assert "/api/v1/auth/token" in document["paths"]
    docs = api("GET", "/api/docs")
    assert docs.status_code == 200 and "SwaggerUIBundle" in docs.text
    assert api("GET", "/api/docs/swagger-ui-bundle.js").status_code == 200


def test_sign_in_then_whoami(api, platform, operator_token):
    response = api("GET", "/api/v1/me", operator_token, headers={"X-Request-ID": "e2e-trace-0001"})
    assert response.status_code == 200
    me = response.json()
    assert me["email"] == platform.credentials[0]
    assert me["kind"] == "operator" and me["tenant_id"] is None
    assert "platform.operate" in me["permissions"]
    assert response.headers["X-Request-ID"] == "e2e-trace-0001"
    gateway_log = (platform.var / "log" / "gateway.log").read_text()
    logged = [json.loads(line) for line in gateway_log.splitlines() if "e2e-trace-0001" in line]
    assert logged and logged[0]["path"] == "/api/v1/me" and logged[0]["status"] == 200


def test_wrong_password_and_bad_input(api, platform):
    email, _ = platform.credentials
    wrong = api(
        "POST", "/api/v1/auth/token", json={"email": "nobody@example.org", "password": "nope"}
    )
    assert wrong.status_code == 401
    invalid = api("POST", "/api/v1/auth/token", json={"email": "not an email", "password": 7})
    assert invalid.status_code == 422
    assert set(invalid.json()["error"]["fields"]) == {"email", "password"}
    malformed = api(
        "POST", "/api/v1/auth/token", data="{oops", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert (
        api(
            "POST",
            "/api/v1/auth/token",
            data="email=a",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).status_code
        == 415
    )


def test_requests_without_a_valid_token_are_refused(api, operator_token):
    assert api("GET", "/api/v1/me").status_code == 401
    assert api("GET", "/api/v1/me", "not.a.token").status_code == 401
    tampered = operator_token[:-4] + ("AAAA" if not operator_token.endswith("AAAA") else "BBBB")
    assert api("GET", "/api/v1/me", tampered).status_code == 401
    assert api("GET", "/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_refresh_rotation_and_sign_out(api, platform):
    email, password = platform.credentials
    pair = api("POST", "/api/v1/auth/token", json={"email": email, "password": password}).json()
    rotated = api("POST", "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200
    reused = api("POST", "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401
    out = api(
        "POST", "/api/v1/auth/sign-out", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert out.status_code == 204
    after = api(
        "POST", "/api/v1/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert after.status_code == 401


def test_operator_lists_dead_letters(api, operator_token):
    response = api("GET", "/api/v1/admin/dead-letters", operator_token)
    assert response.status_code == 200
    assert response.json() == []
    missing = api("POST", "/api/v1/admin/dead-letters/identity/999999/replay", operator_token)
    assert missing.status_code == 404
    unknown = api("GET", "/api/v1/admin/dead-letters?service=nope", operator_token)
    assert unknown.status_code == 400 and "service" in unknown.json()["error"]["fields"]


def test_unknown_paths_answer_json_404(api):
    response = api("GET", "/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_gateway_metrics_are_on_its_ops_port_not_the_public_one(api, platform):
    ops = platform.settings.ops_address("gateway")
    assert "worklb_requests_total" in requests.get(f"http://{ops}/metrics", timeout=5).text
    assert api("GET", "/metrics").status_code == 404
