"""The identity service: its area mixins composed into one nameko service, and its dependencies.

The entrypoints live in each area's entrypoints.py (accounts, staff, jobseekers,
jobseeker_imports, audit, tenants, sessions); nothing is defined here but what they need.
"""

from __future__ import annotations

from chassis.jobs import JobRunner, JobStarter
from chassis.mail import Mail, Mailer
from chassis.rpc import ServiceCaller, Services
from chassis.service import ServiceBase
from services.identity.accounts.entrypoints import AccountsEntrypoints
from services.identity.audit.entrypoints import AuditEntrypoints
from services.identity.jobseeker_imports.domain import IMPORT_JOB
from services.identity.jobseeker_imports.entrypoints import JobseekerImportsEntrypoints
from services.identity.jobseekers.entrypoints import JobseekersEntrypoints
from services.identity.sessions.entrypoints import SessionsEntrypoints
from services.identity.staff.entrypoints import StaffEntrypoints
from services.identity.tenants.entrypoints import TenantsEntrypoints


class IdentityService(
    AccountsEntrypoints,
    StaffEntrypoints,
    JobseekersEntrypoints,
    JobseekerImportsEntrypoints,
    AuditEntrypoints,
    TenantsEntrypoints,
    SessionsEntrypoints,
    ServiceBase,
):
    name = "identity"

    mail: Mailer = Mail()  # type: ignore[assignment]
    # Runs job-seeker imports after the request that queued them, and resumes any left behind.
    imports: JobStarter = JobRunner(IMPORT_JOB)  # type: ignore[assignment]
    # Asked for a client or worker source a caller names before its event reaches identity.
    services: ServiceCaller = Services()  # type: ignore[assignment]
