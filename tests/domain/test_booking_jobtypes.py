"""Job types on booking's real database: keys, rates, names taken once, events and audit
entries, deactivation, and who sees a client-exclusive job type (its client's users and the
CBO's staff; to another client's users, and to another CBO, it does not exist)."""

from __future__ import annotations

import pytest

from chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.booking.jobtypes import domain
from services.booking.jobtypes.schemas import JobTypeUpdateSchema
from tests.domain.outbox import Outbox
from tests.factories import jobseeker_caller, staff_caller
from tests.market.builders import a_cbo_record, a_client_record
from tests.market.catalogue import client_caller, made_job_type

SERVICE = "booking"

PAGE = {"page": 1, "per_page": 50, "sort": "name"}


@pytest.fixture
def cbo(uow):
    """A CBO with two clients, A and B; a CBO-wide job type and one exclusive to A."""
    tenant_id = a_cbo_record(uow).tenant_id
    client_a = a_client_record(uow, tenant_id=tenant_id, name="Client A").id
    client_b = a_client_record(uow, tenant_id=tenant_id, name="Client B").id
    general = made_job_type(uow, tenant_id=tenant_id, name="Server")
    exclusive = made_job_type(
        uow,
        tenant_id=tenant_id,
        name="Harbor Crane Spotter",
        client_id=client_a,
        requirements="OSHA 10 card",
        pay_rate_cents=3100,
        bill_rate_cents=4500,
    )

    class Cbo:
        id = tenant_id
        a, b = client_a, client_b
        staff = staff_caller(tenant_id)
        user_a = client_caller(tenant_id, client_a)
        user_b = client_caller(tenant_id, client_b)

    Cbo.general, Cbo.exclusive = general, exclusive
    return Cbo


def update(uow, caller, job_type, **changes):
    return domain.update_job_type(
        uow,
        caller=caller,
        tenant_id=caller.tenant_id,
        job_type_id=job_type.id,
        data=JobTypeUpdateSchema().load(changes),
    )


def listed(uow, caller, **filters) -> list[str]:
    found = domain.list_job_types(
        uow, caller=caller, tenant_id=caller.tenant_id, **{**PAGE, **filters}
    )
    return [job_type.name for job_type in found["items"]]


# -- creating --------------------------------------------------------------------------------


def test_a_job_type_is_created_with_a_key_from_its_name_its_event_and_audit_entry(uow):
    tenant_id = a_cbo_record(uow).tenant_id
    owner = staff_caller(tenant_id)
    sent = Outbox(uow)
    job_type = made_job_type(
        uow,
        tenant_id=tenant_id,
        caller=owner,
        name=" Forklift Operator ",
        required_skills=["Forklift", "forklift ", "Lifting"],
        needs_approval=True,
        min_shift_minutes=240,
    )
    assert (job_type.key, job_type.name) == ("forklift-operator", "Forklift Operator")
    assert job_type.required_skills == ["forklift", "lifting"]
    assert (job_type.client_id, job_type.fixed_pay_rate, job_type.active) == (None, False, True)
    assert sent.types() == ["jobtype.created", "audit.recorded"]
    assert sent.one("jobtype.created")["data"] == {
        "job_type_id": job_type.id,
        "key": "forklift-operator",
        "name": "Forklift Operator",
        "client_id": None,
        "needs_approval": True,
        "pay_rate_cents": 2000,
        "bill_rate_cents": 2800,
        "min_shift_minutes": 240,
        "active": True,
        "required_skills": ["forklift", "lifting"],
    }
    assert sent.one("jobtype.created")["tenant_id"] == tenant_id
    [trail] = sent.audit()
    assert (trail["action"], trail["entity_type"], trail["entity_id"]) == (
        "jobtype.create",
        "job_type",
        job_type.id,
    )
    assert trail["actor_id"] == owner.user_id
    assert trail["after"]["required_skills"] == ["forklift", "lifting"]
    assert trail["after"]["key"] == "forklift-operator"


