"""The gateway's door over real HTTP: file names in any script, values no service may be
handed (NUL, lone surrogates, deep JSON), the security headers, metrics off the public port."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
import requests

from tests.e2e.cbos import apply_and_approve
from tests.e2e.tokens import staff_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 256
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
KHMER_NAME = "ឡូហ្គោ.png"


@pytest.fixture(scope="module")
def cbo(api, operator_token, platform) -> dict:
    """An approved CBO and an owner's token."""
    slug = f"door-{uuid.uuid4().hex[:8]}"
    tenant_id = apply_and_approve(api, operator_token, slug)
    return {"id": tenant_id, "slug": slug, "owner": staff_token(platform, tenant_id, ["owner"])}


# -- fault 1 ---------------------------------------------------------------------------------


def test_a_logo_named_in_khmer_is_downloaded_by_everyone(api, cbo):
    uploaded = api(
        "PUT", "/api/v1/cbo/logo", cbo["owner"], files={"file": (KHMER_NAME, PNG, "image/png")}
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["filename"] == KHMER_NAME
    # This used to close the connection without an answer.
    logo = api("GET", f"/api/v1/public/cbos/{cbo['slug']}/logo")
    assert logo.status_code == 200 and logo.content == PNG
    disposition = logo.headers["Content-Disposition"]
    assert disposition.startswith('inline; filename="download.png";')
    assert disposition.endswith("filename*=UTF-8''" + quote(KHMER_NAME, safe=""))
    assert logo.headers["Cache-Control"] == "public, max-age=300"


def test_an_uploaded_file_keeps_only_its_base_name(api, cbo):
    uploaded = api(
        "PUT",
        "/api/v1/cbo/logo",
        cbo["owner"],
        files={"file": ("../../etc/passwd.png", PNG, "image/png")},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["filename"] == "passwd.png"
    logo = api("GET", f"/api/v1/public/cbos/{cbo['slug']}/logo")
    assert "etc" not in logo.headers["Content-Disposition"]


# -- fault 2 ---------------------------------------------------------------------------------


def _refused(response, status=422) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def test_nul_anywhere_is_a_4xx_naming_the_field(api, cbo, operator_token):
    signed_in = _refused(api("POST", "/api/v1/auth/token", json={"email": "a\x00@b.co"}))
    assert "email" in signed_in["fields"]
    nested_key = _refused(
        api("POST", "/api/v1/cbo-applications", json={"name": "x", "colors": {"a\x00": "b"}})
    )
    assert list(nested_key["fields"]) == ["colors.a\\u0000"]
    in_path = _refused(api("GET", "/api/v1/public/cbos/a%00b/branding"))
    assert list(in_path["fields"]) == ["slug"]
    newline = api("GET", "/api/v1/public/cbos/a%0Ab/branding")  # nameko's own HTML 404 before
    assert newline.status_code == 404 and newline.json()["error"]["code"] == "not_found"
    in_query = _refused(api("GET", "/api/v1/platform/cbos?search=a%00b", operator_token))
    assert list(in_query["fields"]) == ["search"]
    in_form = _refused(
        api(
            "PUT",
            "/api/v1/cbo/logo",
            cbo["owner"],
            data={"note": "a\x00b"},
            files={"file": ("logo.png", PNG, "image/png")},
        )
    )
    assert list(in_form["fields"]) == ["note"]
    in_file_name = _refused(
        api("PUT", "/api/v1/cbo/logo", cbo["owner"], files={"file": ("a\x00.png", PNG)})
    )
    assert list(in_file_name["fields"]) == ["file"]


def test_a_lone_surrogate_and_deep_nesting_are_4xx(api):
    surrogate = api(
        "POST",
        "/api/v1/auth/token",
        data='{"email": "\\ud800", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert list(_refused(surrogate)["fields"]) == ["email"]
    deep = "[" * 50_000 + "]" * 50_000
    nested = api(
        "POST",
        "/api/v1/cbo-applications",
        data='{"name": ' + deep + "}",
        headers={"Content-Type": "application/json"},
    )
    assert _refused(nested, 400)["fields"]


# -- fault 9 ---------------------------------------------------------------------------------


def test_answers_carry_the_security_headers(api, platform):
    email, password = platform.credentials
    token = api("POST", "/api/v1/auth/token", json={"email": email, "password": password})
    assert token.status_code == 200
    assert token.headers["Cache-Control"] == "no-store"
    bad_token = api("GET", "/api/v1/me", "not-a-token")  # refused before any worker runs
    assert bad_token.status_code == 401
    for response in (token, api("GET", "/api/v1/nothing"), api("GET", "/health"), bad_token):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Frame-Options"] == "DENY"
    docs = api("GET", "/api/docs")
    assert "frame-ancestors 'none'" in docs.headers["Content-Security-Policy"]
    assert docs.headers["X-Frame-Options"] == "DENY"


def test_metrics_are_served_on_the_gateways_ops_port_only(api, platform):
    assert api("GET", "/metrics").status_code == 404
    ops = platform.settings.ops_address("gateway")
    metrics = requests.get(f"http://{ops}/metrics", timeout=5)
    assert metrics.status_code == 200 and "worklb_requests_total" in metrics.text
    alive = requests.get(f"http://{ops}/health", timeout=5)
    assert alive.status_code == 200 and alive.json()["service"] == "gateway"
