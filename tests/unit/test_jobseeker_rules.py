"""Job-seeker approval and eligibility rules on their own: no broker, no database."""

from __future__ import annotations

from datetime import UTC, datetime

from services.identity.jobseekers import rules


def test_approval_needs_a_pending_job_seeker_with_every_required_document_verified():
    assert rules.approval_problem(rules.PENDING, []) is None
    assert rules.approval_problem(rules.PENDING, ["photo_id"]) == (
        "These documents must be verified first: photo_id."
    )
    assert "already approved" in rules.approval_problem(rules.APPROVED, [])
    assert "reinstate" in rules.approval_problem(rules.SUSPENDED, [])


def test_a_job_type_is_approved_only_for_an_approved_job_seeker():
    assert rules.job_type_approval_problem(rules.APPROVED) is None
    assert rules.job_type_approval_problem(rules.PENDING) == "Approve the job seeker first."
    assert "suspended" in rules.job_type_approval_problem(rules.SUSPENDED)


def test_reinstating_restores_approved_only_for_someone_approved_before():
    assert rules.status_after_reinstatement(datetime(2026, 1, 1, tzinfo=UTC)) == rules.APPROVED
    assert rules.status_after_reinstatement(None) == rules.PENDING


def test_only_an_approved_job_seeker_approved_for_the_job_type_is_eligible():
    assert (
        rules.ineligibility_reasons(rules.APPROVED, approved_for_job_type=True, job_type="x") == []
    )
    assert rules.ineligibility_reasons(None, approved_for_job_type=False, job_type="x") == [
        "There is no such job seeker in this CBO."
    ]
    assert rules.ineligibility_reasons(
        rules.PENDING, approved_for_job_type=False, job_type="x"
    ) == [
        "The job seeker is not approved yet.",
        "The job seeker is not approved for x.",
    ]
    assert rules.ineligibility_reasons(
        rules.SUSPENDED, approved_for_job_type=True, job_type="x"
    ) == ["The job seeker is suspended."]
