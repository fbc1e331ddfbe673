"""Channel rules that need no database: provider request signatures, phone numbers, the SMS
provider's address, and reminder times."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

# Reminders before a confirmed shift: 24 hours and 2 hours unless the CBO says otherwise.
DEFAULT_REMINDER_MINUTES: tuple[int, ...] = (1440, 120)
REMINDER_MINUTES_MIN = 15
REMINDER_MINUTES_MAX = 7 * 24 * 60
MAX_REMINDERS = 4

# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
E164 = re.compile(r"^\+[1-9][0-9]{6,14}\Z")
_DIALLING_NOISE = re.compile(r"[\s().\-/]")


def provider_signature(secret: str, url: str, params: Mapping[str, Sequence[str]]) -> str:
    """The signature a Twilio-shaped provider sends in X-Twilio-Signature: HMAC-SHA1 with the
    account's auth token over the full URL it called followed by every form field's name and
    value, fields sorted by name (a repeated name's values sorted too), in base64."""
    payload = url + "".join(
        name + value for name in sorted(params) for value in sorted(params[name])
    )
    digest = hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(
    secret: str, url: str, params: Mapping[str, Sequence[str]], signature: str
) -> bool:
    """True only when `signature` is the provider's signature of this request (compared in
    constant time); an empty secret or signature never matches."""
    if not secret or not signature:
        return False
    expected = provider_signature(secret, url, params)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


def normalise_phone(text: str | None, *, country_code: str = "1") -> str | None:
    """A phone number as E.164 (+15625550100), or None when it cannot be one. A number
    without a country code is taken as the platform's (North America: 10 digits, or 11
    starting with 1)."""
    if not text:
        return None
    cleaned = _DIALLING_NOISE.sub("", text.strip())
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if not cleaned.startswith("+"):
        if not cleaned.isdigit():
            return None
        if country_code == "1" and len(cleaned) == 11 and cleaned.startswith("1"):
            cleaned = "+" + cleaned
        elif country_code == "1" and len(cleaned) == 10:
            cleaned = "+1" + cleaned
        else:
            return None
    return cleaned if E164.match(cleaned) else None


def check_base_url(text: str) -> str:
    """A CBO's own SMS provider base: https://host[/path], no credentials, query or fragment
    (the credentials travel in the Authorization header). Raises ValueError saying why not."""
    value = text.strip().rstrip("/")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise ValueError("Not a web address.") from exc
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("Use an https:// address of the provider's REST API.")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("Only https://host/path: no user, password, query or #.")
    return value


def reminder_problems(minutes: Iterable[int]) -> list[str]:
    """What is wrong with a CBO's reminder times (minutes before the start), if anything."""
    values = list(minutes)
    problems = []
    if len(values) > MAX_REMINDERS:
        problems.append(f"At most {MAX_REMINDERS} reminders.")
    if len(set(values)) != len(values):
        problems.append("List each time once.")
    for value in values:
        if not REMINDER_MINUTES_MIN <= value <= REMINDER_MINUTES_MAX:
            problems.append(
                f"{value}: each reminder is {REMINDER_MINUTES_MIN} minutes to "
                f"{REMINDER_MINUTES_MAX // 1440} days before the start."
            )
    return problems


def reminder_times(
    starts_at: datetime, minutes_before: Iterable[int], *, now: datetime
) -> list[tuple[int, datetime]]:
    """When each reminder of a shift starting at `starts_at` is due, as (minutes before, due
    at), latest reminder last; one whose time has already passed when the worker confirms is
    not sent (a late confirmation gets the reminders still ahead of it)."""
    found = [
        (minutes, starts_at - timedelta(minutes=minutes))
        for minutes in sorted(set(minutes_before), reverse=True)
    ]
    return [(minutes, due) for minutes, due in found if due > now and starts_at > now]
