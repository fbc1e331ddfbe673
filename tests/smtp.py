"""A real SMTP server on loopback for tests: aiosmtpd's Controller on a free port, collecting
every message it receives. (Under eventlet's monkey-patching its asyncio loop runs as a green
thread, so it serves while a test waits on anything green.)

Use the `smtp` fixture (one server per session; each test looks for its own recipients):

    message = smtp.wait_for("owner@example.org")
    token = link_token(message)
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.waiting import wait_for

TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_\-]+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """aiosmtpd handler that keeps every message, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        address = address.lower()
        return [m for m in self.messages if address in str(m["X-Envelope-To"]).lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 20.0) -> EmailMessage:
        """The `count`-th message to `address` (waiting for it to arrive)."""
        found = wait_for(
            lambda: len(self.to(address)) >= count and self.to(address),
            timeout=timeout,
            what=f"email #{count} to {address}",
        )
        return found[count - 1]


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def link_token(message: EmailMessage) -> str:
    """The token in the link an invitation or reset email carries."""
    match = TOKEN.search(body_of(message))
    assert match, f"no link with a token in: {body_of(message)!r}"
    return match.group(1)


def start_smtp() -> tuple[Controller, SmtpSink]:
    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    return controller, sink


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpSink]:
    controller, sink = start_smtp()
    try:
        yield sink
    finally:
        controller.stop()
