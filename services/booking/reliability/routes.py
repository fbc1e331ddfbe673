"""Routes of the reliability area: the worker's own score and appeals; staff views of a job
seeker's score, entries to excuse, appeals to decide and review items."""

from __future__ import annotations

from chassis.routes import Route
from chassis.schemas import ReasonSchema
from services.booking.reliability import schemas
from services.booking.reliability.entrypoints import ReliabilityEntrypoints as Reliability

_TAG = "Reliability"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/me/reliability",
        Reliability.my_reliability,
        "My reliability: score, every entry that moves it, and how to improve it",
        _TAG,
        response=schemas.ReliabilitySchema,
    ),
    Route(
        "POST",
        "/api/v1/reliability/entries/<entry_id>/appeal",
        Reliability.appeal_reliability_entry,
        "Appeal one of my reliability entries (within 72 hours of it)",
        _TAG,
        body=schemas.ReliabilityAppealSchema,
        response=schemas.ReliabilityEntrySchema,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/jobseekers/<jobseeker_id>/reliability",
        Reliability.jobseeker_reliability,
        "A job seeker's reliability: score, entries and how to improve it",
        _TAG,
        response=schemas.ReliabilitySchema,
    ),
    Route(
        "GET",
        "/api/v1/reliability/entries",
        Reliability.list_reliability_entries,
        "List reliability entries (appeal_status=pending: appeals to decide)",
        _TAG,
        query=schemas.ReliabilityEntryQuerySchema,
        response=schemas.ReliabilityEntryPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/reliability/entries/<entry_id>/excuse",
        Reliability.excuse_reliability_entry,
        "Excuse a reliability entry with a reason: it no longer counts",
        _TAG,
        body=ReasonSchema,
        response=schemas.ReliabilityEntrySchema,
        errors=(409,),
    ),
    Route(
        "POST",
        "/api/v1/reliability/entries/<entry_id>/decision",
        Reliability.decide_reliability_appeal,
        "Decide a worker's appeal: upheld or overturned, with a reason",
        _TAG,
        body=schemas.AppealDecisionSchema,
        response=schemas.ReliabilityEntrySchema,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/reliability/reviews",
        Reliability.list_reliability_reviews,
        "List reliability review items",
        _TAG,
        query=schemas.ReliabilityReviewQuerySchema,
        response=schemas.ReliabilityReviewPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/reliability/reviews/<review_id>/close",
        Reliability.close_reliability_review,
        "Close a reliability review item with what was decided",
        _TAG,
        body=schemas.CloseReliabilityReviewSchema,
        response=schemas.ReliabilityReviewSchema,
        errors=(409,),
    ),
)