def test_a_given_key_is_kept_and_a_taken_one_is_a_conflict_naming_it(uow):
    tenant_id = a_cbo_record(uow).tenant_id
    made_job_type(uow, tenant_id=tenant_id, name="Home care", key="home_care")
    with pytest.raises(Conflict) as taken:
        made_job_type(uow, tenant_id=tenant_id, name="Home care aide", key="home_care")
    assert set(taken.value.fields) == {"key"}
    # Another CBO may use the same key and name.
    other = made_job_type(
        uow, tenant_id=a_cbo_record(uow).tenant_id, name="Home care", key="home_care"
    )
    assert other.key == "home_care"


def test_a_name_is_used_once_per_cbo_in_any_case(uow):
    tenant_id = a_cbo_record(uow).tenant_id
    made_job_type(uow, tenant_id=tenant_id, name="Cook")
    sent = Outbox(uow)
    with pytest.raises(Conflict) as taken:
        made_job_type(uow, tenant_id=tenant_id, name="COOK", key="cook-two")
    assert set(taken.value.fields) == {"name"}
    assert sent.types() == []


def test_a_derived_key_that_is_taken_gets_a_number(uow):
    tenant_id = a_cbo_record(uow).tenant_id
    first = made_job_type(uow, tenant_id=tenant_id, name="Cook!")
    second = made_job_type(uow, tenant_id=tenant_id, name="Cook?")
    third = made_job_type(uow, tenant_id=tenant_id, name="cook.")
    assert [first.key, second.key, third.key] == ["cook", "cook-2", "cook-3"]


def test_a_name_with_nothing_latin_in_it_gets_a_plain_key(uow):
    tenant_id = a_cbo_record(uow).tenant_id
    first = made_job_type(uow, tenant_id=tenant_id, name="អ្នកបម្រើ")
    second = made_job_type(uow, tenant_id=tenant_id, name="អ្នកចម្អិន")
    assert [first.key, second.key] == ["job-type", "job-type-2"]


def test_an_exclusive_job_type_has_its_clients_requirements_and_a_fixed_pay_rate(uow, cbo):
    job_type = cbo.exclusive
    assert (job_type.client_id, job_type.requirements) == (cbo.a, "OSHA 10 card")
    assert job_type.fixed_pay_rate and (job_type.pay_rate_cents, job_type.bill_rate_cents) == (
        3100,
        4500,
    )


@pytest.mark.parametrize("which", ["unknown", "other cbo", "inactive"])
def test_an_exclusive_job_type_needs_an_active_client_of_the_cbo(uow, which):
    tenant_id = a_cbo_record(uow).tenant_id
    if which == "unknown":
        client_id = "no-such-client"
    elif which == "other cbo":
        client_id = a_client_record(uow, tenant_id=a_cbo_record(uow).tenant_id).id
    else:
        client = a_client_record(uow, tenant_id=tenant_id)
        client.active = False
        client_id = client.id
    sent = Outbox(uow)
    with pytest.raises(ValidationFailed) as refused:
        made_job_type(uow, tenant_id=tenant_id, client_id=client_id)
    assert set(refused.value.fields) == {"client_id"}
    assert sent.types() == []


@pytest.mark.parametrize(
    "caller_of",
    [
        lambda t, c: staff_caller(t, role="viewer"),
        lambda t, c: staff_caller(t, permissions=["bookings.read"]),
        lambda t, c: client_caller(t, c),
        lambda t, c: client_caller(t, c, permissions=["bookings.manage", "self.book"]),
        lambda t, c: jobseeker_caller(t, permissions=["bookings.manage"]),
    ],
    ids=["viewer", "reader", "client user", "client user claiming manage", "job seeker"],
)
def test_only_staff_who_manage_bookings_create_or_change_job_types(uow, cbo, caller_of):
    caller = caller_of(cbo.id, cbo.a)
    sent = Outbox(uow)
    with pytest.raises(Forbidden):
        made_job_type(uow, tenant_id=cbo.id, caller=caller)
    with pytest.raises(Forbidden):
        update(uow, caller, cbo.exclusive, name="Taken over")
    with pytest.raises(Forbidden):
        domain.deactivate_job_type(uow, caller=caller, tenant_id=cbo.id, job_type_id=cbo.general.id)
    assert sent.types() == []
    assert cbo.exclusive.name == "Harbor Crane Spotter" and cbo.general.active


