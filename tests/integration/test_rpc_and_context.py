"""RPC between services is bounded by a timeout, and the caller context travels signed."""

from __future__ import annotations

import time

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from chassis.context import Caller, context_data_for
from chassis.errors import ServiceUnavailable
from tests.integration.sample_services import CallingService, PublisherService


def test_rpc_to_a_slow_service_times_out(container_factory, service_config, databases):
    config = service_config()
    container_factory(PublisherService, config).start()
    container_factory(CallingService, config).start()
    started = time.monotonic()
    with (
        ServiceRpcProxy("it_caller", config) as rpc,
        pytest.raises(ServiceUnavailable, match="did not answer"),
    ):
        rpc.call_slow(3)
    assert time.monotonic() - started < 2.5


def test_rpc_to_a_service_that_is_not_running_fails_fast(container_factory, service_config):
    config = service_config()
    container_factory(CallingService, config).start()
    with (
        ServiceRpcProxy("it_caller", config) as rpc,
        pytest.raises(ServiceUnavailable, match="not running"),
    ):
        rpc.call_slow(0)


def test_signed_caller_reaches_the_service(container_factory, service_config, settings, databases):
    config = service_config()
    container_factory(PublisherService, config).start()
    caller = Caller(kind="staff", user_id="u1", tenant_id="tenant-a", correlation_id="corr-42")
    with ServiceRpcProxy(
        "it_publisher", config, context_data=context_data_for(caller, settings.context_secret)
    ) as rpc:
        assert rpc.whoami() == {
            "kind": "staff",
            "tenant_id": "tenant-a",
            "correlation_id": "corr-42",
        }


def test_forged_caller_is_anonymous(container_factory, service_config, databases):
    config = service_config()
    container_factory(PublisherService, config).start()
    forged = context_data_for(Caller(kind="operator", user_id="x"), "not-the-secret" * 4)
    with ServiceRpcProxy("it_publisher", config, context_data=forged) as rpc:
        assert rpc.whoami()["kind"] == "anonymous"
