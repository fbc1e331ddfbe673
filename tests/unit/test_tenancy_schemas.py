"""Tenancy's request schemas on their own: every bad nested field is named where it is."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from chassis.contracts.tenancy_rpc import IsLicensedRequest, PartnersRequest, SourceRulesRequest
from chassis.schemas import ReasonSchema
from services.tenancy.branding.schemas import BrandingInputSchema, LoginBoxInputSchema
from services.tenancy.clients.schemas import (
    ClientImportOptionsSchema,
    ClientImportPageSchema,
    ClientImportSchema,
    ClientInputSchema,
    ClientQuerySchema,
    ClientUpdateSchema,
)
from services.tenancy.licences.schemas import LicenceGrantSchema
from services.tenancy.partnerships.schemas import PartnershipProposalSchema
from services.tenancy.sources.schemas import (
    SourceInputSchema,
    SourceQuerySchema,
    SourceUpdateSchema,
)
from services.tenancy.tenants.schemas import ApplicationSchema, MouInputSchema, TenantQuerySchema


def errors_of(schema, body: dict) -> dict:
    with pytest.raises(ValidationError) as raised:
        schema.load(body)
    messages = raised.value.messages
    assert isinstance(messages, dict)
    return messages


def test_a_bad_origin_is_named_at_its_own_index():
    """Regression: a list validator saw only the items that passed, so the bad origin after
    a non-text one was reported at the wrong index."""
    errors = errors_of(
        LoginBoxInputSchema(),
        {"allowed_origins": [5, "http://www.example.org", "https://www.example.org", ""]},
    )
    assert set(errors["allowed_origins"]) == {0, 1, 3}
    assert "https://" in errors["allowed_origins"][1][0]
    assert len(errors["allowed_origins"][3]) == 1  # empty: said once, by the length check


@pytest.mark.parametrize("schema", [SourceInputSchema(), SourceUpdateSchema()])
def test_every_term_field_is_required_on_create_and_on_update(schema):
    errors = errors_of(schema, {"name": "College", "terms": [{"ends_on": "2026-05-01"}]})
    assert errors == {"terms": {0: {"starts_on": ["Missing data for required field."]}}}


def test_an_update_may_leave_out_any_top_level_field():
    assert SourceUpdateSchema().load({}) == {}
    assert ClientUpdateSchema().load({"city": "Lakewood"}) == {"city": "Lakewood"}


@pytest.mark.parametrize(
    ("form", "mode"),
    [
        ({}, "dry_run"),
        ({"mode": "skip_bad_rows"}, "skip_bad_rows"),
        ({"dry_run": "true", "mode": "all_or_nothing"}, "dry_run"),
        ({"dry_run": "false", "mode": "all_or_nothing"}, "all_or_nothing"),
    ],
)
def test_import_options_are_every_imports_and_the_old_flag_means_a_dry_run(form, mode):
    assert ClientImportOptionsSchema().load(form) == {"mode": mode}


@pytest.mark.parametrize(
    ("form", "mode"),
    [
        ({"dry_run": "true", "mode": "skip_bad_rows"}, "dry_run"),
        ({"dry_run": "false"}, "dry_run"),  # asks for nothing: the mode's default decides
        ({"dry_run": "false", "mode": "skip_bad_rows"}, "skip_bad_rows"),
    ],
)
def test_the_old_flag_only_ever_asks_for_a_dry_run(form, mode):
    assert ClientImportOptionsSchema().load(form) == {"mode": mode}


def test_bad_import_options_are_each_named():
    errors = errors_of(ClientImportOptionsSchema(), {"mode": "sometimes", "dry_run": "maybe"})
    assert set(errors) == {"mode", "dry_run"}


def test_an_imports_page_leaves_out_the_bad_rows():
    item = {
        "id": "i",
        "filename": "c.csv",
        "dry_run": True,
        "mode": "dry_run",
        "status": "checked",
        "rows_total": 1,
        "rows_done": 1,
        "created": 0,
        "existing": 0,
        "failed": 1,
        "bad_rows": [{"row": 2, "errors": {"name": ["Missing."]}}],
        "ignored_columns": [],
        "created_at": None,
        "finished_at": None,
    }
    page = ClientImportPageSchema().dump({"items": [item], "total": 1, "page": 1, "per_page": 20})
    assert "bad_rows" not in page["items"][0] and page["items"][0]["failed"] == 1
    assert ClientImportSchema().dump(item)["bad_rows"] == item["bad_rows"]


# -- Bodies with every bad field named (each was an RPC-level integration test before) --------


def application(**overrides) -> dict:
    return {
        "name": "CBO ok-slug",
        "slug": "ok-slug",
        "contact_name": "Carla Contact",
        "contact_email": "contact@ok-slug.example.org",
        "owner_name": "Olga Owner",
        "owner_email": "owner@ok-slug.example.org",
        **overrides,
    }


@pytest.mark.parametrize(
    ("body", "bad_fields"),
    [
        ({}, {"name", "slug", "contact_name", "contact_email", "owner_name", "owner_email"}),
        (application(slug="Bad Slug!"), {"slug"}),
        (application(slug="api"), {"slug"}),
        (application(slug="ok-slug\n"), {"slug"}),
        (application(owner_email="nope", timezone="Mars/Olympus"), {"owner_email", "timezone"}),
        (application(name=7), {"name"}),
        (application(name=""), {"name"}),
        (application(owner_email="o" * 250 + "@example.org"), {"owner_email"}),
        (application(tenant_id="x"), {"tenant_id"}),  # never taken from a body
    ],
)
def test_a_bad_application_names_each_field(body, bad_fields):
    assert set(errors_of(ApplicationSchema(), body)) == bad_fields


def test_an_application_takes_the_default_time_zone():
    assert ApplicationSchema().load(application())["timezone"] == "America/Los_Angeles"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}])
def test_a_rejection_or_suspension_needs_a_reason(body):
    assert set(errors_of(ReasonSchema(), body)) == {"reason"}


MOU = {
    "signed_on": "2026-11-01",
    "starts_on": "2026-12-01",
    "ends_on": "2027-11-30",
    "signatories": [
        {"name": "Ada Director", "title": "Executive Director", "organisation": "Harbor Works"},
        {"name": "Pat Gateway", "title": "CEO", "organisation": "Pacific Gateway"},
    ],
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"signatories": MOU["signatories"][:1]}, "signatories"),
        ({"signatories": [{"name": "Ada"}, MOU["signatories"][1]]}, "signatories"),
        ({"ends_on": "2026-01-01"}, "ends_on"),
        ({"signed_on": "yesterday"}, "signed_on"),
        ({"notes": "x" * 2001}, "notes"),
    ],
)
def test_an_mou_needs_two_signatories_and_sane_dates(changes, field):
    assert set(errors_of(MouInputSchema(), {**MOU, **changes})) == {field}


def test_an_mou_may_run_open_ended():
    assert MouInputSchema().load({**MOU, "ends_on": None})["ends_on"] is None


@pytest.mark.parametrize(
    ("body", "bad_fields"),
    [
        ({"colors": {"primary": "blue"}, "languages": ["fr"]}, {"colors", "languages"}),
        ({"colors": {"primary": "#1F4E79\n"}}, {"colors"}),
        ({"colors": {"shadow": "#000000"}}, {"colors"}),
        ({"languages": []}, {"languages"}),
        ({"languages": ["en", "en"]}, {"languages"}),
        ({"default_language": "fr"}, {"default_language"}),
        ({"timezone": "../../etc/passwd"}, {"timezone"}),
        ({"terminology": {"fr": {"jobseeker": "membre"}}}, {"terminology"}),
        ({"terminology": {"en": {"Job Seeker": "member"}}}, {"terminology"}),
        ({"terminology": {"en": {"jobseeker": ""}}}, {"terminology"}),
        ({"display_name": ""}, {"display_name"}),
    ],
)
def test_bad_branding_names_each_field(body, bad_fields):
    assert set(errors_of(BrandingInputSchema(), body)) == bad_fields


def test_a_login_box_takes_at_most_twenty_origins():
    origins = [f"https://site{n}.example.org" for n in range(21)]
    assert set(errors_of(LoginBoxInputSchema(), {"allowed_origins": origins})) == {
        "allowed_origins"
    }
    assert (
        len(LoginBoxInputSchema().load({"allowed_origins": origins[:20]})["allowed_origins"]) == 20
    )


CLIENT = {
    "name": "Harbor Cafe",
    "kind": "business",
    "billing_contact": "Bill Payer",
    "billing_email": "ap@harbor.example.com",
    "address_line1": "1 Pine Ave",
    "city": "Long Beach",
    "state": "CA",
    "postal_code": "90802",
}


def test_a_bad_client_names_each_field():
    body = {**CLIENT, "name": "", "state": "ZZ", "postal_code": "9", "payment_terms_days": "30"}
    assert set(errors_of(ClientInputSchema(), body)) == {
        "name",
        "state",
        "postal_code",
        "payment_terms_days",
    }


def test_a_client_takes_the_apis_defaults():
    loaded = ClientInputSchema().load(CLIENT)
    assert (loaded["payment_terms_days"], loaded["active"], loaded["po_number"]) == (30, True, None)


@pytest.mark.parametrize(
    ("schema", "sorts"),
    [
        (ClientQuerySchema(), ("name", "-name", "kind", "city", "created_at", "-updated_at")),
        (SourceQuerySchema(), ("name", "-name", "created_at", "-updated_at")),
        (TenantQuerySchema(), ("name", "slug", "-slug", "created_at", "-created_at")),
    ],
)
def test_lists_sort_by_their_own_fields_only(schema, sorts):
    for sort in sorts:
        assert schema.load({"sort": sort})["sort"] == sort
    for bad in ("billing_email", "owner_email", "name;drop", "--name", "", "id"):
        assert set(errors_of(schema, {"sort": bad})) == {"sort"}


def test_the_default_sorts():
    assert ClientQuerySchema().load({})["sort"] == "name"
    assert SourceQuerySchema().load({})["sort"] == "name"
    assert TenantQuerySchema().load({})["sort"] == "-created_at"


@pytest.mark.parametrize(
    ("body", "bad_fields"),
    [
        (
            {
                "name": "Overlapping",
                "weekly_hour_cap": 200,
                "terms": [
                    {"starts_on": "2026-01-01", "ends_on": "2026-03-01"},
                    {"starts_on": "2026-02-01", "ends_on": "2026-04-01"},
                ],
            },
            {"weekly_hour_cap", "terms"},
        ),
        (
            {"name": "Backwards", "terms": [{"starts_on": "2026-05-01", "ends_on": "2026-04-01"}]},
            {"terms"},
        ),
        ({"name": "Nothing a week", "weekly_hour_cap": 0}, {"weekly_hour_cap"}),
        ({"name": ""}, {"name"}),
    ],
)
def test_a_bad_source_names_each_field(body, bad_fields):
    assert set(errors_of(SourceInputSchema(), body)) == bad_fields


@pytest.mark.parametrize(
    ("terms", "errors"),
    [
        ([{"ends_on": "2026-05-01"}], {0: {"starts_on"}}),
        ([{"starts_on": "2026-05-01"}], {0: {"ends_on"}}),
        (
            [{"starts_on": "2026-01-01", "ends_on": "2026-02-01"}, {"starts_on": "soon"}],
            {1: {"starts_on", "ends_on"}},
        ),
        ([{}, 5], {0: {"starts_on", "ends_on"}, 1: {"_schema"}}),
        ([None], {0: None}),
        ("all year", None),
    ],
)
@pytest.mark.parametrize("schema", [SourceInputSchema(), SourceUpdateSchema()])
def test_a_missing_or_malformed_term_is_named_where_it_is(schema, terms, errors):
    """Regression: a term missing `starts_on` crashed with a KeyError (500), on POST and on
    PATCH, instead of naming the field."""
    found = errors_of(schema, {"name": "Broken", "terms": terms})
    assert set(found) == {"terms"}
    if errors is None:
        assert isinstance(found["terms"], list) and found["terms"]
        return
    assert set(found["terms"]) == set(errors)
    for index, names in errors.items():
        if names is not None:
            assert set(found["terms"][index]) == names


@pytest.mark.parametrize(
    ("body", "bad_fields"),
    [
        ({"feature": "payroll", "starts_on": "tomorrow"}, {"feature", "starts_on"}),
        ({"feature": "evv", "starts_on": "2026-06-01", "ends_on": "2026-05-31"}, {"ends_on"}),
        ({}, {"feature", "starts_on"}),
    ],
)
def test_a_bad_licence_grant_names_each_field(body, bad_fields):
    assert set(errors_of(LicenceGrantSchema(), body)) == bad_fields


@pytest.mark.parametrize(
    ("body", "bad_fields"),
    [
        ({"partner_slug": "cbo-b", "shares": ["secrets"]}, {"shares"}),
        ({"partner_slug": "cbo-b", "shares": []}, {"shares"}),
        ({"partner_slug": "cbo-b", "shares": ["job_types", "job_types"]}, {"shares"}),
        ({"partner_slug": "", "shares": ["job_types"]}, {"partner_slug"}),
    ],
)
def test_a_bad_proposal_names_each_field(body, bad_fields):
    assert set(errors_of(PartnershipProposalSchema(), body)) == bad_fields


@pytest.mark.parametrize(
    ("schema", "body", "field"),
    [
        (SourceRulesRequest(), {"source_id": "s", "on_date": "not-a-date"}, "on_date"),
        (IsLicensedRequest(), {"tenant_id": "t", "feature": "evv", "on_date": "soon"}, "on_date"),
        (IsLicensedRequest(), {"tenant_id": "t", "feature": "payroll"}, "feature"),
        (PartnersRequest(), {"share": "secrets"}, "share"),
    ],
)
def test_what_other_services_ask_tenancy_is_checked(schema, body, field):
    assert set(errors_of(schema, body)) == {field}
