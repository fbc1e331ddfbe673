"""Routes served by the identity service's job-seeker entrypoints:
registration, profile, documents, approval, import."""

from __future__ import annotations

from chassis.csv_import import MAX_CSV_BYTES
from chassis.routes import Route
from services.identity import jobseeker_schemas as js
from services.identity.service import IdentityService

TAG = "Job seekers"
IMPORT_TAG = "Job-seeker imports"
_ONE = "/api/v1/jobseekers/<jobseeker_id>"
_DOCUMENT = _ONE + "/documents/<document_id>"

ROUTES: tuple[Route, ...] = (
    # -- registration --------------------------------------------------------------------------
    Route(
        "POST",
        "/api/v1/cbos/<slug>/jobseekers",
        IdentityService.register_self,
        "Register as a job seeker of a CBO (its site or login box)",
        TAG,
        body=js.SelfRegistrationSchema,
        response=js.JobseekerSchema,
        status=201,
        auth=False,
        origin_checked=True,
        description="Public. The CBO comes from its slug in the path. Called from another "
        "site, that site's origin must be one the CBO allows. The person can sign in at once; "
        "they are offered no work until staff approve them.",
    ),
    Route(
        "POST",
        "/api/v1/jobseekers",
        IdentityService.register_jobseeker,
        "Register a job seeker (staff); they are invited to set a password",
        TAG,
        body=js.StaffRegistrationSchema,
        response=js.JobseekerSchema,
        status=201,
        description="Needs jobseekers.manage.",
    ),
    # -- the job seeker's own profile and documents ------------------------------------------
    Route(
        "GET",
        "/api/v1/me/jobseeker-profile",
        IdentityService.get_own_profile,
        "My job-seeker profile",
        TAG,
        response=js.JobseekerSchema,
        description="Needs self.profile (job seekers).",
    ),
    Route(
        "PUT",
        "/api/v1/me/jobseeker-profile",
        IdentityService.update_own_profile,
        "Change my job-seeker profile (contact, languages, skills, availability…)",
        TAG,
        body=js.ProfileUpdateSchema,
        response=js.JobseekerSchema,
        description="Fields left out stay as they are. Availability: weekly slots per weekday "
        "(local times, HH:MM, not overlapping) plus exceptions on dates.",
    ),
    Route(
        "GET",
        "/api/v1/me/documents",
        IdentityService.list_own_documents,
        "My ID documents and their review",
        TAG,
        response=js.DocumentSchema,
        many=True,
    ),
    Route(
        "POST",
        "/api/v1/me/documents",
        IdentityService.upload_own_document,
        "Upload one of my ID documents",
        TAG,
        body=js.DocumentUploadSchema,
        response=js.DocumentSchema,
        status=201,
        upload=True,
        description="multipart/form-data: `document_type` (photo_id, work_authorization, "
        "proof_of_address, other) and `file` (PDF, PNG or JPEG; at most 10 MB).",
    ),
    Route(
        "GET",
        "/api/v1/me/documents/<document_id>/file",
        IdentityService.download_own_document,
        "Download one of my ID documents",
        TAG,
        download=True,
    ),
    # -- staff: profiles ---------------------------------------------------------------------
    Route(
        "GET",
        "/api/v1/jobseekers",
        IdentityService.list_jobseekers,
        "List the CBO's job seekers (filters and paging)",
        TAG,
        query=js.JobseekerListQuerySchema,
        response=js.JobseekerPageSchema,
        description="Needs jobseekers.read.",
    ),
    Route(
        "GET",
        _ONE,
        IdentityService.get_jobseeker,
        "A job seeker's profile",
        TAG,
        response=js.JobseekerSchema,
        description="Needs jobseekers.read.",
    ),
    Route(
        "PUT",
        _ONE,
        IdentityService.update_jobseeker,
        "Change a job seeker's profile",
        TAG,
        body=js.ProfileUpdateSchema,
        response=js.JobseekerSchema,
        description="Needs jobseekers.manage. Fields left out stay as they are.",
    ),
    # -- staff: documents --------------------------------------------------------------------
    Route(
        "GET",
        _ONE + "/documents",
        IdentityService.list_documents,
        "A job seeker's ID documents",
        TAG,
        response=js.DocumentSchema,
        many=True,
        description="Needs jobseekers.read or jobseekers.approve.",
    ),
    Route(
        "POST",
        _ONE + "/documents",
        IdentityService.upload_document,
        "Upload an ID document for a job seeker",
        TAG,
        body=js.DocumentUploadSchema,
        response=js.DocumentSchema,
        status=201,
        upload=True,
        description="Needs jobseekers.manage. multipart/form-data: `document_type` and `file` "
        "(PDF, PNG or JPEG; at most 10 MB).",
    ),
    Route(
        "GET",
        _DOCUMENT + "/file",
        IdentityService.download_document,
        "Download a job seeker's ID document",
        TAG,
        download=True,
        description="Needs jobseekers.read or jobseekers.approve.",
    ),
    Route(
        "POST",
        _DOCUMENT + "/verify",
        IdentityService.verify_document,
        "Accept an ID document",
        TAG,
        response=js.DocumentSchema,
        description="Needs jobseekers.approve.",
    ),
    Route(
        "POST",
        _DOCUMENT + "/reject",
        IdentityService.reject_document,
        "Reject an ID document, with a reason",
        TAG,
        body=js.JobseekerReasonSchema,
        response=js.DocumentSchema,
        description="Needs jobseekers.approve.",
    ),
    # -- staff: approval ---------------------------------------------------------------------
    Route(
        "POST",
        _ONE + "/approve",
        IdentityService.approve_jobseeker,
        "Approve a job seeker to work under the CBO's brand",
        TAG,
        response=js.JobseekerSchema,
        description="Needs jobseekers.approve. 409 naming the required documents (photo_id, "
        "work_authorization) that are not verified yet.",
    ),
    Route(
        "POST",
        _ONE + "/job-types",
        IdentityService.approve_job_type,
        "Approve a job seeker for a job type",
        TAG,
        body=js.JobTypeApprovalSchema,
        response=js.JobseekerSchema,
        description="Needs jobseekers.approve; the job seeker must be approved.",
    ),
    Route(
        "POST",
        _ONE + "/suspend",
        IdentityService.suspend_jobseeker,
        "Suspend a job seeker, with a reason",
        TAG,
        body=js.JobseekerReasonSchema,
        response=js.JobseekerSchema,
        description="Needs jobseekers.approve. A suspended job seeker is offered no work.",
    ),
    Route(
        "POST",
        _ONE + "/reinstate",
        IdentityService.reinstate_jobseeker,
        "Reinstate a suspended job seeker, with a reason",
        TAG,
        body=js.JobseekerReasonSchema,
        response=js.JobseekerSchema,
        description="Needs jobseekers.approve.",
    ),
    # -- staff: CSV import -------------------------------------------------------------------
    Route(
        "POST",
        "/api/v1/jobseeker-imports",
        IdentityService.start_import,
        "Import job seekers from a CSV file",
        IMPORT_TAG,
        body=js.ImportStartSchema,
        response=js.ImportSchema,
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
        IdentityService.list_imports,
        "The CBO's job-seeker imports, newest first",
        IMPORT_TAG,
        query=js.ImportListQuerySchema,
        response=js.ImportPageSchema,
    ),
    Route(
        "GET",
        "/api/v1/jobseeker-imports/<import_id>",
        IdentityService.get_import,
        "An import's progress, counts and bad rows",
        IMPORT_TAG,
        response=js.ImportSchema,
    ),
    Route(
        "GET",
        "/api/v1/jobseeker-imports/<import_id>/rows",
        IdentityService.list_import_rows,
        "An import's report row by row (failed, updated, skipped)",
        IMPORT_TAG,
        query=js.ImportRowsQuerySchema,
        response=js.ImportRowPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/jobseeker-imports/<import_id>/resume",
        IdentityService.resume_import,
        "Start an interrupted import again where it stopped",
        IMPORT_TAG,
        response=js.ImportSchema,
        status=202,
    ),
)
