"""Routes of the inbox area: one's own messages."""

from __future__ import annotations

from chassis.routes import Route
from services.notifications.inbox import schemas
from services.notifications.inbox.entrypoints import InboxEntrypoints as Inbox

_TAG = "Inbox"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/me/inbox",
        Inbox.list_inbox,
        "Your inbox, newest first",
        _TAG,
        query=schemas.InboxQuerySchema,
        response=schemas.InboxPageSchema,
        errors=(403,),  # a caller who belongs to no CBO (the platform operator)
    ),
    Route(
        "GET",
        "/api/v1/me/inbox/unread-count",
        Inbox.inbox_unread_count,
        "How many of your inbox's messages are unread",
        _TAG,
        response=schemas.UnreadCountSchema,
        errors=(403,),
    ),
    Route(
        "POST",
        "/api/v1/me/inbox/<item_id>/read",
        Inbox.mark_inbox_item_read,
        "Mark one of your messages read",
        _TAG,
        response=schemas.InboxItemSchema,
    ),
    Route(
        "POST",
        "/api/v1/me/inbox/read",
        Inbox.mark_inbox_read,
        "Mark all your messages read",
        _TAG,
        response=schemas.MarkedSchema,
    ),
)
