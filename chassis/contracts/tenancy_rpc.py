"""The RPCs tenancy offers other services, and their typed client.

    rules = TenancyClient(self.services).source_rules(source_id=..., on_date=shift_day)
    if rules.cap_applies: ...

Each is scoped by the caller it travels with: a caller of a CBO gets answers about that CBO
only; a system caller without a tenant (a platform-wide job) may ask about any.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from marshmallow import Schema, fields, post_load, validate

from chassis.contracts.rpc import ServiceClient, rpc_contract

SERVICE = "tenancy"

# The features a CBO can be licensed for, and what partners can share: the vocabulary both
# tenancy and its callers use.
FEATURES: tuple[str, ...] = ("evv", "rebooking")
# "reports": each CBO may read the other's reports (reporting).
SHARES: tuple[str, ...] = ("job_types", "opportunities", "reports")


# -- login_box -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginBox:
    tenant_id: str
    slug: str
    status: str
    allowed_origins: list[str]


class LoginBoxRequest(Schema):
    slug = fields.String(required=True)


class LoginBoxSchema(Schema):
    """A CBO's id, status and the sites allowed to embed its sign-in (the gateway's check)."""

    tenant_id = fields.String(required=True)
    slug = fields.String(required=True)
    status = fields.String(required=True)
    allowed_origins = fields.List(fields.String(), required=True)

    @post_load
    def make(self, data: dict, **_) -> LoginBox:
        return LoginBox(**data)


LOGIN_BOX = rpc_contract(
    SERVICE,
    "login_box",
    request=LoginBoxRequest,
    response=LoginBoxSchema(),
    description="A CBO's login-box rules, by slug; NotFound if there is no such CBO. Public.",
)


# -- source_rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class SourceRules:
    source_id: str
    name: str
    active: bool
    weekly_hour_cap: float | None
    on_date: date
    in_term: bool
    cap_applies: bool
    term: Term | None


class SourceRulesRequest(Schema):
    source_id = fields.String(required=True)
    # Default: today in the CBO's time zone.
    on_date = fields.Date(load_default=None, allow_none=True)


class TermSchema(Schema):
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)

    @post_load
    def make(self, data: dict, **_) -> Term:
        return Term(**data)


class SourceRulesSchema(Schema):
    """A worker source's weekly hour cap and whether it applies on `on_date` (in a term)."""

    source_id = fields.String(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)
    weekly_hour_cap = fields.Float(required=True, allow_none=True)
    on_date = fields.Date(required=True)
    in_term = fields.Boolean(required=True)
    cap_applies = fields.Boolean(required=True)
    term = fields.Nested(TermSchema, required=True, allow_none=True)

    @post_load
    def make(self, data: dict, **_) -> SourceRules:
        return SourceRules(**data)


SOURCE_RULES = rpc_contract(
    SERVICE,
    "source_rules",
    request=SourceRulesRequest,
    response=SourceRulesSchema(),
    description="A worker source's cap on a day (booking enforces it); NotFound outside scope.",
)


# -- is_licensed ---------------------------------------------------------------------------


class IsLicensedRequest(Schema):
    tenant_id = fields.String(required=True)
    feature = fields.String(required=True, validate=validate.OneOf(FEATURES))
    # Default: today in the CBO's time zone.
    on_date = fields.Date(load_default=None, allow_none=True)


IS_LICENSED = rpc_contract(
    SERVICE,
    "is_licensed",
    request=IsLicensedRequest,
    # JSON true or false, nothing truthy.
    response=fields.Boolean(required=True, truthy={True}, falsy={False}),
    description="Whether a feature is licensed to a CBO on a day; a CBO's caller asks of its own.",
)


# -- partners ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Partner:
    partnership_id: str
    tenant_id: str
    shares: list[str]


class PartnersRequest(Schema):
    # Only the partners that share this; all of them when absent.
    share = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SHARES))


class PartnerSchema(Schema):
    """A CBO the caller's CBO is partnered with now, and what they share."""

    partnership_id = fields.String(required=True)
    tenant_id = fields.String(required=True)
    shares = fields.List(fields.String(validate=validate.OneOf(SHARES)), required=True)

    @post_load
    def make(self, data: dict, **_) -> Partner:
        return Partner(**data)


