"""The delivery log for staff, the sender's timer, and the provider's status callback."""

from __future__ import annotations

from datetime import UTC, datetime

from chassis.config import Settings
from chassis.context import Caller, public, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc, timer
from chassis.mail import Mailer
from services.notifications.channels import domain as channels
from services.notifications.channels.sms import SmsAccount, send_sms
from services.notifications.common import sealer_of, staff_tenant
from services.notifications.messages import domain
from services.notifications.messages.schemas import (
    MessagePageSchema,
    MessageQuerySchema,
    MessageSchema,
)
from services.notifications.optouts.entrypoints import first
from services.notifications.optouts.schemas import ProviderRequestSchema

READ = "bookings.read"


class MessagesEntrypoints:
    db: UnitOfWork
    caller: Caller
    settings: Settings
    mail: Mailer

    def _senders(self, email: domain.SendEmail) -> domain.Senders:
        timeout = self.settings.sms_timeout

        def sms(account: SmsAccount, to: str, body: str, callback: str) -> str:
            return send_sms(account, to=to, body=body, status_callback=callback, timeout=timeout)

        return domain.Senders(
            email=email,
            sms=sms,
            sealer=sealer_of(self.settings),
            sms_base_url=self.settings.sms_base_url,
            public_url=self.settings.public_url,
        )

    @timer("notifications_sweep_seconds")
    def deliver_messages(self) -> None:
        """Sends the emails and SMS that are due (new ones, and retries after their backoff),
        one claimed row at a time."""
        with self.mail.session() as email:  # one SMTP connection for the sweep's emails
            domain.deliver_due(self.db, now=datetime.now(UTC), senders=self._senders(email))

    @rpc
    @requires(READ)
    def list_messages(self, query: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        wanted = MessageQuerySchema().load(query)
        found = domain.list_messages(
            self.db,
            tenant_id=tenant_id,
            status=wanted["status"],
            channel=wanted["channel"],
            account_id=wanted["account_id"],
            kind=wanted["kind"],
            page=wanted["page"],
            per_page=wanted["per_page"],
        )
        return MessagePageSchema().dump(found)

    @rpc
    @requires(READ)
    def get_message(self, message_id: str) -> dict:
        found = domain.get_message(
            self.db, tenant_id=staff_tenant(self.caller), message_id=message_id
        )
        return MessageSchema().dump(found)

    @rpc
    @public
    def sms_status(self, tenant_id: str, body: dict) -> None:
        """The provider's report on an SMS (signature checked, else 403): sent, delivered,
        undelivered or failed."""
        request = ProviderRequestSchema().load(body)
        channels.check_provider_request(
            self.db,
            tenant_id=tenant_id,
            url=channels.callback_urls(self.settings.public_url, tenant_id)["status_callback_url"],
            params=request["params"],
            signature=request["signature"],
            sealer=sealer_of(self.settings),
        )
        provider_id = first(request["params"], "MessageSid") or first(request["params"], "SmsSid")
        reported = first(request["params"], "MessageStatus") or first(
            request["params"], "SmsStatus"
        )
        if provider_id and reported:
            domain.record_status(
                self.db,
                tenant_id=tenant_id,
                provider_id=provider_id,
                reported=reported,
                error_code=first(request["params"], "ErrorCode") or None,
                now=datetime.now(UTC),
            )