# -- who sees what ---------------------------------------------------------------------------


def test_staff_see_every_job_type_of_their_cbo(uow, cbo):
    assert listed(uow, cbo.staff) == ["Harbor Crane Spotter", "Server"]
    for job_type in (cbo.general, cbo.exclusive):
        found = domain.read_job_type(
            uow, caller=cbo.staff, tenant_id=cbo.id, job_type_id=job_type.id
        )
        assert found.id == job_type.id
    viewer = staff_caller(cbo.id, role="viewer")
    assert listed(uow, viewer) == ["Harbor Crane Spotter", "Server"]


def test_a_clients_user_sees_the_cbo_wide_job_types_and_their_own_clients(uow, cbo):
    assert listed(uow, cbo.user_a) == ["Harbor Crane Spotter", "Server"]
    found = domain.read_job_type(
        uow, caller=cbo.user_a, tenant_id=cbo.id, job_type_id=cbo.exclusive.id
    )
    assert found.id == cbo.exclusive.id
    reader = client_caller(cbo.id, cbo.a, permissions=["bookings.read"])
    assert listed(uow, reader) == ["Harbor Crane Spotter", "Server"]


def test_to_another_clients_user_an_exclusive_job_type_does_not_exist(uow, cbo):
    assert listed(uow, cbo.user_b) == ["Server"]
    assert listed(uow, cbo.user_b, q="crane") == []
    assert listed(uow, cbo.user_b, exclusive=True) == []
    with pytest.raises(NotFound):
        domain.read_job_type(uow, caller=cbo.user_b, tenant_id=cbo.id, job_type_id=cbo.exclusive.id)
    for filters in ({"client_id": cbo.a}, {"for_client": cbo.a}):
        with pytest.raises(NotFound):
            listed(uow, cbo.user_b, **filters)
    # Their own client's filter is fine, and holds none of A's.
    assert listed(uow, cbo.user_b, for_client=cbo.b) == ["Server"]
    assert listed(uow, cbo.user_b, client_id=cbo.b) == []


def test_another_cbos_people_see_nothing(uow, cbo):
    other = a_cbo_record(uow).tenant_id
    stranger = staff_caller(other)
    assert listed(uow, stranger) == []
    for job_type in (cbo.general, cbo.exclusive):
        with pytest.raises(NotFound):
            domain.read_job_type(uow, caller=stranger, tenant_id=other, job_type_id=job_type.id)
        with pytest.raises(NotFound):
            update(uow, stranger, job_type, name="Stolen")
        with pytest.raises(NotFound):
            domain.deactivate_job_type(
                uow, caller=stranger, tenant_id=other, job_type_id=job_type.id
            )
    # Even a client user there who names client A's id.
    lookalike = client_caller(other, cbo.a)
    assert listed(uow, lookalike) == []
    with pytest.raises(NotFound):
        domain.read_job_type(uow, caller=lookalike, tenant_id=other, job_type_id=cbo.exclusive.id)


@pytest.mark.parametrize(
    "caller_of",
    [
        lambda t, c: staff_caller(t, permissions=["bookings.manage"]),
        lambda t, c: staff_caller(t, permissions=["self.book"]),
        lambda t, c: staff_caller(t, role="approver"),
        lambda t, c: client_caller(t, c, permissions=["self.profile"]),
        lambda t, c: client_caller(t, None),
        lambda t, c: jobseeker_caller(t, permissions=["bookings.read", "self.book"]),
    ],
    ids=["manager only", "staff claiming self.book", "approver", "client", "no client", "seeker"],
)
def test_who_may_not_read_job_types(uow, cbo, caller_of):
    caller = caller_of(cbo.id, cbo.a)
    with pytest.raises(Forbidden):
        listed(uow, caller)
    with pytest.raises(Forbidden):
        domain.read_job_type(uow, caller=caller, tenant_id=cbo.id, job_type_id=cbo.general.id)


# -- lists -----------------------------------------------------------------------------------


