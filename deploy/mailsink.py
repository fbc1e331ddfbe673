"""A mail sink for local development: an SMTP server (aiosmtpd) that accepts every message and
writes it to a folder as an .eml file, so the emails `make run` sends (invitations, password
resets) can be opened with any mail reader or text editor. Nothing is delivered anywhere.

    python -m deploy.mailsink [--host 127.0.0.1] [--port 8025] [--dir var/mail]

`make run` starts it with the services (host and port from WORKLB_SMTP_HOST / WORKLB_SMTP_PORT).
"""

from __future__ import annotations

import argparse
import itertools
import signal
import sys
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent


class MailFolder:
    """aiosmtpd handler: each message becomes <folder>/<UTC time>-<n>.eml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.folder / f"{stamp}-{next(self.counter)}.eml"
        path.write_bytes(envelope.content)
        subject = message_from_bytes(envelope.content, policy=policy.default)["Subject"]
        print(f"mail to {', '.join(envelope.rcpt_tos)}: {subject!s} -> {path.name}", flush=True)
        return "250 Message accepted"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.mailsink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "mail")
    args = parser.parse_args(argv)
    controller = Controller(MailFolder(args.dir), hostname=args.host, port=args.port)
    controller.start()
    print(f"mail sink on {args.host}:{args.port}, writing to {args.dir}", flush=True)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    stopping.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
