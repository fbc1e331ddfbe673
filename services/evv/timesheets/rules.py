"""Pure rules of timesheets: the pay week of a visit, who approves a line, and a line's status
from the two answers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

PENDING = "pending"
APPROVED = "approved"
DISPUTED = "disputed"


def pay_week(starts_at: datetime, timezone: str) -> date:
    """The Monday (in the CBO's time zone) of the week a shift starts in."""
    local = starts_at.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.weekday())


def approved_by_evv(
    *, licensed: bool, client_chose_evv: bool, verified: bool, open_exceptions: int
) -> bool:
    """A verified visit with no open exception counts as approved with no human step, where
    the CBO holds the EVV licence and the client chose EVV."""
    return licensed and client_chose_evv and verified and open_exceptions == 0


def line_status(worker_answer: str, client_answer: str) -> str:
    """Approved when both approved; disputed when either disputed; pending otherwise."""
    if DISPUTED in (worker_answer, client_answer):
        return DISPUTED
    if worker_answer == APPROVED and client_answer == APPROVED:
        return APPROVED
    return PENDING
