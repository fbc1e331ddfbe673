"""The job seekers area's routes: registration, profile, documents, approval and suspension."""

from __future__ import annotations

from chassis.routes import Route
from chassis.schemas import ReasonSchema
from services.identity.accounts.schemas import AcceptedSchema
from services.identity.jobseekers import schemas as js
from services.identity.jobseekers.entrypoints import JobseekersEntrypoints

TAG = "Job seekers"
_ONE = "/api/v1/jobseekers/<jobseeker_id>"
_DOCUMENT = _ONE + "/documents/<document_id>"

ROUTES: tuple[Route, ...] = (
    # -- registration --------------------------------------------------------------------------
    Route(
        "POST",
        "/api/v1/cbos/<slug>/jobseekers",
        JobseekersEntrypoints.register_self,
        "Register as a job seeker of a CBO (its site or login box)",
        TAG,
        body=js.SelfRegistrationSchema,
        response=AcceptedSchema,
        status=202,
        auth=False,
        origin_checked=True,
        errors=(404, 409),
        description="Public. The CBO comes from its slug in the path. Called from another "
        "site, that site's origin must be one the CBO allows. Always answers 202 (after the "
        "input is checked), whether or not the email is already registered, so nobody learns "
        "who is: a new person is emailed a link to confirm their address "
        "(POST /api/v1/auth/email-confirmation) and can sign in after that; the owner of an "
        "email already registered is emailed a notice with a password-reset link instead. "
        "Job seekers are offered no work until staff approve them.",
    ),
    Route(
        "POST",
        "/api/v1/jobseekers",
        JobseekersEntrypoints.register_jobseeker,
        "Register a job seeker (staff); they are invited to set a password",
        TAG,
        body=js.StaffRegistrationSchema,
        response=js.JobseekerSchema,
        status=201,
        description="Needs jobseekers.manage.",
        errors=(409,),
    ),
    # -- the job seeker's own profile and documents ------------------------------------------
    Route(
        "GET",
        "/api/v1/me/jobseeker-profile",
        JobseekersEntrypoints.get_own_profile,
        "My job-seeker profile",
        TAG,
        response=js.JobseekerSchema,
        description="Needs self.profile (job seekers).",
        errors=(404,),
    ),
    Route(
        "PUT",
        "/api/v1/me/jobseeker-profile",
        JobseekersEntrypoints.update_own_profile,
        "Change my job-seeker profile (contact, languages, skills, availability…)",
        TAG,
        body=js.ProfileUpdateSchema,
        response=js.JobseekerSchema,
        description="Fields left out stay as they are. Availability: weekly slots per weekday "
        "(local times, HH:MM, not overlapping) plus exceptions on dates.",
        errors=(404, 409),
    ),
    Route(
        "GET",
        "/api/v1/me/documents",
        JobseekersEntrypoints.list_own_documents,
        "My ID documents and their review",
        TAG,
        query=js.DocumentQuerySchema,
        response=js.DocumentPageSchema,
        errors=(404,),
    ),
    Route(
        "POST",
        "/api/v1/me/documents",
        JobseekersEntrypoints.upload_own_document,
        "Upload one of my ID documents",
        TAG,
        body=js.DocumentUploadSchema,
        response=js.DocumentSchema,
        status=201,
        upload=True,
        description="multipart/form-data: `document_type` (photo_id, work_authorization, "
        "proof_of_address, other) and `file` (PDF, PNG or JPEG; at most 10 MB).",
        errors=(404,),
    ),
    Route(
        "GET",
        "/api/v1/me/documents/<document_id>/file",
        JobseekersEntrypoints.download_own_document,
        "Download one of my ID documents",
        TAG,
        download=True,
    ),
    # -- staff: profiles ---------------------------------------------------------------------
    Route(
        "GET",
        "/api/v1/jobseekers",
        JobseekersEntrypoints.list_jobseekers,
        "List the CBO's job seekers (filters and paging)",
        TAG,
        query=js.JobseekerListQuerySchema,
        response=js.JobseekerPageSchema,
        description="Needs jobseekers.read.",
    ),
    Route(
        "GET",
        _ONE,
        JobseekersEntrypoints.get_jobseeker,
        "A job seeker's profile",
        TAG,
        response=js.JobseekerSchema,
        description="Needs jobseekers.read.",
    ),
    Route(
        "PUT",
        _ONE,
        JobseekersEntrypoints.update_jobseeker,
        "Change a job seeker's profile",
        TAG,
        body=js.ProfileUpdateSchema,
        response=js.JobseekerSchema,
        description="Needs jobseekers.manage. Fields left out stay as they are.",
        errors=(409,),
    ),
    # -- staff: documents --------------------------------------------------------------------
    Route(
        "GET",
        _ONE + "/documents",
        JobseekersEntrypoints.list_documents,
        "A job seeker's ID documents",
        TAG,
        query=js.DocumentQuerySchema,
        response=js.DocumentPageSchema,
        description="Needs jobseekers.read or jobseekers.approve.",
    ),
    Route(
        "POST",
        _ONE + "/documents",
        JobseekersEntrypoints.upload_document,
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
        JobseekersEntrypoints.download_document,
        "Download a job seeker's ID document",
        TAG,
        download=True,
        description="Needs jobseekers.read or jobseekers.approve.",
    ),
    Route(
        "POST",
        _DOCUMENT + "/verify",
        JobseekersEntrypoints.verify_document,
        "Accept an ID document",
        TAG,
        response=js.DocumentSchema,
        description="Needs jobseekers.approve.",
        errors=(409,),
    ),
    Route(
        "POST",
        _DOCUMENT + "/reject",
        JobseekersEntrypoints.reject_document,
        "Reject an ID document, with a reason",
        TAG,
        body=ReasonSchema,
        response=js.DocumentSchema,
        description="Needs jobseekers.approve.",
        errors=(409,),
    ),
    # -- staff: approval ---------------------------------------------------------------------
    Route(
        "POST",
        _ONE + "/approve",
        JobseekersEntrypoints.approve_jobseeker,
        "Approve a job seeker to work under the CBO's brand",
        TAG,
        response=js.JobseekerSchema,
        description="Needs jobseekers.approve. 409 naming the required documents (photo_id, "
        "work_authorization) that are not verified yet.",
        errors=(409,),
    ),
    Route(
        "POST",
        _ONE + "/job-types",
        JobseekersEntrypoints.approve_job_type,
        "Approve a job seeker for a job type",
        TAG,
        body=js.JobTypeApprovalSchema,
        response=js.JobseekerSchema,
        description="Needs jobseekers.approve; the job seeker must be approved.",
        errors=(409,),
    ),
    Route(
        "POST",
        _ONE + "/suspend",
        JobseekersEntrypoints.suspend_jobseeker,
        "Suspend a job seeker, with a reason",
        TAG,
        body=ReasonSchema,
        response=js.JobseekerSchema,
        description="Needs jobseekers.approve. A suspended job seeker is offered no work.",
        errors=(409,),
    ),
    Route(
        "POST",
        _ONE + "/reinstate",
        JobseekersEntrypoints.reinstate_jobseeker,
        "Reinstate a suspended job seeker, with a reason",
        TAG,
        body=ReasonSchema,
        response=js.JobseekerSchema,
        description="Needs jobseekers.approve.",
        errors=(409,),
    ),
)
