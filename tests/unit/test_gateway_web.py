"""The gateway's public HTTP server sends its answers without waiting (TCP_NODELAY): with
Nagle's algorithm on, an answer written in more than one send waited for the client's delayed
ACK, 40 ms on Linux, which the search benchmark showed on every staff search."""

from __future__ import annotations

import socket

from nameko.web.server import WebServer

from gateway.web import PublicWebServer


def test_each_accepted_connection_sends_without_delay(monkeypatch):
    handed_on = []
    monkeypatch.setattr(WebServer, "process_request", lambda self, s, a: handed_on.append(s))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        accepted, address = listener.accept()
        with client, accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            PublicWebServer().process_request(accepted, address)
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    assert handed_on == [accepted]


def test_a_client_gone_before_its_request_is_served_is_handed_on_as_it_is(monkeypatch):
    handed_on = []
    monkeypatch.setattr(WebServer, "process_request", lambda self, s, a: handed_on.append(s))
    closed = socket.socket()
    closed.close()
    PublicWebServer().process_request(closed, ("127.0.0.1", 1))
    assert handed_on == [closed]
