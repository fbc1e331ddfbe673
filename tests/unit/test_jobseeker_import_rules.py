"""The job-seeker import's rules on their own: its phases, what a finished check leads to, and
the import's status and phase as told from its background job. No broker, no database."""

from __future__ import annotations

import pytest

from chassis.tables import JOB_STATUSES
from services.identity.jobseeker_imports import rules
from services.identity.jobseeker_imports.schemas import ImportSummarySchema


def test_checked_modes_start_by_validating_and_skip_bad_rows_writes_at_once():
    assert rules.first_phase("dry_run") == rules.first_phase("all_or_nothing") == rules.VALIDATING
    assert rules.first_phase("skip_bad_rows") == rules.WRITING


def test_a_finished_check_ends_a_dry_run_rejects_bad_rows_or_goes_on_to_write():
    assert rules.after_validation("dry_run", failed=0) == rules.COMPLETED
    assert rules.after_validation("dry_run", failed=20) == rules.COMPLETED
    assert rules.after_validation("all_or_nothing", failed=1) == rules.REJECTED
    assert rules.after_validation("all_or_nothing", failed=0) is None


@pytest.mark.parametrize(
    "job_status, result, shown",
    [
        ("queued", None, "queued"),
        ("running", None, "running"),
        ("interrupted", None, "interrupted"),
        ("succeeded", "completed", "completed"),
        ("succeeded", "rejected", "rejected"),
        # Neither happens to an import today; neither may show a status the API lacks.
        ("failed", None, "interrupted"),
        ("cancelled", None, "interrupted"),
    ],
)
def test_the_import_status_is_its_jobs_or_the_result_it_succeeded_with(job_status, result, shown):
    assert rules.import_status(job_status, result) == shown


def test_every_job_status_maps_onto_a_status_the_api_documents():
    documented = set(ImportSummarySchema().fields["status"].metadata["enum"])
    for job_status in JOB_STATUSES:
        for result in (None, *rules.RESULTS):
            assert rules.import_status(job_status, result) in documented, (job_status, result)


def test_the_phase_is_the_checkpoints_or_the_modes_first_once_claimed():
    assert rules.import_phase("dry_run", "queued", None) == "queued"
    assert rules.import_phase("dry_run", "running", None) == rules.VALIDATING
    assert rules.import_phase("skip_bad_rows", "running", None) == rules.WRITING
    checkpoint = {"phase": rules.WRITING, "position": 400}
    assert rules.import_phase("all_or_nothing", "interrupted", checkpoint) == rules.WRITING
    documented = set(ImportSummarySchema().fields["phase"].metadata["enum"])
    assert {rules.QUEUED, rules.VALIDATING, rules.WRITING} == documented
