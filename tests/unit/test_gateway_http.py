"""The gateway's HTTP handling on its own, with the services replaced by a fake caller."""

import base64
import io
import json
from urllib.parse import quote

import pytest
from kombu.exceptions import OperationalError
from marshmallow import Schema, fields
from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from chassis.config import SERVICE_NAMES
from chassis.context import Caller
from chassis.errors import BrokerUnavailable, Conflict, ServiceUnavailable, ValidationFailed
from chassis.routes import Route
from chassis.rpc import ServiceCaller
from gateway.http import (
    DOCS_SCRIPT,
    MAX_JSON_BYTES,
    PUBLIC_CACHE,
    RETRY_AFTER_SECONDS,
    Api,
    content_disposition,
    page_response,
    script_hash,
    secure,
)
from gateway.schemas import HealthSchema
from gateway.web import AnyPath
from tests.unit.fakes import fake_endpoint


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


# -- what the gateway refuses, sends and says, with routes of every shape (fakes) -------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


class ShapeQuery(Schema):
    search = fields.String()


class ShapeBody(Schema):
    name = fields.String()


PUBLIC_BODY = Route(
    "POST",
    "/api/v1/open",
    fake_endpoint("identity", "open"),
    "Open",
    "X",
    body=ShapeBody,
    auth=False,
)
PUBLIC_READ = Route(
    "GET", "/api/v1/public/<slug>", fake_endpoint("tenancy", "page"), "Page", "X", auth=False
)
PUBLIC_FILE = Route(
    "GET",
    "/api/v1/public/<slug>/logo",
    fake_endpoint("tenancy", "logo"),
    "Logo",
    "X",
    auth=False,
    download=True,
)
PRIVATE_FILE = Route(
    "GET", "/api/v1/files/<file_id>", fake_endpoint("tenancy", "file"), "File", "X", download=True
)
LISTING = Route(
    "GET",
    "/api/v1/things",
    fake_endpoint("tenancy", "things", "things.read"),
    "Things",
    "X",
    query=ShapeQuery,
)
UPLOAD = Route(
    "PUT",
    "/api/v1/things/<thing_id>/file",
    fake_endpoint("tenancy", "attach", "things.manage"),
    "Attach",
    "X",
    upload=True,
)
SIGN_IN = Route(
    "POST",
    "/api/v1/cbos/<slug>/auth/token",
    fake_endpoint("identity", "sign_in"),
    "Sign in",
    "X",
    body=ShapeBody,
    auth=False,
    origin_checked=True,
)
SHAPES = (PUBLIC_BODY, PUBLIC_READ, PUBLIC_FILE, PRIVATE_FILE, LISTING, UPLOAD, SIGN_IN)


@pytest.fixture
def shapes():
    return Api(routes=SHAPES)


def upload_request(path, filename, fields_=None):
    builder = EnvironBuilder(
        method="PUT",
        path=path,
        data={"file": (io.BytesIO(PNG), filename), **(fields_ or {})},
    )
    return Request(builder.get_environ())


def refused(response, status=422):
    assert response.status_code == status, response.get_data(as_text=True)
    return body_of(response)["error"]


# Fault 1: file names in any script, and never a client's path


def test_a_download_named_in_khmer_gets_an_rfc_6266_header_a_server_can_send(shapes):
    logo = {"filename": "ឡូហ្គោ.png", "content_type": "image/png", "data": base64.b64encode(PNG)}
    response = shapes.handle(
        request("GET", "/api/v1/public/harbor/logo"),
        ANONYMOUS,
        FakeServices(answer={**logo, "data": logo["data"].decode()}),
    )
    assert response.status_code == 200 and response.get_data() == PNG
    disposition = response.headers["Content-Disposition"]
    disposition.encode("ascii")  # a WSGI server writes headers as latin-1: this must not fail
    assert disposition == (
        "inline; filename=\"download.png\"; filename*=UTF-8''" + quote("ឡូហ្គោ.png", safe="")
    )


