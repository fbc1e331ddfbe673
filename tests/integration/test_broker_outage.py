"""What the chassis promises when RabbitMQ goes away under a running service: the service
outlives it (a reply it cannot send is given up and logged; its consumers reconnect) and
answers again once the broker is back. The service reaches RabbitMQ through a loopback proxy
the test cuts and restores."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select, text

from tests.integration.sample_services import PublisherService
from tests.tcp_proxy import TcpProxy
from tests.waiting import wait_for


def sleeping_calls(engine) -> int:
    """it_publisher's `slow` calls under way (their pg_sleep)."""
    with engine.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(text("pg_stat_activity"))
            .where(text("query LIKE 'SELECT pg_sleep%'"))
        ).scalar_one()


@pytest.fixture
def broker_proxy(settings):
    """A proxy to RabbitMQ, open again after the test and closed only once the test's services
    are gone: a service's container cannot even be killed while its consumer waits to
    reconnect (request this fixture before container_factory)."""
    broker = urlsplit(settings.amqp_uri)
    proxy = TcpProxy((broker.hostname or "127.0.0.1", broker.port or 5672))
    yield proxy
    proxy.restore()


def through(proxy: TcpProxy, amqp_uri: str) -> str:
    """`amqp_uri` (its credentials and vhost), pointed at the proxy."""
    broker = urlsplit(amqp_uri)
    netloc = f"{broker.username}:{broker.password}@127.0.0.1:{proxy.port}"
    return urlunsplit(broker._replace(netloc=netloc))


def test_a_service_outlives_a_broker_outage_in_the_middle_of_a_call(
    broker_proxy, container_factory, service_config, databases, caplog
):
    config = service_config()
    proxied = dict(config, AMQP_URI=through(broker_proxy, config["AMQP_URI"]))
    container_factory(PublisherService, proxied).start()

    with ServiceRpcProxy("it_publisher", config) as rpc:
        rpc.slow.call_async(1.0)
        wait_for(lambda: sleeping_calls(databases["it_publisher"]), what="the slow call")
        broker_proxy.cut()
        # The reply cannot be sent, however long nameko retries: the service logs it and
        # lives on (before, the error killed it).
        wait_for(
            lambda: any(
                record.getMessage().startswith("could not send an RPC's reply")
                for record in caplog.records
            ),
            timeout=60,
            what="the service to give up the reply",
        )

    broker_proxy.restore()
    # Its consumer reconnects and answers the next call.
    with ServiceRpcProxy("it_publisher", config, timeout=60) as rpc:
        assert rpc.whoami()["kind"] == "anonymous"
