"""Each person's own inbox (any signed-in person of a CBO: job seekers, staff, client users)."""

from __future__ import annotations

from datetime import UTC, datetime

from chassis.context import Caller, public
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from services.notifications.common import person
from services.notifications.inbox import domain
from services.notifications.inbox.schemas import (
    InboxItemSchema,
    InboxPageSchema,
    InboxQuerySchema,
    MarkedSchema,
    UnreadCountSchema,
)


class InboxEntrypoints:
    db: UnitOfWork
    caller: Caller

    # @public: every signed-in person has an inbox, whatever their permissions; `person`
    # refuses anonymous and system callers and scopes everything to the caller's own items.

    @rpc
    @public
    def list_inbox(self, query: dict) -> dict:
        tenant_id, account_id = person(self.caller)
        wanted = InboxQuerySchema().load(query)
        found = domain.list_items(
            self.db,
            tenant_id=tenant_id,
            account_id=account_id,
            unread=wanted["unread"],
            page=wanted["page"],
            per_page=wanted["per_page"],
        )
        return InboxPageSchema().dump(found)

    @rpc
    @public
    def inbox_unread_count(self) -> dict:
        tenant_id, account_id = person(self.caller)
        count = domain.unread_count(self.db, tenant_id=tenant_id, account_id=account_id)
        return UnreadCountSchema().dump({"unread": count})

    @rpc
    @public
    def mark_inbox_item_read(self, item_id: str) -> dict:
        tenant_id, account_id = person(self.caller)
        item = domain.mark_read(
            self.db,
            tenant_id=tenant_id,
            account_id=account_id,
            item_id=item_id,
            now=datetime.now(UTC),
        )
        return InboxItemSchema().dump(item)

    @rpc
    @public
    def mark_inbox_read(self) -> dict:
        tenant_id, account_id = person(self.caller)
        marked = domain.mark_all_read(
            self.db, tenant_id=tenant_id, account_id=account_id, now=datetime.now(UTC)
        )
        return MarkedSchema().dump({"marked": marked})
