"""Processes stop on time (fault 12): a service busy with a request exits within 10 s of
SIGTERM, as a cluster's rolling update needs, and the local launcher's processes die with it,
even when it is killed outright."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import eventlet
import pytest
import requests
from kombu import Connection, Exchange, Queue

from chassis.config import Settings
from chassis.runner import KILL_SECONDS
from deploy.migrate import migrate
from tests.smtp import free_port
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; the launcher uses prctl"
)


def running(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def process_env(rabbit_config, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "WORKLB_AMQP_URI": rabbit_config["AMQP_URI"],
        "WORKLB_GATEWAY_PORT": str(free_port()),
        "WORKLB_OPS_PORT_BASE": "0",
        "WORKLB_LOG_LEVEL": "WARNING",
        **settings,
    }


def rpc_queue(service: str) -> Queue:
    """The queue nameko consumes a service's RPCs from (declared as nameko declares it)."""
    exchange = Exchange("nameko-rpc", type="topic", durable=True)
    return Queue(f"rpc-{service}", exchange=exchange, routing_key=f"{service}.*", durable=True)


def queue_state(amqp_uri: str, service: str) -> tuple[int, int]:
    """(messages waiting, consumers) of a service's RPC queue."""
    with Connection(amqp_uri) as conn:
        declared = rpc_queue(service)(conn.default_channel).queue_declare(passive=True)
        return declared.message_count, declared.consumer_count


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_the_grace_and_the_kill_fit_in_10_seconds():
    assert Settings().stop_grace_seconds + KILL_SECONDS < 10


def test_a_busy_service_exits_soon_after_sigterm(rabbit_config, tmp_path):
    amqp_uri = rabbit_config["AMQP_URI"]
    # identity's RPC queue, with nobody consuming: a call to identity waits for its timeout.
    with Connection(amqp_uri) as conn:
        rpc_queue("identity")(conn.default_channel).declare()
    env = process_env(rabbit_config, WORKLB_RPC_TIMEOUT="60", WORKLB_STOP_GRACE_SECONDS="1")
    url = f"http://127.0.0.1:{env['WORKLB_GATEWAY_PORT']}"
    log = (tmp_path / "gateway.log").open("wb")
    gateway = subprocess.Popen(
        [sys.executable, "-m", "chassis.runner", "gateway.service:Gateway"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: answers(f"{url}/api/openapi.json"), timeout=30, what="the gateway")
        # A sign-in in flight: the gateway's worker waits for identity's answer.
        body = {"email": "a@b.example.org", "password": "x"}
        pending = eventlet.spawn(requests.post, f"{url}/api/v1/auth/token", json=body, timeout=90)
        wait_for(lambda: queue_state(amqp_uri, "identity")[0] == 1, what="the call in flight")

        gateway.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        gateway.wait(timeout=10)
        assert time.monotonic() - sent < 10
        pending.kill()
    finally:
        if gateway.poll() is None:
            gateway.kill()
            gateway.wait()
        log.close()


def test_the_launchers_processes_die_with_it(rabbit_config, settings, tmp_path):
    migrate(settings, ["booking"], quiet=True)
    env = process_env(rabbit_config, WORKLB_SMTP_PORT=str(free_port()))
    url = f"http://127.0.0.1:{env['WORKLB_GATEWAY_PORT']}"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.launcher", str(tmp_path)]
        + ["gateway", "booking", "mailsink"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
    )
    children: dict[str, int] = {}
    try:
        children = json.loads(launcher.stdout.readline())
        assert set(children) == {"gateway", "booking", "mailsink"}
        wait_for(lambda: answers(f"{url}/api/openapi.json"), timeout=30, what="the gateway")
        wait_for(
            lambda: queue_state(rabbit_config["AMQP_URI"], "booking")[1] == 1,
            timeout=30,
            what="booking to consume its RPCs",
        )

        launcher.kill()  # SIGKILL: the launcher cannot stop anything itself
        launcher.wait()
        wait_for(
            lambda: not [pid for pid in children.values() if running(pid)],
            timeout=10,
            what="the launcher's processes to exit",
        )
    finally:
        for pid in children.values():
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        if launcher.poll() is None:
            launcher.kill()
        launcher.stdout.close()
