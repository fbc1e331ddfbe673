"""The job-seeker import's schemas: its options, the CSV's row schema and column aliases, and its
reports (the gateway documents them)."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

from chassis.csv_import import DelimitedList, ImportOptionsSchema
from chassis.paging import PageQuerySchema, page_of
from services.identity.jobseekers.schemas import (
    MAX_SKILLS,
    POSTAL_CODE,
    AppLanguage,
    Email,
    LanguageCode,
    Phone,
    Skill,
    unique_list,
)

ON_EXISTING = ("skip", "update")


class ImportStartSchema(ImportOptionsSchema):
    """The form fields sent with a CSV of job seekers (the file is the `file` part): the
    options of every import, plus what to do with people already registered."""

    on_existing = fields.String(
        load_default="skip",
        validate=validate.OneOf(ON_EXISTING),
        metadata={"description": "What to do with a person whose email is already registered."},
    )


class ImportRowsQuerySchema(PageQuerySchema):
    class Meta:
        unknown = EXCLUDE

    outcome = fields.String(validate=validate.OneOf(("failed", "updated", "skipped")))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ImportListQuerySchema(PageQuerySchema):
    class Meta:
        unknown = EXCLUDE


class CsvRowSchema(Schema):
    """One row of a job-seeker CSV. Only email and name are required: older records often
    lack the rest, which staff or the person complete later."""

    email = Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = Phone(load_default=None)
    preferred_language = AppLanguage(load_default="en")
    languages = DelimitedList(LanguageCode(), load_default=None, validate=validate.Length(max=10))
    home_area = fields.String(load_default=None, validate=POSTAL_CODE)
    skills = DelimitedList(Skill(), load_default=list, validate=validate.Length(max=MAX_SKILLS))
    source = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "A worker source of the CBO, by id or by name."},
    )

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        data["skills"] = unique_list(data.get("skills") or [])
        data["languages"] = unique_list(data.get("languages") or [data["preferred_language"]])
        return data


# Other spellings of the CSV's columns that exports commonly use.
CSV_ALIASES = {
    "e_mail": "email",
    "email_address": "email",
    "full_name": "name",
    "phone_number": "phone",
    "mobile": "phone",
    "cell": "phone",
    "language": "preferred_language",
    "zip": "home_area",
    "zip_code": "home_area",
    "postal_code": "home_area",
    "worker_source": "source",
    "source_id": "source",
}


# -- responses -------------------------------------------------------------------------------


class ImportRowSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "As a spreadsheet numbers it."})
    outcome = fields.String(required=True, metadata={"enum": ["failed", "updated", "skipped"]})
    email = fields.String(allow_none=True)
    jobseeker_id = fields.String(allow_none=True)
    errors = fields.Dict(
        allow_none=True, metadata={"description": "Reasons per column; '_row' for the row."}
    )


ImportRowPageSchema = page_of(ImportRowSchema, "ImportRowPage")


class ImportSummarySchema(Schema):
    id = fields.String(required=True)
    filename = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    mode = fields.String(required=True)
    on_existing = fields.String(required=True)
    status = fields.String(
        required=True,
        metadata={
            "enum": ["queued", "running", "completed", "rejected", "interrupted"],
            "description": "rejected: all_or_nothing found bad rows and wrote nobody.",
        },
    )
    phase = fields.String(required=True, metadata={"enum": ["queued", "validating", "writing"]})
    rows_total = fields.Integer(required=True)
    rows_done = fields.Integer(required=True)
    created = fields.Integer(required=True, metadata={"description": "New people (invited)."})
    updated = fields.Integer(required=True)
    skipped = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    ignored_columns = fields.List(fields.String(), required=True)
    error = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class ImportSchema(ImportSummarySchema):
    failed_rows = fields.List(
        fields.Nested(ImportRowSchema),
        required=True,
        metadata={"description": "The first 1,000 bad rows; all of them under .../rows."},
    )


ImportPageSchema = page_of(ImportSummarySchema, "ImportPage")
