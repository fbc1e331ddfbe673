"""The notifications service: one class composed of its areas' entrypoint mixins.

Areas: notices (what to tell whom, from events, and reminders; the dispatch timer), messages
(templates, the delivery log, the sender's timer, the provider's status callback), inbox (each
person's in-app messages), channels (each CBO's SMS account, email name, reminder times),
optouts (SMS STOP and START), catalogue (booking's site and job type names, for messages),
webhooks (outside systems subscribed to a CBO's shared events).
"""

from __future__ import annotations

from chassis.mail import Mail, Mailer
from chassis.rpc import ServiceCaller, Services
from chassis.service import ServiceBase
from services.notifications.catalogue.entrypoints import CatalogueEntrypoints
from services.notifications.channels.entrypoints import ChannelsEntrypoints
from services.notifications.inbox.entrypoints import InboxEntrypoints
from services.notifications.messages.entrypoints import MessagesEntrypoints
from services.notifications.notices.entrypoints import NoticesEntrypoints
from services.notifications.optouts.entrypoints import OptoutsEntrypoints
from services.notifications.webhooks.entrypoints import WebhooksEntrypoints


class NotificationsService(
    NoticesEntrypoints,
    MessagesEntrypoints,
    InboxEntrypoints,
    ChannelsEntrypoints,
    OptoutsEntrypoints,
    CatalogueEntrypoints,
    WebhooksEntrypoints,
    ServiceBase,
):
    name = "notifications"

    # Identity (who people are) and tenancy (the CBO's name, time zone and words).
    services: ServiceCaller = Services()  # type: ignore[assignment]
    mail: Mailer = Mail()  # type: ignore[assignment]
