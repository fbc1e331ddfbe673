"""Webhooks on notifications' real database: subscriptions with a secret kept encrypted,
events of the partner exchange turned into deliveries for the owner's and the partner's
subscribers only, signed sends retried with backoff, the delivery log and replays, the end of
a partnership stopping the partner's deliveries, and two sweeps never sending one delivery."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound, ValidationFailed
from chassis.tables import outbox
from services.notifications.channels.sealing import Sealer
from services.notifications.webhooks import domain, rules
from services.notifications.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.domain.outbox import Outbox
from tests.factories import staff_caller

SERVICE = "notifications"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BOX = Sealer(Fernet.generate_key().decode())
PAGE = {"page": 1, "per_page": 50, "sort": "-created_at"}


def allowed(url: str) -> str | None:
    return None


def subscribe(uow, tenant_id, url="https://hooks.example.com/in", events=rules.EVENTS):
    return domain.create_subscription(
        uow,
        caller=staff_caller(tenant_id),
        tenant_id=tenant_id,
        url=url,
        events=list(events),
        description="",
        box=BOX,
        check_destination=allowed,
    )


def shared(owner, partner, partnership_id, event_type="opportunity.shared", event_id=None):
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": NOW,
        "data": {
            "share_id": "s1",
            "shift_id": "sh1",
            "booking_id": "b1",
            "owner_tenant_id": owner,
            "partner_tenant_id": partner,
            "partnership_id": partnership_id,
        },
    }


class Receiver:
    """A `send` answering each request with the next status code (None: no answer)."""

    def __init__(self, *codes):
        self.codes = list(codes)
        self.got: list[rules.Outgoing] = []

    def __call__(self, batch):
        answers = {}
        for outgoing in batch:
            self.got.append(outgoing)
            code = self.codes.pop(0) if self.codes else 200
            answers[outgoing.delivery_id] = rules.Answer(code, None if code else "timeout", 12)
        return answers


def sweep(uow, send, *, now=NOW, max_attempts=3):
    return domain.deliver_due(
        uow,
        send=send,
        box=BOX,
        max_attempts=max_attempts,
        retry_base=10,
        retry_cap=100,
        now=now,
        clock=lambda: now.timestamp(),
    )


@pytest.fixture
def cbos():
    return {name: str(uuid.uuid4()) for name in ("owner", "partner", "outsider")}


def test_the_secret_is_shown_once_and_kept_encrypted(uow, cbos):
    sent = Outbox(uow)
    made, secret = subscribe(uow, cbos["owner"])
    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret.encode() not in bytes(made.secret_encrypted)
    assert BOX.open(made.secret_encrypted) == secret
    assert [a["action"] for a in sent.audit()] == ["webhook.subscribe"]
    assert "secret" not in str(sent.audit())


@pytest.mark.parametrize(
    "url",
    ["ftp://x.example.com/", "https://u:p@x.example.com/", "https://x.example.com/\x00", ""],
)
def test_bad_urls_are_422(uow, cbos, url):
    with pytest.raises(ValidationFailed) as refused:
        subscribe(uow, cbos["owner"], url=url)
    assert "url" in refused.value.fields


def test_a_refused_destination_is_422(uow, cbos):
    with pytest.raises(ValidationFailed) as refused:
        domain.create_subscription(
            uow,
            caller=staff_caller(cbos["owner"]),
            tenant_id=cbos["owner"],
            url="http://10.0.0.1/hook",
            events=list(rules.EVENTS),
            description="",
            box=BOX,
            check_destination=lambda url: "10.0.0.1 is not a public address.",
        )
    assert refused.value.fields["url"] == ["Refused: 10.0.0.1 is not a public address."]


def test_events_reach_the_owners_and_the_partners_subscribers_only(uow, cbos):
    owner, _ = subscribe(uow, cbos["owner"])
    partner, _ = subscribe(uow, cbos["partner"])
    outsider, _ = subscribe(uow, cbos["outsider"])
    fills_only, _ = subscribe(uow, cbos["owner"], events=["opportunity.filled"])
    event = shared(cbos["owner"], cbos["partner"], "p1")
    assert domain.route_event(uow, **event, now=NOW) == 2
    assert domain.route_event(uow, **event, now=NOW) == 0  # redelivered: nothing more
    rows = uow.session.execute(select(WebhookDelivery)).scalars().all()
    assert {(r.subscription_id, r.as_partner) for r in rows} == {
        (owner.id, False),
        (partner.id, True),
    }
    for subscription, tenant in ((outsider, "outsider"), (fills_only, "owner")):
        found = domain.list_deliveries(
            uow, tenant_id=cbos[tenant], subscription_id=subscription.id, **PAGE
        )
        assert found["total"] == 0


def test_a_delivery_is_signed_retried_with_backoff_and_logged(uow, cbos):
    made, secret = subscribe(uow, cbos["owner"])
    domain.route_event(uow, **shared(cbos["owner"], cbos["partner"], "p1"), now=NOW)
    receiver = Receiver(500, None, 204)
    assert sweep(uow, receiver) == 1
    (request,) = receiver.got
    header = request.headers[rules.SIGNATURE_HEADER]
    assert rules.verify(header, secret, request.body, now=NOW.timestamp())
    assert request.headers[rules.EVENT_HEADER] == "opportunity.shared"
    (row,) = uow.session.execute(select(WebhookDelivery)).scalars().all()
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert row.next_attempt_at == NOW + timedelta(seconds=10)
    assert sweep(uow, receiver, now=NOW + timedelta(seconds=9)) == 0  # not due yet
    assert sweep(uow, receiver, now=NOW + timedelta(seconds=10)) == 1
    assert row.next_attempt_at == NOW + timedelta(seconds=30)  # 10 s later, then 20 s
    assert sweep(uow, receiver, now=NOW + timedelta(seconds=30)) == 1
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 3, 204)
    log = domain.delivery(uow, tenant_id=cbos["owner"], delivery_id=row.id)
    assert [(a["number"], a["status_code"]) for a in log["attempt_log"]] == [
        (1, 500),
        (2, None),
        (3, 204),
    ]
    assert log["attempt_log"][1]["error"] == "timeout"
    # The same body each time; a fresh signature each time.
    assert len({r.body for r in receiver.got}) == 1
    # Another CBO reads none of it.
    with pytest.raises(NotFound):
        domain.delivery(uow, tenant_id=cbos["partner"], delivery_id=row.id)
    with pytest.raises(NotFound):
        domain.list_deliveries(uow, tenant_id=cbos["partner"], subscription_id=made.id, **PAGE)


def test_a_delivery_fails_when_its_attempts_are_used(uow, cbos):
    subscribe(uow, cbos["owner"])
    domain.route_event(uow, **shared(cbos["owner"], cbos["partner"], "p1"), now=NOW)
    receiver = Receiver(500, 500, 500, 500)
    moment = NOW
    for _ in range(3):
        sweep(uow, receiver, now=moment)
        moment += timedelta(seconds=100)
    (row,) = uow.session.execute(select(WebhookDelivery)).scalars().all()
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 3, None)
    assert sweep(uow, receiver, now=moment) == 0


def test_a_replay_sends_the_same_body_again(uow, cbos):
    subscribe(uow, cbos["owner"])
    domain.route_event(uow, **shared(cbos["owner"], cbos["partner"], "p1"), now=NOW)
    receiver = Receiver(200, 200)
    sweep(uow, receiver)
    (first,) = uow.session.execute(select(WebhookDelivery)).scalars().all()
    again = domain.replay(
        uow, caller=staff_caller(cbos["owner"]), tenant_id=cbos["owner"], delivery_id=first.id
    )
    assert (again.replay_of, again.status, again.body) == (first.id, "pending", first.body)
    sweep(uow, receiver)
    assert again.status == "delivered"
    assert receiver.got[0].body == receiver.got[1].body
    with pytest.raises(NotFound):
        domain.replay(
            uow,
            caller=staff_caller(cbos["partner"]),
            tenant_id=cbos["partner"],
            delivery_id=first.id,
        )


def test_the_end_of_a_partnership_stops_the_partners_deliveries(uow, cbos):
    owner, _ = subscribe(uow, cbos["owner"])
    partner, _ = subscribe(uow, cbos["partner"])
    domain.route_event(uow, **shared(cbos["owner"], cbos["partner"], "p1"), now=NOW)
    domain.route_event(uow, **shared(cbos["owner"], cbos["partner"], "p2"), now=NOW)
    assert domain.end_partnership(uow, partnership_id="p1", ended_at=NOW) == 1
    rows = {
        (r.subscription_id, r.partnership_id): r.status
        for r in uow.session.execute(select(WebhookDelivery)).scalars()
    }
    assert rows == {
        (owner.id, "p1"): "pending",
        (partner.id, "p1"): "cancelled",
        (owner.id, "p2"): "pending",
        (partner.id, "p2"): "pending",
    }
    # A later event of the ended partnership reaches the owner only.
    later = shared(cbos["owner"], cbos["partner"], "p1", event_type="opportunity.withdrawn")
    assert domain.route_event(uow, **later, now=NOW) == 1
    cancelled = uow.session.execute(
        select(WebhookDelivery).where(WebhookDelivery.status == "cancelled")
    ).scalar_one()
    with pytest.raises(Conflict, match="partnership ended"):
        domain.replay(
            uow,
            caller=staff_caller(cbos["partner"]),
            tenant_id=cbos["partner"],
            delivery_id=cancelled.id,
        )


def test_a_removed_or_paused_subscription_gets_nothing(uow, cbos):
    made, _ = subscribe(uow, cbos["owner"])
    domain.route_event(uow, **shared(cbos["owner"], cbos["partner"], "p1"), now=NOW)
    domain.delete_subscription(
        uow, caller=staff_caller(cbos["owner"]), tenant_id=cbos["owner"], subscription_id=made.id
    )
    assert sweep(uow, Receiver()) == 0
    with pytest.raises(NotFound):
        domain.subscription(uow, tenant_id=cbos["owner"], subscription_id=made.id)
    paused, _ = subscribe(uow, cbos["owner"])
    domain.update_subscription(
        uow,
        caller=staff_caller(cbos["owner"]),
        tenant_id=cbos["owner"],
        subscription_id=paused.id,
        changes={"active": False},
        check_destination=allowed,
    )
    assert domain.route_event(uow, **shared(cbos["owner"], cbos["partner"], "p1"), now=NOW) == 0


def test_two_sweeps_never_take_the_same_delivery(domain_engine, cbos):
    """The second sweep runs while the first holds its claim (inside its send): SKIP LOCKED
    gives it nothing, and it does not wait."""
    engine = domain_engine("notifications")
    with Session(engine, expire_on_commit=False) as session:
        unit = UnitOfWork(session, source="notifications")
        made, _ = subscribe(unit, cbos["owner"])
        for _ in range(3):
            domain.route_event(unit, **shared(cbos["owner"], cbos["partner"], "p1"), now=NOW)
        unit.commit()
    seen_by_second: list[int] = []
    try:
        with Session(engine) as first_session, Session(engine) as second_session:
            first = UnitOfWork(first_session, source="notifications")
            second = UnitOfWork(second_session, source="notifications")

            def send(batch):
                seen_by_second.append(sweep(second, Receiver()))
                second.rollback()
                return Receiver()(batch)

            assert sweep(first, send) == 3
            first.commit()
        assert seen_by_second == [0]
    finally:
        with engine.begin() as conn:
            ids = select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == made.id)
            conn.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))
            conn.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == made.id))
            conn.execute(delete(WebhookSubscription).where(WebhookSubscription.id == made.id))
            conn.execute(delete(outbox).where(outbox.c.tenant_id == cbos["owner"]))
