"""The tenancy API's request and response schemas (the gateway documents them).

Request schemas reject unknown fields and say what is wrong per field (422); the domain adds
the checks that need the database (duplicates 409, unknown things 404).
"""

from __future__ import annotations

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from chassis.paging import PageQuerySchema, page_of
from services.tenancy import rules

_NAME = validate.Length(min=1, max=200)
_REASON = validate.Length(min=1, max=1000)
# Two-letter codes of the states, DC and the territories (billing addresses are in the US).
_US_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI"
)
_US_STATES = tuple(_US_STATE_CODES.split())


def _timezone(value: str) -> None:
    if not rules.is_timezone(value):
        raise ValidationError("Not a known time zone (use an IANA name like America/Los_Angeles).")


def _slug(value: str) -> None:
    problem = rules.slug_problem(value)
    if problem:
        raise ValidationError(problem)


def _hex(value: str) -> None:
    if not rules.HEX_COLOUR.match(value):
        raise ValidationError("Use a colour like #1F4E79.")


def _term_key(value: str) -> None:
    if not rules.TERM_KEY.match(value):
        raise ValidationError("Use lower-case letters, digits, '_' and '.', up to 64.")


class PartialUpdate(Schema):
    """Mixed in before an input schema: a PATCH may send any subset of its top-level fields.

    Only the top level is partial: `partial=True` would reach into nested schemas too, and
    let a term without `starts_on` through to code that needs it."""

    def __init__(self, **kwargs) -> None:
        super().__init__(partial=tuple(self._declared_fields), **kwargs)


# -- CBOs: application, approval, suspension ---------------------------------------------------


class ApplicationSchema(Schema):
    name = fields.String(required=True, validate=_NAME)
    slug = fields.String(
        required=True,
        validate=_slug,
        metadata={
            "description": "The CBO's short name in URLs: [a-z0-9-], 3 to 50.",
            "example": "lb-works",
        },
    )
    contact_name = fields.String(required=True, validate=_NAME)
    contact_email = fields.Email(required=True, validate=validate.Length(max=254))
    owner_name = fields.String(
        required=True,
        validate=_NAME,
        metadata={"description": "The senior user invited when the CBO is approved."},
    )
    owner_email = fields.Email(required=True, validate=validate.Length(max=254))
    timezone = fields.String(load_default=rules.DEFAULT_TIMEZONE, validate=_timezone)


class ApplicationReceiptSchema(Schema):
    id = fields.String(required=True)
    slug = fields.String(required=True)
    status = fields.String(required=True)


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=_REASON)


class TenantQuerySchema(PageQuerySchema):
    status = fields.String(
        validate=validate.OneOf(("applied", "approved", "rejected", "suspended"))
    )
    q = fields.String(validate=validate.Length(max=200))


class TenantSchema(Schema):
    id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(
        required=True, metadata={"enum": ["applied", "approved", "rejected", "suspended"]}
    )
    status_reason = fields.String(allow_none=True)
    contact_name = fields.String(required=True)
    contact_email = fields.String(required=True)
    owner_name = fields.String(required=True)
    owner_email = fields.String(required=True)
    timezone = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)


TenantPageSchema = page_of(TenantSchema, "TenantPage")


# -- MOUs ----------------------------------------------------------------------------------------


class SignatorySchema(Schema):
    name = fields.String(required=True, validate=_NAME)
    title = fields.String(required=True, validate=_NAME)
    organisation = fields.String(required=True, validate=_NAME)


class MouInputSchema(Schema):
    signed_on = fields.Date(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True)
    signatories = fields.List(
        fields.Nested(SignatorySchema),
        required=True,
        validate=validate.Length(min=2, max=10, error="Name at least two signatories."),
    )
    notes = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def _dates(self, data: dict, **_) -> None:
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("It must end on or after the day it starts.", "ends_on")


class DocumentInfoSchema(Schema):
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)


class MouSchema(Schema):
    id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    signed_on = fields.Date(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)
    signatories = fields.List(fields.Nested(SignatorySchema), required=True)
    notes = fields.String(required=True)
    document = fields.Nested(DocumentInfoSchema, allow_none=True)
    created_at = fields.DateTime(required=True)


# -- Branding, words, languages, time zone ---------------------------------------------------


class ColoursSchema(Schema):
    primary = fields.String(validate=_hex)
    secondary = fields.String(validate=_hex)
    accent = fields.String(validate=_hex)
    background = fields.String(validate=_hex)
    text = fields.String(validate=_hex)


