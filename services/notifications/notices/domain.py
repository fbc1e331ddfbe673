"""Notices from events (written by the event handlers, one per thing to tell, keyed so that a
redelivered event adds nothing), reminders before a confirmed shift (cancelled with the place),
and dispatching what is due: each due notice is claimed FOR UPDATE SKIP LOCKED, turned into
inbox items and queued emails and SMS in each person's language, and marked done in the same
transaction, so a reminder is sent once across restarts and instances."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from dateutil.parser import isoparse
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from chassis.contracts.identity_rpc import Contact
from chassis.contracts.tenancy_rpc import MessageProfile
from chassis.db import UnitOfWork
from chassis.errors import DomainError
from chassis.paging import page_rows
from services.notifications.catalogue import domain as catalogue
from services.notifications.channels import domain as channels
from services.notifications.channels import rules as channel_rules
from services.notifications.inbox import domain as inbox
from services.notifications.messages import domain as messages
from services.notifications.messages import rules as message_rules
from services.notifications.notices import rules
from services.notifications.notices.models import (
    CANCELLED,
    DONE,
    FAILED,
    PENDING,
    PEOPLE,
    STAFF,
    Notice,
)
from services.notifications.optouts import domain as optouts

log = logging.getLogger(__name__)

REMINDER = "shift_reminder"
CONFIRMED = "offer_confirmed"


class Directory(Protocol):
    """Who people are and what the CBO calls things: identity's and tenancy's answers (the
    entrypoint asks them over RPC; tests pass their own)."""

    def contacts(self, *, tenant_id: str, account_ids: list[str]) -> list[Contact]: ...

    def staff(self, *, tenant_id: str, permission: str) -> list[Contact]: ...

    def profile(self, *, tenant_id: str) -> MessageProfile: ...


def _times(data: dict[str, Any]) -> dict[str, Any]:
    """An event's times as ISO-8601 text (JSONB keeps text)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in data.items()
    }


def add_notice(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    kind: str,
    source_key: str,
    due_at: datetime,
    account_ids: list[str] | None = None,
    permission: str | None = None,
    data: dict[str, Any] | None = None,
    assignment_id: str | None = None,
) -> None:
    """Record something to tell, due at `due_at` (once per source key)."""
    uow.session.execute(
        insert(Notice)
        .values(
            tenant_id=tenant_id,
            kind=kind,
            source_key=source_key,
            audience=STAFF if permission else PEOPLE,
            account_ids=account_ids or [],
            permission=permission,
            data=_times(data or {}),
            assignment_id=assignment_id,
            due_at=due_at,
            status=PENDING,
        )
        .on_conflict_do_nothing(index_elements=["source_key"])
    )


def place_confirmed(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    event_id: str,
    worker_id: str,
    assignment_id: str,
    data: dict[str, Any],
    starts_at: datetime,
    now: datetime,
) -> None:
    """A worker confirmed a place: tell them now, and remind them before the start at the
    CBO's reminder times (those still ahead)."""
    add_notice(
        uow,
        tenant_id=tenant_id,
        kind=CONFIRMED,
        source_key=f"{event_id}:{CONFIRMED}:{worker_id}",
        due_at=now,
        account_ids=[worker_id],
        data=data,
        assignment_id=assignment_id,
    )
    settings = channels.settings_for(uow, tenant_id=tenant_id)
    for minutes, due_at in channel_rules.reminder_times(
        starts_at, settings.reminder_minutes, now=now
    ):
        add_notice(
            uow,
            tenant_id=tenant_id,
            kind=REMINDER,
            source_key=f"reminder:{assignment_id}:{minutes}",
            due_at=due_at,
            account_ids=[worker_id],
            data={**data, "minutes_before": minutes},
            assignment_id=assignment_id,
        )


def place_cancelled(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    event_id: str,
    worker_id: str,
    assignment_id: str,
    shift_id: str,
    reason: str,
    tell: bool,
    now: datetime,
) -> int:
    """A confirmed place was cancelled: its reminders still to come are cancelled, and the
    worker is told (unless they cancelled it themselves). Returns the reminders cancelled."""
    cancelled = uow.session.execute(
        update(Notice)
        .where(
            Notice.tenant_id == tenant_id,
            Notice.assignment_id == assignment_id,
            Notice.kind == REMINDER,
            Notice.status == PENDING,
        )
        .values(status=CANCELLED, done_at=now)
    ).rowcount  # type: ignore[attr-defined]
    if tell:
        confirmed = uow.session.execute(
            select(Notice.data).where(
                Notice.tenant_id == tenant_id,
                Notice.assignment_id == assignment_id,
                Notice.kind == CONFIRMED,
            )
        ).scalar()
        known = confirmed or {}
        add_notice(
            uow,
            tenant_id=tenant_id,
            kind="shift_cancelled",
            source_key=f"{event_id}:shift_cancelled:{worker_id}:{assignment_id}",
            due_at=now,
            account_ids=[worker_id],
            data={
                "shift_id": shift_id,
                "assignment_id": assignment_id,
                "starts_at": known.get("starts_at"),
                "ends_at": known.get("ends_at"),
                "reason": reason,
            },
            assignment_id=assignment_id,
        )
    return int(cancelled or 0)


# -- dispatching -------------------------------------------------------------------------------