def test_the_list_filters_searches_sorts_and_pages(uow, cbo):
    made_job_type(uow, tenant_id=cbo.id, name="B's own", client_id=cbo.b, key="b_own")
    retired = made_job_type(uow, tenant_id=cbo.id, name="Usher", description="Front of house")
    domain.deactivate_job_type(uow, caller=cbo.staff, tenant_id=cbo.id, job_type_id=retired.id)
    everything = ["B's own", "Harbor Crane Spotter", "Server", "Usher"]
    assert listed(uow, cbo.staff) == everything
    assert listed(uow, cbo.staff, sort="-name") == everything[::-1]
    assert listed(uow, cbo.staff, sort="key") == [
        "B's own",
        "Harbor Crane Spotter",
        "Server",
        "Usher",
    ]
    assert listed(uow, cbo.staff, client_id=cbo.a) == ["Harbor Crane Spotter"]
    assert listed(uow, cbo.staff, for_client=cbo.b) == ["B's own", "Server", "Usher"]
    assert listed(uow, cbo.staff, exclusive=False) == ["Server", "Usher"]
    assert listed(uow, cbo.staff, exclusive=True) == ["B's own", "Harbor Crane Spotter"]
    assert listed(uow, cbo.staff, active=False) == ["Usher"]
    assert listed(uow, cbo.staff, active=True, exclusive=False) == ["Server"]
    assert listed(uow, cbo.staff, q="HOUSE") == ["Usher"]  # the description
    assert listed(uow, cbo.staff, q="b_own") == ["B's own"]  # the key
    assert listed(uow, cbo.staff, q="%") == []  # taken literally
    assert listed(uow, cbo.staff, client_id="no-such-client") == []
    page = domain.list_job_types(
        uow, caller=cbo.staff, tenant_id=cbo.id, page=2, per_page=3, sort="name"
    )
    assert (page["total"], [j.name for j in page["items"]]) == (4, ["Usher"])


# -- changing --------------------------------------------------------------------------------


def test_a_change_emits_what_changed_with_an_audit_entry(uow, cbo):
    sent = Outbox(uow)
    changed = update(
        uow,
        cbo.staff,
        cbo.exclusive,
        name="Crane Spotter",
        pay_rate_cents=3300,
        required_skills=["Rigging"],
        description="Harbor cranes",
    )
    assert (changed.name, changed.pay_rate_cents, changed.required_skills) == (
        "Crane Spotter",
        3300,
        ["rigging"],
    )
    assert (changed.key, changed.client_id) == ("harbor-crane-spotter", cbo.a)  # never change
    event = sent.one("jobtype.updated")["data"]
    assert event["changed"] == ["name", "description", "required_skills", "pay_rate_cents"]
    assert (event["name"], event["pay_rate_cents"], event["client_id"]) == (
        "Crane Spotter",
        3300,
        cbo.a,
    )
    [trail] = sent.audit()
    assert trail["action"] == "jobtype.update"
    assert trail["before"] == {
        "name": "Harbor Crane Spotter",
        "description": "",
        "required_skills": [],
        "pay_rate_cents": 3100,
    }
    assert trail["after"]["required_skills"] == ["rigging"]


def test_a_change_that_changes_nothing_writes_nothing(uow, cbo):
    sent = Outbox(uow)
    same = update(uow, cbo.staff, cbo.general, name="Server", pay_rate_cents=2000)
    assert same.id == cbo.general.id
    assert sent.types() == []


def test_rates_are_checked_against_the_stored_other_rate(uow, cbo):
    sent = Outbox(uow)
    with pytest.raises(ValidationFailed) as too_high:
        update(uow, cbo.staff, cbo.general, pay_rate_cents=2900)  # bill is 2800
    assert set(too_high.value.fields) == {"bill_rate_cents"}
    with pytest.raises(ValidationFailed) as too_low:
        update(uow, cbo.staff, cbo.general, bill_rate_cents=1999)  # pay is 2000
    assert set(too_low.value.fields) == {"bill_rate_cents"}
    both = update(uow, cbo.staff, cbo.general, pay_rate_cents=2900, bill_rate_cents=3900)
    assert (both.pay_rate_cents, both.bill_rate_cents) == (2900, 3900)
    assert sent.types() == ["jobtype.updated", "audit.recorded"]


