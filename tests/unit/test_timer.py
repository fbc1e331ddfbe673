"""The chassis timer on its own (a stand-in container): where its interval comes from, and that
no failure around a tick can leave its loop waiting for a worker that never finishes."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import pytest
from nameko.exceptions import ContainerBeingKilled

from chassis.config import Settings
from chassis.context import CALLER_KEY, CORRELATION_KEY, Caller
from chassis.entrypoints import Timer


class StandInContainer:
    """What the timer asks of its container: config, name, dependencies, spawn_worker."""

    def __init__(self, settings: Settings, spawn_fails: Exception | None = None) -> None:
        self.config = {"WORKLB": settings}
        self.service_name = "sample"
        self.dependencies: list[Any] = []
        self.spawn_fails = spawn_fails
        self.spawned: list[dict] = []

    def spawn_worker(self, entrypoint, args, kwargs, context_data=None, handle_result=None):
        if self.spawn_fails is not None:
            raise self.spawn_fails
        self.spawned.append(context_data)


class StandInWorker:
    def __init__(self, data: dict) -> None:
        self.data = data


# A bound extension holds its container weakly: the tests' containers live here.
_containers: list[StandInContainer] = []


def a_timer(seconds, *, spawn_fails: Exception | None = None, **settings: Any) -> Timer:
    container = StandInContainer(
        dataclasses.replace(Settings(), context_secret="s" * 32, **settings), spawn_fails
    )
    _containers.append(container)
    timer = Timer(seconds).bind(container, "sweep")
    timer.setup()
    return timer


def test_the_interval_is_a_number_or_a_settings_field():
    assert a_timer(2.5).interval == 2.5
    assert a_timer("tier_sweep_seconds", tier_sweep_seconds=0.2).interval == 0.2


@pytest.mark.parametrize("seconds", [0, -1, "rpc_timeout_is_not_a_field"])
def test_a_timer_without_a_positive_interval_does_not_start(seconds):
    with pytest.raises((ValueError, AttributeError)):
        a_timer(seconds)


def test_each_tick_runs_as_the_services_system_caller_with_its_own_correlation_id():
    timer = a_timer(1)
    timer.handle_timer_tick()
    timer.handle_timer_tick()
    first, second = timer.container.spawned
    caller = Caller.from_json(first[CALLER_KEY])
    assert (caller.kind, caller.service, caller.tenant_id) == ("system", "sample", None)
    assert first[CORRELATION_KEY] != second[CORRELATION_KEY]


@pytest.mark.parametrize("failure", [ContainerBeingKilled(), RuntimeError("no worker")])
def test_a_tick_that_cannot_start_does_not_hold_the_loop(failure):
    timer = a_timer(1, spawn_fails=failure)
    timer.handle_timer_tick()
    assert timer.worker_complete.ready()


def test_a_tick_that_failed_completes_and_reports_its_error():
    timer = a_timer(1)
    try:
        raise RuntimeError("the sweep failed")
    except RuntimeError:
        exc_info = sys.exc_info()
    result, reported = timer.handle_result(StandInWorker({}), None, exc_info)
    assert timer.worker_complete.ready()
    assert reported[1].args == ("the sweep failed",)
