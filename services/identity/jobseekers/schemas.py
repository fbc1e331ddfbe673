"""The job-seeker API's request and response schemas (the gateway documents them), the fields a
job seeker's data is read with (the CSV import uses them too), and the validation of
availability (weekly hours plus exceptions)."""

from __future__ import annotations

import re
from typing import Any, cast

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from chassis.contracts.identity_rpc import JOB_TYPE_KEY
from chassis.paging import PageQuerySchema, page_of, sort_field
from chassis.schemas import Pattern
from services.identity.jobseekers.rules import STATUSES, minutes, slot_overlaps, sorted_slots

# The languages the branded app speaks; a job seeker picks one of them.
APP_LANGUAGES = ("en", "es", "km")
LANGUAGE_NAMES = {
    "english": "en",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "khmer": "km",
    "cambodian": "km",
}
DOCUMENT_TYPES = ("photo_id", "work_authorization", "proof_of_address", "other")
DOCUMENT_STATUSES = ("pending", "verified", "rejected")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

PASSWORD_MIN = 12
MAX_SKILLS = 30
MAX_SLOTS_PER_DAY = 8
MAX_EXCEPTIONS = 366

POSTAL_CODE = Pattern(r"^\d{5}(-\d{4})?$", error="Give a 5-digit ZIP code (or ZIP+4, 12345-6789).")
_TIME = Pattern(r"^([01]\d|2[0-3]):[0-5]\d$", error="A time as HH:MM, 00:00 to 23:59.")
_SPACES = re.compile(r"\s+")


# -- fields ----------------------------------------------------------------------------------


class Email(fields.Email):
    """An email address, without the spaces people paste around it."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs)


class Phone(fields.String):
    """A phone number as people write it; 7 to 15 digits, an optional leading '+'."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        digits = re.sub(r"\D", "", text)
        if not re.fullmatch(r"\+?[\d\s().\-]+", text) or not 7 <= len(digits) <= 15:
            raise ValidationError("Give a phone number of 7 to 15 digits.")
        return text


class Skill(fields.String):
    """A skill as a short lower-case phrase ("home care", "forklift")."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = _SPACES.sub(" ", super()._deserialize(value, attr, data, **kwargs)).strip().lower()
        if not 1 <= len(text) <= 60:
            raise ValidationError("A skill is 1 to 60 characters.")
        return text


class AppLanguage(fields.String):
    """One of the app's languages, by code or by name ("es", "Spanish", "Español")."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        code = LANGUAGE_NAMES.get(text, text)
        if code not in APP_LANGUAGES:
            raise ValidationError(f"One of {', '.join(APP_LANGUAGES)}.")
        return code


class LanguageCode(fields.String):
    """A language somebody speaks: an ISO 639 code ("en", "es", "km", "vi") or a known name."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        code = LANGUAGE_NAMES.get(text, text)
        if not re.fullmatch(r"[a-z]{2,3}", code):
            raise ValidationError("Give an ISO 639 language code such as en, es or km.")
        return code


def unique_list(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


# -- availability ----------------------------------------------------------------------------


class SlotSchema(Schema):
    """A span of local time in the CBO's timezone, "09:00" to "13:30"; "24:00" ends a day."""

    class Meta:
        unknown = EXCLUDE

    start = fields.String(required=True, validate=_TIME)
    end = fields.String(
        required=True,
        validate=Pattern(
            r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", error="A time as HH:MM, 00:01 to 24:00."
        ),
    )

    @validates_schema
    def _ordered(self, data: dict, **kwargs: Any) -> None:
        if minutes(data["end"]) <= minutes(data["start"]):
            raise ValidationError("It must end after it starts.", "end")


