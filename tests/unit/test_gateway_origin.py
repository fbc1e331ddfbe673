"""The gateway's per-CBO origin check (the embedded login box) and file downloads, with the
services replaced by a fake caller."""

from __future__ import annotations

import base64
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from chassis.context import Caller
from chassis.errors import NotFound
from chassis.routes import Route
from gateway.http import Api
from gateway.routes import ROUTES
from tests.unit.fakes import fake_endpoint

CBO_SITE = "https://www.harbor.example.org"
PLATFORM = "https://worklb.example.gov"
ANONYMOUS = Caller(correlation_id="corr-0001")

SIGN_IN = Route(
    "POST",
    "/api/v1/cbos/<slug>/auth/token",
    fake_endpoint("identity", "sign_in"),
    "Sign in to a CBO",
    "Accounts",
    auth=False,
    origin_checked=True,
)
PLAIN = Route(
    "GET", "/api/v1/cbos/<slug>/plain", fake_endpoint("identity", "plain"), "Not checked", "X"
)
LOGO = Route(
    "GET",
    "/api/v1/files/<slug>",
    fake_endpoint("tenancy", "logo"),
    "A logo",
    "X",
    auth=False,
    download=True,
)
PDF = Route(
    "GET", "/api/v1/private/<slug>", fake_endpoint("tenancy", "pdf"), "A PDF", "X", download=True
)


class FakeServices:
    """Answers login_box from a table of CBOs; every other call gets `answer`."""

    def __init__(self, cbos: dict[str, list[str]] | None = None, answer=None) -> None:
        self.cbos = cbos if cbos is not None else {"harbor": [CBO_SITE]}
        self.answer = answer if answer is not None else {"ok": True}
        self.calls: list[tuple[str, str, dict]] = []

    def call(self, service, method, **kwargs):
        self.calls.append((service, method, kwargs))
        if method == "login_box":
            slug = kwargs["slug"]
            if slug not in self.cbos:
                raise NotFound("There is no such CBO.")
            return {
                "tenant_id": f"id-{slug}",
                "slug": slug,
                "status": "approved",
                "allowed_origins": self.cbos[slug],
            }
        return self.answer

    def lookups(self) -> int:
        return sum(1 for _, method, _ in self.calls if method == "login_box")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def request(method: str, path: str, origin: str | None = None, **headers) -> Request:
    if origin:
        headers["Origin"] = origin
    body = json.dumps({"email": "a@b.co", "password": "x"}) if method == "POST" else None
    builder = EnvironBuilder(
        method=method,
        path=path,
        data=body,
        content_type="application/json",
        headers=headers,
        base_url="http://gateway.internal:8000",
    )
    return Request(builder.get_environ())


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def api(clock):
    return Api(routes=(SIGN_IN, PLAIN, LOGO, PDF), own_origins=(PLATFORM,), clock=clock)


