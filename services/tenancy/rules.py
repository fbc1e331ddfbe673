"""Tenancy's rules that need no database: slugs, origins, languages, time zones, term calendars,
licence periods. The schemas and the domain functions both use them; unit tests cover them."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

DEFAULT_TIMEZONE = "America/Los_Angeles"

# The languages the apps have translations for; a CBO enables some of them.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "es", "km")

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$")
# Slugs that would read as the platform's own pages in URLs such as /login-box/<slug>.
RESERVED_SLUGS = frozenset(
    {"admin", "api", "app", "docs", "health", "login-box", "metrics", "platform", "public", "www"}
)

HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
DEFAULT_COLOURS: dict[str, str] = {
    "primary": "#1F4E79",
    "secondary": "#F2A900",
    "accent": "#2E7D32",
    "background": "#FFFFFF",
    "text": "#1A1A1A",
}
TERM_KEY = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")

CLIENT_KINDS: tuple[str, ...] = ("city", "business", "family")
FEATURES: tuple[str, ...] = ("evv", "rebooking")
SHARES: tuple[str, ...] = ("job_types", "opportunities")

MAX_ORIGINS = 20
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


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


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name a CBO, or None if it can."""
    if not SLUG.match(slug):
        return (
            "Use 3 to 50 characters: lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit."
        )
    if slug in RESERVED_SLUGS:
        return "That name is reserved; choose another."
    return None


def normalise_origin(value: str) -> str:
    """`value` as a browser sends it in the Origin header (https://host[:port]);
    raises ValueError saying what is wrong."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a web address.") from exc
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


def parse_terms(terms: Iterable[dict]) -> list[tuple[date, date]]:
    """Term ranges as sorted (starts_on, ends_on) pairs; raises ValueError if one ends before
    it starts or two overlap."""
    ranges = sorted((t["starts_on"], t["ends_on"]) for t in terms)
    for starts_on, ends_on in ranges:
        if ends_on < starts_on:
            raise ValueError(f"The term starting {starts_on} ends before it starts.")
    for (_, previous_end), (starts_on, _) in zip(ranges, ranges[1:], strict=False):
        if starts_on <= previous_end:
            raise ValueError(f"The term starting {starts_on} overlaps the one before it.")
    return ranges


def term_containing(terms: Iterable[dict], day: date) -> dict | None:
    """The stored term (ISO dates) that `day` falls in, if any."""
    for term in terms:
        if date.fromisoformat(term["starts_on"]) <= day <= date.fromisoformat(term["ends_on"]):
            return term
    return None


def cap_applies(cap: float | None, terms: list[dict], day: date) -> bool:
    """A weekly hour cap applies within a term; a source without terms applies it all year."""
    if cap is None:
        return False
    return not terms or term_containing(terms, day) is not None


def licence_covers(starts_on: date, ends_on: date | None, day: date) -> bool:
    return starts_on <= day and (ends_on is None or day <= ends_on)


def periods_overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    far = date.max
    return a_start <= (b_end or far) and b_start <= (a_end or far)


def licence_state(starts_on: date, ends_on: date | None, revoked: bool, day: date) -> str:
    """scheduled, active, ended or revoked, as seen on `day`."""
    if licence_covers(starts_on, ends_on, day):
        return "active"
    if day < starts_on and not (ends_on is not None and ends_on < starts_on):
        return "scheduled"
    return "revoked" if revoked else "ended"


def day_before(day: date) -> date:
    return day - timedelta(days=1)
