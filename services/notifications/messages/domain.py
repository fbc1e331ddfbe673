"""The delivery log: queueing an email or SMS, sending what is due (claimed FOR UPDATE SKIP
LOCKED, one message a transaction, retried with backoff), the provider's status reports, and
the log as staff read it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork
from chassis.errors import NotFound
from chassis.mail import Email, MailFailed
from chassis.paging import page_rows
from services.notifications.channels import domain as channels
from services.notifications.channels.sealing import Sealer, SealingUnavailable
from services.notifications.channels.sms import SmsAccount, SmsFailed
from services.notifications.messages import rules
from services.notifications.messages.models import Message
from services.notifications.optouts import domain as optouts

log = logging.getLogger(__name__)

# A sender of email: (email) -> Message-ID; of SMS: (account, to, body, callback) -> sid.
SendEmail = Callable[[Email], str]
SendSms = Callable[[SmsAccount, str, str, str], str]


@dataclass(frozen=True)
class Senders:
    """What delivering needs besides the database (the entrypoint builds it from the mailer,
    the SMS client and the settings; tests pass their own)."""

    email: SendEmail
    sms: SendSms
    sealer: Sealer
    sms_base_url: str
    public_url: str


def queue(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    notice_id: str,
    kind: str,
    account_id: str,
    channel: str,
    recipient: str,
    language: str,
    subject: str,
    body: str,
    now: datetime,
    skipped_because: str | None = None,
) -> None:
    """Put one email or SMS in the delivery log, queued to send now (or skipped, with why).
    Once per notice, person and channel: a second time adds nothing."""
    skipped = skipped_because is not None
    uow.session.execute(
        insert(Message)
        .values(
            tenant_id=tenant_id,
            notice_id=notice_id,
            kind=kind,
            account_id=account_id,
            channel=channel,
            recipient=recipient,
            language=language,
            subject=subject[:300],
            body=body,
            status=rules.SKIPPED if skipped else rules.QUEUED,
            next_attempt_at=now,
            last_error=skipped_because,
        )
        .on_conflict_do_nothing(constraint="uq_messages_notice_channel")
    )


def _claim(uow: UnitOfWork, *, now: datetime) -> Message | None:
    return uow.session.execute(
        select(Message)
        .where(Message.status == rules.QUEUED, Message.next_attempt_at <= now)
        .order_by(Message.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()


def _event(message: Message) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "kind": message.kind,
        "channel": message.channel,
        "account_id": message.account_id,
        "attempts": message.attempts,
    }


def _fail(uow: UnitOfWork, message: Message, error: str) -> None:
    message.status = rules.FAILED
    message.last_error = error[:2000]
    uow.emit(
        "notification.failed",
        {**_event(message), "error": error[:500]},
        tenant_id=message.tenant_id,
    )


def _send(uow: UnitOfWork, message: Message, senders: Senders) -> str | None:
    """Send one message; its provider id, or None when it is skipped instead (set here)."""
    settings = channels.settings_for(uow, tenant_id=message.tenant_id)
    if message.channel == rules.EMAIL:
        return senders.email(
            Email(
                to=message.recipient,
                subject=message.subject,
                text=message.body,
                html=rules.html_of(message.body),
                from_name=settings.email_from_name,
                reply_to=settings.email_reply_to,
            )
        )
    # A STOP may have come after the message was queued.
    if optouts.is_opted_out(uow, tenant_id=message.tenant_id, phone=message.recipient):
        message.status = rules.SKIPPED
        message.last_error = "The number opted out (STOP)."
        return None
    account = channels.sms_account(
        settings, sealer=senders.sealer, default_base_url=senders.sms_base_url
    )
    if account is None:
        message.status = rules.SKIPPED
        message.last_error = "The CBO has no SMS account any more."
        return None
    callback = channels.callback_urls(senders.public_url, message.tenant_id)
    return senders.sms(account, message.recipient, message.body, callback["status_callback_url"])


def deliver_one(uow: UnitOfWork, *, now: datetime, senders: Senders) -> bool:
    """Send the oldest due queued message (claimed so that no other instance sends it) and
    record what happened, in one transaction the caller commits. False when nothing is due."""
    message = _claim(uow, now=now)
    if message is None:
        return False
    message.attempts += 1
    try:
        provider_id = _send(uow, message, senders)
    # ValueError, UnicodeError: a message the mail library refuses to build; retried, then
    # failed, rather than blocking the queue.
    except (MailFailed, SmsFailed, SealingUnavailable, ValueError, UnicodeError) as exc:
        error = str(exc)
        retry = rules.retry_at(message.attempts, now=now)
        log.warning(
            "a message could not be sent",
            extra={"fields": {"message_id": message.id, "attempts": message.attempts}},
        )
        if retry is None:
            _fail(uow, message, error)
        else:
            message.last_error = error[:2000]
            message.next_attempt_at = retry
        uow.session.flush()
        return True
    if message.status == rules.QUEUED:
        message.status = rules.SENT
        message.provider_id = provider_id
        message.sent_at = now
        message.last_error = None
        uow.emit(
            "notification.sent",
            {**_event(message), "provider_id": provider_id},
            tenant_id=message.tenant_id,
        )
    uow.session.flush()
    return True


def deliver_due(uow: UnitOfWork, *, now: datetime, senders: Senders, limit: int = 50) -> int:
    """Send up to `limit` due messages, committing after each one (a crash loses at most the
    record of the one being sent, which is then sent again: at least once, never lost)."""
    done = 0
    while done < limit and deliver_one(uow, now=now, senders=senders):
        uow.commit()
        done += 1
    return done


def record_status(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    provider_id: str,
    reported: str,
    error_code: str | None,
    now: datetime,
) -> Message | None:
    """The provider's report on one of the CBO's SMS (from its signed status callback)."""
    message = uow.session.execute(
        select(Message)
        .where(
            Message.tenant_id == tenant_id,
            Message.provider_id == provider_id,
            Message.channel == rules.SMS,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if message is None:
        return None
    target = rules.status_after_report(message.status, reported)
    if target is None:
        return message
    if target == rules.FAILED:
        _fail(uow, message, f"The provider reported {reported} (error {error_code or 'none'}).")
    else:
        message.status = target
        if target == rules.DELIVERED:
            message.delivered_at = now
    uow.session.flush()
    return message


def list_messages(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    status: str | None,
    channel: str | None,
    account_id: str | None,
    kind: str | None,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    query = select(Message).where(Message.tenant_id == tenant_id)
    if status:
        query = query.where(Message.status == status)
    if channel:
        query = query.where(Message.channel == channel)
    if account_id:
        query = query.where(Message.account_id == account_id)
    if kind:
        query = query.where(Message.kind == kind)
    query = query.order_by(Message.created_at.desc(), Message.id.desc())
    return page_rows(uow.session, query, page=page, per_page=per_page)


def get_message(uow: UnitOfWork, *, tenant_id: str, message_id: str) -> Message:
    found = uow.session.execute(
        select(Message).where(Message.tenant_id == tenant_id, Message.id == message_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("There is no such message.")
    return found
