"""The gateway when RabbitMQ goes away: a second gateway process joins the running platform
through a loopback proxy to the broker, and the test cuts the proxy (the shared RabbitMQ keeps
running for everyone else)."""

from __future__ import annotations

import signal
import subprocess
import sys
from urllib.parse import urlparse, urlunparse

import pytest
import requests

from deploy.catalogue import GATEWAY_CLASS
from deploy.local import ROOT
from tests.e2e.conftest import E2E_PORT
from tests.tcp_proxy import TcpProxy
from tests.waiting import wait_for

# Beside the platform's own ports (E2E_PORT .. E2E_PORT + 8).
PROXIED_GATEWAY_PORT = E2E_PORT + 20


def healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def gateway_behind_a_proxy(platform, tmp_path):
    """(proxy, url) of a gateway whose only way to the broker is the proxy."""
    amqp = urlparse(platform.env["WORKLB_AMQP_URI"])
    with TcpProxy((amqp.hostname or "127.0.0.1", amqp.port or 5672)) as proxy:
        netloc = f"{amqp.username}:{amqp.password}@127.0.0.1:{proxy.port}"
        env = {
            **platform.env,
            "WORKLB_AMQP_URI": urlunparse(amqp._replace(netloc=netloc)),
            "WORKLB_GATEWAY_PORT": str(PROXIED_GATEWAY_PORT),
            "WORKLB_OPS_PORT_BASE": "0",
        }
        with (tmp_path / "gateway.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "chassis.runner", GATEWAY_CLASS],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{PROXIED_GATEWAY_PORT}"
        try:
            wait_for(lambda: healthy(url), timeout=60, what="the proxied gateway to be healthy")
            yield proxy, url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(5)  # it has nothing to finish; the broker is gone
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_with_the_broker_gone_calls_are_503_with_retry_after_and_health_names_it(
    gateway_behind_a_proxy,
):
    proxy, url = gateway_behind_a_proxy
    assert proxy.accepted, "the gateway reaches the broker through the proxy"
    assert requests.get(f"{url}/api/v1/public/cbos/nobody/branding", timeout=30).status_code == 404

    proxy.cut()

    answer = requests.get(f"{url}/api/v1/public/cbos/nobody/branding", timeout=30)
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    error = answer.json()["error"]
    assert error["code"] == "service_unavailable" and "broker" in error["message"]

    health = requests.get(f"{url}/health", timeout=30)
    assert health.status_code == 503, health.text
    assert int(health.headers["Retry-After"]) > 0
    report = health.json()
    assert report["status"] == "down"
    assert report["broker"]["status"] == "down" and "broker" in report["broker"]["error"]
    assert all(entry["status"] == "down" for entry in report["services"].values())