PARTNERS = rpc_contract(
    SERVICE,
    "partners",
    request=PartnersRequest,
    response=PartnerSchema(many=True),
    description="The caller's CBO's current partners (sharing `share`); needs a CBO's caller.",
)


# -- client_record and source_record -------------------------------------------------------
# What tenancy's client and source events say of one record, for a service whose projection
# has not received the event yet (identity and booking, when a person uses what they just
# created).


@dataclass(frozen=True)
class ClientRecord:
    client_id: str
    name: str
    active: bool


class ClientRecordRequest(Schema):
    client_id = fields.String(required=True)


class ClientRecordSchema(Schema):
    client_id = fields.String(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)

    @post_load
    def make(self, data: dict, **_) -> ClientRecord:
        return ClientRecord(**data)


CLIENT_RECORD = rpc_contract(
    SERVICE,
    "client_record",
    request=ClientRecordRequest,
    response=ClientRecordSchema(),
    description="One client of the caller's CBO; NotFound outside it. Needs a CBO's caller.",
)


@dataclass(frozen=True)
class SourceRecord:
    source_id: str
    name: str
    weekly_hour_cap: float | None
    active: bool
    # The term calendar the cap applies in (all year when empty).
    terms: list[Term] = field(default_factory=list)


class SourceRecordRequest(Schema):
    source_id = fields.String(required=True)


class SourceRecordSchema(Schema):
    source_id = fields.String(required=True)
    name = fields.String(required=True)
    weekly_hour_cap = fields.Float(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    terms = fields.List(fields.Nested(TermSchema), load_default=list)

    @post_load
    def make(self, data: dict, **_) -> SourceRecord:
        return SourceRecord(**data)


SOURCE_RECORD = rpc_contract(
    SERVICE,
    "source_record",
    request=SourceRecordRequest,
    response=SourceRecordSchema(),
    description="One worker source of the caller's CBO; NotFound outside it. Needs a CBO's caller.",
)


# -- message_profile (the notifications service) -------------------------------------------


@dataclass(frozen=True)
class MessageProfile:
    """What a message sent in a CBO's name needs: its name, time zone, languages and words."""

    tenant_id: str
    display_name: str
    timezone: str
    default_language: str
    languages: list[str]
    # Per language, the words the CBO uses instead of the defaults ({"es": {"shift": "turno"}}).
    terminology: dict[str, dict[str, str]]


class MessageProfileRequest(Schema):
    tenant_id = fields.String(load_default=None, allow_none=True)


class MessageProfileSchema(Schema):
    tenant_id = fields.String(required=True)
    display_name = fields.String(required=True)
    timezone = fields.String(required=True)
    default_language = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    terminology = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.String()),
        required=True,
    )

    @post_load
    def make(self, data: dict, **_) -> MessageProfile:
        return MessageProfile(**data)


MESSAGE_PROFILE = rpc_contract(
    SERVICE,
    "message_profile",
    request=MessageProfileRequest,
    response=MessageProfileSchema(),
    description="A CBO's display name, time zone, languages and words, as messages sent in its "
    "name need them; NotFound for no such CBO. For the notifications service.",
)


class TenancyClient(ServiceClient):
    service = SERVICE

    def login_box(self, *, slug: str) -> LoginBox:
        return self._call(LOGIN_BOX, slug=slug)

    def source_rules(self, *, source_id: str, on_date: date | str | None = None) -> SourceRules:
        return self._call(SOURCE_RULES, source_id=source_id, on_date=on_date)

    def is_licensed(
        self, *, tenant_id: str, feature: str, on_date: date | str | None = None
    ) -> bool:
        return self._call(IS_LICENSED, tenant_id=tenant_id, feature=feature, on_date=on_date)

    def partners(self, *, share: str | None = None) -> list[Partner]:
        return self._call(PARTNERS, share=share)

    def client_record(self, *, client_id: str) -> ClientRecord:
        return self._call(CLIENT_RECORD, client_id=client_id)

    def source_record(self, *, source_id: str) -> SourceRecord:
        return self._call(SOURCE_RECORD, source_id=source_id)

    def message_profile(self, *, tenant_id: str | None = None) -> MessageProfile:
        return self._call(MESSAGE_PROFILE, tenant_id=tenant_id)
