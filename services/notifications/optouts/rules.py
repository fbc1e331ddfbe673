"""The SMS keywords people use to stop and restart messages (the carriers' and providers'
standard set), matched on the whole message, case and surrounding punctuation aside."""

from __future__ import annotations

import re

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN = frozenset({"START", "UNSTOP"})

_EDGES = re.compile(r"^[\W_]+|[\W_]+\Z", re.UNICODE)


def keyword_of(body: str | None) -> str | None:
    """The keyword a whole message is ("stop", " Stop! " → STOP), or None for any other
    message ("please stop calling" is not an opt-out: only the keyword on its own is)."""
    if not body:
        return None
    word = _EDGES.sub("", body.strip()).upper()
    return word if word in OPT_OUT or word in OPT_IN else None


def opts_out(keyword: str | None) -> bool | None:
    """True for an opt-out keyword, False for an opt-in one, None for anything else."""
    if keyword in OPT_OUT:
        return True
    if keyword in OPT_IN:
        return False
    return None
