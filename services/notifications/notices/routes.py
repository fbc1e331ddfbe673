"""Routes of the notices area: what the CBO's people are (to be) told."""

from __future__ import annotations

from chassis.routes import Route
from services.notifications.notices import schemas
from services.notifications.notices.entrypoints import NoticesEntrypoints as Notices

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/notifications/notices",
        Notices.list_notices,
        "What the CBO's people are told or will be (reminders to come), latest due first",
        "Notifications",
        query=schemas.NoticeQuerySchema,
        response=schemas.NoticePageSchema,
    ),
)
