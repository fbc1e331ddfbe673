"""Pure rules of partner sharing: which partners a share goes to, and whether a shift may be
shared."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

# At most this many of a partner's workers get a shared shift's offer in one release.
RELEASE_CAP = 50

NO_PARTNERS = "Your CBO has no partner that shares opportunities."
NOT_A_PARTNER = "Not a partner CBO that shares opportunities with yours."


def chosen_partners(
    sharing: Mapping[str, str], asked: Sequence[str] | None
) -> tuple[dict[str, str], list[str]]:
    """The partners (partner CBO id -> partnership id) a share goes to: every CBO in a formed
    partnership sharing opportunities (`sharing`) when none are `asked`, else those asked; and
    the asked ids that are no such partner (listed once, in the order asked)."""
    if not asked:
        return dict(sharing), []
    chosen: dict[str, str] = {}
    unknown: list[str] = []
    for partner_id in asked:
        if partner_id in sharing:
            chosen[partner_id] = sharing[partner_id]
        elif partner_id not in unknown:
            unknown.append(partner_id)
    return chosen, unknown


def share_refusal(*, shift_status: str, starts_at: datetime, now: datetime) -> str | None:
    """Why a shift may not be shared now (None: it may): only an open shift still to come."""
    if shift_status != "open":
        return f"This shift is {shift_status}: only an open shift can be shared."
    if starts_at <= now:
        return "This shift has already started."
    return None
