"""Routes of the channels area: a CBO's SMS account, email name and reminder times."""

from __future__ import annotations

from chassis.routes import Route
from services.notifications.channels import schemas
from services.notifications.channels.entrypoints import ChannelsEntrypoints as Channels

_TAG = "Notifications"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/notification-settings",
        Channels.get_channel_settings,
        "The CBO's SMS account (never its auth token), email name and reminder times",
        _TAG,
        response=schemas.ChannelSettingsSchema,
    ),
    Route(
        "PATCH",
        "/api/v1/notification-settings",
        Channels.update_channel_settings,
        "Change the CBO's SMS account, email name or reminder times",
        _TAG,
        body=schemas.ChannelSettingsUpdateSchema,
        response=schemas.ChannelSettingsSchema,
        description="The SMS auth token is sealed at rest and never answered; leave it out to "
        "keep the one stored. Point the provider's status callback and incoming messages at "
        "the URLs the answer gives.",
    ),
)
