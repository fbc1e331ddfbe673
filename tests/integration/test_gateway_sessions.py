"""The gateway's session check fails closed: with identity not running, a request carrying a
token answers 503 rather than letting the token through unchecked."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import requests

from chassis.tokens import ACCESS, issue
from tests.smtp import free_port
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_without_identity_a_signed_in_request_answers_503(rabbit_config, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "WORKLB_AMQP_URI": rabbit_config["AMQP_URI"],
        "WORKLB_GATEWAY_PORT": str(port),
        "WORKLB_LOG_LEVEL": "WARNING",
    }
    url = f"http://127.0.0.1:{port}"
    token, _ = issue(
        env["WORKLB_JWT_SECRET"],
        token_type=ACCESS,
        subject="u1",
        lifetime=timedelta(minutes=5),
        claims={"tid": "t1", "kind": "staff", "roles": ["owner"], "perms": ["clients.read"]},
    )
    log = (tmp_path / "gateway.log").open("wb")
    gateway = subprocess.Popen(
        [sys.executable, "-m", "chassis.runner", "gateway.service:Gateway"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def docs() -> requests.Response | None:
        try:
            return requests.get(f"{url}/api/openapi.json", timeout=1) or None
        except requests.RequestException:
            return None

    try:
        wait_for(docs, timeout=30, what="the gateway")
        refused = requests.get(
            f"{url}/api/v1/clients", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert refused.status_code == 503, refused.text
        assert "session cannot be checked" in refused.json()["error"]["message"]
    finally:
        gateway.terminate()
        gateway.wait(10)
        log.close()
