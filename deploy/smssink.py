"""An SMS sink for local development: the Twilio-shaped REST API the notifications service sends
SMS to (a form POST to /2010-04-01/Accounts/<sid>/Messages.json with basic auth), writing each
message to a folder as JSON, so the SMS `make run` sends can be read. Nothing is delivered, and
no status callback is ever made (the delivery log shows them `sent`).

    python -m deploy.smssink [--host 127.0.0.1] [--port 8026] [--dir var/sms]

`make run` starts it with the services and points WORKLB_SMS_BASE_URL at it (unless that is
set); a CBO's owner still sets an SMS account (any sid and token) for its SMS to be sent.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8026


def sink(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)

    @Request.application
    def app(request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if request.method != "POST" or len(parts) != 4 or parts[3] != "Messages.json":
            return Response('{"message": "not found"}', 404, mimetype="application/json")
        if request.authorization is None:
            return Response('{"message": "authenticate"}', 401, mimetype="application/json")
        sid = "SM" + uuid.uuid4().hex
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        record = {"sid": sid, "account_sid": parts[2], **request.form.to_dict(flat=True)}
        (folder / f"{stamp}-{sid}.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2)
        )
        print(f"sms to {record.get('To')}: {record.get('Body', '')[:60]!r}", flush=True)
        return Response(
            json.dumps({"sid": sid, "status": "queued"}), 201, mimetype="application/json"
        )

    return app


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.smssink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "sms")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, sink(args.dir), threaded=True)
    print(f"SMS sink on {args.host}:{args.port}, writing to {args.dir}", flush=True)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
