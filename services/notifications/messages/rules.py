"""Message rules that need no database: the language a person gets, the CBO's words, times in
the CBO's time zone, rendering a template safely, retries and the provider's statuses."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.notifications.messages import templates

# Delivery log statuses.
QUEUED = "queued"
SENT = "sent"
DELIVERED = "delivered"
FAILED = "failed"
SKIPPED = "skipped"
STATUSES = (QUEUED, SENT, DELIVERED, FAILED, SKIPPED)

EMAIL = "email"
SMS = "sms"
CHANNELS = (EMAIL, SMS)

# A message is tried this many times (1 s, 5 s, 30 s, 2 min, 10 min apart), then failed.
MAX_ATTEMPTS = 6
RETRY_DELAYS_SECONDS = (1, 5, 30, 120, 600)

# What a Twilio-shaped provider reports in MessageStatus, as the delivery log's status (None:
# a step on the way that changes nothing).
PROVIDER_STATUSES: dict[str, str | None] = {
    "accepted": None,
    "queued": None,
    "sending": None,
    "sent": SENT,
    "delivered": DELIVERED,
    "read": DELIVERED,
    "undelivered": FAILED,
    "failed": FAILED,
}

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    text: str
    sms: str

    @property
    def html(self) -> str:
        return html_of(self.text)


def language_for(preferred: str | None, *, default: str | None) -> str:
    """The person's own language when there are templates for it, else the CBO's, else
    English."""
    for language in (preferred, default):
        if language in templates.LANGUAGES:
            return str(language)
    return "en"


def words_for(language: str, terminology: Mapping[str, Mapping[str, str]] | None) -> dict[str, str]:
    """The words of a language: the defaults, with the CBO's own for that language instead."""
    words = dict(templates.DEFAULT_WORDS.get(language, templates.DEFAULT_WORDS["en"]))
    for key, value in ((terminology or {}).get(language) or {}).items():
        if key in words and isinstance(value, str) and value.strip():
            words[key] = one_line(value)
    return words


def one_line(value: Any) -> str:
    """A value as it may appear in a message: one line (a subject is an email header), no
    control characters."""
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", str(value))).strip()


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("America/Los_Angeles")


def moment(at: datetime | None, *, timezone: str, language: str) -> str:
    """A UTC time as the CBO's wall clock, written for the language ("Tue 1 Dec, 09:00")."""
    if at is None:
        return "—"
    local = at.astimezone(_zone(timezone))
    return templates.MOMENT[language].format(
        weekday=templates.WEEKDAYS[language][local.weekday()],
        day=local.day,
        month=templates.MONTHS[language][local.month - 1],
        time=local.strftime("%H:%M"),
    )


def end_of(
    starts_at: datetime | None, ends_at: datetime | None, *, timezone: str, language: str
) -> str:
    """The end of a shift: its time alone on the day it starts, else the whole moment."""
    if ends_at is None:
        return "—"
    zone = _zone(timezone)
    if (
        starts_at is not None
        and starts_at.astimezone(zone).date() == ends_at.astimezone(zone).date()
    ):
        return ends_at.astimezone(zone).strftime("%H:%M")
    return moment(ends_at, timezone=timezone, language=language)


def reason_in(reason: str | None, *, language: str, words: Mapping[str, str]) -> str:
    if not reason:
        return "—"
    known = templates.REASONS.get(reason)
    if known is None:
        return one_line(reason)
    return known[language].format(**_with_capitals(words))


def _with_capitals(words: Mapping[str, str]) -> dict[str, str]:
    found = dict(words)
    for key, value in words.items():
        found[key.capitalize()] = value[:1].upper() + value[1:]
    return found


def render(
    kind: str,
    language: str,
    *,
    name: str,
    cbo: str,
    timezone: str,
    terminology: Mapping[str, Mapping[str, str]] | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    deadline_at: datetime | None = None,
    reason: str | None = None,
    attempts: int | None = None,
    job: str | None = None,
    site: str | None = None,
) -> Rendered:
    """The message `kind` for one person in `language`, with the CBO's words. Every value is
    made one line and inserted as text (str.format never reads a value's own braces); the HTML
    form escapes the whole text, so nothing a person or a CBO typed becomes markup."""
    language = language if language in templates.LANGUAGES else "en"
    words = words_for(language, terminology)
    values = {
        **_with_capitals(words),
        "name": one_line(name) or "—",
        "cbo": one_line(cbo),
        "starts": moment(starts_at, timezone=timezone, language=language),
        "ends": end_of(starts_at, ends_at, timezone=timezone, language=language),
        "deadline": moment(deadline_at, timezone=timezone, language=language),
        "reason": reason_in(reason, language=language, words=words),
        "attempts": "—" if attempts is None else str(attempts),
        "work": work_lines(language, job=job, site=site),
    }
    template = templates.TEMPLATES[kind][language]
    return Rendered(
        language=language,
        subject=one_line(template["subject"].format(**values)),
        text=template["text"].format(**values),
        sms=template["sms"].format(**values),
    )


def work_lines(language: str, *, job: str | None, site: str | None) -> str:
    """What the work is and where, a line each, for those known."""
    lines = templates.WORK_LINES[language]
    found = ""
    if job and one_line(job):
        found += lines["job"].format(job=one_line(job))
    if site and one_line(site):
        found += lines["site"].format(site=one_line(site))
    return found


def html_of(text: str) -> str:
    """Plain text as simple HTML: every character escaped, paragraphs and line breaks kept."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    body = "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    return f'<!doctype html><html><body style="font-family:sans-serif">{body}</body></html>'


def retry_at(attempts: int, *, now: datetime) -> datetime | None:
    """When a message that failed `attempts` times is tried again; None when it has had all
    its attempts (it is failed)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = RETRY_DELAYS_SECONDS[min(attempts, len(RETRY_DELAYS_SECONDS)) - 1]
    return now + timedelta(seconds=delay)


def status_after_report(current: str, reported: str) -> str | None:
    """The delivery log's status after the provider reports `reported`; None when it changes
    nothing (an unknown or intermediate status, or a report older than what we know: a
    delivered message stays delivered)."""
    target = PROVIDER_STATUSES.get(reported.lower())
    if target is None or current in (DELIVERED, SKIPPED):
        return None
    if current == FAILED and target == SENT:
        return None
    return target if target != current else None