@pytest.mark.parametrize(
    ("stored", "fallback", "encoded"),
    [
        ('we "said".pdf', "we said.pdf", "we%20%22said%22.pdf"),
        ("Café\x07 mou.pdf", "Cafe mou.pdf", "Caf%C3%A9%20mou.pdf"),
        ("../../etc/passwd", "passwd", "passwd"),
        ("C:\\x\\y.pdf", "y.pdf", "y.pdf"),
        ("", "download", "download"),
    ],
)
def test_download_names_are_sent_as_a_safe_ascii_fallback_and_utf8(stored, fallback, encoded):
    assert content_disposition("attachment", stored) == (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    )


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ('"../../etc/passwd.png"', "passwd.png"),
        ('"C:\\\\x\\\\y.png"', "y.png"),  # a quoted string: each backslash escaped
        ('"ឡូហ្គោ.png"', "ឡូហ្គោ.png"),
    ],
)
def test_an_upload_keeps_only_the_base_name_of_the_file(shapes, sent, kept):
    part = (
        (
            f'--B\r\nContent-Disposition: form-data; name="file"; filename={sent}\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + PNG
        + b"\r\n--B--\r\n"
    )
    builder = EnvironBuilder(
        method="PUT",
        path="/api/v1/things/t1/file",
        input_stream=io.BytesIO(part),
        content_length=len(part),
        content_type="multipart/form-data; boundary=B",
    )
    services = FakeServices(answer={"ok": True})
    response = shapes.handle(Request(builder.get_environ()), SIGNED_IN, services)
    assert response.status_code == 200
    assert services.calls[0][2]["body"]["file"]["filename"] == kept


# Fault 2: NUL characters, lone surrogates and deep nesting never reach a service


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"name": "a\\u0000b"}', "name"),
        ('{"name": {"first": ["x", "\\u0000"]}}', "name.first[1]"),
        ('{"na\\u0000me": "x"}', "na\\u0000me"),
        ('{"name": "\\ud800"}', "name"),
        ('{"\\udfff": 1}', "\\udfff"),
    ],
)
def test_nul_and_lone_surrogates_in_json_are_422_naming_the_field(shapes, raw, field):
    services = FakeServices()
    error = refused(shapes.handle(request("POST", "/api/v1/open", raw=raw), ANONYMOUS, services))
    assert list(error["fields"]) == [field]
    assert services.calls == []


@pytest.mark.parametrize("depth", [65, 500, 50_000])
def test_deeply_nested_json_is_400_naming_the_body(shapes, depth):
    raw = '{"name": ' + "[" * depth + "]" * depth + "}"
    assert len(raw) < MAX_JSON_BYTES
    services = FakeServices()
    response = shapes.handle(request("POST", "/api/v1/open", raw=raw), ANONYMOUS, services)
    error = refused(response, 400)
    assert error["fields"] and "levels" in error["message"]
    assert services.calls == []


def test_json_nested_to_the_limit_is_passed_on(shapes):
    raw = '{"name": ' + "[" * 62 + "]" * 62 + "}"
    services = FakeServices(answer={"ok": True})
    assert shapes.handle(request("POST", "/api/v1/open", raw=raw), ANONYMOUS, services).status_code
    assert len(services.calls) == 1


def test_nul_in_a_path_parameter_is_422_naming_it(shapes):
    services = FakeServices()
    error = refused(shapes.handle(request("GET", "/api/v1/public/a%00b"), ANONYMOUS, services))
    assert list(error["fields"]) == ["slug"]
    assert services.calls == []


def test_nul_in_an_origin_checked_slug_is_refused_before_the_origin_check(shapes):
    services = FakeServices()
    response = shapes.handle(
        request(
            "POST",
            "/api/v1/cbos/a%00b/auth/token",
            {"name": "x"},
            headers={"Origin": "https://site.example"},
        ),
        ANONYMOUS,
        services,
    )
    assert list(refused(response)["fields"]) == ["slug"]
    assert services.calls == []


