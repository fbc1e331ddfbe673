"""The chassis timer (chassis.entrypoints.timer) on a real container: it ticks as its own
service's system caller with a correlation id per tick, commits each tick's work, rolls back a
tick that fails and goes on, and waits out a database outage without stopping the service."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from prometheus_client import REGISTRY
from sqlalchemy import select

from tests.integration.sample_services import FAILING_TICKS, TimerService, ticks
from tests.integration.test_database_outage import database_proxy, through  # noqa: F401
from tests.integration.test_events_delivery import count
from tests.waiting import wait_for

TICK = 0.1


@pytest.fixture(autouse=True)
def no_failing_ticks():
    FAILING_TICKS["remaining"] = 0
    yield
    FAILING_TICKS["remaining"] = 0


def ticked(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "worklb_requests_total",
            {"service": "it_timer", "entrypoint": "tick", "kind": "timer", "outcome": outcome},
        )
        or 0
    )


def test_a_timer_ticks_as_its_own_system_caller_with_a_correlation_id_per_tick(
    container_factory, service_config, databases
):
    container_factory(TimerService, service_config(tier_sweep_seconds=TICK)).start()
    wait_for(lambda: count(databases["it_timer"], ticks) >= 3, what="three ticks")
    with databases["it_timer"].connect() as conn:
        rows = conn.execute(select(ticks)).all()
    assert {(r.kind, r.service, r.tenant_id) for r in rows} == {("system", "it_timer", None)}
    assert len({r.correlation_id for r in rows}) == len(rows)


def test_a_failing_tick_is_rolled_back_and_the_next_one_comes(
    container_factory, service_config, databases
):
    FAILING_TICKS["remaining"] = 2
    errors, oks = ticked("error"), ticked("ok")
    container = container_factory(TimerService, service_config(tier_sweep_seconds=TICK))
    container.start()
    wait_for(lambda: ticked("ok") >= oks + 2, what="two good ticks after the failing ones")
    container.stop()
    assert ticked("error") == errors + 2
    # Only the good ticks kept their rows.
    assert count(databases["it_timer"], ticks) == ticked("ok") - oks


def test_a_timer_waits_out_a_database_outage_and_the_service_keeps_running(
    container_factory,
    service_config,
    settings,
    databases,
    database_proxy,  # noqa: F811
):
    config = service_config(
        tier_sweep_seconds=TICK, database_url_template=through(database_proxy, settings)
    )
    container_factory(TimerService, config).start()
    wait_for(lambda: count(databases["it_timer"], ticks) >= 1, what="a first tick")

    database_proxy.cut()
    errors = ticked("error")
    wait_for(lambda: ticked("error") >= errors + 3, what="three ticks to fail in the outage")
    with ServiceRpcProxy("it_timer", config, timeout=10) as rpc:
        assert rpc.health()["status"] == "down"
    kept = count(databases["it_timer"], ticks)

    database_proxy.restore()
    wait_for(
        lambda: count(databases["it_timer"], ticks) >= kept + 2,
        what="ticks to commit again once the database is back",
    )
    with ServiceRpcProxy("it_timer", config, timeout=10) as rpc:
        assert rpc.health()["status"] == "up"
