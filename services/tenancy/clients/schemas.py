"""Client organisations, their list, and their CSV import."""

from __future__ import annotations

from marshmallow import Schema, fields, post_load, pre_load, validate

from chassis.csv_import import ImportOptionsSchema
from chassis.paging import PageQuerySchema, page_of, sort_field
from chassis.schemas import Pattern
from services.tenancy.common import NAME, PartialUpdate

CLIENT_KINDS: tuple[str, ...] = ("city", "business", "family")
# Two-letter codes of the states, DC and the territories (billing addresses are in the US).
_US_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI"
)
_US_STATES = tuple(_US_STATE_CODES.split())


class ClientInputSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    kind = fields.String(required=True, validate=validate.OneOf(CLIENT_KINDS))
    billing_contact = fields.String(required=True, validate=NAME)
    billing_email = fields.Email(required=True, validate=validate.Length(max=254))
    billing_phone = fields.String(
        load_default="",
        validate=Pattern(
            r"^([0-9+()\-. ]{7,25})?$", error="Use digits, spaces and + ( ) - . only."
        ),
    )
    address_line1 = fields.String(required=True, validate=NAME)
    address_line2 = fields.String(load_default="", validate=validate.Length(max=200))
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    state = fields.String(
        required=True, validate=validate.OneOf(_US_STATES, error="Use a two-letter state code.")
    )
    postal_code = fields.String(
        required=True,
        validate=Pattern(r"^\d{5}(-\d{4})?$", error="Use a ZIP code like 90802."),
    )
    payment_terms_days = fields.Integer(
        load_default=30,
        strict=True,
        validate=validate.Range(min=0, max=180),
        metadata={"description": "Days after the invoice date that payment is due."},
    )
    po_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    active = fields.Boolean(load_default=True)


class ClientUpdateSchema(PartialUpdate, ClientInputSchema):
    """Any subset of a client's fields (nothing required, no defaults filled in)."""


class ClientQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=200))
    kind = fields.String(validate=validate.OneOf(CLIENT_KINDS))
    active = fields.Boolean()
    sort = sort_field(("name", "kind", "city", "created_at", "updated_at"), "name")


class ClientSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(CLIENT_KINDS)})
    billing_contact = fields.String(required=True)
    billing_email = fields.String(required=True)
    billing_phone = fields.String(required=True)
    address_line1 = fields.String(required=True)
    address_line2 = fields.String(required=True)
    city = fields.String(required=True)
    state = fields.String(required=True)
    postal_code = fields.String(required=True)
    payment_terms_days = fields.Integer(required=True)
    po_number = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


ClientPageSchema = page_of(ClientSchema, "ClientPage")


# -- The CSV import ----------------------------------------------------------------------------


class ClientCsvRowSchema(ClientInputSchema):
    """One row of a client CSV file: cells are text, so numbers are parsed from it, and kinds
    and states are accepted in any case."""

    payment_terms_days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=180))

    @pre_load
    def _tidy(self, data: dict, **_) -> dict:
        tidy = dict(data)
        for key, tidy_value in (("kind", str.lower), ("state", str.upper)):
            if isinstance(tidy.get(key), str):
                tidy[key] = tidy_value(tidy[key].strip())
        return tidy


# Other spellings of the CSV columns people export from their own systems.
CLIENT_CSV_ALIASES: dict[str, str] = {
    "client": "name",
    "client_name": "name",
    "organisation": "name",
    "organization": "name",
    "type": "kind",
    "client_type": "kind",
    "contact": "billing_contact",
    "contact_name": "billing_contact",
    "email": "billing_email",
    "e_mail": "billing_email",
    "phone": "billing_phone",
    "address": "address_line1",
    "address_1": "address_line1",
    "street": "address_line1",
    "address_2": "address_line2",
    "zip": "postal_code",
    "zip_code": "postal_code",
    "postcode": "postal_code",
    "terms": "payment_terms_days",
    "payment_terms": "payment_terms_days",
    "po": "po_number",
}


class ClientImportOptionsSchema(ImportOptionsSchema):
    """The options every CSV import takes (`mode`), plus the flag client imports took before
    `mode` could say dry_run."""

    dry_run = fields.Boolean(
        load_only=True,
        metadata={"description": "Deprecated: send mode=dry_run. true means mode=dry_run."},
    )

    @post_load
    def _fold_dry_run(self, data: dict, **_) -> dict:
        if data.pop("dry_run", False):
            data["mode"] = "dry_run"
        return data


class ImportRowErrorSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "As a spreadsheet numbers it."})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)


class ClientImportSchema(Schema):
    id = fields.String(required=True)
    filename = fields.String(required=True)
    dry_run = fields.Boolean(required=True, metadata={"description": "mode is dry_run."})
    mode = fields.String(
        required=True, metadata={"enum": ["dry_run", "all_or_nothing", "skip_bad_rows"]}
    )
    status = fields.String(
        required=True,
        metadata={"enum": ["running", "checked", "completed", "rejected", "failed"]},
    )
    rows_total = fields.Integer(required=True)
    rows_done = fields.Integer(required=True)
    created = fields.Integer(required=True, metadata={"description": "Clients written."})
    existing = fields.Integer(
        required=True,
        metadata={"description": "Rows matching a client already registered (name + email)."},
    )
    failed = fields.Integer(required=True, metadata={"description": "Bad rows."})
    bad_rows = fields.List(fields.Nested(ImportRowErrorSchema), required=True)
    ignored_columns = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(allow_none=True)


class ClientImportSummarySchema(ClientImportSchema):
    class Meta:
        exclude = ("bad_rows",)


ClientImportPageSchema = page_of(ClientImportSummarySchema, "ClientImportPage")
