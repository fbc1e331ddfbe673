"""The notifications service wired to the real identity and tenancy services (real RabbitMQ,
their migrated databases) and a real SMTP server: rebooking's `rebooking.exhausted`, as it
comes off the broker, alerts the CBO's staff who manage bookings by inbox and email, in the
CBO's language, and the message's `notification.sent` is in the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection, Producer
from nameko.standalone.events import get_event_exchange
from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.contracts.events import build_envelope
from chassis.db import UnitOfWork, make_engine
from chassis.tables import outbox
from deploy.catalogue import SERVICE_CLASSES, load_class
from deploy.migrate import migrate
from services.identity.tenants.models import Tenant as ProjectedCbo
from services.notifications.inbox import domain as inbox
from services.notifications.messages.models import Message
from tests.factories import a_cbo, a_staff_member
from tests.integration.test_rpc_contracts import empty
from tests.smtp import body_of
from tests.waiting import wait_for

SERVICES = ("identity", "tenancy", "notifications")


@pytest.fixture(scope="module")
def engines(settings):
    migrate(settings, list(SERVICES), quiet=True)
    made = {name: make_engine(settings.database_url(name)) for name in SERVICES}
    yield made
    for engine in made.values():
        engine.dispose()


@contextmanager
def unit(engine, source: str) -> Iterator[UnitOfWork]:
    work = UnitOfWork(Session(engine, expire_on_commit=False), source=source)
    try:
        yield work
        work.commit()
    finally:
        work.close()


def publish_as_rebooking(config: dict, event_type: str, data: dict, tenant_id: str) -> None:
    """An event on rebooking's exchange, as its outbox relay would publish it."""
    envelope = build_envelope(event_type, data, source="rebooking", tenant_id=tenant_id)
    exchange = get_event_exchange("rebooking", config)
    with Connection(config["AMQP_URI"]) as connection:
        producer = Producer(connection.channel())
        producer.publish(
            envelope,
            exchange=exchange,
            routing_key=event_type,
            serializer="json",
            declare=[exchange],
        )


def test_staff_are_alerted_by_inbox_and_email_when_rebooking_gives_up(
    container_factory, service_config, engines, smtp
):
    for engine in engines.values():
        empty(engine)
    config = service_config(smtp_port=smtp.port, notifications_sweep_seconds=0.1)
    for service in SERVICES:
        container_factory(load_class(SERVICE_CLASSES[service]), config).start()
    with unit(engines["tenancy"], "tenancy") as uow:
        cbo = a_cbo(uow)
        cbo_id, cbo.default_language = cbo.id, "es"

    def known() -> bool:
        with Session(engines["identity"]) as session:
            return session.get(ProjectedCbo, cbo_id) is not None

    wait_for(known, what="identity to learn of the CBO from tenancy's event")
    with unit(engines["identity"], "identity") as uow:
        scheduler = a_staff_member(uow, tenant_id=cbo_id, roles=["scheduler"])
        viewer = a_staff_member(uow, tenant_id=cbo_id, roles=["viewer"])
        scheduler_id, scheduler_email, viewer_email = scheduler.id, scheduler.email, viewer.email

    starts_at = datetime.now(UTC) + timedelta(hours=3)
    publish_as_rebooking(
        config,
        "rebooking.exhausted",
        {
            "cascade_id": "c-1",
            "shift_id": "s-1",
            "booking_id": "b-1",
            "client_id": "cl-1",
            "starts_at": starts_at,
            "attempts": 3,
            "max_attempts": 3,
            "reason": "attempts_used",
        },
        cbo_id,
    )

    alert = smtp.wait_for(scheduler_email)
    assert str(alert["Subject"]).startswith("Sin reemplazo:")
    assert "se agotaron los intentos (ofertas hechas: 3)" in body_of(alert)
    assert smtp.to(viewer_email) == []  # a viewer does not manage bookings
    with unit(engines["notifications"], "notifications") as uow:
        assert inbox.unread_count(uow, tenant_id=cbo_id, account_id=scheduler_id) == 1

        def sent() -> bool:
            found = uow.session.execute(
                select(Message.status).where(Message.account_id == scheduler_id)
            ).scalar()
            uow.session.rollback()
            return found == "sent"

        wait_for(sent, what="the alert marked sent in the delivery log")
        types = uow.session.execute(select(outbox.c.event_type)).scalars().all()
        assert "notification.sent" in types
