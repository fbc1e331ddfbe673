"""Tenancy's request schemas on their own: every bad nested field is named where it is."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.tenancy.branding.schemas import LoginBoxInputSchema
from services.tenancy.clients.schemas import ClientImportOptionsSchema, ClientUpdateSchema
from services.tenancy.sources.schemas import SourceInputSchema, SourceUpdateSchema


def errors_of(schema, body: dict) -> dict:
    with pytest.raises(ValidationError) as raised:
        schema.load(body)
    return raised.value.messages


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
