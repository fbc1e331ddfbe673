"""Sending one SMS through a Twilio-shaped REST API: a form POST to
{base}/Accounts/{sid}/Messages.json with HTTP basic auth (sid, auth token), naming the status
callback the provider calls (signed) as the message moves on."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import requests


class SmsFailed(RuntimeError):
    """The provider could not be reached or refused the message."""


@dataclass(frozen=True)
class SmsAccount:
    base_url: str
    account_sid: str
    auth_token: str
    from_number: str


def send_sms(
    account: SmsAccount, *, to: str, body: str, status_callback: str, timeout: float
) -> str:
    """Send one message; returns the provider's id for it (its `sid`). Raises SmsFailed."""
    url = f"{account.base_url}/Accounts/{quote(account.account_sid, safe='')}/Messages.json"
    try:
        answer = requests.post(
            url,
            data={
                "To": to,
                "From": account.from_number,
                "Body": body,
                "StatusCallback": status_callback,
            },
            auth=(account.account_sid, account.auth_token),
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise SmsFailed(f"could not reach the SMS provider: {type(exc).__name__}") from exc
    if answer.status_code >= 300:
        raise SmsFailed(f"the SMS provider answered {answer.status_code}: {answer.text[:300]}")
    try:
        sid = answer.json().get("sid")
    except ValueError as exc:
        raise SmsFailed("the SMS provider's answer was not JSON") from exc
    if not isinstance(sid, str) or not sid:
        raise SmsFailed("the SMS provider's answer has no message sid")
    return sid