@pytest.mark.parametrize("query", ["search=a%00b", "sea%00rch=x"])
def test_nul_in_a_query_parameter_is_422_naming_it(shapes, query):
    services = FakeServices()
    error = refused(shapes.handle(request("GET", f"/api/v1/things?{query}"), SIGNED_IN, services))
    assert error["fields"]
    assert services.calls == []


def test_nul_in_a_form_field_or_a_file_name_is_422_naming_it(shapes):
    services = FakeServices()
    in_field = shapes.handle(
        upload_request("/api/v1/things/t1/file", "a.png", {"note": "a\x00b"}), SIGNED_IN, services
    )
    assert list(refused(in_field)["fields"]) == ["note"]
    in_name = shapes.handle(
        upload_request("/api/v1/things/t1/file", "a\x00.png"), SIGNED_IN, services
    )
    assert list(refused(in_name)["fields"]) == ["file"]
    assert services.calls == []


def test_nan_and_infinity_are_not_json(shapes):
    response = shapes.handle(
        request("POST", "/api/v1/open", raw='{"name": NaN}'), ANONYMOUS, FakeServices()
    )
    assert response.status_code == 400


# Fault 9: the headers a web app of this kind sends


def test_every_answer_says_nosniff_no_referrer_and_no_framing(shapes):
    for response in (
        shapes.handle(request("GET", "/api/v1/things"), SIGNED_IN, FakeServices(answer=[])),
        shapes.handle(request("GET", "/api/v1/nothing"), SIGNED_IN, FakeServices()),
        shapes.handle(request("GET", "/api/openapi.json"), ANONYMOUS, FakeServices()),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_api_answers_are_never_stored_but_public_reads_may_be_cached(shapes):
    private = shapes.handle(request("GET", "/api/v1/things"), SIGNED_IN, FakeServices(answer=[]))
    token = shapes.handle(
        request("POST", "/api/v1/open", {"name": "x"}), ANONYMOUS, FakeServices(answer={"t": 1})
    )
    error = shapes.handle(request("GET", "/api/v1/things"), ANONYMOUS, FakeServices())
    assert [r.headers["Cache-Control"] for r in (private, token, error)] == ["no-store"] * 3
    public = shapes.handle(
        request("GET", "/api/v1/public/harbor"), ANONYMOUS, FakeServices(answer={"name": "H"})
    )
    assert public.headers["Cache-Control"] == PUBLIC_CACHE
    document = {"filename": "a.pdf", "content_type": "application/pdf", "data": ""}
    private_file = shapes.handle(
        request("GET", "/api/v1/files/f1"), SIGNED_IN, FakeServices(answer=document)
    )
    assert private_file.headers["Cache-Control"] == "private, no-store"


def test_the_docs_page_may_not_be_framed_and_runs_only_its_own_scripts(shapes):
    response = shapes.handle(request("GET", "/api/docs"), ANONYMOUS, FakeServices())
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert script_hash(DOCS_SCRIPT) in policy and DOCS_SCRIPT in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_page_meant_for_a_cbos_site_names_who_may_frame_it():
    page = secure(page_response("<p>", frame_ancestors=["https://cbo.example"]), "/login-box")
    assert "frame-ancestors https://cbo.example" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers


def test_metrics_are_not_on_the_public_door(shapes):
    response = shapes.handle(request("GET", "/metrics"), ANONYMOUS, FakeServices())
    assert response.status_code == 404


# Fault 10: the broker down is a 503 with Retry-After, never a 500


def test_broker_down_is_503_with_retry_after(shapes):
    services = FakeServices(error=BrokerUnavailable("The message broker cannot be reached."))
    response = shapes.handle(request("GET", "/api/v1/things"), SIGNED_IN, services)
    error = refused(response, 503)
    assert error["code"] == "service_unavailable" and "broker" in error["message"]
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_a_publish_that_cannot_reach_the_broker_becomes_broker_unavailable(monkeypatch):
    class Unreachable:
        def __init__(self, *args, **kwargs):
            pass

        def call_async(self, *args, **kwargs):
            raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr("chassis.rpc.MethodProxy", Unreachable)
    with pytest.raises(BrokerUnavailable) as raised:
        ServiceCaller(worker_ctx=None, reply_listener=None, timeout=1).call("identity", "whoami")
    assert raised.value.status == 503 and "broker" in raised.value.message


class HealthServices:
    """call_async/wait as gateway.http.Api.health uses them."""

    def __init__(self, *, broker_down=False, silent=()):
        self.broker_down = broker_down
        self.silent = set(silent)

    def call_async(self, service, method):
        if self.broker_down:
            raise BrokerUnavailable("The message broker cannot be reached.")
        return service

    def wait(self, reply, service, timeout=None):
        if service in self.silent:
            raise ServiceUnavailable(f"The {service} service did not answer within 3 s.")
        return {"service": service, "status": "up", "checked_at": "2025-01-01T00:00:00+00:00"}


def test_health_with_the_broker_down_is_503_and_names_the_broker(shapes):
    response = shapes.handle(request("GET", "/health"), ANONYMOUS, HealthServices(broker_down=True))
    assert response.status_code == 503 and response.headers["Retry-After"]
    report = HealthSchema().load(body_of(response))
    assert report["status"] == "down" and report["broker"]["status"] == "down"
    assert "broker" in report["broker"]["error"]
    assert sorted(report["services"]) == sorted(SERVICE_NAMES)


def test_health_names_the_service_that_did_not_answer(shapes):
    response = shapes.handle(request("GET", "/health"), ANONYMOUS, HealthServices(silent={"evv"}))
    assert response.status_code == 503
    report = HealthSchema().load(body_of(response))
    assert report["status"] == "degraded" and report["broker"] == {"status": "up"}
    assert report["services"]["evv"]["status"] == "down"
    assert "did not answer" in report["services"]["evv"]["error"]
    assert report["services"]["identity"]["status"] == "up"


def test_health_when_all_is_up_matches_its_schema(shapes):
    response = shapes.handle(request("GET", "/health"), ANONYMOUS, HealthServices())
    assert response.status_code == 200
    assert HealthSchema().load(body_of(response))["status"] == "up"


def test_the_public_server_hands_the_gateway_paths_with_any_character():
    """werkzeug's `path` converter stops at a newline, so such a path got nameko's HTML 404."""
    url_map = Map([Rule("/<anything:path>", endpoint="api")], converters={"anything": AnyPath})
    endpoint, values = url_map.bind("gateway").match("/api/v1/public/cbos/a\nb/branding")
    assert endpoint == "api" and values["path"] == "api/v1/public/cbos/a\nb/branding"


def test_a_form_part_whose_name_cannot_be_read_is_dropped_not_a_500(shapes):
    """Found by schemathesis: `name="x\\"` gives werkzeug a part named None."""
    part = (
        b'--B\r\nContent-Disposition: form-data; name="note"\r\n\r\nkept\r\n'
        b'--B\r\nContent-Disposition: form-data; name="x\\"\r\n\r\nlost\r\n'
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + PNG + b"\r\n--B--\r\n"
    )
    builder = EnvironBuilder(
        method="PUT",
        path="/api/v1/things/t1/file",
        input_stream=io.BytesIO(part),
        content_length=len(part),
        content_type="multipart/form-data; boundary=B",
    )
    services = FakeServices(answer={"ok": True})
    response = shapes.handle(Request(builder.get_environ()), SIGNED_IN, services)
    assert response.status_code == 200
    assert set(services.calls[0][2]["body"]) == {"note", "file"}


def test_a_route_with_its_own_timeout_waits_that_long_for_the_service(api):
    from services.reporting.records.routes import REBUILD_SECONDS

    operator = Caller(
        kind="operator",
        user_id="op",
        permissions=frozenset({"platform.operate"}),
        correlation_id="corr-9",
    )
    services = FakeServices(answer={"events": 0})
    response = api.handle(request("POST", "/api/v1/admin/reporting/rebuild"), operator, services)
    assert response.status_code == 200, response.get_data()
    assert services.calls == [("reporting", "rebuild_report_model", {"timeout": REBUILD_SECONDS})]