def _claim(uow: UnitOfWork, *, now: datetime) -> Notice | None:
    return uow.session.execute(
        select(Notice)
        .where(Notice.status == PENDING, Notice.due_at <= now)
        .order_by(Notice.due_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()


def _time(value: Any) -> datetime | None:
    return isoparse(value) if isinstance(value, str) and value else None


def _tell(
    uow: UnitOfWork,
    notice: Notice,
    person: Contact,
    profile: MessageProfile,
    *,
    sms_ready: bool,
    now: datetime,
) -> None:
    data = notice.data or {}
    language = message_rules.language_for(
        person.preferred_language, default=profile.default_language
    )
    job, site = catalogue.work_of(uow, booking_id=data.get("booking_id"))
    rendered = message_rules.render(
        notice.kind,
        language,
        name=person.name,
        cbo=profile.display_name,
        timezone=profile.timezone,
        terminology=profile.terminology,
        starts_at=_time(data.get("starts_at")),
        ends_at=_time(data.get("ends_at")),
        deadline_at=_time(data.get("deadline_at")),
        reason=data.get("reason"),
        attempts=data.get("attempts"),
        job=job,
        site=site,
    )
    links = {k: v for k, v in data.items() if k.endswith("_id") and isinstance(v, str)}
    inbox.add_item(
        uow,
        tenant_id=notice.tenant_id,
        account_id=person.account_id,
        notice_id=notice.id,
        kind=notice.kind,
        language=language,
        title=rendered.subject,
        body=rendered.text,
        data=links,
    )
    common: dict[str, Any] = {
        "tenant_id": notice.tenant_id,
        "notice_id": notice.id,
        "kind": notice.kind,
        "account_id": person.account_id,
        "language": language,
        "subject": rendered.subject,
        "now": now,
    }
    if person.email:
        messages.queue(
            uow, channel=message_rules.EMAIL, recipient=person.email, body=rendered.text, **common
        )
    if not (sms_ready and notice.kind in rules.SMS_KINDS and person.phone):
        return
    phone = channel_rules.normalise_phone(person.phone)
    if phone is None:
        return
    skipped = (
        "The number opted out (STOP)."
        if optouts.is_opted_out(uow, tenant_id=notice.tenant_id, phone=phone)
        else None
    )
    messages.queue(
        uow,
        channel=message_rules.SMS,
        recipient=phone,
        body=rendered.sms,
        skipped_because=skipped,
        **common,
    )


def dispatch(uow: UnitOfWork, *, notice: Notice, directory: Directory, now: datetime) -> int:
    """Tell the notice's people (active ones) in their language: an inbox item each, an email
    to whoever has an address, an SMS to a worker with a phone when the CBO has SMS (skipped,
    and logged so, for a number that opted out). Returns how many people were told."""
    profile = directory.profile(tenant_id=notice.tenant_id)
    if notice.audience == STAFF:
        people = directory.staff(tenant_id=notice.tenant_id, permission=notice.permission or "")
    else:
        people = directory.contacts(tenant_id=notice.tenant_id, account_ids=notice.account_ids)
    sms_ready = channels.sms_configured(channels.settings_for(uow, tenant_id=notice.tenant_id))
    told = 0
    for person in people:
        if person.active:
            _tell(uow, notice, person, profile, sms_ready=sms_ready, now=now)
            told += 1
    notice.status = DONE
    notice.done_at = now
    uow.session.flush()
    return told


def dispatch_one(uow: UnitOfWork, *, directory: Directory, now: datetime) -> bool:
    """Dispatch the oldest due notice (claimed so that no other instance takes it) and commit.
    A failure (identity or tenancy unreachable) is recorded and the notice waits its backoff.
    False when nothing is due."""
    notice = _claim(uow, now=now)
    if notice is None:
        return False
    notice_id = notice.id
    try:
        dispatch(uow, notice=notice, directory=directory, now=now)
        uow.commit()
        return True
    # RuntimeError: an answer outside its contract; KeyError, ValueError: data no template
    # fits. Recorded and retried, then failed, rather than blocking the sweep.
    except (DomainError, RuntimeError, KeyError, ValueError) as exc:
        uow.rollback()
        error = f"{type(exc).__name__}: {exc}"
    log.warning("a notice could not be dispatched", extra={"fields": {"notice_id": notice_id}})
    failed = uow.session.execute(
        select(Notice).where(Notice.id == notice_id).with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if failed is not None and failed.status == PENDING:
        failed.attempts += 1
        failed.last_error = error[:2000]
        retry = rules.redispatch_at(failed.attempts, now=now)
        if retry is None:
            failed.status = FAILED
        else:
            failed.due_at = retry
    uow.commit()
    return True


def dispatch_due(uow: UnitOfWork, *, directory: Directory, now: datetime, limit: int = 50) -> int:
    """Dispatch up to `limit` due notices, one transaction each."""
    done = 0
    while done < limit and dispatch_one(uow, directory=directory, now=now):
        done += 1
    return done


def list_notices(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    status: str | None,
    kind: str | None,
    assignment_id: str | None,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    """The CBO's notices, latest due first (pending reminders show what is still to come)."""
    query = select(Notice).where(Notice.tenant_id == tenant_id)
    if status:
        query = query.where(Notice.status == status)
    if kind:
        query = query.where(Notice.kind == kind)
    if assignment_id:
        query = query.where(Notice.assignment_id == assignment_id)
    query = query.order_by(Notice.due_at.desc(), Notice.id.desc())
    return page_rows(uow.session, query, page=page, per_page=per_page)
