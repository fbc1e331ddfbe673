"""Outgoing email over SMTP (smtplib; green under eventlet).

Send email from an event handler, never from an RPC: a failed send then raises, the handler's
transaction rolls back, and the event is retried with backoff and finally dead-lettered, so no
email is silently lost. Settings: WORKLB_SMTP_HOST / _PORT / _FROM / _USER / _PASSWORD /
_STARTTLS / _TIMEOUT; `make run` starts a local sink on 127.0.0.1:8025 (deploy/mailsink.py).
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from nameko.extensions import DependencyProvider

from chassis.config import Settings, settings_from


class MailFailed(RuntimeError):
    """The SMTP server could not be reached or refused the message."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None
    # The name shown in From (the address stays the platform's) and where replies go: a CBO's
    # own, for the messages the notifications service sends on its behalf.
    from_name: str | None = None
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()
    # A Message-ID the sender chose (a stable one lets a receiver spot a resend).
    message_id: str | None = None


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.sender = settings.smtp_from
        self.user = settings.smtp_user
        self.password = settings.smtp_password
        self.starttls = settings.smtp_starttls
        self.timeout = settings.smtp_timeout

    def build(self, email: Email) -> EmailMessage:
        message = EmailMessage()
        if email.from_name:
            message["From"] = formataddr((email.from_name, parseaddr(self.sender)[1]))
        else:
            message["From"] = self.sender
        if email.reply_to:
            message["Reply-To"] = email.reply_to
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=False)
        domain = parseaddr(self.sender)[1].partition("@")[2] or "worklb.local"
        message["Message-ID"] = email.message_id or make_msgid(domain=domain)
        # Plain 7-bit when it can be, so links stay whole in the raw message (var/mail/*.eml).
        message.set_content(email.text, cte="7bit" if email.text.isascii() else None)
        if email.html:
            message.add_alternative(email.html, subtype="html")
        for attachment in email.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            message.add_attachment(
                attachment.data,
                maintype=maintype,
                subtype=subtype.partition(";")[0] or "octet-stream",
                filename=attachment.filename,
            )
        return message

    def send(self, email: Email) -> str:
        """Send one email on a connection of its own; returns its Message-ID. Raises
        MailFailed."""
        with self.session() as send:
            return send(email)

    @contextmanager
    def session(self) -> Iterator[Callable[[Email], str]]:
        """A `send` that keeps one SMTP connection for many emails (a sweep's), opened at the
        first and closed at the end: a connection, a greeting and a login per email cost
        the sender and the server more than the email. Before it is used again the connection
        is asked whether it still stands (NOOP), and opened anew if the server dropped it:
        an email is never sent twice because its connection broke after it was sent. Any
        failure raises MailFailed and closes the connection."""
        smtp: smtplib.SMTP | None = None

        def send(email: Email) -> str:
            nonlocal smtp
            message = self.build(email)
            try:
                if smtp is not None and not _still_open(smtp):
                    _close(smtp)
                    smtp = None
                if smtp is None:
                    smtp = self._connect()
                smtp.send_message(message)
            except (OSError, smtplib.SMTPException) as exc:
                _close(smtp)
                smtp = None
                raise MailFailed(
                    f"could not send email via {self.host}:{self.port}: {type(exc).__name__}: {exc}"
                ) from exc
            return str(message["Message-ID"])

        try:
            yield send
        finally:
            _close(smtp)

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
        except BaseException:
            _close(smtp)
            raise
        return smtp


def _still_open(smtp: smtplib.SMTP) -> bool:
    """Whether the server still answers on this connection (it may have closed an idle one)."""
    try:
        return smtp.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def _close(smtp: smtplib.SMTP | None) -> None:
    """Say goodbye if the server still listens; drop the socket either way."""
    if smtp is None:
        return
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


class Mail(DependencyProvider):
    """Injects a Mailer configured from the service's Settings."""

    def setup(self) -> None:
        self.mailer = Mailer(settings_from(self.container.config))

    def get_dependency(self, worker_ctx) -> Mailer:
        return self.mailer
