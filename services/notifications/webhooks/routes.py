"""Routes of the webhooks area: a CBO's subscriptions of outside systems to its shared events
and their delivery log."""

from __future__ import annotations

from chassis.routes import Route
from services.notifications.webhooks import schemas
from services.notifications.webhooks.entrypoints import WebhooksEntrypoints as Webhooks

_TAG = "Webhooks"

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/webhooks",
        Webhooks.create_webhook,
        "Subscribe an outside system (a URL) to the CBO's shared events; the secret is shown once",
        _TAG,
        body=schemas.SubscriptionCreateSchema,
        response=schemas.SubscriptionCreatedSchema,
        status=201,
        description=(
            "Each delivery is a JSON POST `{id, type, occurred_at, data}` with "
            "`WorkLB-Signature: t=<unix time>,v1=<hex>`, the HMAC-SHA256 of `<t>.<body>` with "
            "the secret; retried with exponential backoff until a 2xx answer. 422 for a URL "
            "that is not http(s), holds a user name or password, or reaches a non-public "
            "address."
        ),
    ),
    Route(
        "GET",
        "/api/v1/webhooks",
        Webhooks.list_webhooks,
        "The CBO's webhook subscriptions",
        _TAG,
        query=schemas.SubscriptionQuerySchema,
        response=schemas.SubscriptionPageSchema,
    ),
    Route(
        "GET",
        "/api/v1/webhooks/<subscription_id>",
        Webhooks.get_webhook,
        "One webhook subscription",
        _TAG,
        response=schemas.SubscriptionSchema,
    ),
    Route(
        "PATCH",
        "/api/v1/webhooks/<subscription_id>",
        Webhooks.update_webhook,
        "Change a webhook's URL, events, description, or pause it (active false)",
        _TAG,
        body=schemas.SubscriptionUpdateSchema,
        response=schemas.SubscriptionSchema,
    ),
    Route(
        "DELETE",
        "/api/v1/webhooks/<subscription_id>",
        Webhooks.delete_webhook,
        "Remove a webhook (its pending deliveries are cancelled; its log is kept)",
        _TAG,
        status=204,
    ),
    Route(
        "GET",
        "/api/v1/webhooks/<subscription_id>/deliveries",
        Webhooks.list_webhook_deliveries,
        "A webhook's delivery log: status, attempts, last status code, next try",
        _TAG,
        query=schemas.DeliveryQuerySchema,
        response=schemas.DeliveryPageSchema,
    ),
    Route(
        "GET",
        "/api/v1/webhook-deliveries/<delivery_id>",
        Webhooks.get_webhook_delivery,
        "One delivery with its body and every attempt",
        _TAG,
        response=schemas.DeliveryDetailSchema,
    ),
    Route(
        "POST",
        "/api/v1/webhook-deliveries/<delivery_id>/replay",
        Webhooks.replay_webhook_delivery,
        "Send a delivery again (a new delivery of the same body, due now)",
        _TAG,
        response=schemas.DeliveryDetailSchema,
        status=201,
        errors=(409,),
    ),
)
