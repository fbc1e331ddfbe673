"""A fake SMS provider on loopback for tests: the Twilio-shaped REST API the notifications
service sends to (a form POST to /2010-04-01/Accounts/<sid>/Messages.json with basic auth),
keeping every message, and the provider's signed webhooks back to the platform (status
callbacks, incoming messages such as STOP).

Use the `sms_provider` fixture (one server per session; the e2e platform is pointed at it with
WORKLB_SMS_BASE_URL):

    sms = sms_provider.wait_for("+15625550101")
    sms_provider.report(sms, "delivered", auth_token)   # the signed status callback
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from services.notifications.channels.rules import provider_signature
from tests.waiting import wait_for

API_VERSION = "2010-04-01"


@dataclass
class Sms:
    sid: str
    account_sid: str
    auth: tuple[str, str]
    to: str
    sender: str
    body: str
    status_callback: str
    form: dict[str, list[str]] = field(default_factory=dict)


class FakeSmsProvider:
    def __init__(self) -> None:
        self.messages: list[Sms] = []
        # Answer the next N sends with a 500 (a provider outage).
        self.fail_next = 0
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.port = self._server.server_port
        self.base_url = f"http://127.0.0.1:{self.port}/{API_VERSION}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FakeSmsProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    @Request.application
    def _app(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if (
            request.method != "POST"
            or len(parts) != 4
            or parts[0] != API_VERSION
            or parts[1] != "Accounts"
            or parts[3] != "Messages.json"
        ):
            return Response('{"message": "not found"}', 404, mimetype="application/json")
        auth = request.authorization
        if auth is None or auth.username != parts[2] or not auth.password:
            return Response('{"message": "authenticate"}', 401, mimetype="application/json")
        if self.fail_next > 0:
            self.fail_next -= 1
            return Response('{"message": "try later"}', 500, mimetype="application/json")
        form = {name: request.form.getlist(name) for name in request.form}
        sms = Sms(
            sid="SM" + uuid.uuid4().hex,
            account_sid=parts[2],
            auth=(auth.username or "", auth.password or ""),
            to=request.form.get("To", ""),
            sender=request.form.get("From", ""),
            body=request.form.get("Body", ""),
            status_callback=request.form.get("StatusCallback", ""),
            form=form,
        )
        self.messages.append(sms)
        return Response(
            f'{{"sid": "{sms.sid}", "status": "queued"}}', 201, mimetype="application/json"
        )

    # -- reading what was sent ---------------------------------------------------------------

    def to(self, number: str) -> list[Sms]:
        return [m for m in self.messages if m.to == number]

    def wait_for(self, number: str, count: int = 1, timeout: float = 20.0) -> Sms:
        """The `count`-th SMS to `number` (waiting for it to arrive)."""
        found = wait_for(
            lambda: len(self.to(number)) >= count and self.to(number),
            timeout=timeout,
            what=f"SMS #{count} to {number}",
        )
        return found[count - 1]

    # -- the provider's webhooks ---------------------------------------------------------------

    @staticmethod
    def signed_post(
        url: str, params: dict[str, str], auth_token: str, *, signature: str | None = None
    ) -> requests.Response:
        """POST the form to `url` as the provider does, signed with `auth_token` (or with the
        `signature` given, to test a forged one)."""
        if signature is None:
            signature = provider_signature(auth_token, url, {k: [v] for k, v in params.items()})
        return requests.post(
            url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10
        )

    def report(self, sms: Sms, status: str, auth_token: str, **more: str) -> requests.Response:
        """The status callback of `sms` (sent, delivered, undelivered, failed), signed."""
        params = {
            "MessageSid": sms.sid,
            "SmsSid": sms.sid,
            "AccountSid": sms.account_sid,
            "MessageStatus": status,
            "To": sms.to,
            "From": sms.sender,
            **more,
        }
        return self.signed_post(sms.status_callback, params, auth_token)

    def inbound(
        self, url: str, *, sender: str, to: str, body: str, auth_token: str, account_sid: str
    ) -> requests.Response:
        """An incoming message (STOP, START ...) from `sender` to the CBO's number, signed."""
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": account_sid,
            "From": sender,
            "To": to,
            "Body": body,
            "NumMedia": "0",
        }
        return self.signed_post(url, params, auth_token)


@pytest.fixture(scope="session")
def sms_provider() -> Iterator[FakeSmsProvider]:
    provider = FakeSmsProvider().start()
    try:
        yield provider
    finally:
        provider.stop()
