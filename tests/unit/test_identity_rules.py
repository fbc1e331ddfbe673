"""Identity's pure rules, table by table: no broker, no database. Every function of
services/identity/{accounts,staff,jobseekers,sessions}/rules.py, every status and every kind of
link."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from chassis.context import Caller
from chassis.contracts.permissions import BUILTIN_ROLES, CBO_PERMISSIONS
from chassis.errors import Forbidden
from services.identity.accounts import rules as accounts
from services.identity.jobseekers import rules as jobseekers
from services.identity.sessions import rules as sessions
from services.identity.staff import rules as staff

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


# -- accounts: what an account may do ----------------------------------------------------------

PAYROLL = {"payroller": frozenset({"payroll.run", "platform.operate"})}


@pytest.mark.parametrize(
    ("kind", "roles", "custom", "expected"),
    [
        ("staff", ["viewer"], {}, BUILTIN_ROLES["viewer"]),
        ("staff", ["viewer", "approver"], {}, BUILTIN_ROLES["viewer"] | BUILTIN_ROLES["approver"]),
        ("staff", ["owner"], {}, CBO_PERMISSIONS),
        # The platform's powers never reach a CBO's people, whatever their roles say.
        ("staff", ["operator", "viewer"], {}, BUILTIN_ROLES["viewer"]),
        ("staff", ["payroller"], PAYROLL, {"payroll.run"}),
        ("client", ["client"], {}, BUILTIN_ROLES["client"]),
        ("jobseeker", ["jobseeker"], {}, {"self.profile", "self.work"}),
        ("operator", ["operator"], {}, BUILTIN_ROLES["operator"]),
        ("staff", ["no-such-role"], {}, frozenset()),
        ("staff", [], {}, frozenset()),
    ],
)
def test_an_accounts_permissions(kind, roles, custom, expected):
    assert accounts.account_permissions(kind, roles, custom) == frozenset(expected)


# -- accounts: failed sign-ins -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tenant_id", "email", "key"),
    [
        ("t1", "ana@example.org", "t1:ana@example.org"),
        ("t1", " Ana@Example.ORG ", "t1:ana@example.org"),
        ("t2", "ana@example.org", "t2:ana@example.org"),  # another CBO, another count
        (None, "op@city.org", "-:op@city.org"),  # the city's own accounts
    ],
)
def test_failed_sign_ins_are_counted_per_email_within_its_cbo(tenant_id, email, key):
    assert accounts.sign_in_key(tenant_id, email) == key


@pytest.mark.parametrize(
    ("minutes_ago", "locked_for"),
    [
        ((), None),
        ((1, 2, 3, 4), None),  # four failures
        ((1, 2, 3, 4, 10), 5),  # five: until the oldest of them is 15 minutes old
        ((0, 0, 0, 0, 0), 15),
        ((1, 2, 3, 4, 15), None),  # one fell out of the window
        ((1, 2, 3, 4, 14, 20), 1),  # only those within the window count
        ((1, 2, 3, 4, 5, 6, 7), 10),  # the fifth newest decides
        ((-1, 1, 2, 3, 4), 11),  # one in the future (clocks) counts too
    ],
)
def test_five_failures_within_fifteen_minutes_lock_an_email(minutes_ago, locked_for):
    failures = [NOW - timedelta(minutes=m) for m in minutes_ago]
    until = accounts.locked_until(failures, NOW)
    assert until == (None if locked_for is None else NOW + timedelta(minutes=locked_for))


def test_the_lock_is_five_failures_in_fifteen_minutes():
    assert (5, timedelta(minutes=15)) == (accounts.MAX_FAILED_SIGN_INS, accounts.LOCK_WINDOW)


# -- accounts: emailed links -------------------------------------------------------------------

# purpose: (the links it closes when used or sent again, how long it lasts, the page it opens)
LINKS = {
    accounts.INVITATION: (accounts.ACTIVATION_LINKS, timedelta(days=7), "accept-invitation"),
    accounts.EMAIL_CONFIRMATION: (accounts.ACTIVATION_LINKS, timedelta(days=7), "confirm-email"),
    accounts.PASSWORD_RESET: (accounts.RESET_LINKS, timedelta(hours=1), "reset-password"),
    accounts.REGISTRATION_NOTICE: (accounts.RESET_LINKS, timedelta(hours=1), "reset-password"),
}


@pytest.mark.parametrize("purpose", sorted(LINKS))
def test_each_kind_of_link(purpose):
    closes, lifetime, page = LINKS[purpose]
    assert purpose in closes
    assert accounts.links_like(purpose) == closes
    assert accounts.link_lifetime(purpose) == lifetime
    assert accounts.link_page(purpose) == page


def test_links_that_activate_and_links_that_reset_are_apart():
    assert set(accounts.ACTIVATION_LINKS) == {"invitation", "email_confirmation"}
    assert set(accounts.RESET_LINKS) == {"password_reset", "registration_notice"}
    assert not set(accounts.ACTIVATION_LINKS) & set(accounts.RESET_LINKS)


# -- staff: holding what one gives -------------------------------------------------------------

AVAILABLE = {
    "viewer": frozenset({"jobseekers.read", "reports.read"}),
    "hr": frozenset({"tenant.staff.manage", "jobseekers.read"}),
}


@pytest.mark.parametrize(
    ("roles", "held"),
    [
        ([], set()),
        (["viewer"], {"jobseekers.read", "reports.read"}),
        (["viewer", "hr"], {"jobseekers.read", "reports.read", "tenant.staff.manage"}),
        (["hr", "unknown"], {"tenant.staff.manage", "jobseekers.read"}),
    ],
)
def test_what_a_set_of_roles_holds(roles, held):
    assert staff.permissions_of_roles(roles, AVAILABLE) == held


HR = Caller(kind="staff", user_id="u", tenant_id="t", permissions=frozenset({"a", "b"}))
IDENTITY = Caller.system(service="identity", tenant_id="t").received_by("identity")
BOOKING_IN_IDENTITY = Caller.system(service="booking", tenant_id="t").received_by("identity")
IDENTITY_ELSEWHERE = Caller.system(service="identity", tenant_id="t").received_by("booking")


@pytest.mark.parametrize(
    ("caller", "permissions", "missing"),
    [
        (HR, set(), None),
        (HR, {"a"}, None),
        (HR, {"a", "b"}, None),
        (HR, {"a", "d", "c"}, "c, d"),  # named in order
        (IDENTITY, {"anything"}, None),  # identity's own system is bound by nothing
        (BOOKING_IN_IDENTITY, {"anything"}, "anything"),  # another service's is no exception
        (IDENTITY_ELSEWHERE, {"anything"}, "anything"),
        (Caller(), {"a"}, "a"),
    ],
)
def test_nobody_gives_or_touches_what_they_do_not_hold(caller, permissions, missing):
    if missing is None:
        staff.check_holds(caller, permissions, "No")
    else:
        with pytest.raises(Forbidden) as refused:
            staff.check_holds(caller, permissions, "No")
        assert refused.value.message == f"No: {missing}."


# -- job seekers: approval, reinstatement, eligibility -----------------------------------------

PENDING, APPROVED, SUSPENDED = jobseekers.PENDING, jobseekers.APPROVED, jobseekers.SUSPENDED


@pytest.mark.parametrize(
    ("status", "missing", "problem"),
    [
        (PENDING, [], None),
        (PENDING, ["photo_id"], "These documents must be verified first: photo_id."),
        (
            PENDING,
            ["photo_id", "work_authorization"],
            "These documents must be verified first: photo_id, work_authorization.",
        ),
        (APPROVED, [], "This job seeker is already approved."),
        (APPROVED, ["photo_id"], "This job seeker is already approved."),
        (SUSPENDED, [], "This job seeker is suspended; reinstate them instead."),
        (SUSPENDED, ["photo_id"], "This job seeker is suspended; reinstate them instead."),
    ],
)
def test_approval_needs_a_pending_jobseeker_with_every_required_document_verified(
    status, missing, problem
):
    assert jobseekers.approval_problem(status, missing) == problem


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        (PENDING, "Approve the job seeker first."),
        (APPROVED, None),
        (SUSPENDED, "Approve the job seeker first (they are suspended)."),
    ],
)
def test_a_job_type_is_approved_only_for_an_approved_jobseeker(status, problem):
    assert jobseekers.job_type_approval_problem(status) == problem


def test_every_status_has_its_rule():
    assert set(jobseekers.STATUSES) == {PENDING, APPROVED, SUSPENDED}
    assert jobseekers.DEFAULT_REQUIRED_DOCUMENTS == ("photo_id", "work_authorization")


@pytest.mark.parametrize(("approved_at", "status"), [(NOW, APPROVED), (None, PENDING)])
def test_reinstating_restores_approved_only_for_somebody_approved_before(approved_at, status):
    assert jobseekers.status_after_reinstatement(approved_at) == status


NOT_APPROVED = "The job seeker is not approved yet."
NOT_FOR_IT = "The job seeker is not approved for home_care."
IS_SUSPENDED = "The job seeker is suspended."
ELIGIBILITY = {
    (None, False): ["There is no such job seeker in this CBO."],
    (None, True): ["There is no such job seeker in this CBO."],
    (PENDING, False): [NOT_APPROVED, NOT_FOR_IT],
    (PENDING, True): [NOT_APPROVED],
    (APPROVED, False): [NOT_FOR_IT],
    (APPROVED, True): [],
    (SUSPENDED, False): [IS_SUSPENDED, NOT_FOR_IT],
    (SUSPENDED, True): [IS_SUSPENDED],
}


@pytest.mark.parametrize(
    ("status", "approved_for_job_type"),
    list(itertools.product([None, *jobseekers.STATUSES], [False, True])),
)
def test_only_an_approved_jobseeker_approved_for_the_job_type_is_eligible(
    status, approved_for_job_type
):
    reasons = jobseekers.ineligibility_reasons(
        status, approved_for_job_type=approved_for_job_type, job_type="home_care"
    )
    assert reasons == ELIGIBILITY[(status, approved_for_job_type)]


# -- job seekers: availability slots -----------------------------------------------------------


@pytest.mark.parametrize(
    ("time", "minutes"),
    [("00:00", 0), ("00:01", 1), ("09:30", 570), ("23:59", 1439), ("24:00", 1440)],
)
def test_a_time_in_minutes_since_midnight(time, minutes):
    assert jobseekers.minutes(time) == minutes


def slots(*spans: str) -> list[dict]:
    return [{"start": s.split("-")[0], "end": s.split("-")[1]} for s in spans]


@pytest.mark.parametrize(
    ("given", "overlaps"),
    [
        ([], []),
        (["08:00-12:00"], []),
        (["08:00-12:00", "12:00-16:00"], []),  # touching is fine
        (["12:00-16:00", "08:00-12:01"], ["08:00-12:01 overlaps 12:00-16:00."]),
        (["08:00-18:00", "09:00-10:00"], ["08:00-18:00 overlaps 09:00-10:00."]),
        (
            ["08:00-10:00", "09:00-11:00", "10:30-12:00"],
            ["08:00-10:00 overlaps 09:00-11:00.", "09:00-11:00 overlaps 10:30-12:00."],
        ),
        (["22:00-24:00", "23:00-23:30"], ["22:00-24:00 overlaps 23:00-23:30."]),
    ],
)
def test_slots_that_cross_overlap(given, overlaps):
    assert jobseekers.slot_overlaps(slots(*given)) == overlaps


@pytest.mark.parametrize(
    ("given", "ordered"),
    [
        ([], []),
        (["13:00-17:00", "08:00-12:00"], ["08:00-12:00", "13:00-17:00"]),
        (["10:00-24:00"], ["10:00-24:00"]),
    ],
)
def test_slots_are_kept_in_time_order_with_only_their_times(given, ordered):
    extra = [{**slot, "note": "x"} for slot in slots(*given)]
    assert jobseekers.sorted_slots(extra) == slots(*ordered)


# -- sessions ----------------------------------------------------------------------------------

STANDS = {
    "account_found": True,
    "account_active": True,
    "current": 2,
    "presented": 2,
    "ended_because": "roles_changed",
}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, None),
        ({"account_found": False}, sessions.NO_ACCOUNT),
        ({"account_found": False, "account_active": False}, sessions.NO_ACCOUNT),
        ({"account_active": False}, sessions.INACTIVE),
        ({"account_active": False, "presented": 1}, sessions.INACTIVE),
        ({"presented": 1}, sessions.ENDED_BECAUSE["roles_changed"]),
        ({"presented": 3}, sessions.ENDED_BECAUSE["roles_changed"]),  # from no generation
        ({"presented": 1, "ended_because": "deactivated"}, sessions.ENDED_BECAUSE["deactivated"]),
        (
            {"presented": 1, "ended_because": "password_reset"},
            "Your password was reset; sign in with the new one.",
        ),
        ({"presented": 1, "ended_because": "role_updated"}, sessions.ENDED_BECAUSE["role_updated"]),
        ({"presented": 1, "ended_because": ""}, sessions.ENDED),
        ({"presented": 1, "ended_because": "no-such-reason"}, sessions.ENDED),
    ],
)
def test_a_session_stands_only_for_an_active_account_at_its_current_generation(overrides, message):
    assert sessions.void_because(**{**STANDS, **overrides}) == message


@pytest.mark.parametrize(
    ("tenant_id", "projected", "status"),
    [
        (None, None, None),  # the operator belongs to no CBO
        ("t1", "active", "approved"),
        ("t1", "suspended", "suspended"),
        ("t1", None, "unknown"),  # not heard of yet: refused writes like a suspension
        ("t1", "something-new", "unknown"),
    ],
)
def test_a_cbos_status_for_the_session_check(tenant_id, projected, status):
    assert sessions.cbo_status(tenant_id=tenant_id, projected=projected) == status
