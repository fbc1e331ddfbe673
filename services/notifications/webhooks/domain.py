"""Webhooks: a CBO subscribes an outside system (a URL) to its shared events, the partner
exchange's opportunity.shared / withdrawn / filled for shifts it owns or that are shared with
it. Each event becomes one durable delivery row per subscription, sent by a timer as a JSON
POST signed with HMAC-SHA256 over "<timestamp>.<body>" (`WorkLB-Signature: t=…,v1=…`), retried
with exponential backoff on anything but 2xx; the CBO reads the delivery log (attempts, status
codes, next try) and replays a delivery.

- The secret is made at subscription, shown once, and kept encrypted (channels.sealing.Sealer).
- Sweeps claim due deliveries with FOR UPDATE SKIP LOCKED and hold the claim while they send,
  so several notifications instances never send one delivery twice.
- The end of a partnership (tenancy's partnership.ended) cancels the partner's pending
  deliveries of it, and no later event of it reaches the partner's subscriptions.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork, owned_row
from chassis.errors import Conflict, NotFound, ValidationFailed
from chassis.paging import order_by, page_rows
from services.notifications.channels.sealing import Sealer
from services.notifications.webhooks import rules
from services.notifications.webhooks.models import (
    EndedPartnership,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    new_id,
)

# How many deliveries one sweep claims (sent at once).
SWEEP_BATCH = 20
SECRET_PREFIX = "whsec_"

# Why a URL's destination is refused now (None: allowed); the entrypoint resolves the host.
CheckDestination = Callable[[str], str | None]
Send = Callable[[Sequence[rules.Outgoing]], dict[str, rules.Answer]]


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _check_url(url: str, check_destination: CheckDestination) -> None:
    problems = rules.url_problems(url)
    if problems:
        raise ValidationFailed(fields={"url": problems})
    problem = check_destination(url)
    if problem:
        raise ValidationFailed(fields={"url": [f"Refused: {problem}"]})


# -- subscriptions -------------------------------------------------------------------------------


def create_subscription(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    url: str,
    events: Sequence[str],
    description: str,
    box: Sealer,
    check_destination: CheckDestination,
) -> tuple[WebhookSubscription, str]:
    """A new subscription of the caller's CBO and its signing secret (shown only now; kept
    encrypted). The URL must be http(s), without credentials, and reach an allowed address."""
    _check_url(url, check_destination)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        tenant_id=tenant_id,
        url=url,
        events=list(events),
        description=description,
        secret_encrypted=box.seal(secret),
        active=True,
        created_by=caller.user_id,
    )
    uow.session.add(subscription)
    uow.session.flush()
    audit(
        uow,
        caller,
        action="webhook.subscribe",
        entity_type="webhook",
        entity_id=subscription.id,
        after={"url": url, "events": list(events)},
        tenant_id=tenant_id,
    )
    return subscription, secret


def _subscription(uow: UnitOfWork, *, tenant_id: str, subscription_id: str) -> WebhookSubscription:
    found = owned_row(
        uow, WebhookSubscription, tenant_id=tenant_id, row_id=subscription_id, what="webhook"
    )
    if found.deleted_at is not None:
        raise NotFound("There is no such webhook.")
    return found


def subscription(uow: UnitOfWork, *, tenant_id: str, subscription_id: str) -> WebhookSubscription:
    """One of the caller's CBO's subscriptions (404 for any other)."""
    return _subscription(uow, tenant_id=tenant_id, subscription_id=subscription_id)


def list_subscriptions(
    uow: UnitOfWork, *, tenant_id: str, page: int, per_page: int, sort: str
) -> dict[str, Any]:
    query = select(WebhookSubscription).where(
        WebhookSubscription.tenant_id == tenant_id, WebhookSubscription.deleted_at.is_(None)
    )
    columns = {"created_at": WebhookSubscription.created_at, "url": WebhookSubscription.url}
    query = order_by(query, sort, columns, WebhookSubscription.id)
    return page_rows(uow.session, query, page=page, per_page=per_page)


def update_subscription(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    subscription_id: str,
    changes: dict[str, Any],
    check_destination: CheckDestination,
) -> WebhookSubscription:
    """Change a subscription's URL, events, description or active flag."""
    found = _subscription(uow, tenant_id=tenant_id, subscription_id=subscription_id)
    if "url" in changes:
        _check_url(changes["url"], check_destination)
    before = {k: getattr(found, k) for k in changes}
    for key, value in changes.items():
        setattr(found, key, list(value) if key == "events" else value)
    uow.session.flush()
    audit(
        uow,
        caller,
        action="webhook.update",
        entity_type="webhook",
        entity_id=found.id,
        before=before,
        after=dict(changes),
        tenant_id=tenant_id,
    )
    return found


