"""Branding, words, languages, time zone, logo, the public page and the login box."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.tenancy.branding import rules
from services.tenancy.common import NAME


def timezone_name(value: str) -> None:
    if not rules.is_timezone(value):
        raise ValidationError("Not a known time zone (use an IANA name like America/Los_Angeles).")


def _hex(value: str) -> None:
    if not rules.HEX_COLOUR.match(value):
        raise ValidationError("Use a colour like #1F4E79.")


def _term_key(value: str) -> None:
    if not rules.TERM_KEY.match(value):
        raise ValidationError("Use lower-case letters, digits, '_' and '.', up to 64.")


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

    display_name = fields.String(validate=NAME)
    colors = fields.Nested(ColoursSchema)
    terminology = _TERMINOLOGY
    languages = fields.List(
        fields.String(validate=validate.OneOf(rules.SUPPORTED_LANGUAGES)),
        validate=validate.Length(min=1, error="Enable at least one language."),
    )
    default_language = fields.String(validate=validate.OneOf(rules.SUPPORTED_LANGUAGES))
    timezone = fields.String(validate=timezone_name)

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


class UploadReceiptSchema(Schema):
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)


# -- The embeddable login box ------------------------------------------------------------------


def _origin(value: str) -> None:
    if not value:
        return  # the length check says so
    try:
        rules.normalise_origin(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


class LoginBoxInputSchema(Schema):
    # Each origin is checked as an item of the list, so that its message carries its own
    # index (a list validator sees only the items that passed, and would renumber them).
    allowed_origins = fields.List(
        fields.String(validate=[validate.Length(min=1, max=300), _origin]),
        required=True,
        validate=validate.Length(max=rules.MAX_ORIGINS),
        metadata={"description": "The CBO's sites, e.g. https://www.example.org."},
    )


class LoginBoxSchema(Schema):
    allowed_origins = fields.List(fields.String(), required=True)
    page_url = fields.String(required=True)
    snippet = fields.String(
        required=True, metadata={"description": "HTML the CBO pastes where the box should be."}
    )
