"""The job-seeker import's routes: start, list, follow, report and resume imports."""

from __future__ import annotations

from chassis.csv_import import MAX_CSV_BYTES
from chassis.routes import Route
from services.identity.jobseeker_imports import schemas
from services.identity.jobseeker_imports.entrypoints import JobseekerImportsEntrypoints

TAG = "Job-seeker imports"

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/jobseeker-imports",
        JobseekerImportsEntrypoints.start_import,
        "Import job seekers from a CSV file",
        TAG,
        body=schemas.ImportStartSchema,
        response=schemas.ImportSchema,
        status=202,
        upload=True,
        max_upload_bytes=MAX_CSV_BYTES,
        description="Needs jobseekers.manage. multipart/form-data: `file` (CSV, UTF-8, at "
        "most 20 MB; columns email, name, phone, preferred_language, languages, home_area, "
        "skills, source — only email and name required; several values in one cell separated "
        "by ';'), `mode` (dry_run, all_or_nothing, skip_bad_rows) and `on_existing` (skip, "
        "update). The file is checked at once (413, 415, 422); the rows are processed after "
        "the answer: follow the import's progress.",
    ),
    Route(
        "GET",
        "/api/v1/jobseeker-imports",
        JobseekerImportsEntrypoints.list_imports,
        "The CBO's job-seeker imports, newest first",
        TAG,
        query=schemas.ImportListQuerySchema,
        response=schemas.ImportPageSchema,
    ),
    Route(
        "GET",
        "/api/v1/jobseeker-imports/<import_id>",
        JobseekerImportsEntrypoints.get_import,
        "An import's progress, counts and bad rows",
        TAG,
        response=schemas.ImportSchema,
    ),
    Route(
        "GET",
        "/api/v1/jobseeker-imports/<import_id>/rows",
        JobseekerImportsEntrypoints.list_import_rows,
        "An import's report row by row (failed, updated, skipped)",
        TAG,
        query=schemas.ImportRowsQuerySchema,
        response=schemas.ImportRowPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/jobseeker-imports/<import_id>/resume",
        JobseekerImportsEntrypoints.resume_import,
        "Start an interrupted import again where it stopped",
        TAG,
        response=schemas.ImportSchema,
        status=202,
        errors=(409,),
    ),
)