class AvailabilityExceptionSchema(Schema):
    """A date that differs from the weekly hours: unavailable (all day, or only in `slots`),
    or available for extra hours (`slots`)."""

    class Meta:
        unknown = EXCLUDE

    date = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("unavailable", "extra")))
    slots = fields.List(
        fields.Nested(SlotSchema), load_default=list, validate=validate.Length(max=8)
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _slots(self, data: dict, **kwargs: Any) -> None:
        if data["kind"] == "extra" and not data.get("slots"):
            raise ValidationError("Extra hours need at least one slot.", "slots")
        overlaps = slot_overlaps(data.get("slots") or [])
        if overlaps:
            raise ValidationError(overlaps, "slots")


class AvailabilitySchema(Schema):
    """Weekly hours per weekday (a list of slots each) plus exceptions on given dates."""

    class Meta:
        unknown = EXCLUDE

    weekly = fields.Dict(
        keys=fields.String(validate=validate.OneOf(WEEKDAYS)),
        values=fields.List(
            fields.Nested(SlotSchema), validate=validate.Length(max=MAX_SLOTS_PER_DAY)
        ),
        load_default=dict,
    )
    exceptions = fields.List(
        fields.Nested(AvailabilityExceptionSchema),
        load_default=list,
        validate=validate.Length(max=MAX_EXCEPTIONS),
    )

    @validates_schema
    def _consistent(self, data: dict, **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        weekly = {
            day: overlaps
            for day, slots in (data.get("weekly") or {}).items()
            if (overlaps := slot_overlaps(slots))
        }
        if weekly:
            errors["weekly"] = weekly
        seen: dict[str, int] = {}
        repeats = {}
        for i, exception in enumerate(data.get("exceptions") or []):
            day = exception["date"].isoformat()
            if day in seen:
                repeats[i] = [f"{day} already has an exception (item {seen[day] + 1})."]
            seen.setdefault(day, i)
        if repeats:
            errors["exceptions"] = repeats
        if errors:
            raise ValidationError(errors)

    @post_load
    def _as_json(self, data: dict, **kwargs: Any) -> dict:
        # Stored as JSON: days in week order, slots in time order, dates as ISO strings.
        weekly = data.get("weekly") or {}
        return {
            "weekly": {day: sorted_slots(weekly[day]) for day in WEEKDAYS if weekly.get(day)},
            "exceptions": sorted(
                (
                    {
                        "date": e["date"].isoformat(),
                        "kind": e["kind"],
                        "slots": sorted_slots(e.get("slots") or []),
                        **({"note": e["note"]} if e.get("note") else {}),
                    }
                    for e in data.get("exceptions") or []
                ),
                key=lambda e: e["date"],
            ),
        }


def validate_availability(value: object) -> dict:
    """The availability in `value`, normalised; raises ValidationError with a reason per
    field (for instance {"weekly": {"monday": ["09:00-12:00 overlaps 11:00-13:00."]}})."""
    if not isinstance(value, dict):
        raise ValidationError("Give availability as an object.")
    return cast(dict, AvailabilitySchema().load(value))


# -- requests --------------------------------------------------------------------------------


class _JobseekerFields(Schema):
    class Meta:
        unknown = EXCLUDE

    email = Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = Phone(required=True)
    preferred_language = AppLanguage(load_default="en")
    languages = fields.List(
        LanguageCode(), load_default=None, validate=validate.Length(max=10), allow_none=True
    )
    home_area = fields.String(required=True, validate=POSTAL_CODE)
    skills = fields.List(Skill(), load_default=list, validate=validate.Length(max=MAX_SKILLS))
    source_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=36)
    )

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        data["name"] = data["name"].strip()
        data["email"] = data["email"].strip()
        data["skills"] = unique_list(data.get("skills") or [])
        data["languages"] = unique_list(data.get("languages") or [data["preferred_language"]])
        return data


class SelfRegistrationSchema(_JobseekerFields):
    """Self-registration on a CBO's site."""

    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=PASSWORD_MIN, max=200),
        metadata={"description": f"At least {PASSWORD_MIN} characters."},
    )


class StaffRegistrationSchema(_JobseekerFields):
    """Registration by CBO staff: the person is invited to set a password."""

    availability = fields.Nested(AvailabilitySchema, load_default=None, allow_none=True)


