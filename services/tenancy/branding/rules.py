"""Branding rules that need no database: colours, languages, words, time zones, and the
web origins allowed to embed the login box."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

DEFAULT_TIMEZONE = "America/Los_Angeles"

# The languages the apps have translations for; a CBO enables some of them.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "es", "km")

# \Z, not $, ends each pattern: $ also matches before a final newline ("#1F4E79\n").
HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}\Z")
DEFAULT_COLOURS: dict[str, str] = {
    "primary": "#1F4E79",
    "secondary": "#F2A900",
    "accent": "#2E7D32",
    "background": "#FFFFFF",
    "text": "#1A1A1A",
}
TERM_KEY = re.compile(r"^[a-z][a-z0-9_.]{0,63}\Z")

MAX_ORIGINS = 20
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)\Z")


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    """True for an IANA zone name the system knows (never a file path or an empty name)."""
    return name in _timezones()


def today_in(timezone: str, now: datetime | None = None) -> date:
    """The calendar date in `timezone` now: a CBO's "today" is not UTC's."""
    moment = now or datetime.now(UTC)
    return moment.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def normalise_origin(value: str) -> str:
    """`value` as a browser sends it in the Origin header (https://host[:port]);
    raises ValueError saying what is wrong."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a web address.") from exc
    if port is not None and not 1 <= port <= 65535:  # urlsplit takes port 0
        raise ValueError(f"{text!r}: a port is a number from 1 to 65535.")
    if parts.scheme.lower() != "https":
        raise ValueError(f"{text!r} must start with https://.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{text!r} must be only https://host (no path, query or #).")
    if parts.username or parts.password:
        raise ValueError(f"{text!r} must not contain a user name or password.")
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError(f"{text!r} does not name a web site (e.g. https://www.example.org).")
    if labels[-1].isdigit():
        raise ValueError(f"{text!r}: use the site's name, not an IP address.")
    return f"https://{host}" + (f":{port}" if port not in (None, 443) else "")
