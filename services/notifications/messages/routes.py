"""Routes of the messages area: the delivery log and the provider's status callback."""

from __future__ import annotations

from chassis.routes import Route
from services.notifications.messages import schemas
from services.notifications.messages.entrypoints import MessagesEntrypoints as Messages

_TAG = "Notifications"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/notifications/messages",
        Messages.list_messages,
        "The delivery log: every email and SMS sent for the CBO, newest first",
        _TAG,
        query=schemas.MessageQuerySchema,
        response=schemas.MessagePageSchema,
    ),
    Route(
        "GET",
        "/api/v1/notifications/messages/<message_id>",
        Messages.get_message,
        "One email or SMS of the delivery log",
        _TAG,
        response=schemas.MessageSchema,
    ),
    Route(
        "POST",
        "/api/v1/public/sms/<tenant_id>/status",
        Messages.sms_status,
        "The SMS provider's status callback, signature checked",
        _TAG,
        auth=False,
        form_signed_by="X-Twilio-Signature",
        status=204,
        description="Called by the CBO's SMS provider, never by people: a form POST signed "
        "with the CBO's auth token (HMAC-SHA1 of the URL and the sorted fields, base64); "
        "any other request is refused with 403.",
    ),
)