class ProfileUpdateSchema(Schema):
    """Any of the profile's fields; those left out stay as they are."""

    class Meta:
        unknown = EXCLUDE

    email = Email(validate=validate.Length(max=254))
    name = fields.String(validate=validate.Length(min=1, max=200))
    phone = Phone(allow_none=True)
    preferred_language = AppLanguage()
    languages = fields.List(LanguageCode(), validate=validate.Length(max=10))
    home_area = fields.String(allow_none=True, validate=POSTAL_CODE)
    skills = fields.List(Skill(), validate=validate.Length(max=MAX_SKILLS))
    source_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=36))
    availability = fields.Nested(AvailabilitySchema)

    @post_load
    def _tidy(self, data: dict, **kwargs: Any) -> dict:
        for key in ("skills", "languages"):
            if key in data:
                data[key] = unique_list(data[key])
        for key in ("name", "email"):
            if key in data:
                data[key] = data[key].strip()
        return data


class JobseekerListQuerySchema(PageQuerySchema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(validate=validate.OneOf(STATUSES))
    skill = Skill()
    source_id = fields.String(validate=validate.Length(max=36))
    job_type = fields.String(validate=JOB_TYPE_KEY)
    # `q`, as every list's free-text search; the domain calls it `search`.
    search = fields.String(
        data_key="q",
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Part of a name, email or phone number."},
    )
    sort = sort_field(("created_at", "name", "email"), "-created_at")


class DocumentUploadSchema(Schema):
    """The form fields sent with an ID document (the file itself is the `file` part)."""

    class Meta:
        unknown = EXCLUDE

    document_type = fields.String(required=True, validate=validate.OneOf(DOCUMENT_TYPES))


class DocumentQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(DOCUMENT_STATUSES))
    document_type = fields.String(validate=validate.OneOf(DOCUMENT_TYPES))
    sort = sort_field(("created_at", "document_type", "status"), "created_at")


class JobTypeApprovalSchema(Schema):
    job_type = fields.String(
        required=True,
        validate=JOB_TYPE_KEY,
        metadata={"description": "The job type's key (booking owns job types)."},
    )


# -- responses -------------------------------------------------------------------------------


class SlotOutSchema(Schema):
    start = fields.String(required=True)
    end = fields.String(required=True)


class ExceptionOutSchema(Schema):
    date = fields.String(required=True)
    kind = fields.String(required=True)
    slots = fields.List(fields.Nested(SlotOutSchema), required=True)
    note = fields.String()


class AvailabilityOutSchema(Schema):
    weekly = fields.Dict(
        keys=fields.String(), values=fields.List(fields.Nested(SlotOutSchema)), required=True
    )
    exceptions = fields.List(fields.Nested(ExceptionOutSchema), required=True)


class JobseekerSchema(Schema):
    id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True)
    preferred_language = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    home_area = fields.String(allow_none=True)
    skills = fields.List(fields.String(), required=True)
    source_id = fields.String(allow_none=True)
    availability = fields.Nested(AvailabilityOutSchema, required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    account_status = fields.String(
        required=True,
        metadata={
            "description": "invited until the person sets a password (or, self-registered, "
            "confirms their email)."
        },
    )
    channel = fields.String(required=True, metadata={"enum": ["self", "staff", "import"]})
    job_types = fields.List(fields.String(), required=True)
    missing_documents = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Required document types not yet verified."},
    )
    approved_at = fields.DateTime(allow_none=True)
    suspended_at = fields.DateTime(allow_none=True)
    suspension_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class JobseekerSummarySchema(Schema):
    id = fields.String(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True)
    home_area = fields.String(allow_none=True)
    skills = fields.List(fields.String(), required=True)
    source_id = fields.String(allow_none=True)
    status = fields.String(required=True)
    account_status = fields.String(required=True)
    created_at = fields.DateTime(required=True)


JobseekerPageSchema = page_of(JobseekerSummarySchema, "JobseekerPage")


class DocumentSchema(Schema):
    id = fields.String(required=True)
    jobseeker_id = fields.String(required=True)
    document_type = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(DOCUMENT_STATUSES)})
    reason = fields.String(allow_none=True)
    uploaded_by = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)


DocumentPageSchema = page_of(DocumentSchema, "DocumentPage")


class DownloadSchema(Schema):
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    data = fields.String(required=True, metadata={"description": "base64"})