_TERMINOLOGY = fields.Dict(
    keys=fields.String(validate=validate.OneOf(rules.SUPPORTED_LANGUAGES)),
    values=fields.Dict(
        keys=fields.String(validate=_term_key),
        values=fields.String(validate=validate.Length(min=1, max=200)),
        validate=validate.Length(max=300),
    ),
    metadata={
        "description": "Per language, the words the CBO uses instead of the defaults: "
        '{"en": {"jobseeker": "member"}, "es": {"jobseeker": "miembro"}}.'
    },
)


class BrandingInputSchema(Schema):
    """Any subset of the branding; what is sent replaces what was there."""

    display_name = fields.String(validate=_NAME)
    colors = fields.Nested(ColoursSchema)
    terminology = _TERMINOLOGY
    languages = fields.List(
        fields.String(validate=validate.OneOf(rules.SUPPORTED_LANGUAGES)),
        validate=validate.Length(min=1, error="Enable at least one language."),
    )
    default_language = fields.String(validate=validate.OneOf(rules.SUPPORTED_LANGUAGES))
    timezone = fields.String(validate=_timezone)

    @validates("languages")
    def _unique_languages(self, value: list[str], **_) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("List each language once.")


class BrandingSchema(Schema):
    tenant_id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    display_name = fields.String(required=True)
    colors = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    terminology = fields.Dict(required=True)
    languages = fields.List(fields.String(), required=True)
    default_language = fields.String(required=True)
    timezone = fields.String(required=True)
    logo_url = fields.String(allow_none=True)
    allowed_origins = fields.List(fields.String(), required=True)
    supported_languages = fields.List(fields.String(), required=True)


class PublicBrandingSchema(Schema):
    """What the branded app and the login box need; nothing private."""

    slug = fields.String(required=True)
    display_name = fields.String(required=True)
    colors = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    terminology = fields.Dict(required=True)
    languages = fields.List(fields.String(), required=True)
    default_language = fields.String(required=True)
    timezone = fields.String(required=True)
    logo_url = fields.String(allow_none=True)


class UploadReceiptSchema(DocumentInfoSchema):
    pass


# -- The embeddable login box ------------------------------------------------------------------


class LoginBoxInputSchema(Schema):
    allowed_origins = fields.List(
        fields.String(validate=validate.Length(min=1, max=300)),
        required=True,
        validate=validate.Length(max=rules.MAX_ORIGINS),
        metadata={"description": "The CBO's sites, e.g. https://www.example.org."},
    )

    @validates("allowed_origins")
    def _origins(self, value: list[str], **_) -> None:
        errors = {}
        for index, origin in enumerate(value):
            try:
                rules.normalise_origin(origin)
            except ValueError as exc:
                errors[index] = [str(exc)]
        if errors:
            raise ValidationError(errors)


class LoginBoxSchema(Schema):
    allowed_origins = fields.List(fields.String(), required=True)
    page_url = fields.String(required=True)
    snippet = fields.String(
        required=True, metadata={"description": "HTML the CBO pastes where the box should be."}
    )


class LoginBoxRulesSchema(Schema):
    tenant_id = fields.String(required=True)
    slug = fields.String(required=True)
    status = fields.String(required=True)
    allowed_origins = fields.List(fields.String(), required=True)


# -- Client organisations ----------------------------------------------------------------------


class ClientInputSchema(Schema):
    name = fields.String(required=True, validate=_NAME)
    kind = fields.String(required=True, validate=validate.OneOf(rules.CLIENT_KINDS))
    billing_contact = fields.String(required=True, validate=_NAME)
    billing_email = fields.Email(required=True, validate=validate.Length(max=254))
    billing_phone = fields.String(
        load_default="",
        validate=validate.Regexp(
            r"^$|^[0-9+()\-. ]{7,25}$", error="Use digits, spaces and + ( ) - . only."
        ),
    )
    address_line1 = fields.String(required=True, validate=_NAME)
    address_line2 = fields.String(load_default="", validate=validate.Length(max=200))
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    state = fields.String(
        required=True, validate=validate.OneOf(_US_STATES, error="Use a two-letter state code.")
    )
    postal_code = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{5}(-\d{4})?$", error="Use a ZIP code like 90802."),
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
    kind = fields.String(validate=validate.OneOf(rules.CLIENT_KINDS))
    active = fields.Boolean()


class ClientSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(rules.CLIENT_KINDS)})
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


class ClientImportOptionsSchema(Schema):
    """The form fields sent with the CSV file (besides `file`)."""

    file = fields.Raw(load_only=True, metadata={"description": "The CSV file (multipart part)."})
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "Only check the file and report every bad row."},
    )
    mode = fields.String(
        load_default="all_or_nothing",
        validate=validate.OneOf(("all_or_nothing", "skip_bad_rows")),
        metadata={
            "description": "all_or_nothing: one bad row and nothing is written; "
            "skip_bad_rows: the good rows are written and the bad ones reported."
        },
    )


class ImportRowErrorSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "As a spreadsheet numbers it."})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)


class ClientImportSchema(Schema):
    id = fields.String(required=True)
    filename = fields.String(required=True)
    dry_run = fields.Boolean(required=True)
    mode = fields.String(required=True)
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


# -- Worker sources ----------------------------------------------------------------------------


class TermSchema(Schema):
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class SourceInputSchema(Schema):
    name = fields.String(required=True, validate=_NAME)
    weekly_hour_cap = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False, max=168),
        metadata={"description": "Hours a week while the cap applies (in term); none: no cap."},
    )
    terms = fields.List(
        fields.Nested(TermSchema),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "Term dates in which the cap applies; none: all year."},
    )
    active = fields.Boolean(load_default=True)

    @validates("terms")
    def _terms(self, value: list[dict], **_) -> None:
        # Marshmallow runs this even when a term failed, passing that term's valid part; the
        # failed term already has its errors, so the calendar is checked only when all are whole.
        if not all(isinstance(t, dict) and {"starts_on", "ends_on"} <= t.keys() for t in value):
            return
        try:
            rules.parse_terms(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class SourceUpdateSchema(PartialUpdate, SourceInputSchema):
    pass


class SourceSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    weekly_hour_cap = fields.Float(allow_none=True)
    terms = fields.List(fields.Nested(TermSchema), required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class SourceRulesSchema(Schema):
    source_id = fields.String(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)
    weekly_hour_cap = fields.Float(allow_none=True)
    on_date = fields.Date(required=True)
    in_term = fields.Boolean(required=True)
    cap_applies = fields.Boolean(required=True)
    term = fields.Nested(TermSchema, allow_none=True)


# -- Partnerships ------------------------------------------------------------------------------


class PartnershipProposalSchema(Schema):
    partner_slug = fields.String(required=True, validate=validate.Length(min=1, max=50))
    shares = fields.List(
        fields.String(validate=validate.OneOf(rules.SHARES)),
        required=True,
        validate=validate.Length(min=1, error="Share at least one thing."),
    )
    message = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates("shares")
    def _unique(self, value: list[str], **_) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("List each thing once.")


class PartnerSchema(Schema):
    id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)


class PartnershipSchema(Schema):
    id = fields.String(required=True)
    proposer = fields.Nested(PartnerSchema, required=True)
    partner = fields.Nested(PartnerSchema, required=True)
    direction = fields.String(
        required=True,
        metadata={"enum": ["outgoing", "incoming"], "description": "Who proposed, seen by you."},
    )
    shares = fields.List(fields.String(), required=True)
    message = fields.String(required=True)
    status = fields.String(
        required=True, metadata={"enum": ["proposed", "formed", "declined", "cancelled", "ended"]}
    )
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)


class PartnershipQuerySchema(Schema):
    status = fields.String(
        validate=validate.OneOf(("proposed", "formed", "declined", "cancelled", "ended"))
    )


# -- Feature licences --------------------------------------------------------------------------


class LicenceGrantSchema(Schema):
    feature = fields.String(required=True, validate=validate.OneOf(rules.FEATURES))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _dates(self, data: dict, **_) -> None:
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("It must end on or after the day it starts.", "ends_on")


class LicenceRevokeSchema(Schema):
    ends_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "The last day it still covers; default: yesterday (CBO time)."},
    )
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class LicenceSchema(Schema):
    id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    feature = fields.String(required=True, metadata={"enum": list(rules.FEATURES)})
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)
    state = fields.String(
        required=True, metadata={"enum": ["scheduled", "active", "ended", "revoked"]}
    )
    revoked_at = fields.DateTime(allow_none=True)
    revoke_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
