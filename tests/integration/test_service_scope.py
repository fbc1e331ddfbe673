"""On the real broker and PostgreSQL: an event handler runs as its own service's system caller,
which another service's @requires entrypoint refuses unless it is opened to that service; a
service emits only its own events, and a handler subscribed at the wrong source never starts."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chassis.context import Caller, context_data_for
from chassis.contracts.events import ForeignEvent
from chassis.db import UnitOfWork
from chassis.entrypoints import declare_topology, event_handler
from chassis.errors import Forbidden
from chassis.service import ServiceBase
from chassis.tables import outbox
from tests.integration.sample_services import ConsumerService, PublisherService, received
from tests.waiting import wait_for

STAFF = Caller(kind="staff", user_id="u1", tenant_id="tenant-a")


def received_notes(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(received.c.note).order_by(received.c.id)).scalars())


@pytest.fixture
def running(container_factory, service_config, databases):
    config = service_config()
    declare_topology(ConsumerService, config)
    container_factory(PublisherService, config).start()
    container_factory(ConsumerService, config).start()
    return config


def publisher_as(config: dict, caller: Caller, secret: str) -> ServiceRpcProxy:
    return ServiceRpcProxy(
        "it_publisher", config, context_data=context_data_for(caller, secret), timeout=30
    )


def test_an_event_handler_acts_as_its_own_services_system_and_is_scoped_to_it(
    running, databases, settings
):
    with publisher_as(running, STAFF, settings.context_secret) as publisher:
        for note in ("ask:caller_seen", "ask:read_notes", "ask:count_notes"):
            publisher.record(note)
    notes = wait_for(
        lambda: (found := received_notes(databases["it_consumer"])) and len(found) == 3 and found,
        what="the consumer to handle three notes",
    )
    assert sorted(notes) == [
        # the handler's caller: the consumer's system, in the event's tenant
        "caller_seen: system it_consumer tenant-a",
        # opened to it_consumer with @for_services
        "count_notes: 3",
        # a plain @requires entrypoint of another service refuses it
        "read_notes: Forbidden",
    ]


def test_a_system_caller_has_every_right_at_home_and_none_elsewhere(running, settings):
    home = Caller.system(service="it_publisher", tenant_id="tenant-a")
    visitor = Caller.system(service="it_consumer", tenant_id="tenant-a")
    stranger = Caller.system(service="it_caller", tenant_id="tenant-a")
    with publisher_as(running, home, settings.context_secret) as publisher:
        assert publisher.read_notes() == []
        assert publisher.caller_seen() == "system it_publisher tenant-a"
    with publisher_as(running, visitor, settings.context_secret) as publisher:
        with pytest.raises(Forbidden, match="it_consumer service may not call this"):
            publisher.read_notes()
        assert publisher.count_notes() == 0
        assert publisher.whoami()["kind"] == "system"  # @public: open to every service
    with (
        publisher_as(running, stranger, settings.context_secret) as publisher,
        pytest.raises(Forbidden),
    ):
        publisher.count_notes()


def test_a_service_cannot_emit_an_event_another_service_publishes(databases):
    engine = databases["it_publisher"]
    with Session(engine) as session:
        unit = UnitOfWork(session, source="it_consumer")
        with pytest.raises(ForeignEvent, match="the it_publisher service does"):
            unit.emit("note.recorded", {"note": "not mine"}, tenant_id=None)
        unit.commit()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 0


class MisdirectedService(ServiceBase):
    """Listens for `note.recorded` at it_consumer, which never publishes it."""

    name = "it_misdirected"

    @event_handler("it_consumer", "note.recorded")
    def on_note_recorded(self, event) -> None: ...


def test_a_handler_subscribed_at_the_wrong_source_does_not_start(container_factory, service_config):
    container = container_factory(MisdirectedService, service_config())
    with pytest.raises(ForeignEvent, match="it_consumer does not publish 'note.recorded'"):
        container.start()
