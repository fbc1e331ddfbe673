"""Events the notifications service publishes: what became of each message it sent. They name
the person (account id) and the channel, never the address or the text."""

from marshmallow import Schema, fields

from chassis.contracts.events import published_by

event = published_by("notifications")

CHANNELS = ("email", "sms")


class _Message(Schema):
    message_id = fields.String(required=True)
    # What it was about: offer_sent, offer_confirmed, offer_withdrawn, shift_cancelled,
    # shift_reminder, rebooking_exhausted.
    kind = fields.String(required=True)
    channel = fields.String(required=True, metadata={"enum": list(CHANNELS)})
    account_id = fields.String(required=True)
    attempts = fields.Integer(required=True)


@event("notification.sent")
class NotificationSent(_Message):
    """An email or SMS left for its recipient (the SMTP server or the SMS provider took it)."""

    provider_id = fields.String(allow_none=True)


@event("notification.failed")
class NotificationFailed(_Message):
    """An email or SMS could not be sent after every retry (or the provider reported it
    undelivered); the delivery log keeps the error."""

    error = fields.String(required=True)
