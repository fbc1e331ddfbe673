"""Pure rules of webhooks: the signature, the retry schedule, which URLs and addresses a
delivery may go to, and who receives an event of the partner exchange."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_HEADER = "WorkLB-Signature"
EVENT_HEADER = "WorkLB-Event"
DELIVERY_HEADER = "WorkLB-Delivery"
# A receiver should refuse a signature older than this (a replayed request).
TOLERANCE_SECONDS = 300

# The events a CBO may subscribe an outside system to: the partner exchange's.
EVENTS: tuple[str, ...] = ("opportunity.shared", "opportunity.withdrawn", "opportunity.filled")

# Delivery states.
PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"  # every attempt used
CANCELLED = "cancelled"  # the partnership ended, or the subscription was removed
STATUSES: tuple[str, ...] = (PENDING, DELIVERED, FAILED, CANCELLED)

MAX_URL_LENGTH = 2000


# -- the signature -------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 (hex) of "<timestamp>.<body>" with the subscription's secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The `WorkLB-Signature` header: `t=<unix seconds>,v1=<hex>`."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def parse_signature_header(header: str) -> tuple[int, list[str]] | None:
    """(timestamp, v1 signatures) of a header, None when it is malformed."""
    timestamp: int | None = None
    found: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return None
        if key == "t":
            if not value.isdigit() or len(value) > 12:
                return None
            timestamp = int(value)
        elif key == "v1":
            found.append(value)
    if timestamp is None or not found:
        return None
    return timestamp, found


def verify(
    header: str, secret: str, body: bytes, *, now: float, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """What a receiver checks: the header is well formed, its time within `tolerance` seconds
    of `now`, and one of its v1 signatures that of this body (compared in constant time)."""
    parsed = parse_signature_header(header)
    if parsed is None:
        return False
    timestamp, candidates = parsed
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)


# -- retries -------------------------------------------------------------------------------------


def succeeded(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def retry_delay(attempt: int, *, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (from 1): base, 2 base, 4 base …,
    never more than `cap`."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    return min(cap, base * 2 ** min(attempt - 1, 62))


@dataclass(frozen=True)
class Outcome:
    status: str
    next_attempt_at: datetime | None


def after_attempt(
    *,
    attempt: int,
    status_code: int | None,
    now: datetime,
    max_attempts: int,
    base: float,
    cap: float,
) -> Outcome:
    """A delivery after attempt number `attempt` answered `status_code` (None: no answer, a
    timeout or a refused address): delivered on 2xx; otherwise retried after the backoff while
    attempts remain, else failed."""
    if succeeded(status_code):
        return Outcome(DELIVERED, None)
    if attempt >= max_attempts:
        return Outcome(FAILED, None)
    delay = retry_delay(attempt, base=base, cap=cap)
    return Outcome(PENDING, now + timedelta(seconds=delay))


# -- where a delivery may go ---------------------------------------------------------------------


def url_problems(url: str) -> list[str]:
    """What is wrong with a webhook URL (empty: nothing): http or https, a host, no user name
    or password in it, no fragment, no spaces or control characters, at most 2,000 characters."""
    if len(url) > MAX_URL_LENGTH:
        return [f"At most {MAX_URL_LENGTH} characters."]
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return ["No spaces or control characters."]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ["Not a valid URL."]
    problems: list[str] = []
    if parts.scheme.lower() not in ("http", "https"):
        problems.append("Only http and https URLs.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        problems.append("No user name or password in the URL.")
    if not parts.hostname:
        problems.append("Name a host.")
    if port == 0:
        problems.append("Not a valid port.")
    if parts.fragment:
        problems.append("No fragment (#...).")
    return problems


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def address_problem(address: str, *, allow_loopback: bool) -> str | None:
    """Why a delivery may not go to this IP address (None: it may): only public (global)
    addresses, and loopback when the setting allows it. Private, link-local, multicast,
    reserved and unspecified addresses never (a webhook must not reach inside the platform)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address."
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else f"{ip} is a loopback address."
    if not ip.is_global or ip.is_multicast:
        return f"{ip} is not a public address."
    return None


def addresses_problem(addresses: Iterable[str], *, allow_loopback: bool) -> str | None:
    """The first refused address among all a host resolves to (every one must be allowed, so
    a name cannot mix a public address with an inner one); None if all are allowed, or why
    there are none."""
    found = list(addresses)
    if not found:
        return "The host has no address."
    for address in found:
        problem = address_problem(address, allow_loopback=allow_loopback)
        if problem:
            return problem
    return None


# -- who receives an event -----------------------------------------------------------------------


# opportunity.withdrawn's reason when booking withdrew a share because the partnership ended
# (chassis/contracts/booking_events.py): that event already tells of the end.
PARTNERSHIP_ENDED = "partnership ended"


def tells_of_end(event_type: str, data: Mapping[str, Any]) -> bool:
    """Whether the event itself says its partnership ended (it may come before tenancy's)."""
    return event_type == "opportunity.withdrawn" and data.get("reason") == PARTNERSHIP_ENDED


def recipients(
    data: Mapping[str, Any], *, partnership_ended: bool, event_type: str = ""
) -> list[str]:
    """The CBOs whose subscriptions get an event of the partner exchange: the owning CBO, and
    the partner while the partnership stands (its end stops delivering anything more of the
    owner's shared shifts to the partner, the withdrawals it causes included)."""
    ended = partnership_ended or tells_of_end(event_type, data)
    found = [data["owner_tenant_id"]]
    partner = data.get("partner_tenant_id")
    if partner and not ended and partner not in found:
        found.append(partner)
    return found


# -- a request out and its answer (the sender makes the one into the other) ----------------------


@dataclass(frozen=True)
class Outgoing:
    delivery_id: str
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no HTTP answer
    error: str | None
    duration_ms: int
