"""End-to-end fixtures: the whole platform (seven services and the gateway, each its own
process, exactly as `make run` starts them) on fresh databases and its own ports."""

from __future__ import annotations

import os

import psycopg2
import pytest
import requests

from chassis.config import SERVICE_NAMES, Settings
from deploy.local import Platform, isolated_vhost

# Overridable so that two runs on one machine (a developer's and a helper's) do not collide.
E2E_PORT = int(os.environ.get("WORKLB_E2E_PORT", "18200"))
E2E_ENV = {
    "WORKLB_GATEWAY_PORT": str(E2E_PORT),
    "WORKLB_OPS_PORT_BASE": str(E2E_PORT + 1),
    "WORKLB_DATABASE_PREFIX": os.environ.get("WORKLB_E2E_DATABASE_PREFIX", "worklb_e2e"),
    "WORKLB_LOG_LEVEL": "INFO",
    # The session's tokens (the operator's) outlive a whole run: the suite takes longer than
    # the default 15 minutes on a busy machine, and no test here is about their lifetime.
    "WORKLB_ACCESS_TOKEN_MINUTES": "120",
}


def drop_databases(prefix: str) -> None:
    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        for service in SERVICE_NAMES:
            cur.execute(f'DROP DATABASE IF EXISTS "{prefix}_{service}" WITH (FORCE)')
    conn.close()


@pytest.fixture(scope="session")
def platform(tmp_path_factory, smtp, sms_provider):
    prefix = E2E_ENV["WORKLB_DATABASE_PREFIX"]
    drop_databases(prefix)
    with isolated_vhost(Settings(), prefix) as amqp_uri:
        running = Platform(
            env={
                **E2E_ENV,
                "WORKLB_AMQP_URI": amqp_uri,
                "WORKLB_SMTP_PORT": str(smtp.port),
                # SMS go to the fake provider on loopback, whose signed callbacks come back to
                # the platform's own address.
                "WORKLB_SMS_BASE_URL": sms_provider.base_url,
                "WORKLB_PUBLIC_URL": f"http://127.0.0.1:{E2E_PORT}",
            },
            var=tmp_path_factory.mktemp("var"),
        )
        running.credentials = running.prepare(quiet=True)
        try:
            running.start()
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session")
def api(platform):
    session = requests.Session()
    base = platform.url

    def call(method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return session.request(method, base + path, headers=headers, timeout=30, **kwargs)

    return call


@pytest.fixture(scope="session")
def operator_token(platform, api) -> str:
    email, password = platform.credentials
    response = api("POST", "/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]
