"""The permission vocabulary every service checks, and the built-in roles made of it.

Identity resolves an account's roles (built-in or custom per CBO) into permissions when it issues
a token; services only ever check names from this list.
"""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    # Platform operator (the city and its workforce nonprofit).
    "platform.operate": "See platform health, dead letters and every CBO's application.",
    "platform.tenants.approve": "Approve, reject and suspend CBOs; record MOUs.",
    "platform.licences.manage": "Grant and end feature licences.",
    "platform.reports.read": "Read platform-wide reports.",
    # A CBO's own settings.
    "tenant.settings.manage": "Change branding, words, languages and the login box.",
    "tenant.staff.manage": "Register staff and give them roles; define custom roles.",
    "tenant.audit.read": "Read the audit trail.",
    "tenant.partnerships.manage": "Propose, accept and end partnerships.",
    "tenant.sources.manage": "Manage worker sources and their rules.",
    # People.
    "jobseekers.read": "See job seekers and their profiles.",
    "jobseekers.manage": "Register and edit job seekers; import them.",
    "jobseekers.approve": "Verify ID documents; approve, suspend and reinstate job seekers.",
    "clients.read": "See client organisations.",
    "clients.manage": "Register and edit clients and their users; import them.",
    # Work.
    "bookings.read": "See bookings and the market.",
    "bookings.manage": "Book, cancel and intervene in the market.",
    "timesheets.approve": "Approve timesheets and fix visit exceptions.",
    "payroll.run": "Run payroll and invoices; export them.",
    "reports.read": "Read the CBO's reports and downloads.",
    "reports.schedule": "Create, change and delete the scheduled deliveries of reports.",
    # Self-service for job seekers and client users.
    "self.profile": "Read and change one's own profile.",
    "self.work": "See, confirm and decline one's own offers; clock in and out.",
    "self.book": "Book workers for one's own client organisation.",
}

_CBO_PERMISSIONS = frozenset(p for p in PERMISSIONS if not p.startswith(("platform.", "self.")))
# What a CBO may put in its custom roles: never the platform operator's powers.
CBO_PERMISSIONS = _CBO_PERMISSIONS

BUILTIN_ROLES: dict[str, frozenset[str]] = {
    "operator": frozenset(p for p in PERMISSIONS if p.startswith("platform.")),
    "owner": _CBO_PERMISSIONS,
    "admin": _CBO_PERMISSIONS - {"tenant.staff.manage"},
    "approver": frozenset({"jobseekers.read", "jobseekers.approve", "clients.read"}),
    "scheduler": frozenset({"jobseekers.read", "clients.read", "bookings.read", "bookings.manage"}),
    "finance": frozenset(
        {
            "clients.read",
            "bookings.read",
            "timesheets.approve",
            "payroll.run",
            "reports.read",
            "reports.schedule",
        }
    ),
    "viewer": frozenset({"jobseekers.read", "clients.read", "bookings.read", "reports.read"}),
    "jobseeker": frozenset({"self.profile", "self.work"}),
    "client": frozenset({"self.profile", "self.book", "bookings.read"}),
}


# The built-in roles a CBO may give its staff (job seekers and client users have their own).
STAFF_ROLES: tuple[str, ...] = ("owner", "admin", "approver", "scheduler", "finance", "viewer")


def permissions_for(
    roles: list[str] | tuple[str, ...], custom: dict[str, frozenset[str]] | None = None
) -> frozenset[str]:
    found: set[str] = set()
    for role in roles:
        found |= BUILTIN_ROLES.get(role) or (custom or {}).get(role, frozenset())
    return frozenset(found)