def test_a_rename_to_a_taken_name_is_a_conflict_but_a_change_of_case_is_not(uow, cbo):
    with pytest.raises(Conflict) as taken:
        update(uow, cbo.staff, cbo.general, name="harbor crane SPOTTER")
    assert set(taken.value.fields) == {"name"}
    assert update(uow, cbo.staff, cbo.general, name="SERVER").name == "SERVER"


def test_a_deactivated_job_type_keeps_its_history_and_can_come_back(uow, cbo):
    sent = Outbox(uow)
    retired = domain.deactivate_job_type(
        uow, caller=cbo.staff, tenant_id=cbo.id, job_type_id=cbo.exclusive.id
    )
    assert retired.active is False
    assert sent.one("jobtype.updated")["data"]["changed"] == ["active"]
    assert sent.audit()[0]["before"] == {"active": True}
    again = domain.deactivate_job_type(
        uow, caller=cbo.staff, tenant_id=cbo.id, job_type_id=cbo.exclusive.id
    )
    assert again.active is False and len(sent.events("jobtype.updated")) == 1
    # Still there for its client and staff, and a client user still cannot see B's.
    found = domain.read_job_type(
        uow, caller=cbo.user_a, tenant_id=cbo.id, job_type_id=cbo.exclusive.id
    )
    assert found.active is False
    assert update(uow, cbo.staff, cbo.exclusive, active=True).active is True


# -- what bookings ask -----------------------------------------------------------------------


def bookable(uow, caller, job_type, client_id=None):
    return domain.bookable_job_type(
        uow,
        caller=caller,
        tenant_id=caller.tenant_id,
        job_type_id=job_type.id,
        client_id=client_id,
    )


def test_an_exclusive_job_type_is_bookable_only_for_its_own_client(uow, cbo):
    assert bookable(uow, cbo.user_a, cbo.exclusive).id == cbo.exclusive.id
    assert bookable(uow, cbo.staff, cbo.exclusive, cbo.a).id == cbo.exclusive.id
    assert bookable(uow, cbo.user_b, cbo.general).id == cbo.general.id
    assert bookable(uow, cbo.staff, cbo.general, cbo.b).id == cbo.general.id
    with pytest.raises(NotFound):
        bookable(uow, cbo.user_b, cbo.exclusive)
    with pytest.raises(NotFound):  # a client user naming their own client changes nothing
        bookable(uow, cbo.user_b, cbo.exclusive, cbo.b)
    with pytest.raises(ValidationFailed) as for_b:  # staff see it, so they are told why
        bookable(uow, cbo.staff, cbo.exclusive, cbo.b)
    assert set(for_b.value.fields) == {"job_type_id"}
    with pytest.raises(NotFound):
        bookable(uow, staff_caller(a_cbo_record(uow).tenant_id), cbo.general)


def test_a_deactivated_job_type_is_not_bookable(uow, cbo):
    domain.deactivate_job_type(uow, caller=cbo.staff, tenant_id=cbo.id, job_type_id=cbo.general.id)
    for caller, client_id in ((cbo.staff, cbo.a), (cbo.user_a, None)):
        with pytest.raises(ValidationFailed) as refused:
            bookable(uow, caller, cbo.general, client_id)
        assert set(refused.value.fields) == {"job_type_id"}


def test_a_clients_user_never_sees_a_job_types_pay_rate(uow, cbo):
    # The pay rate is the worker's, under the CBO's margin: staff's only (as on bookings).
    for job_type in (cbo.general, cbo.exclusive):
        staff_view = domain.view(job_type, caller=cbo.staff)
        client_view = domain.view(job_type, caller=cbo.user_a)
        assert staff_view["pay_rate_cents"] == job_type.pay_rate_cents
        assert client_view["pay_rate_cents"] is None
        assert client_view["bill_rate_cents"] == job_type.bill_rate_cents
        assert {k: v for k, v in staff_view.items() if k != "pay_rate_cents"} == {
            k: v for k, v in client_view.items() if k != "pay_rate_cents"
        }
