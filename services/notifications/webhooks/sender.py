"""Sending webhook requests: a JSON POST per delivery, concurrently (green threads), each
bounded by the timeout, to a host whose every address the rules allow (checked again at each
attempt, so a name that later points inside the platform is refused). Redirects are not
followed (a 3xx is a failed attempt)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence

import requests
from eventlet.greenpool import GreenPool

from services.notifications.webhooks import rules

Resolve = Callable[[str], list[str]]
Send = Callable[[Sequence[rules.Outgoing]], dict[str, rules.Answer]]


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to (empty when it does not)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


def destination_problem(
    url: str, *, allow_loopback: bool, resolver: Resolve = resolve
) -> str | None:
    """Why a delivery may not go to `url` now (None: it may)."""
    problems = rules.url_problems(url)
    if problems:
        return " ".join(problems)
    return rules.addresses_problem(resolver(rules.host_of(url)), allow_loopback=allow_loopback)


def _post(
    outgoing: rules.Outgoing, *, timeout: float, allow_loopback: bool, resolver: Resolve
) -> rules.Answer:
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    problem = destination_problem(outgoing.url, allow_loopback=allow_loopback, resolver=resolver)
    if problem:
        return rules.Answer(None, f"refused: {problem}"[:500], took())
    try:
        response = requests.post(
            outgoing.url,
            data=outgoing.body,
            headers=outgoing.headers,
            timeout=timeout,
            allow_redirects=False,
        )
        response.close()
    except requests.Timeout:
        return rules.Answer(None, f"no answer within {timeout:g} s", took())
    except requests.RequestException as exc:
        return rules.Answer(None, f"{type(exc).__name__}: {exc}"[:500], took())
    return rules.Answer(response.status_code, None, took())


def sender(*, timeout: float, allow_loopback: bool, resolver: Resolve = resolve) -> Send:
    """A `send` for the domain's `deliver_due`: posts every request at once, answers by
    delivery id."""

    def send(batch: Sequence[rules.Outgoing]) -> dict[str, rules.Answer]:
        pool = GreenPool(max(1, len(batch)))
        answers = pool.imap(
            lambda o: (
                o.delivery_id,
                _post(o, timeout=timeout, allow_loopback=allow_loopback, resolver=resolver),
            ),
            batch,
        )
        return dict(answers)

    return send
