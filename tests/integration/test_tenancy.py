"""The tenancy service on the real broker and its own migrated database, called over RPC with
signed caller contexts: the operator, a CBO's staff, other services, anybody."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select, text

from chassis.context import Caller, context_data_for
from chassis.contracts.permissions import BUILTIN_ROLES
from chassis.db import make_engine
from chassis.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from chassis.tables import outbox
from deploy.migrate import migrate
from services.tenancy.service import TenancyService

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
TABLES = (
    "tenants, logos, mous, clients, client_imports, worker_sources, partnerships, licences, outbox"
)


def upload(data: bytes, filename: str = "file.bin") -> dict:
    return {
        "file": {
            "filename": filename,
            "content_type": "application/octet-stream",
            "size": len(data),
            "data": base64.b64encode(data).decode(),
        }
    }


def application(slug: str, **overrides) -> dict:
    return {
        "name": f"CBO {slug}",
        "slug": slug,
        "contact_name": "Carla Contact",
        "contact_email": f"contact@{slug}.example.org",
        "owner_name": "Olga Owner",
        "owner_email": f"owner@{slug}.example.org",
        **overrides,
    }


def client_body(name: str = "Harbor Cafe", **overrides) -> dict:
    return {
        "name": name,
        "kind": "business",
        "billing_contact": "Bill Payer",
        "billing_email": "ap@harbor.example.com",
        "billing_phone": "+1 562 555 0100",
        "address_line1": "1 Pine Ave",
        "city": "Long Beach",
        "state": "CA",
        "postal_code": "90802",
        **overrides,
    }


OPERATOR = Caller(
    kind="operator",
    user_id=str(uuid.uuid4()),
    roles=("operator",),
    permissions=BUILTIN_ROLES["operator"],
)


def staff(tenant_id: str, role: str = "owner", permissions: frozenset | None = None) -> Caller:
    return Caller(
        kind="staff",
        user_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        roles=(role,),
        permissions=BUILTIN_ROLES.get(role, frozenset()) if permissions is None else permissions,
    )


@pytest.fixture(scope="module")
def tenancy_engine(settings):
    migrate(settings, ["tenancy"], quiet=True)
    engine = make_engine(settings.database_url("tenancy"))
    yield engine
    engine.dispose()


@pytest.fixture
def engine(tenancy_engine):
    with tenancy_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} CASCADE"))
    return tenancy_engine


@pytest.fixture
def as_caller(container_factory, service_config, settings, engine):
    """`with as_caller(caller) as rpc:` the tenancy service, called as `caller`."""
    config = service_config()
    container_factory(TenancyService, config).start()

    @contextmanager
    def open_as(caller: Caller | None) -> Iterator:
        data = context_data_for(caller, settings.context_secret) if caller else {}
        with ServiceRpcProxy("tenancy", config, context_data=data) as rpc:
            yield rpc

    return open_as


@pytest.fixture
def operator(as_caller):
    with as_caller(OPERATOR) as rpc:
        yield rpc


@pytest.fixture
def anybody(as_caller):
    with as_caller(None) as rpc:
        yield rpc


@pytest.fixture
def approved(anybody, operator) -> Callable[[str], str]:
    """Makes an approved CBO; returns its id."""

    def make(slug: str) -> str:
        tenant_id = anybody.apply(application(slug))["id"]
        operator.approve_tenant(tenant_id)
        return tenant_id

    return make


def events(engine, event_type: str | None = None) -> list[dict]:
    query = select(outbox.c.envelope).order_by(outbox.c.id)
    if event_type:
        query = query.where(outbox.c.event_type == event_type)
    with engine.connect() as conn:
        return [row.envelope for row in conn.execute(query)]


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(text(table))).scalar_one()


# -- applying and approval -------------------------------------------------------------------


def test_application_emits_its_event_and_slugs_are_unique(anybody, engine):
    receipt = anybody.apply(application("harbor-works"))
    assert receipt["status"] == "applied" and receipt["slug"] == "harbor-works"
    [applied] = events(engine, "tenant.applied")
    assert applied["tenant_id"] == receipt["id"]
    assert applied["data"]["contact_email"] == "contact@harbor-works.example.org"
    with pytest.raises(Conflict) as raised:
        anybody.apply(application("harbor-works", name="Another"))
    assert "slug" in raised.value.fields
    assert count(engine, "tenants") == 1


@pytest.mark.parametrize(
    ("body", "bad_fields"),
    [
        ({}, {"name", "slug", "contact_name", "contact_email", "owner_name", "owner_email"}),
        ({**application("ok-slug"), "slug": "Bad Slug!"}, {"slug"}),
        ({**application("ok-slug"), "slug": "api"}, {"slug"}),
        (
            application("ok-slug", owner_email="nope", timezone="Mars/Olympus"),
            {"owner_email", "timezone"},
        ),
        (application("ok-slug", name=7), {"name"}),
        (application("ok-slug", owner_email="o" * 250 + "@example.org"), {"owner_email"}),
        ({**application("ok-slug"), "tenant_id": "x"}, {"tenant_id"}),
    ],
)
def test_bad_applications_name_each_field_and_write_nothing(anybody, engine, body, bad_fields):
    with pytest.raises(ValidationFailed) as raised:
        anybody.apply(body)
    assert set(raised.value.fields) == bad_fields
    assert count(engine, "tenants") == 0 and count(engine, "outbox") == 0


def test_operator_approves_and_the_owner_is_named_in_the_event(anybody, operator, engine):
    tenant_id = anybody.apply(application("harbor-works", timezone="America/New_York"))["id"]
    listed = operator.list_tenants({"status": "applied"})
    assert [t["id"] for t in listed["items"]] == [tenant_id] and listed["total"] == 1
    approved = operator.approve_tenant(tenant_id)
    assert approved["status"] == "approved"
    [event] = events(engine, "tenant.approved")
    assert event["tenant_id"] == tenant_id
    assert event["data"]["owner_email"] == "owner@harbor-works.example.org"
    assert event["data"]["owner_name"] == "Olga Owner"
    assert event["data"]["timezone"] == "America/New_York"
    [trail] = events(engine, "audit.recorded")
    assert trail["tenant_id"] == tenant_id
    assert trail["data"]["actor_id"] == OPERATOR.user_id
    assert trail["data"]["action"] == "tenant.approve"
    with pytest.raises(Conflict):
        operator.approve_tenant(tenant_id)
    with pytest.raises(NotFound):
        operator.approve_tenant(str(uuid.uuid4()))


def test_reject_suspend_and_reinstate_need_a_reason_and_the_right_state(
    anybody, operator, approved, engine
):
    applied = anybody.apply(application("applied-one"))["id"]
    with pytest.raises(ValidationFailed):
        operator.reject_tenant(applied, {})
    rejected = operator.reject_tenant(applied, {"reason": "Not in Long Beach"})
    assert rejected["status"] == "rejected" and rejected["status_reason"] == "Not in Long Beach"
    with pytest.raises(Conflict):
        operator.suspend_tenant(applied, {"reason": "x"})

    tenant_id = approved("running-one")
    assert operator.suspend_tenant(tenant_id, {"reason": "Unpaid"})["status"] == "suspended"
    assert events(engine, "tenant.suspended")[0]["data"]["reason"] == "Unpaid"
    assert operator.reinstate_tenant(tenant_id, {"reason": "Paid"})["status"] == "approved"
    assert events(engine, "tenant.reinstated")[0]["data"]["reason"] == "Paid"
    assert events(engine, "tenant.rejected")[0]["data"]["reason"] == "Not in Long Beach"


def test_only_the_operator_decides(as_caller, anybody, approved):
    tenant_id = approved("harbor-works")
    other = anybody.apply(application("waiting"))["id"]
    with pytest.raises(Unauthenticated):
        anybody.approve_tenant(other)
    with as_caller(staff(tenant_id, "owner")) as owner, pytest.raises(Forbidden):
        owner.approve_tenant(other)
    with as_caller(staff(tenant_id, "owner")) as owner, pytest.raises(Forbidden):
        owner.list_tenants({})


# -- MOUs ----------------------------------------------------------------------------------------


MOU = {
    "signed_on": "2026-11-01",
    "starts_on": "2026-12-01",
    "ends_on": "2027-11-30",
    "signatories": [
        {"name": "Ada Director", "title": "Executive Director", "organisation": "Harbor Works"},
        {"name": "Pat Gateway", "title": "CEO", "organisation": "Pacific Gateway"},
    ],
}


def test_mou_with_its_pdf_is_readable_by_operator_and_owner_only(
    as_caller, operator, approved, engine
):
    tenant_id = approved("harbor-works")
    other_id = approved("other-cbo")
    mou = operator.record_mou(tenant_id, MOU)
    assert mou["document"] is None and len(mou["signatories"]) == 2
    [recorded] = events(engine, "mou.recorded")
    assert recorded["data"]["mou_id"] == mou["id"] and recorded["data"]["ends_on"] == "2027-11-30"

    with pytest.raises(UnsupportedMediaType):
        operator.attach_mou_document(tenant_id, mou["id"], upload(PNG, "mou.pdf"))
    attached = operator.attach_mou_document(tenant_id, mou["id"], upload(PDF, "signed.pdf"))
    assert attached["document"] == {
        "filename": "signed.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
    }
    assert events(engine, "mou.document_attached")[0]["data"]["size"] == len(PDF)
    document = operator.tenant_mou_document(tenant_id, mou["id"])
    assert base64.b64decode(document["data"]) == PDF

    with as_caller(staff(tenant_id, "owner")) as owner:
        assert [m["id"] for m in owner.list_own_mous()] == [mou["id"]]
        assert base64.b64decode(owner.own_mou_document(mou["id"])["data"]) == PDF
    with as_caller(staff(tenant_id, "approver")) as approver, pytest.raises(Forbidden):
        approver.own_mou_document(mou["id"])
    with as_caller(staff(other_id, "owner")) as stranger:
        assert stranger.list_own_mous() == []
        with pytest.raises(NotFound):
            stranger.own_mou_document(mou["id"])
    with pytest.raises(NotFound):  # the MOU under another CBO's id
        operator.tenant_mou_document(other_id, mou["id"])


def test_mou_needs_two_signatories_and_sane_dates(operator, approved, engine):
    tenant_id = approved("harbor-works")
    before = count(engine, "outbox")
    with pytest.raises(ValidationFailed) as raised:
        operator.record_mou(tenant_id, {**MOU, "signatories": MOU["signatories"][:1]})
    assert "signatories" in raised.value.fields
    with pytest.raises(ValidationFailed) as raised:
        operator.record_mou(tenant_id, {**MOU, "ends_on": "2026-01-01"})
    assert "ends_on" in raised.value.fields
    with pytest.raises(ValidationFailed) as raised:
        operator.record_mou(tenant_id, {**MOU, "signed_on": "yesterday"})
    assert "signed_on" in raised.value.fields
    assert count(engine, "mous") == 0 and count(engine, "outbox") == before


# -- branding and the public face ------------------------------------------------------------


def test_branding_changes_are_audited_and_shown_publicly(as_caller, anybody, approved, engine):
    tenant_id = approved("harbor-works")
    with as_caller(staff(tenant_id)) as owner:
        branding = owner.update_branding(
            {
                "display_name": "Harbor Works LB",
                "colors": {"primary": "#112233"},
                "terminology": {"en": {"jobseeker": "member"}, "km": {"jobseeker": "សមាជិក"}},
                "languages": ["en", "km"],
                "timezone": "America/Chicago",
            }
        )
        assert branding["colors"]["primary"] == "#112233"
        assert branding["colors"]["secondary"]  # the rest of the palette stays
        [updated] = events(engine, "branding.updated")
        assert sorted(updated["data"]["changed"]) == [
            "colors",
            "display_name",
            "languages",
            "terminology",
            "timezone",
        ]
        trail = events(engine, "audit.recorded")[-1]
        assert trail["data"]["action"] == "branding.update"
        assert trail["data"]["before"]["display_name"] == "CBO harbor-works"

        with pytest.raises(ValidationFailed) as raised:
            owner.update_branding({"languages": ["es"]})  # the default (en) would be disabled
        assert "languages" in raised.value.fields
        with pytest.raises(ValidationFailed) as raised:
            owner.update_branding({"colors": {"primary": "blue"}, "languages": ["fr"]})
        assert set(raised.value.fields) == {"colors", "languages"}

        owner.set_logo(upload(PNG, "logo.png"))
        with pytest.raises(PayloadTooLarge):
            owner.set_logo(upload(PNG + b"\0" * (1024 * 1024), "big.png"))
        with pytest.raises(UnsupportedMediaType):
            owner.set_logo(upload(PDF, "logo.png"))

    public = anybody.public_branding("harbor-works")
    assert public["display_name"] == "Harbor Works LB"
    assert public["terminology"]["km"]["jobseeker"] == "សមាជិក"
    assert public["logo_url"].startswith("/api/v1/public/cbos/harbor-works/logo?v=")
    assert "allowed_origins" not in public and "owner_email" not in public
    logo = anybody.public_logo("harbor-works")
    assert base64.b64decode(logo["data"]) == PNG and logo["content_type"] == "image/png"


def test_public_pages_only_for_approved_cbos(anybody, operator, approved):
    anybody.apply(application("waiting"))
    with pytest.raises(NotFound):
        anybody.public_branding("waiting")
    with pytest.raises(NotFound):
        anybody.public_branding("nobody-here")
    tenant_id = approved("harbor-works")
    operator.suspend_tenant(tenant_id, {"reason": "Audit"})
    with pytest.raises(NotFound):
        anybody.public_branding("harbor-works")


def test_a_suspended_cbo_changes_nothing(as_caller, operator, approved, engine):
    tenant_id = approved("harbor-works")
    approved("other-cbo")
    with as_caller(staff(tenant_id)) as owner:
        client = owner.create_client(client_body())
        source = owner.create_source({"name": "LB City College"})
        owner.set_logo(upload(PNG, "logo.png"))
    operator.suspend_tenant(tenant_id, {"reason": "Audit"})
    before = count(engine, "outbox")
    writes = {
        "update_branding": ({"display_name": "X"},),
        "set_logo": (upload(PNG, "logo.png"),),
        "remove_logo": (),
        "set_login_box": ({"allowed_origins": ["https://www.example.org"]},),
        "create_client": (client_body(name="Another"),),
        "update_client": (client["id"], {"city": "Lakewood"}),
        "import_clients": (import_body(client_csv(1), mode="skip_bad_rows"),),
        "create_source": ({"name": "Walk-ins"},),
        "update_source": (source["id"], {"weekly_hour_cap": 10}),
        "propose_partnership": ({"partner_slug": "other-cbo", "shares": ["job_types"]},),
    }
    with as_caller(staff(tenant_id)) as owner:
        for name, args in writes.items():
            with pytest.raises(Forbidden):
                getattr(owner, name)(*args)
        # Checking a file writes nothing, so a suspended CBO may still do it.
        assert owner.import_clients(import_body(client_csv(1)))["status"] == "checked"
    assert count(engine, "outbox") == before


def test_login_box_origins_are_validated_normalised_and_served(as_caller, anybody, approved):
    tenant_id = approved("harbor-works")
    with as_caller(staff(tenant_id)) as owner:
        with pytest.raises(ValidationFailed) as raised:
            owner.set_login_box(
                {"allowed_origins": ["http://plain.example.org", "https://x.org/a"]}
            )
        assert set(raised.value.fields["allowed_origins"]) == {"0", "1"}
        box = owner.set_login_box(
            {
                "allowed_origins": [
                    "https://WWW.Harbor.example.org/",
                    "https://harbor.example.org:8443",
                ]
            }
        )
        assert box["allowed_origins"] == [
            "https://www.harbor.example.org",
            "https://harbor.example.org:8443",
        ]
        assert box["page_url"].endswith("/login-box/harbor-works")
        assert box["snippet"].startswith("<iframe src=") and box["page_url"] in box["snippet"]
        assert owner.get_login_box() == box
    rules = anybody.login_box("harbor-works")
    assert rules == {
        "tenant_id": tenant_id,
        "slug": "harbor-works",
        "status": "approved",
        "allowed_origins": ["https://www.harbor.example.org", "https://harbor.example.org:8443"],
    }
    with pytest.raises(NotFound):
        anybody.login_box("nobody-here")


# -- clients ---------------------------------------------------------------------------------


def test_clients_are_registered_searched_and_kept_to_their_cbo(as_caller, approved, engine):
    tenant_id = approved("harbor-works")
    other_id = approved("other-cbo")
    with as_caller(staff(tenant_id)) as owner:
        created = owner.create_client(client_body())
        assert created["payment_terms_days"] == 30 and created["active"] is True
        [registered] = events(engine, "client.registered")
        assert registered["tenant_id"] == tenant_id
        assert registered["data"] == {
            "client_id": created["id"],
            "name": "Harbor Cafe",
            "kind": "business",
            "channel": "staff",
        }
        with pytest.raises(Conflict):  # same name and billing email, any case
            owner.create_client(
                client_body(name="HARBOR cafe", billing_email="AP@harbor.example.com")
            )
        for n in range(4):
            owner.create_client(
                client_body(name=f"Family {n}", kind="family", billing_email=f"f{n}@x.org")
            )
        page = owner.list_clients({"q": "family", "per_page": "3", "page": "2"})
        assert page["total"] == 4 and [c["name"] for c in page["items"]] == ["Family 3"]
        assert owner.list_clients({"kind": "business"})["total"] == 1
        for wildcard in ("%", "_", "\\"):  # searched for as themselves
            assert owner.list_clients({"q": f"Family{wildcard}"})["total"] == 0
        assert owner.list_clients({"q": "family 2"})["total"] == 1
        updated = owner.update_client(created["id"], {"active": False, "po_number": "PO-7"})
        assert updated["active"] is False and updated["po_number"] == "PO-7"
        assert events(engine, "client.updated")[0]["data"]["changed"] == ["po_number", "active"]
        assert owner.list_clients({"active": "false"})["total"] == 1
        with pytest.raises(ValidationFailed) as raised:
            owner.create_client(
                client_body(name="", state="ZZ", postal_code="9", payment_terms_days="30")
            )
        assert set(raised.value.fields) == {"name", "state", "postal_code", "payment_terms_days"}
    with as_caller(staff(tenant_id, "viewer")) as viewer:
        assert viewer.get_client(created["id"])["name"] == "Harbor Cafe"
        with pytest.raises(Forbidden):
            viewer.create_client(client_body(name="Not allowed"))
    with as_caller(staff(other_id)) as stranger:
        assert stranger.list_clients({})["total"] == 0
        with pytest.raises(NotFound):
            stranger.get_client(created["id"])
        with pytest.raises(NotFound):
            stranger.update_client(created["id"], {"name": "Mine now"})


def test_lists_sort_by_the_one_sort_parameter(as_caller, operator, approved):
    """`sort=<field>` ascending, `sort=-<field>` descending, then by id; anything else is 422."""
    tenant_id = approved("harbor-works")
    approved("after-works")
    with as_caller(staff(tenant_id)) as owner:
        for name, city in (
            ("Beta Co", "Lakewood"),
            ("alpha co", "Signal Hill"),
            ("Gamma", "Carson"),
        ):
            owner.create_client(
                client_body(name=name, city=city, billing_email=f"ap@{name[:4]}.example.com")
            )
        for name in ("Youth", "college", "Walk-ins"):
            owner.create_source({"name": name})

        def names(listed: dict | list) -> list[str]:
            return [c["name"] for c in (listed["items"] if isinstance(listed, dict) else listed)]

        assert names(owner.list_clients({})) == ["alpha co", "Beta Co", "Gamma"]
        assert names(owner.list_clients({"sort": "-name"})) == ["Gamma", "Beta Co", "alpha co"]
        assert names(owner.list_clients({"sort": "city"})) == ["Gamma", "Beta Co", "alpha co"]
        assert names(owner.list_sources()) == ["college", "Walk-ins", "Youth"]
        assert names(owner.list_sources({"sort": "-created_at"})) == [
            "Walk-ins",
            "college",
            "Youth",
        ]
        for bad in ({"sort": "billing_email"}, {"sort": "name;drop"}):
            with pytest.raises(ValidationFailed) as raised:
                owner.list_clients(bad)
            assert set(raised.value.fields) == {"sort"}
            with pytest.raises(ValidationFailed):
                owner.list_sources(bad)
    newest_first = [t["slug"] for t in operator.list_tenants({})["items"]]
    assert newest_first == ["after-works", "harbor-works"]
    assert [t["slug"] for t in operator.list_tenants({"sort": "slug"})["items"]] == newest_first
    assert [t["slug"] for t in operator.list_tenants({"sort": "-slug"})["items"]] == [
        "harbor-works",
        "after-works",
    ]
    with pytest.raises(ValidationFailed):
        operator.list_tenants({"sort": "owner_email"})


def test_job_seekers_and_clients_cannot_use_staff_endpoints(as_caller, approved):
    tenant_id = approved("harbor-works")
    jobseeker = Caller(
        kind="jobseeker",
        user_id="js",
        tenant_id=tenant_id,
        permissions=frozenset({"clients.read"}),  # even if a token claimed it
    )
    with as_caller(jobseeker) as rpc, pytest.raises(Forbidden):
        rpc.list_clients({})


# -- worker sources --------------------------------------------------------------------------


def test_source_rules_follow_the_term_calendar(as_caller, approved, engine):
    tenant_id = approved("harbor-works")
    other_id = approved("other-cbo")
    terms = [
        {"starts_on": "2027-01-20", "ends_on": "2027-05-15"},
        {"starts_on": "2026-08-25", "ends_on": "2026-12-15"},
    ]
    with as_caller(staff(tenant_id)) as owner:
        source = owner.create_source(
            {"name": "LB City College", "weekly_hour_cap": 14, "terms": terms}
        )
        assert [t["starts_on"] for t in source["terms"]] == ["2026-08-25", "2027-01-20"]
        assert events(engine, "source.created")[0]["data"]["weekly_hour_cap"] == 14.0
        with pytest.raises(Conflict):
            owner.create_source({"name": "lb city college"})
        with pytest.raises(ValidationFailed) as raised:
            owner.create_source(
                {
                    "name": "Overlapping",
                    "weekly_hour_cap": 200,
                    "terms": [
                        {"starts_on": "2026-01-01", "ends_on": "2026-03-01"},
                        {"starts_on": "2026-02-01", "ends_on": "2026-04-01"},
                    ],
                }
            )
        assert set(raised.value.fields) == {"weekly_hour_cap", "terms"}
        with pytest.raises(ValidationFailed):
            owner.create_source(
                {
                    "name": "Backwards",
                    "terms": [{"starts_on": "2026-05-01", "ends_on": "2026-04-01"}],
                }
            )
        updated = owner.update_source(source["id"], {"weekly_hour_cap": 12.5})
        assert updated["weekly_hour_cap"] == 12.5
        assert events(engine, "source.updated")[0]["data"]["changed"] == ["weekly_hour_cap"]

    with as_caller(Caller.system(service="booking", tenant_id=tenant_id)) as booking:
        in_term = booking.source_rules(source["id"], "2026-10-01")
        assert in_term["in_term"] and in_term["cap_applies"] and in_term["weekly_hour_cap"] == 12.5
        assert in_term["term"] == {"starts_on": "2026-08-25", "ends_on": "2026-12-15"}
        holiday = booking.source_rules(source["id"], "2026-12-25")
        assert not holiday["in_term"] and not holiday["cap_applies"]
        assert booking.source_rules(source["id"])["on_date"]  # today, CBO time
        with pytest.raises(ValidationFailed):
            booking.source_rules(source["id"], "not-a-date")
    with (
        as_caller(Caller.system(service="booking", tenant_id=other_id)) as elsewhere,
        pytest.raises(NotFound),
    ):
        elsewhere.source_rules(source["id"], "2026-10-01")
    with as_caller(None) as anybody, pytest.raises(Unauthenticated):
        anybody.source_rules(source["id"])


@pytest.mark.parametrize(
    ("terms", "errors"),
    [
        ([{"ends_on": "2026-05-01"}], {"0": {"starts_on"}}),
        ([{"starts_on": "2026-05-01"}], {"0": {"ends_on"}}),
        (
            [{"starts_on": "2026-01-01", "ends_on": "2026-02-01"}, {"starts_on": "soon"}],
            {"1": {"starts_on", "ends_on"}},
        ),
        ([{}, 5], {"0": {"starts_on", "ends_on"}, "1": {"_schema"}}),
        ([None], {"0": None}),
        ("all year", None),
    ],
)
def test_a_missing_or_malformed_term_is_named_on_create_and_update(
    as_caller, approved, engine, terms, errors
):
    """Regression: a term missing `starts_on` crashed with a KeyError (500), on POST and on
    PATCH, instead of naming the field."""
    tenant_id = approved("harbor-works")
    with as_caller(staff(tenant_id)) as owner:
        source = owner.create_source({"name": "LB City College"})
        for attempt in (
            lambda: owner.create_source({"name": "Broken", "terms": terms}),
            lambda: owner.update_source(source["id"], {"terms": terms}),
        ):
            with pytest.raises(ValidationFailed) as raised:
                attempt()
            assert set(raised.value.fields) == {"terms"}
            found = raised.value.fields["terms"]
            if errors is None:
                assert isinstance(found, list) and found
            else:
                assert set(found) == set(errors)
                for index, names in errors.items():
                    if names is not None:
                        assert set(found[index]) == names
        assert [s["name"] for s in owner.list_sources()] == ["LB City College"]
        assert owner.get_source(source["id"])["terms"] == []
    assert events(engine, "source.updated") == []


def test_a_source_without_terms_caps_all_year(as_caller, approved):
    tenant_id = approved("harbor-works")
    with as_caller(staff(tenant_id)) as owner:
        capped = owner.create_source({"name": "Youth programme", "weekly_hour_cap": 20})
        free = owner.create_source({"name": "Walk-ins"})
        assert [s["name"] for s in owner.list_sources()] == ["Walk-ins", "Youth programme"]
    with as_caller(Caller.system(service="booking", tenant_id=tenant_id)) as booking:
        assert booking.source_rules(capped["id"], "2026-07-04")["cap_applies"] is True
        assert booking.source_rules(free["id"], "2026-07-04")["cap_applies"] is False


# -- partnerships ----------------------------------------------------------------------------


def test_partnership_is_proposed_accepted_and_ended(as_caller, approved, engine):
    a, b, c = approved("cbo-a"), approved("cbo-b"), approved("cbo-c")
    with as_caller(staff(a)) as owner_a:
        proposal = owner_a.propose_partnership({"partner_slug": "cbo-b", "shares": ["job_types"]})
        assert proposal["status"] == "proposed" and proposal["direction"] == "outgoing"
        assert proposal["partner"]["slug"] == "cbo-b"
        with pytest.raises(Conflict):
            owner_a.propose_partnership({"partner_slug": "cbo-b", "shares": ["opportunities"]})
        with pytest.raises(Conflict):  # only the invited CBO answers
            owner_a.accept_partnership(proposal["id"])
        with pytest.raises(ValidationFailed):
            owner_a.propose_partnership({"partner_slug": "cbo-a", "shares": ["job_types"]})
        with pytest.raises(NotFound):
            owner_a.propose_partnership({"partner_slug": "nobody", "shares": ["job_types"]})
        with pytest.raises(ValidationFailed) as raised:
            owner_a.propose_partnership({"partner_slug": "cbo-c", "shares": ["secrets"]})
        assert "shares" in raised.value.fields
    with as_caller(staff(b)) as owner_b:
        [incoming] = owner_b.list_partnerships({})
        assert incoming["direction"] == "incoming"
        formed = owner_b.accept_partnership(proposal["id"])
        assert formed["status"] == "formed"
    with as_caller(Caller.system(service="booking", tenant_id=b)) as booking:
        assert booking.partners("job_types") == [
            {"partnership_id": proposal["id"], "tenant_id": a, "shares": ["job_types"]}
        ]
        assert booking.partners("opportunities") == []
    with as_caller(staff(c)) as owner_c:
        assert owner_c.list_partnerships({}) == []
        with pytest.raises(NotFound):
            owner_c.get_partnership(proposal["id"])
        with pytest.raises(NotFound):
            owner_c.end_partnership(proposal["id"])
    with as_caller(staff(a)) as owner_a:
        ended = owner_a.end_partnership(proposal["id"])
        assert ended["status"] == "ended"
        with pytest.raises(Conflict):
            owner_a.end_partnership(proposal["id"])
    types = [e["event_type"] for e in events(engine) if e["event_type"].startswith("partnership")]
    assert types == ["partnership.proposed", "partnership.formed", "partnership.ended"]


def test_proposals_can_be_declined_or_cancelled(as_caller, approved, engine):
    a, b = approved("cbo-a"), approved("cbo-b")
    with as_caller(staff(a)) as owner_a:
        first = owner_a.propose_partnership({"partner_slug": "cbo-b", "shares": ["opportunities"]})
    with as_caller(staff(b)) as owner_b:
        assert owner_b.decline_partnership(first["id"])["status"] == "declined"
    with as_caller(staff(a)) as owner_a:
        second = owner_a.propose_partnership({"partner_slug": "cbo-b", "shares": ["opportunities"]})
        assert owner_a.end_partnership(second["id"])["status"] == "cancelled"
        assert [p["status"] for p in owner_a.list_partnerships({"status": "cancelled"})] == [
            "cancelled"
        ]
    assert len(events(engine, "partnership.declined")) == 1
    assert len(events(engine, "partnership.cancelled")) == 1


# -- licences --------------------------------------------------------------------------------


def test_licences_are_granted_checked_and_ended_early(as_caller, approved, engine):
    tenant_id = approved("harbor-works")
    other_id = approved("other-cbo")
    with as_caller(OPERATOR) as operator:
        licence = operator.grant_licence(
            tenant_id, {"feature": "evv", "starts_on": "2026-01-01", "ends_on": "2027-12-31"}
        )
        assert licence["feature"] == "evv"
        assert events(engine, "licence.granted")[0]["data"]["ends_on"] == "2027-12-31"
        with pytest.raises(Conflict):
            operator.grant_licence(tenant_id, {"feature": "evv", "starts_on": "2027-06-01"})
        with pytest.raises(ValidationFailed) as raised:
            operator.grant_licence(tenant_id, {"feature": "payroll", "starts_on": "tomorrow"})
        assert set(raised.value.fields) == {"feature", "starts_on"}
        operator.grant_licence(tenant_id, {"feature": "rebooking", "starts_on": "2028-01-01"})

    with as_caller(Caller.system(service="billing")) as billing:
        assert billing.is_licensed(tenant_id, "evv", "2026-06-01") is True
        assert billing.is_licensed(tenant_id, "evv", "2028-01-01") is False
        assert billing.is_licensed(tenant_id, "rebooking", "2027-12-31") is False
        assert billing.is_licensed(tenant_id, "rebooking", "2030-01-01") is True
        assert billing.is_licensed(other_id, "evv", "2026-06-01") is False
    with (
        as_caller(Caller.system(service="booking", tenant_id=other_id)) as elsewhere,
        pytest.raises(NotFound),
    ):
        elsewhere.is_licensed(tenant_id, "evv", "2026-06-01")

    with as_caller(OPERATOR) as operator:
        revoked = operator.revoke_licence(
            tenant_id, licence["id"], {"ends_on": "2026-06-30", "reason": "Not paid"}
        )
        assert revoked["ends_on"] == "2026-06-30" and revoked["revoke_reason"] == "Not paid"
        with pytest.raises(Conflict):
            operator.revoke_licence(tenant_id, licence["id"], {})
    assert events(engine, "licence.revoked")[0]["data"]["ends_on"] == "2026-06-30"
    with as_caller(Caller.system(service="booking", tenant_id=tenant_id)) as booking:
        assert booking.is_licensed(tenant_id, "evv", "2026-06-30") is True
        assert booking.is_licensed(tenant_id, "evv", "2026-07-01") is False

    with as_caller(staff(tenant_id, "viewer", permissions=frozenset())) as anyone_on_staff:
        features = {(lic["feature"], lic["state"]) for lic in anyone_on_staff.own_licences()}
        assert ("rebooking", "scheduled") in features and ("evv", "revoked") in features
        with pytest.raises(Forbidden):
            anyone_on_staff.grant_licence(tenant_id, {"feature": "evv", "starts_on": "2029-01-01"})


def test_revoking_a_licence_that_has_not_started_voids_it(as_caller, approved):
    tenant_id = approved("harbor-works")
    start = date.today() + timedelta(days=30)
    with as_caller(OPERATOR) as operator:
        licence = operator.grant_licence(
            tenant_id, {"feature": "rebooking", "starts_on": start.isoformat()}
        )
        assert licence["state"] == "scheduled"
        revoked = operator.revoke_licence(tenant_id, licence["id"], {})
        assert revoked["state"] == "revoked"
        assert revoked["ends_on"] == (start - timedelta(days=1)).isoformat()
    with as_caller(Caller.system(service="booking", tenant_id=tenant_id)) as booking:
        assert booking.is_licensed(tenant_id, "rebooking", start.isoformat()) is False


# -- client CSV import -----------------------------------------------------------------------

CSV_HEADER = (
    "Name,Type,Contact,Email,Phone,Address,City,State,Zip,Payment terms,PO,Unknown column\n"
)


def csv_row(name: str, email: str, **cells) -> str:
    values = {
        "kind": "business",
        "contact": "Bill Payer",
        "phone": "562-555-0100",
        "address": "1 Pine Ave",
        "city": "Long Beach",
        "state": "ca",
        "zip": "90802",
        "terms": "30",
        "po": "",
        **cells,
    }
    return (
        f"{name},{values['kind']},{values['contact']},{email},{values['phone']},"
        f"{values['address']},{values['city']},{values['state']},{values['zip']},"
        f"{values['terms']},{values['po']},x\n"
    )


def client_csv(good: int, bad: int = 0) -> bytes:
    rows = [csv_row(f"Business {n}", f"ap{n}@biz.example.com") for n in range(good)]
    rows += [csv_row(f"Broken {n}", "not-an-email", state="ZZ") for n in range(bad)]
    return (CSV_HEADER + "".join(rows)).encode()


def import_body(data: bytes, **options) -> dict:
    return {**upload(data, "clients.csv"), **options}


def test_dry_run_reports_every_bad_row_and_writes_nothing(as_caller, approved, engine):
    tenant_id = approved("harbor-works")
    data = client_csv(good=5, bad=2) + csv_row("Business 1", "AP1@biz.example.com").encode()
    with as_caller(staff(tenant_id)) as owner:
        before = count(engine, "outbox")
        report = owner.import_clients(import_body(data, mode="dry_run"))
        assert report["status"] == "checked" and report["mode"] == "dry_run"
        assert report["dry_run"] is True
        assert (report["rows_total"], report["rows_done"]) == (8, 8)
        assert report["failed"] == 3 and report["created"] == 0
        assert report["ignored_columns"] == ["unknown_column"]
        by_row = {r["row"]: r["errors"] for r in report["bad_rows"]}
        assert set(by_row) == {7, 8, 9}
        assert set(by_row[7]) == {"billing_email", "state"}
        assert by_row[9] == {"name": ["Repeats row 3."]}
        assert count(engine, "clients") == 0 and count(engine, "outbox") == before
        assert owner.get_client_import(report["id"])["bad_rows"] == report["bad_rows"]


@pytest.mark.parametrize(
    "options",
    [{}, {"dry_run": "true"}, {"dry_run": "true", "mode": "skip_bad_rows"}],
    ids=["no options", "the old flag", "the old flag and a mode"],
)
def test_an_import_is_a_dry_run_unless_a_mode_says_otherwise(as_caller, approved, engine, options):
    """The options are every import's (chassis ImportOptionsSchema: mode, default dry_run);
    the flag client imports took before, dry_run=true, still means a dry run."""
    tenant_id = approved("harbor-works")
    with as_caller(staff(tenant_id)) as owner:
        report = owner.import_clients(import_body(client_csv(good=3), **options))
        assert (report["status"], report["mode"], report["dry_run"]) == ("checked", "dry_run", True)
        # dry_run=false asks for nothing: the mode (here its default) decides.
        unflagged = owner.import_clients(import_body(client_csv(good=3), dry_run="false"))
        assert unflagged["mode"] == "dry_run"
    assert count(engine, "clients") == 0


def test_all_or_nothing_rejects_a_file_with_one_bad_row(as_caller, approved, engine):
    tenant_id = approved("harbor-works")
    with as_caller(staff(tenant_id)) as owner:
        report = owner.import_clients(
            import_body(client_csv(good=10, bad=1), mode="all_or_nothing")
        )
        assert report["status"] == "rejected" and report["mode"] == "all_or_nothing"
        assert report["failed"] == 1 and report["created"] == 0
    assert count(engine, "clients") == 0
    assert events(engine, "client.registered") == []


def test_skip_bad_rows_imports_the_rest_and_rerunning_duplicates_nobody(
    as_caller, approved, engine
):
    tenant_id = approved("harbor-works")
    other_id = approved("other-cbo")
    with as_caller(staff(tenant_id)) as owner:
        owner.create_client(client_body(name="Business 0", billing_email="ap0@biz.example.com"))
        data = client_csv(good=6, bad=2)
        report = owner.import_clients(import_body(data, mode="skip_bad_rows"))
        assert report["status"] == "completed"
        assert (report["created"], report["existing"], report["failed"]) == (5, 1, 2)
        assert count(engine, "clients") == 6
        imported = [
            e for e in events(engine, "client.registered") if e["data"]["channel"] == "import"
        ]
        assert len(imported) == 5 and {e["tenant_id"] for e in imported} == {tenant_id}
        client = owner.list_clients({"q": "Business 3"})["items"][0]
        assert client["state"] == "CA" and client["payment_terms_days"] == 30
        assert client["po_number"] is None

        again = owner.import_clients(import_body(data, mode="skip_bad_rows"))
        assert (again["created"], again["existing"], again["failed"]) == (0, 6, 2)
        assert count(engine, "clients") == 6
        listed = owner.list_client_imports({})
        assert listed["total"] == 2 and "bad_rows" not in listed["items"][0]
        assert events(engine, "audit.recorded")[-1]["data"]["action"] == "clients.import"
    with as_caller(staff(other_id)) as stranger:
        with pytest.raises(NotFound):
            stranger.get_client_import(report["id"])
        assert stranger.list_client_imports({})["total"] == 0
        assert stranger.list_clients({})["total"] == 0


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"PK\x03\x04 an xlsx", UnsupportedMediaType),
        (b"name,kind\nA,city\n", ValidationFailed),  # required columns missing
        (CSV_HEADER.encode(), ValidationFailed),  # no rows
        (b"\xff\xfe\xfa not utf-8 at all,,\n", ValidationFailed),
        (b'name,"unterminated\n', ValidationFailed),
    ],
)
def test_malformed_files_are_refused_whole(as_caller, approved, engine, data, error):
    tenant_id = approved("harbor-works")
    with as_caller(staff(tenant_id)) as owner, pytest.raises(error) as raised:
        owner.import_clients(import_body(data))
    assert "file" in raised.value.fields
    assert count(engine, "client_imports") == 0 and count(engine, "clients") == 0


def test_import_options_are_validated(as_caller, approved):
    tenant_id = approved("harbor-works")
    with as_caller(staff(tenant_id)) as owner:
        with pytest.raises(ValidationFailed) as raised:
            owner.import_clients(import_body(client_csv(1), mode="sometimes", dry_run="maybe"))
        assert set(raised.value.fields) == {"mode", "dry_run"}
        with pytest.raises(ValidationFailed) as raised:
            owner.import_clients({})
        assert "file" in raised.value.fields
    with as_caller(staff(tenant_id, "viewer")) as viewer, pytest.raises(Forbidden):
        viewer.import_clients(import_body(client_csv(1)))


def test_progress_is_visible_to_others_while_the_import_runs(approved, engine, monkeypatch):
    """Domain level: the progress rows commit on their own while the clients do not yet."""
    from sqlalchemy.orm import Session

    from chassis.db import UnitOfWork
    from services.tenancy.clients import imports

    tenant_id = approved("harbor-works")
    monkeypatch.setattr(imports, "CHUNK_SIZE", 10)
    seen: list[tuple[int, int, int]] = []
    original = imports._Run.progress

    def watch(self, progress):
        original(self, progress)
        with engine.connect() as other:  # another connection: only committed data
            job = other.execute(text("SELECT status, rows_done FROM client_imports")).one()
            clients = other.execute(text("SELECT count(*) FROM clients")).scalar_one()
        seen.append((job.rows_done, clients, self.created))
        assert job.status == "running"

    monkeypatch.setattr(imports._Run, "progress", watch)
    caller = staff(tenant_id)
    with Session(engine, expire_on_commit=False) as session:
        uow = UnitOfWork(session, source="tenancy")
        job = imports.run_import(
            uow,
            caller=caller,
            tenant_id=tenant_id,
            file=import_body(client_csv(35))["file"],
            mode="skip_bad_rows",
        )
        uow.commit()
    assert seen == [(10, 0, 10), (20, 0, 20), (30, 0, 30), (35, 0, 35)]
    assert job.status == "completed" and count(engine, "clients") == 35
