"""The identity service: its area mixins composed into one nameko service, and its dependencies.

The entrypoints live in each area's entrypoints.py (accounts, staff, jobseekers,
jobseeker_imports, audit, tenants); nothing is defined here but what they need.
"""

from __future__ import annotations

from chassis.mail import Mail, Mailer
from chassis.rpc import ServiceCaller, Services
from chassis.service import ServiceBase
from services.identity.accounts.entrypoints import AccountsEntrypoints
from services.identity.audit.entrypoints import AuditEntrypoints
from services.identity.jobseeker_imports.entrypoints import JobseekerImportsEntrypoints
from services.identity.jobseeker_imports.runner import ImportRunner
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
    imports = ImportRunner()
    # Asked for a client or worker source a caller names before its event reaches identity.
    services: ServiceCaller = Services()  # type: ignore[assignment]
