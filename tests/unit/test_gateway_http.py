"""The gateway's HTTP handling on its own, with the services replaced by a fake caller."""

import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from chassis.context import Caller
from chassis.errors import Conflict, ServiceUnavailable, ValidationFailed
from gateway.http import MAX_JSON_BYTES, Api


class FakeServices:
    def __init__(self, answer=None, error=None):
        self.answer = answer
        self.error = error
        self.calls = []

    def call(self, service, method, **kwargs):
        self.calls.append((service, method, kwargs))
        if self.error:
            raise self.error
        return self.answer


def request(
    method="GET", path="/", body=None, raw=None, content_type="application/json", headers=None
):
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    builder = EnvironBuilder(
        method=method, path=path, data=data, content_type=content_type, headers=headers
    )
    return Request(builder.get_environ())


SIGNED_IN = Caller(kind="staff", user_id="u1", tenant_id="t1", correlation_id="corr-1234")
ANONYMOUS = Caller(correlation_id="corr-5678")


@pytest.fixture
def api():
    return Api(cors_origins=("https://cbo.example",))


def body_of(response):
    return json.loads(response.get_data())


def test_route_passes_body_and_returns_service_answer(api):
    services = FakeServices(answer={"access_token": "a"})
    response = api.handle(
        request("POST", "/api/v1/auth/token", {"email": "a@b.co", "password": "x"}),
        ANONYMOUS,
        services,
    )
    assert response.status_code == 200
    assert body_of(response) == {"access_token": "a"}
    assert services.calls == [
        ("identity", "sign_in", {"body": {"email": "a@b.co", "password": "x"}})
    ]
    assert response.headers["X-Request-ID"] == "corr-5678"


def test_validation_errors_keep_a_message_per_field(api):
    services = FakeServices(error=ValidationFailed(fields={"email": ["Not a valid email."]}))
    response = api.handle(
        request("POST", "/api/v1/auth/token", {"email": "x"}), ANONYMOUS, services
    )
    assert response.status_code == 422
    assert body_of(response)["error"]["fields"] == {"email": ["Not a valid email."]}
    assert body_of(response)["correlation_id"] == "corr-5678"


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("email=a", "application/x-www-form-urlencoded", 415),
    ],
)
def test_malformed_bodies_are_refused_before_any_service_is_called(api, raw, content_type, status):
    services = FakeServices()
    response = api.handle(
        request("POST", "/api/v1/auth/token", raw=raw, content_type=content_type),
        ANONYMOUS,
        services,
    )
    assert response.status_code == status
    assert body_of(response)["error"]["message"]
    assert services.calls == []


def test_oversized_body_is_refused(api):
    services = FakeServices()
    raw = json.dumps({"email": "a" * (MAX_JSON_BYTES + 10)})
    response = api.handle(request("POST", "/api/v1/auth/token", raw=raw), ANONYMOUS, services)
    assert response.status_code == 413
    assert services.calls == []


def test_authenticated_route_refuses_anonymous_callers(api):
    services = FakeServices()
    response = api.handle(request("GET", "/api/v1/me"), ANONYMOUS, services)
    assert response.status_code == 401
    assert services.calls == []


def test_domain_errors_map_to_their_status(api):
    for error, status in ((Conflict("taken"), 409), (ServiceUnavailable("slow"), 503)):
        response = api.handle(request("GET", "/api/v1/me"), SIGNED_IN, FakeServices(error=error))
        assert response.status_code == status


def test_unknown_path_and_wrong_method(api):
    assert (
        api.handle(request("GET", "/api/v1/nothing"), SIGNED_IN, FakeServices()).status_code == 404
    )
    assert api.handle(request("DELETE", "/api/v1/me"), SIGNED_IN, FakeServices()).status_code == 400


def test_dead_letters_need_the_operator_permission(api):
    response = api.handle(request("GET", "/api/v1/admin/dead-letters"), SIGNED_IN, FakeServices())
    assert response.status_code == 403


def test_cors_only_for_allowed_origins(api):
    allowed = api.handle(
        request("OPTIONS", "/api/v1/auth/token", headers={"Origin": "https://cbo.example"}),
        ANONYMOUS,
        FakeServices(),
    )
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://cbo.example"
    other = api.handle(
        request("OPTIONS", "/api/v1/auth/token", headers={"Origin": "https://evil.example"}),
        ANONYMOUS,
        FakeServices(),
    )
    assert "Access-Control-Allow-Origin" not in other.headers


def test_replaying_an_impossible_dead_letter_id_is_not_found(api):
    operator = Caller(kind="operator", user_id="op", permissions=frozenset({"platform.operate"}))
    response = api.handle(
        request("POST", f"/api/v1/admin/dead-letters/identity/{10**20}/replay"),
        operator,
        FakeServices(),
    )
    assert response.status_code == 404
