"""Job-seeker import rules that need no database: which phases a mode goes through, what a
finished check leads to, and how the import's status and phase are told from its background
job (chassis.jobs) and the result the import recorded. Unit tests cover them."""

from __future__ import annotations

from typing import Any

from chassis import jobs

# The import's statuses, as the API shows them (ImportSummarySchema).
QUEUED = "queued"
RUNNING = "running"
INTERRUPTED = "interrupted"  # an error stopped it; resumable
COMPLETED = "completed"
REJECTED = "rejected"  # all_or_nothing found bad rows: nobody was written
RESULTS = (COMPLETED, REJECTED)  # what a finished import came to (its row's `result`)

# Its phases: the job's checkpoint names the phase and the position within it.
VALIDATING = "validating"  # rows checked and reported, nobody written
WRITING = "writing"

# Modes that check every row before anybody is written (a dry run stops after the check).
CHECKED_FIRST = ("dry_run", "all_or_nothing")


def first_phase(mode: str) -> str:
    return VALIDATING if mode in CHECKED_FIRST else WRITING


def after_validation(mode: str, *, failed: int) -> str | None:
    """What a finished check leads to: the import's result (a dry run is complete, an
    all-or-nothing file with bad rows is rejected), or None to go on and write."""
    if mode == "dry_run":
        return COMPLETED
    if failed:
        return REJECTED
    return None


def import_status(job_status: str, result: str | None) -> str:
    """The import's status from its job's status and the result its last step recorded.

    A job that failed or was cancelled shows as interrupted, with the job's error: no import
    step raises JobFailed and nothing cancels an import, so neither happens today (and
    resuming such a job answers 409)."""
    if job_status == jobs.SUCCEEDED:
        return result or COMPLETED
    if job_status in (jobs.QUEUED, jobs.RUNNING, jobs.INTERRUPTED):
        return job_status
    return INTERRUPTED


def import_phase(mode: str, job_status: str, checkpoint: Any) -> str:
    """The phase the import is in: the one its last committed step named, else the mode's
    first once a run has claimed it ("queued" before)."""
    if checkpoint:
        return str(checkpoint["phase"])
    return QUEUED if job_status == jobs.QUEUED else first_phase(mode)
