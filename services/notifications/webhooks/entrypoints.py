"""Webhooks: a CBO's owner subscribes outside systems to its shared events and reads their
delivery log; the handlers turn the partner exchange's events into deliveries; the timer sends
the due ones."""

from __future__ import annotations

from chassis.config import Settings
from chassis.context import Caller, requires
from chassis.contracts.events import Event
from chassis.db import UnitOfWork
from chassis.entrypoints import event_handler, rpc, timer
from services.notifications.channels.sealing import Sealer
from services.notifications.common import sealer_of
from services.notifications.webhooks import domain, sender
from services.notifications.webhooks.schemas import (
    DeliveryDetailSchema,
    DeliveryPageSchema,
    DeliveryQuerySchema,
    SubscriptionCreatedSchema,
    SubscriptionCreateSchema,
    SubscriptionPageSchema,
    SubscriptionQuerySchema,
    SubscriptionSchema,
    SubscriptionUpdateSchema,
)

MANAGE = "tenant.partnerships.manage"


class WebhooksEntrypoints:
    db: UnitOfWork
    caller: Caller
    settings: Settings

    def _box(self) -> Sealer:
        return sealer_of(self.settings)

    def _check_destination(self, url: str) -> str | None:
        return sender.destination_problem(url, allow_loopback=self.settings.webhook_allow_loopback)

    # -- subscriptions ----------------------------------------------------------------------------

    @rpc
    @requires(MANAGE)
    def create_webhook(self, body: dict) -> dict:
        tenant_id = self.caller.require_staff_tenant()
        data = SubscriptionCreateSchema().load(body)
        made, secret = domain.create_subscription(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            box=self._box(),
            check_destination=self._check_destination,
            **data,
        )
        shown = {name: getattr(made, name) for name in SubscriptionSchema().fields}
        return SubscriptionCreatedSchema().dump({**shown, "secret": secret})

    @rpc
    @requires(MANAGE)
    def list_webhooks(self, query: dict | None = None) -> dict:
        tenant_id = self.caller.require_staff_tenant()
        options = SubscriptionQuerySchema().load(query or {})
        found = domain.list_subscriptions(self.db, tenant_id=tenant_id, **options)
        return SubscriptionPageSchema().dump(found)

    @rpc
    @requires(MANAGE)
    def get_webhook(self, subscription_id: str) -> dict:
        tenant_id = self.caller.require_staff_tenant()
        found = domain.subscription(self.db, tenant_id=tenant_id, subscription_id=subscription_id)
        return SubscriptionSchema().dump(found)

    @rpc
    @requires(MANAGE)
    def update_webhook(self, subscription_id: str, body: dict) -> dict:
        tenant_id = self.caller.require_staff_tenant()
        changes = SubscriptionUpdateSchema().load(body)
        found = domain.update_subscription(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            subscription_id=subscription_id,
            changes=changes,
            check_destination=self._check_destination,
        )
        return SubscriptionSchema().dump(found)

    @rpc
    @requires(MANAGE)
    def delete_webhook(self, subscription_id: str) -> None:
        tenant_id = self.caller.require_staff_tenant()
        domain.delete_subscription(
            self.db, caller=self.caller, tenant_id=tenant_id, subscription_id=subscription_id
        )

    # -- the delivery log -------------------------------------------------------------------------

    @rpc
    @requires(MANAGE)
    def list_webhook_deliveries(self, subscription_id: str, query: dict | None = None) -> dict:
        tenant_id = self.caller.require_staff_tenant()
        options = DeliveryQuerySchema().load(query or {})
        found = domain.list_deliveries(
            self.db, tenant_id=tenant_id, subscription_id=subscription_id, **options
        )
        return DeliveryPageSchema().dump(found)

    @rpc
    @requires(MANAGE)
    def get_webhook_delivery(self, delivery_id: str) -> dict:
        tenant_id = self.caller.require_staff_tenant()
        found = domain.delivery(self.db, tenant_id=tenant_id, delivery_id=delivery_id)
        return DeliveryDetailSchema().dump(found)

    @rpc
    @requires(MANAGE)
    def replay_webhook_delivery(self, delivery_id: str) -> dict:
        tenant_id = self.caller.require_staff_tenant()
        again = domain.replay(
            self.db, caller=self.caller, tenant_id=tenant_id, delivery_id=delivery_id
        )
        return DeliveryDetailSchema().dump(
            domain.delivery(self.db, tenant_id=tenant_id, delivery_id=again.id)
        )

    # -- the partner exchange in ------------------------------------------------------------------

    def _route(self, event: Event) -> None:
        domain.route_event(
            self.db,
            event_id=event.event_id,
            event_type=event.event_type,
            occurred_at=event.occurred_at,
            data=event.data,
        )

    @event_handler("booking", "opportunity.shared")
    def deliver_opportunity_shared(self, event: Event) -> None:
        """Queues a signed webhook delivery to the owner's and the partner's subscribers."""
        self._route(event)

    @event_handler("booking", "opportunity.withdrawn")
    def deliver_opportunity_withdrawn(self, event: Event) -> None:
        """Queues a signed webhook delivery to the owner's and (while partnered) the partner's
        subscribers."""
        self._route(event)

    @event_handler("booking", "opportunity.filled")
    def deliver_opportunity_filled(self, event: Event) -> None:
        """Queues a signed webhook delivery to the owner's and the partner's subscribers."""
        self._route(event)

    @event_handler("tenancy", "partnership.ended")
    def stop_webhooks_of_ended_partnership(self, event: Event) -> None:
        """Stops delivering the partnership's shared events to the partner (pending ones
        cancelled)."""
        domain.end_partnership(
            self.db, partnership_id=event.data["partnership_id"], ended_at=event.occurred_at
        )

    # -- the sweep -------------------------------------------------------------------------------

    @timer("webhook_sweep_seconds")
    def send_due_webhooks(self) -> None:
        """Sends the due deliveries (WORKLB_WEBHOOK_SWEEP_SECONDS), claimed with SKIP LOCKED so
        several instances never send one twice."""
        settings = self.settings
        domain.deliver_due(
            self.db,
            send=sender.sender(
                timeout=settings.webhook_timeout_seconds,
                allow_loopback=settings.webhook_allow_loopback,
            ),
            box=self._box(),
            max_attempts=settings.webhook_max_attempts,
            retry_base=settings.webhook_retry_base_seconds,
            retry_cap=settings.webhook_retry_max_seconds,
        )
