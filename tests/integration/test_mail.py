"""Outgoing email against a real SMTP server on loopback: a mail session sends many emails on
one connection, and opens a new one when the server dropped the old (chassis/mail.py)."""

from __future__ import annotations

import dataclasses

import pytest

from chassis.config import Settings
from chassis.mail import Email, Mailer, MailFailed
from tests.tcp_proxy import TcpProxy


def _mailer(port: int) -> Mailer:
    return Mailer(
        dataclasses.replace(
            Settings(), smtp_host="127.0.0.1", smtp_port=port, smtp_user="", smtp_starttls=False
        )
    )


def _email(to: str) -> Email:
    return Email(to=to, subject="Your shift", text="See you on Monday.")


def test_a_session_keeps_one_connection_and_reopens_a_dropped_one(smtp):
    with TcpProxy(("127.0.0.1", smtp.port)) as proxy, _mailer(proxy.port).session() as send:
        for n in range(3):
            send(_email(f"session-{n}@example.org"))
        assert proxy.accepted == 1
        proxy.cut()  # the server (as the sender sees it) hangs up
        proxy.restore()
        send(_email("session-3@example.org"))
        assert proxy.accepted == 2
    for n in range(4):
        assert smtp.wait_for(f"session-{n}@example.org")["Subject"] == "Your shift"


def test_a_server_that_is_away_is_a_mail_failure(smtp):
    with TcpProxy(("127.0.0.1", smtp.port)) as proxy:
        proxy.cut()
        with pytest.raises(MailFailed), _mailer(proxy.port).session() as send:
            send(_email("nobody@example.org"))
        proxy.restore()
        # One email alone still opens and closes its own connection.
        _mailer(proxy.port).send(_email("alone@example.org"))
    assert smtp.wait_for("alone@example.org")["Subject"] == "Your shift"
