"""The notifications service: one class composed of its areas' entrypoint mixins (webhooks:
outside systems subscribed to a CBO's shared events)."""

from chassis.service import ServiceBase
from services.notifications.webhooks.entrypoints import WebhooksEntrypoints


class NotificationsService(WebhooksEntrypoints, ServiceBase):
    name = "notifications"