def delete_subscription(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    subscription_id: str,
    now: datetime | None = None,
) -> None:
    """Remove a subscription: its pending deliveries are cancelled; its log is kept."""
    found = _subscription(uow, tenant_id=tenant_id, subscription_id=subscription_id)
    found.active = False
    found.deleted_at = _now(now)
    uow.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == found.id,
            WebhookDelivery.status == rules.PENDING,
        )
        .values(status=rules.CANCELLED, next_attempt_at=None)
    )
    audit(
        uow,
        caller,
        action="webhook.delete",
        entity_type="webhook",
        entity_id=found.id,
        before={"url": found.url},
        tenant_id=tenant_id,
    )


# -- events in -----------------------------------------------------------------------------------


def _body(*, event_id: str, event_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    return json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "occurred_at": occurred_at.isoformat(),
            "data": data,
        },
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


def route_event(
    uow: UnitOfWork,
    *,
    event_id: str,
    event_type: str,
    occurred_at: datetime,
    data: dict[str, Any],
    now: datetime | None = None,
) -> int:
    """An event of the partner exchange: one pending delivery for every active subscription
    to it of the owning CBO and (while the partnership stands) of the partner. A redelivered
    event adds nothing. Returns how many deliveries it made."""
    now = _now(now)
    partnership_id = data.get("partnership_id")
    ended = partnership_id is not None and (
        uow.session.get(EndedPartnership, partnership_id) is not None
    )
    tenants = rules.recipients(data, partnership_ended=ended, event_type=event_type)
    query = select(WebhookSubscription).where(
        WebhookSubscription.tenant_id.in_(tenants),
        WebhookSubscription.active.is_(True),
        WebhookSubscription.deleted_at.is_(None),
        WebhookSubscription.events.contains([event_type]),
    )
    body = _body(event_id=event_id, event_type=event_type, occurred_at=occurred_at, data=data)
    made = 0
    for found in uow.session.execute(query).scalars():
        result = uow.session.execute(
            insert(WebhookDelivery)
            .values(
                id=new_id(),
                tenant_id=found.tenant_id,
                subscription_id=found.id,
                event_id=event_id,
                event_type=event_type,
                partnership_id=partnership_id,
                as_partner=found.tenant_id != data["owner_tenant_id"],
                body=body,
                status=rules.PENDING,
                attempts=0,
                next_attempt_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=["subscription_id", "event_id"],
                index_where=WebhookDelivery.replay_of.is_(None),
            )
        )
        made += result.rowcount or 0  # type: ignore[attr-defined]
    return made


def end_partnership(uow: UnitOfWork, *, partnership_id: str, ended_at: datetime) -> int:
    """Tenancy ended a partnership: nothing more of it reaches the partner. Its pending
    deliveries to the partner are cancelled; returns how many."""
    uow.session.execute(
        insert(EndedPartnership)
        .values(partnership_id=partnership_id, ended_at=ended_at)
        .on_conflict_do_nothing(index_elements=["partnership_id"])
    )
    result = uow.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.partnership_id == partnership_id,
            WebhookDelivery.as_partner.is_(True),
            WebhookDelivery.status == rules.PENDING,
        )
        .values(status=rules.CANCELLED, next_attempt_at=None, last_error="partnership ended")
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


# -- sending -------------------------------------------------------------------------------------


def deliver_due(
    uow: UnitOfWork,
    *,
    send: Send,
    box: Sealer,
    max_attempts: int,
    retry_base: float,
    retry_cap: float,
    now: datetime | None = None,
    batch: int = SWEEP_BATCH,
    clock: Callable[[], float] | None = None,
) -> int:
    """The sweep: claim up to `batch` due pending deliveries (FOR UPDATE SKIP LOCKED: another
    instance's sweep skips them while this one holds them), sign each with its subscription's
    secret and the time of sending, send them all at once, and record each attempt: delivered
    on 2xx, otherwise the next try after the backoff, or failed when the attempts are used.
    Returns how many it sent."""
    now = _now(now)
    query = (
        select(WebhookDelivery, WebhookSubscription)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == rules.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(batch)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
        .execution_options(populate_existing=True)
    )
    claimed = list(uow.session.execute(query).all())
    if not claimed:
        return 0
    timestamp = int(clock() if clock is not None else now.timestamp())
    outgoing = []
    for delivery, found in claimed:
        body = delivery.body.encode()
        outgoing.append(
            rules.Outgoing(
                delivery_id=delivery.id,
                url=found.url,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "WorkLB-Webhooks/1",
                    rules.EVENT_HEADER: delivery.event_type,
                    rules.DELIVERY_HEADER: delivery.id,
                    rules.SIGNATURE_HEADER: rules.signature_header(
                        box.open(found.secret_encrypted), timestamp, body
                    ),
                },
            )
        )
    answers = send(outgoing)
    after = datetime.now(UTC) if now is None else now
    for delivery, _found in claimed:
        answer = answers.get(delivery.id) or rules.Answer(None, "not sent", 0)
        delivery.attempts += 1
        outcome = rules.after_attempt(
            attempt=delivery.attempts,
            status_code=answer.status_code,
            now=after,
            max_attempts=max_attempts,
            base=retry_base,
            cap=retry_cap,
        )
        delivery.status = outcome.status
        delivery.next_attempt_at = outcome.next_attempt_at
        delivery.last_status_code = answer.status_code
        delivery.last_error = answer.error
        if outcome.status == rules.DELIVERED:
            delivery.delivered_at = after
        uow.session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                tenant_id=delivery.tenant_id,
                number=delivery.attempts,
                attempted_at=after,
                status_code=answer.status_code,
                error=answer.error,
                duration_ms=answer.duration_ms,
            )
        )
    uow.session.flush()
    return len(claimed)


