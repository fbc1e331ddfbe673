"""A CBO's channel settings: its SMS provider account, its emails' name and reply-to, reminder
times."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from chassis.schemas import Pattern
from services.notifications.channels import rules


def _base_url(value: str) -> None:
    try:
        rules.check_base_url(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


_NO_LINE_BREAKS = Pattern(r"^[^\r\n]*$", error="One line, without line breaks.")


class SmsInputSchema(Schema):
    account_sid = fields.String(
        required=True,
        validate=Pattern(r"^[A-Za-z0-9]{8,64}$", error="Letters and digits, 8 to 64."),
    )
    # Write-only: absent keeps the one stored. Never answered.
    auth_token = fields.String(
        load_only=True,
        validate=[validate.Length(min=8, max=128), _NO_LINE_BREAKS],
        allow_none=True,
    )
    from_number = fields.String(
        required=True,
        validate=Pattern(r"^\+[1-9][0-9]{6,14}$", error="An E.164 number, like +15625550100."),
    )
    base_url = fields.String(
        allow_none=True,
        load_default=None,
        validate=[validate.Length(max=300), _base_url],
        metadata={"description": "The provider's REST base, https only; the platform's when null."},
    )


class EmailInputSchema(Schema):
    from_name = fields.String(
        allow_none=True,
        load_default=None,
        validate=[validate.Length(min=1, max=100), _NO_LINE_BREAKS],
    )
    reply_to = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=254))


class ChannelSettingsUpdateSchema(Schema):
    """What is sent is replaced; what is absent stays. `sms: null` removes the SMS account."""

    sms = fields.Nested(SmsInputSchema, allow_none=True)
    email = fields.Nested(EmailInputSchema, allow_none=True)
    reminder_minutes = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=100_000)),
        validate=validate.Length(max=rules.MAX_REMINDERS),
        metadata={"description": "Minutes before a confirmed shift's start (default 1440, 120)."},
    )


class SmsSettingsSchema(Schema):
    configured = fields.Boolean(required=True)
    account_sid = fields.String(allow_none=True, required=True)
    from_number = fields.String(allow_none=True, required=True)
    base_url = fields.String(allow_none=True, required=True)
    auth_token_set = fields.Boolean(required=True)
    status_callback_url = fields.String(required=True)
    inbound_url = fields.String(required=True)


class EmailSettingsSchema(Schema):
    from_name = fields.String(allow_none=True, required=True)
    reply_to = fields.String(allow_none=True, required=True)


class ChannelSettingsSchema(Schema):
    sms = fields.Nested(SmsSettingsSchema, required=True)
    email = fields.Nested(EmailSettingsSchema, required=True)
    reminder_minutes = fields.List(fields.Integer(), required=True)
