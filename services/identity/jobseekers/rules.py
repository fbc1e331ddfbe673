"""Job-seeker rules that need no database: the profile's statuses, what approval needs, what a
reinstatement restores, who may be offered work, and availability slots. The schemas and the
domain functions both use them; unit tests cover them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

# Profile statuses. Suspension keeps approved_at, so reinstating restores what was before.
PENDING = "pending"
APPROVED = "approved"
SUSPENDED = "suspended"
STATUSES = (PENDING, APPROVED, SUSPENDED)

# What a job seeker must have verified before approval, unless a CBO's rules say otherwise.
DEFAULT_REQUIRED_DOCUMENTS: tuple[str, ...] = ("photo_id", "work_authorization")


def approval_problem(status: str, missing_documents: Sequence[str]) -> str | None:
    """Why a job seeker cannot be approved now, or None if they can."""
    if status == APPROVED:
        return "This job seeker is already approved."
    if status == SUSPENDED:
        return "This job seeker is suspended; reinstate them instead."
    if missing_documents:
        return f"These documents must be verified first: {', '.join(missing_documents)}."
    return None


def job_type_approval_problem(status: str) -> str | None:
    """Why a job seeker cannot be approved for a job type now (an approval per job type narrows
    the CBO's approval, it never replaces it), or None if they can."""
    if status == APPROVED:
        return None
    return "Approve the job seeker first" + (
        " (they are suspended)." if status == SUSPENDED else "."
    )


def status_after_reinstatement(approved_at: datetime | None) -> str:
    """What a suspended job seeker goes back to: approved if they ever were, else pending."""
    return APPROVED if approved_at else PENDING


def ineligibility_reasons(
    status: str | None, *, approved_for_job_type: bool, job_type: str
) -> list[str]:
    """Why a job seeker (None: not in this CBO) may not be offered work of `job_type`; empty
    when they may: approved, approved for the job type and not suspended."""
    reasons: list[str] = []
    if status is None:
        return ["There is no such job seeker in this CBO."]
    if status == SUSPENDED:
        reasons.append("The job seeker is suspended.")
    elif status != APPROVED:
        reasons.append("The job seeker is not approved yet.")
    if not approved_for_job_type:
        reasons.append(f"The job seeker is not approved for {job_type}.")
    return reasons


# -- availability ----------------------------------------------------------------------------


def minutes(value: str) -> int:
    """Minutes since midnight of an "HH:MM" time ("24:00" ends a day)."""
    if value == "24:00":
        return 24 * 60
    hours, mins = value.split(":")
    return int(hours) * 60 + int(mins)


def slot_overlaps(slots: list[dict]) -> list[str]:
    """A message for each pair of slots that overlap (touching end to start is fine)."""
    ordered = sorted(slots, key=lambda s: minutes(s["start"]))
    found = []
    for before, after in zip(ordered, ordered[1:], strict=False):
        if minutes(after["start"]) < minutes(before["end"]):
            found.append(
                f"{before['start']}-{before['end']} overlaps {after['start']}-{after['end']}."
            )
    return found


def sorted_slots(slots: list[dict]) -> list[dict]:
    """The slots in time order, as stored."""
    return [
        {"start": s["start"], "end": s["end"]}
        for s in sorted(slots, key=lambda s: minutes(s["start"]))
    ]
