"""Routes of the opt-outs area: the provider's incoming-message webhook and the list."""

from __future__ import annotations

from chassis.routes import Route
from services.notifications.optouts import schemas
from services.notifications.optouts.entrypoints import OptoutsEntrypoints as Optouts

_TAG = "Notifications"

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/public/sms/<tenant_id>/inbound",
        Optouts.sms_inbound,
        "The SMS provider's incoming-message webhook (STOP, START), signature checked",
        _TAG,
        auth=False,
        form_signed_by="X-Twilio-Signature",
        status=204,
        description="Called by the CBO's SMS provider, never by people: a form POST signed "
        "with the CBO's auth token (HMAC-SHA1 of the URL and the sorted fields, base64); "
        "any other request is refused with 403.",
    ),
    Route(
        "GET",
        "/api/v1/notifications/sms-optouts",
        Optouts.list_sms_optouts,
        "Numbers that opted out of the CBO's SMS (newest first)",
        _TAG,
        query=schemas.SmsOptoutQuerySchema,
        response=schemas.SmsOptoutPageSchema,
    ),
)
