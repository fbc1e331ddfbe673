"""The gateway's two HTTP servers.

The public door (WORKLB_GATEWAY_PORT) takes every path: `PublicWebServer` matches any
characters at all, newlines included, so that gateway.http answers every request (werkzeug's
`path` converter stops at a newline, and nameko then sent an HTML 404 of its own).

The ops port serves /metrics and the gateway's own /health on WORKLB_OPS_HOST at the gateway's
ops address (`Settings.ops_address("gateway")`: the ops port base + 7), like every service's.
The public door answers 404 for /metrics."""

from __future__ import annotations

import contextlib
import json
import socket
from datetime import UTC, datetime
from typing import Any

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, parse_address
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.routing import BaseConverter, Map
from werkzeug.wrappers import Response

from chassis.config import settings_from


class AnyPath(BaseConverter):
    """Any rest of a path, whatever it contains (werkzeug's `path` stops at a newline)."""

    regex = r"[\s\S]*"
    part_isolating = False
    weight = 200


class PublicWebServer(WebServer):
    """nameko's WebServer whose rules may use `<anything:name>`, sending without delay."""

    def process_request(self, sock: Any, address: Any) -> None:
        # With Nagle's algorithm on, an answer of a few kilobytes waited ~40 ms (Linux's
        # delayed ACK) between the handler's return and the client's read: measured on the
        # staff search (docs/PERFORMANCE.md). A client gone already fails as it would have.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().process_request(sock, address)

    def make_url_map(self) -> Map:
        url_map = Map(converters={"anything": AnyPath})
        for provider in self._providers:
            rule = provider.get_url_rule()
            rule.endpoint = provider
            url_map.add(rule)
        return url_map


class OpsWebServer(WebServer):
    """A second HTTP server in the gateway's container, bound to its ops address.

    nameko keeps one WebServer per extension type, so this subclass listens apart from the
    public one (WEB_SERVER_ADDRESS)."""

    @property
    def bind_addr(self):
        settings = settings_from(self.container.config)
        return parse_address(settings.ops_address(self.container.service_name))

    @property
    def port(self) -> int:
        """The port it listens on (the OS's pick when the ops port base is 0)."""
        return self._sock.getsockname()[1]


class OpsHttp(HttpRequestHandler):
    server = OpsWebServer()


ops_http = OpsHttp.decorator


def metrics_response() -> Response:
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def liveness_response() -> Response:
    """The gateway process answers; the platform's health is /health on the public port."""
    report = {"service": "gateway", "status": "up", "checked_at": datetime.now(UTC).isoformat()}
    return Response(json.dumps(report), mimetype="application/json")
