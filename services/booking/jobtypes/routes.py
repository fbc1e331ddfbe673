"""Routes of the job-types area."""

from __future__ import annotations

from chassis.routes import Route
from services.booking.jobtypes import schemas
from services.booking.jobtypes.entrypoints import JobtypesEntrypoints as JobTypes

_TAG = "Job types"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/job-types",
        JobTypes.list_job_types,
        "List job types (a client user: the CBO-wide ones and their own client's)",
        _TAG,
        query=schemas.JobTypeQuerySchema,
        response=schemas.JobTypePageSchema,
        errors=(404,),
    ),
    Route(
        "POST",
        "/api/v1/job-types",
        JobTypes.create_job_type,
        "Create a job type, CBO-wide or exclusive to one client",
        _TAG,
        body=schemas.JobTypeInputSchema,
        response=schemas.JobTypeSchema,
        status=201,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/job-types/<job_type_id>",
        JobTypes.get_job_type,
        "One job type",
        _TAG,
        response=schemas.JobTypeSchema,
    ),
    Route(
        "PATCH",
        "/api/v1/job-types/<job_type_id>",
        JobTypes.update_job_type,
        "Change a job type's name, description, skills, rates, shift length or active flag",
        _TAG,
        body=schemas.JobTypeUpdateSchema,
        response=schemas.JobTypeSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        "/api/v1/job-types/<job_type_id>/deactivate",
        JobTypes.deactivate_job_type,
        "Stop offering a job type (it stays, with its history)",
        _TAG,
        response=schemas.JobTypeSchema,
    ),
)