# -- the delivery log ----------------------------------------------------------------------------


def list_deliveries(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    subscription_id: str,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
    event_type: str | None = None,
) -> dict[str, Any]:
    """A page of a subscription's deliveries, newest first unless sorted otherwise."""
    _subscription(uow, tenant_id=tenant_id, subscription_id=subscription_id)
    query = select(WebhookDelivery).where(
        WebhookDelivery.subscription_id == subscription_id,
        WebhookDelivery.tenant_id == tenant_id,
    )
    if status:
        query = query.where(WebhookDelivery.status == status)
    if event_type:
        query = query.where(WebhookDelivery.event_type == event_type)
    columns = {
        "created_at": WebhookDelivery.created_at,
        "next_attempt_at": WebhookDelivery.next_attempt_at,
    }
    query = order_by(query, sort, columns, WebhookDelivery.id)
    return page_rows(uow.session, query, page=page, per_page=per_page, view=_delivery_view)


def _delivery_view(
    delivery: WebhookDelivery, attempts: list[WebhookAttempt] | None = None
) -> dict[str, Any]:
    view = {
        "id": delivery.id,
        "subscription_id": delivery.subscription_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": delivery.delivered_at,
        "replay_of": delivery.replay_of,
        "created_at": delivery.created_at,
    }
    if attempts is not None:
        view["body"] = delivery.body
        view["attempt_log"] = [
            {
                "number": a.number,
                "attempted_at": a.attempted_at,
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in attempts
        ]
    return view


def delivery(uow: UnitOfWork, *, tenant_id: str, delivery_id: str) -> dict[str, Any]:
    """One delivery of the caller's CBO with its body and every attempt (404 for another's)."""
    found = owned_row(
        uow, WebhookDelivery, tenant_id=tenant_id, row_id=delivery_id, what="delivery"
    )
    attempts = uow.session.execute(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == found.id)
        .order_by(WebhookAttempt.number)
    ).scalars()
    return _delivery_view(found, list(attempts))


def replay(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    delivery_id: str,
    now: datetime | None = None,
) -> WebhookDelivery:
    """Send a delivery again: a new pending delivery of the same body (`replay_of`), due now,
    to the subscription as it is. A subscription removed or paused is 409; a delivery to the
    partner of a partnership that ended, too."""
    now = _now(now)
    found = owned_row(
        uow, WebhookDelivery, tenant_id=tenant_id, row_id=delivery_id, what="delivery"
    )
    target = uow.session.get_one(WebhookSubscription, found.subscription_id)
    if target.deleted_at is not None or not target.active:
        raise Conflict("This webhook is removed or paused: activate it to replay.")
    if (
        found.as_partner
        and found.partnership_id
        and uow.session.get(EndedPartnership, found.partnership_id) is not None
    ):
        raise Conflict("The partnership ended: its shared events are no longer delivered.")
    again = WebhookDelivery(
        tenant_id=tenant_id,
        subscription_id=found.subscription_id,
        event_id=found.event_id,
        event_type=found.event_type,
        partnership_id=found.partnership_id,
        as_partner=found.as_partner,
        body=found.body,
        status=rules.PENDING,
        attempts=0,
        next_attempt_at=now,
        replay_of=found.id,
    )
    uow.session.add(again)
    uow.session.flush()
    audit(
        uow,
        caller,
        action="webhook.replay",
        entity_type="webhook_delivery",
        entity_id=again.id,
        after={"replay_of": found.id},
        tenant_id=tenant_id,
    )
    return again