def test_an_allowed_cbo_site_gets_through_with_cors_headers(api):
    services = FakeServices()
    response = api.handle(
        request("POST", "/api/v1/cbos/harbor/auth/token", CBO_SITE), ANONYMOUS, services
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == CBO_SITE
    assert response.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert services.calls[-1][:2] == ("identity", "sign_in")


def test_another_site_is_refused_before_the_service_is_called(api):
    services = FakeServices()
    response = api.handle(
        request("POST", "/api/v1/cbos/harbor/auth/token", "https://evil.example"),
        ANONYMOUS,
        services,
    )
    assert response.status_code == 403
    assert json.loads(response.get_data())["error"]["code"] == "forbidden"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert [method for _, method, _ in services.calls] == ["login_box"]


def test_a_site_allowed_by_one_cbo_is_not_allowed_for_another(api):
    services = FakeServices({"harbor": [CBO_SITE], "other": ["https://other.example.org"]})
    response = api.handle(
        request("POST", "/api/v1/cbos/other/auth/token", CBO_SITE), ANONYMOUS, services
    )
    assert response.status_code == 403


def test_unknown_cbo_is_404(api):
    response = api.handle(
        request("POST", "/api/v1/cbos/nobody/auth/token", CBO_SITE), ANONYMOUS, FakeServices()
    )
    assert response.status_code == 404


@pytest.mark.parametrize("origin", [None, PLATFORM, "http://gateway.internal:8000"])
def test_the_platform_itself_and_non_browser_calls_are_not_checked(api, origin):
    services = FakeServices(cbos={})
    response = api.handle(
        request("POST", "/api/v1/cbos/harbor/auth/token", origin), ANONYMOUS, services
    )
    assert response.status_code == 200
    assert services.lookups() == 0
    assert "Access-Control-Allow-Origin" not in response.headers


def test_routes_without_the_flag_are_not_checked(api):
    services = FakeServices(cbos={})
    response = api.handle(
        request("GET", "/api/v1/cbos/harbor/plain", "https://evil.example"),
        Caller(kind="staff", user_id="u", tenant_id="t"),
        services,
    )
    assert response.status_code == 200 and services.lookups() == 0


def test_preflight_answers_with_the_cbos_allowed_origin(api):
    services = FakeServices()
    allowed = api.handle(
        request(
            "OPTIONS",
            "/api/v1/cbos/harbor/auth/token",
            CBO_SITE,
            **{"Access-Control-Request-Method": "POST"},
        ),
        ANONYMOUS,
        services,
    )
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == CBO_SITE
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in allowed.headers["Access-Control-Allow-Headers"]
    refused = api.handle(
        request(
            "OPTIONS",
            "/api/v1/cbos/harbor/auth/token",
            "https://evil.example",
            **{"Access-Control-Request-Method": "POST"},
        ),
        ANONYMOUS,
        services,
    )
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers
    # Neither preflight reached identity.
    assert all(method == "login_box" for _, method, _ in services.calls)


def test_login_box_answers_are_cached_for_a_short_while(api, clock):
    services = FakeServices()
    for _ in range(5):
        api.handle(request("POST", "/api/v1/cbos/harbor/auth/token", CBO_SITE), ANONYMOUS, services)
    assert services.lookups() == 1
    # The CBO removes the site; within the cache time the old answer stands, then it is gone.
    services.cbos["harbor"] = []
    clock.now += 29
    ok = api.handle(
        request("POST", "/api/v1/cbos/harbor/auth/token", CBO_SITE), ANONYMOUS, services
    )
    assert ok.status_code == 200
    clock.now += 2
    refused = api.handle(
        request("POST", "/api/v1/cbos/harbor/auth/token", CBO_SITE), ANONYMOUS, services
    )
    assert refused.status_code == 403 and services.lookups() == 2


def test_unknown_cbos_are_cached_too(api):
    services = FakeServices()
    for _ in range(3):
        api.handle(request("POST", "/api/v1/cbos/nobody/auth/token", CBO_SITE), ANONYMOUS, services)
    assert services.lookups() == 1


def test_downloads_send_the_files_bytes(api):
    image = b"\x89PNG\r\n\x1a\nimage"
    services = FakeServices(
        answer={
            "filename": "logo.png",
            "content_type": "image/png",
            "data": base64.b64encode(image).decode(),
        }
    )
    response = api.handle(request("GET", "/api/v1/files/harbor"), ANONYMOUS, services)
    assert response.status_code == 200
    assert response.get_data() == image
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "public" in response.headers["Cache-Control"]


def test_private_documents_are_attachments_and_not_cached(api):
    services = FakeServices(
        answer={
            "filename": "MOU signed.pdf",
            "content_type": "application/pdf",
            "data": base64.b64encode(b"%PDF-1.7").decode(),
        }
    )
    response = api.handle(
        request("GET", "/api/v1/private/harbor"),
        Caller(kind="operator", user_id="op"),
        services,
    )
    assert response.get_data() == b"%PDF-1.7"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "MOU signed.pdf" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"


def test_tenancy_routes_are_wired():
    by_rpc = {route.rpc: route for route in ROUTES if route.service == "tenancy"}
    assert by_rpc["apply"].auth is False and by_rpc["apply"].status == 201
    assert by_rpc["public_logo"].download and not by_rpc["public_logo"].auth
    assert by_rpc["set_logo"].upload and by_rpc["attach_mou_document"].upload
    assert by_rpc["tenant_mou_document"].download and by_rpc["own_mou_document"].download
