"""A CBO's staff, custom roles and client users on identity's real database: what each change
records (event, audit entry), that nobody gives or touches permissions they lack, that a CBO
keeps an active owner, that deactivation and role changes end sessions, paging and sorting, and
each CBO seeing only its own people."""

from __future__ import annotations

import uuid

import pytest

from chassis.context import Caller
from chassis.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from services.identity.accounts import domain as accounts
from services.identity.sessions import domain as sessions
from services.identity.staff import domain as staff
from services.identity.staff import roles
from tests.domain.outbox import Outbox
from tests.factories import (
    PASSWORD,
    TOKEN_SETTINGS,
    a_client_user,
    a_custom_role,
    a_projected_cbo,
    a_projected_client,
    a_staff_member,
    accepted,
    caller_of,
    link_token,
    staff_caller,
)

SERVICE = "identity"

# The first page of a list.
FIRST_PAGE = {"page": 1, "per_page": 50}


def sign_in(uow, account) -> dict:
    return accounts.sign_in(
        uow,
        email=account.email,
        password=PASSWORD,
        settings=TOKEN_SETTINGS,
        tenant_id=account.tenant_id,
    )


def emails(page: dict) -> list[str]:
    return [member["email"] for member in page["items"]]


@pytest.fixture
def cbo(uow):
    return a_projected_cbo(uow, name="Harbor CBO")


@pytest.fixture
def owner(uow, cbo):
    """The CBO's owner, made as tenant.approved makes one, signed up; as a caller."""
    account = staff.create_owner(
        uow,
        tenant_id=cbo.tenant_id,
        tenant_name=cbo.name,
        email="owner@harbor.example.org",
        display_name="Olga Owner",
    )
    accepted(uow, account)
    return caller_of(uow, account)


# -- the owner ---------------------------------------------------------------------------------


def test_an_approved_cbos_owner_is_made_once_and_invited(uow, cbo):
    sent = Outbox(uow)
    args = {"tenant_id": cbo.tenant_id, "tenant_name": cbo.name, "display_name": "Olga"}
    owner = staff.create_owner(uow, email="olga@harbor.example.org", **args)
    assert (owner.kind, owner.roles, owner.status) == ("staff", ["owner"], "invited")
    assert sent.types() == ["account.created", "invitation.created"]
    assert sent.one("invitation.created")["data"]["tenant_name"] == "Harbor CBO"
    # tenant.approved delivered again (or the CBO approved again): nobody new.
    assert staff.create_owner(uow, email="OLGA@harbor.example.org", **args) is None
    assert len(sent.events()) == 2


# -- staff -------------------------------------------------------------------------------------


def test_staff_are_registered_invited_and_audited(uow, cbo, owner):
    sent = Outbox(uow)
    member = staff.register_staff(
        uow,
        caller=owner,
        tenant_id=cbo.tenant_id,
        email="ana@harbor.example.org",
        display_name="Ana",
        roles_given=["viewer", "approver", "viewer"],
    )
    assert member["roles"] == ["approver", "viewer"] and member["status"] == "invited"
    assert member["kind"] == "staff" and member["created_at"]
    assert sent.types() == ["account.created", "invitation.created", "audit.recorded"]
    [trail] = sent.audit()
    assert (trail["action"], trail["actor_id"], trail["entity_id"]) == (
        "staff.registered",
        owner.user_id,
        member["id"],
    )
    assert trail["after"]["roles"] == ["approver", "viewer"] and "created_at" not in trail["after"]
    assert staff.get_member(uow, tenant_id=cbo.tenant_id, account_id=member["id"]) == member


def test_a_registration_names_what_is_wrong_and_records_nothing(uow, cbo, owner):
    a_staff_member(uow, tenant_id=cbo.tenant_id, email="ana@harbor.example.org")
    sent = Outbox(uow)

    def register(email: str, roles_given: list[str]) -> None:
        staff.register_staff(
            uow,
            caller=owner,
            tenant_id=cbo.tenant_id,
            email=email,
            display_name="X",
            roles_given=roles_given,
        )

    with pytest.raises(ValidationFailed) as unknown:
        register("new@harbor.example.org", ["wizard", "viewer", "operator"])
    assert unknown.value.fields == {
        "roles": [
            "There is no role 'wizard' in this CBO.",
            "There is no role 'operator' in this CBO.",  # the city's role is not a CBO's
        ]
    }
    with pytest.raises(Conflict) as duplicate:
        register("ANA@harbor.example.org", ["viewer"])
    assert duplicate.value.fields == {"email": ["Already registered."]}
    assert sent.events() == []


def test_staff_lists_filter_sort_and_page(uow, cbo, owner):
    for email, roles_given, status in (
        ("b@harbor.example.org", ["viewer"], "active"),
        ("C@harbor.example.org", ["approver"], "invited"),
        ("a@harbor.example.org", ["viewer", "finance"], "deactivated"),
    ):
        a_staff_member(uow, tenant_id=cbo.tenant_id, email=email, roles=roles_given, status=status)
    a_client_user(uow, tenant_id=cbo.tenant_id)  # not staff

    def listed(**options) -> dict:
        return staff.list_staff(uow, tenant_id=cbo.tenant_id, **options)

    everyone = listed()
    assert (everyone["total"], everyone["page"], everyone["per_page"]) == (4, 1, 50)
    by_email = emails(listed(sort="email"))
    assert by_email == [
        "a@harbor.example.org",
        "b@harbor.example.org",
        "C@harbor.example.org",  # any case
        "owner@harbor.example.org",
    ]
    assert emails(listed(sort="-email")) == by_email[::-1]
    assert emails(listed(sort="email", per_page=2, page=2)) == by_email[2:]
    assert emails(listed(role="viewer", sort="email")) == by_email[:2]
    assert emails(listed(status="invited")) == ["C@harbor.example.org"]
    assert emails(listed(status="deactivated", role="finance")) == ["a@harbor.example.org"]
    assert listed(sort="display_name")["total"] == 4


def test_changing_roles_is_recorded_and_ends_the_members_sessions(uow, cbo, owner):
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["approver"])
    tokens = sign_in(uow, ana)
    sent = Outbox(uow)
    changed = staff.change_roles(
        uow,
        caller=owner,
        tenant_id=cbo.tenant_id,
        account_id=ana.id,
        roles_given=["viewer", "finance"],
    )
    assert changed["roles"] == ["finance", "viewer"]
    assert sent.one("account.roles_changed")["data"] == {
        "account_id": ana.id,
        "roles": ["finance", "viewer"],
    }
    [trail] = sent.audit()
    assert trail["action"] == "staff.roles_changed" and trail["actor_id"] == owner.user_id
    assert (trail["before"]["roles"], trail["after"]["roles"]) == (
        ["approver"],
        ["finance", "viewer"],
    )
    assert sessions.generation_of(uow, account_id=ana.id) == 1
    with pytest.raises(Unauthenticated):
        accounts.refresh(uow, refresh_token=tokens["refresh_token"], settings=TOKEN_SETTINGS)
    # The same roles again end nothing (the event and entry still say who did it).
    staff.change_roles(
        uow,
        caller=owner,
        tenant_id=cbo.tenant_id,
        account_id=ana.id,
        roles_given=["finance", "viewer"],
    )
    assert sessions.generation_of(uow, account_id=ana.id) == 1


def test_nobody_gives_or_touches_permissions_they_do_not_hold(uow, cbo, owner):
    a_custom_role(
        uow,
        tenant_id=cbo.tenant_id,
        name="hr",
        permissions=["tenant.staff.manage", "jobseekers.read"],
    )
    a_custom_role(uow, tenant_id=cbo.tenant_id, name="reader", permissions=["jobseekers.read"])
    hr = caller_of(uow, a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["hr"]))
    viewer = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["viewer"])
    rita = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["reader"])
    sent = Outbox(uow)
    refusals = {
        "give finance": lambda: staff.register_staff(
            uow,
            caller=hr,
            tenant_id=cbo.tenant_id,
            email="fin@harbor.example.org",
            display_name="Fin",
            roles_given=["finance"],
        ),
        "a role with payroll": lambda: roles.create_role(
            uow, caller=hr, tenant_id=cbo.tenant_id, name="pay", permissions=["payroll.run"]
        ),
        # The owner and the viewer hold permissions HR does not.
        "change the owner": lambda: staff.change_roles(
            uow, caller=hr, tenant_id=cbo.tenant_id, account_id=owner.user_id, roles_given=["hr"]
        ),
        "deactivate the owner": lambda: staff.deactivate(
            uow, caller=hr, tenant_id=cbo.tenant_id, account_id=owner.user_id
        ),
        "promote the viewer": lambda: staff.change_roles(
            uow, caller=hr, tenant_id=cbo.tenant_id, account_id=viewer.id, roles_given=["hr"]
        ),
        "reactivate the viewer": lambda: staff.reactivate(
            uow, caller=hr, tenant_id=cbo.tenant_id, account_id=viewer.id
        ),
    }
    for what, refused in refusals.items():
        with pytest.raises(Forbidden, match="you do not hold"):
            refused()
            pytest.fail(f"HR could {what}")
    assert sent.events() == []
    # What they hold they may give, to somebody who holds no more than they do.
    promoted = staff.change_roles(
        uow, caller=hr, tenant_id=cbo.tenant_id, account_id=rita.id, roles_given=["hr"]
    )
    assert promoted["roles"] == ["hr"]
    # Identity's own system (a handler, the import) is bound by nothing.
    system = Caller.system(service="identity", tenant_id=cbo.tenant_id).received_by("identity")
    staff.change_roles(
        uow, caller=system, tenant_id=cbo.tenant_id, account_id=viewer.id, roles_given=["owner"]
    )
    # Another service's system is no exception.
    booking = Caller.system(service="booking", tenant_id=cbo.tenant_id).received_by("identity")
    with pytest.raises(Forbidden):
        staff.change_roles(
            uow, caller=booking, tenant_id=cbo.tenant_id, account_id=rita.id, roles_given=["admin"]
        )


def test_a_cbo_keeps_an_active_owner(uow, cbo, owner):
    for change in (
        lambda: staff.change_roles(
            uow,
            caller=owner,
            tenant_id=cbo.tenant_id,
            account_id=owner.user_id,
            roles_given=["admin"],
        ),
        lambda: staff.deactivate(
            uow, caller=owner, tenant_id=cbo.tenant_id, account_id=owner.user_id
        ),
    ):
        with pytest.raises(Conflict):
            change()
    # With a second active owner, either may step down; the last may not.
    second = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["owner"])
    invited = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["owner"], status="invited")
    staff.change_roles(
        uow, caller=owner, tenant_id=cbo.tenant_id, account_id=owner.user_id, roles_given=["admin"]
    )
    as_second = caller_of(uow, second)
    with pytest.raises(Conflict, match="active owner"):  # an invited owner is no owner yet
        staff.change_roles(
            uow,
            caller=as_second,
            tenant_id=cbo.tenant_id,
            account_id=second.id,
            roles_given=["viewer"],
        )
    assert invited.status == "invited"
    with pytest.raises(Conflict, match="your own account"):
        staff.deactivate(uow, caller=as_second, tenant_id=cbo.tenant_id, account_id=second.id)


def test_deactivation_ends_the_sessions_and_reactivation_does_not_bring_them_back(uow, cbo, owner):
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["approver"])
    tokens = sign_in(uow, ana)
    sent = Outbox(uow)
    gone = staff.deactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=ana.id)
    assert gone["status"] == "deactivated"
    assert sent.one("account.deactivated")["data"] == {"account_id": ana.id, "kind": "staff"}
    assert sent.audit()[0]["action"] == "staff.deactivated"
    status = sessions.session_status(uow, account_id=ana.id, generation=0)
    assert not status["valid"]
    with pytest.raises(Unauthenticated):
        sign_in(uow, ana)
    with pytest.raises(Unauthenticated):
        accounts.refresh(uow, refresh_token=tokens["refresh_token"], settings=TOKEN_SETTINGS)
    # Deactivating again changes nothing and records nothing.
    staff.deactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=ana.id)
    assert len(sent.events()) == 2

    back = staff.reactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=ana.id)
    assert back["status"] == "active"
    assert sent.events()[-2]["event_type"] == "account.reactivated"
    assert sent.audit()[-1]["action"] == "staff.reactivated"
    assert not sessions.session_status(uow, account_id=ana.id, generation=0)["valid"]
    assert sign_in(uow, ana)["access_token"]
    staff.reactivate(
        uow, caller=owner, tenant_id=cbo.tenant_id, account_id=ana.id
    )  # already active
    assert len(sent.events()) == 4


def test_a_never_activated_account_is_reactivated_as_invited(uow, cbo, owner):
    ivy = a_staff_member(uow, tenant_id=cbo.tenant_id, status="invited")
    staff.deactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=ivy.id)
    back = staff.reactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=ivy.id)
    assert back["status"] == "invited"
    staff.resend_invitation(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=ivy.id)
    assert link_token(uow, ivy.id)


# -- custom roles ------------------------------------------------------------------------------


def test_custom_roles_are_made_changed_and_deleted_with_events_and_audit_entries(uow, cbo, owner):
    sent = Outbox(uow)
    role = roles.create_role(
        uow,
        caller=owner,
        tenant_id=cbo.tenant_id,
        name="payroller",
        permissions=["reports.read", "payroll.run", "reports.read"],
        description="Runs payroll",
    )
    assert role == {
        "id": role["id"],
        "name": "payroller",
        "description": "Runs payroll",
        "permissions": ["payroll.run", "reports.read"],
        "builtin": False,
    }
    page = roles.list_roles(uow, tenant_id=cbo.tenant_id, **FIRST_PAGE)
    listed = {r["name"]: r for r in page["items"]}
    assert listed["payroller"] == role and listed["owner"]["builtin"]
    assert list(listed) == [
        "owner",
        "admin",
        "approver",
        "scheduler",
        "finance",
        "viewer",
        "payroller",
    ]

    updated = roles.update_role(
        uow, caller=owner, tenant_id=cbo.tenant_id, name="payroller", permissions=["payroll.run"]
    )
    assert updated["permissions"] == ["payroll.run"] and updated["description"] == "Runs payroll"
    roles.update_role(
        uow, caller=owner, tenant_id=cbo.tenant_id, name="payroller", description="Pay"
    )
    roles.delete_role(uow, caller=owner, tenant_id=cbo.tenant_id, name="payroller")
    assert sent.types() == [
        "role.created",
        "audit.recorded",
        "role.updated",
        "audit.recorded",
        "role.updated",
        "audit.recorded",
        "role.deleted",
        "audit.recorded",
    ]
    assert sent.one("role.deleted")["data"] == {
        "role_id": role["id"],
        "name": "payroller",
        "permissions": ["payroll.run"],
    }
    trail = sent.audit()
    assert [t["action"] for t in trail] == [
        "role.created",
        "role.updated",
        "role.updated",
        "role.deleted",
    ]
    assert trail[1]["before"]["permissions"] == ["payroll.run", "reports.read"]
    assert trail[2]["after"]["description"] == "Pay"
    page = roles.list_roles(uow, tenant_id=cbo.tenant_id, **FIRST_PAGE)
    assert "payroller" not in {r["name"] for r in page["items"]}


def test_a_role_name_is_the_cbos_once_and_never_a_built_in_one(uow, cbo, owner):
    a_custom_role(uow, tenant_id=cbo.tenant_id, name="twin")
    with pytest.raises(Conflict) as twin:
        a_custom_role(uow, tenant_id=cbo.tenant_id, name="twin")
    assert twin.value.fields == {"name": ["Already exists."]}
    with pytest.raises(ValidationFailed) as builtin:
        roles.create_role(
            uow, caller=owner, tenant_id=cbo.tenant_id, name="admin", permissions=["reports.read"]
        )
    assert set(builtin.value.fields) == {"name"}
    with pytest.raises(Conflict, match="built-in"):
        roles.update_role(uow, caller=owner, tenant_id=cbo.tenant_id, name="admin", description="x")
    with pytest.raises(NotFound):
        roles.delete_role(uow, caller=owner, tenant_id=cbo.tenant_id, name="nobody")
    # Another CBO may have a twin of its own.
    other = a_projected_cbo(uow)
    assert a_custom_role(uow, tenant_id=other.tenant_id, name="twin")["builtin"] is False


def test_a_role_somebody_holds_cannot_be_deleted(uow, cbo, owner):
    a_custom_role(uow, tenant_id=cbo.tenant_id, name="intake")
    a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["intake"])
    with pytest.raises(Conflict) as held:
        roles.delete_role(uow, caller=owner, tenant_id=cbo.tenant_id, name="intake")
    assert held.value.fields == {"name": ["In use."]}


def test_changing_a_roles_permissions_ends_its_holders_sessions_only(uow, cbo, owner):
    for name in ("intake", "unused"):
        a_custom_role(uow, tenant_id=cbo.tenant_id, name=name)
    ana = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["intake"])
    bo = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["viewer"])
    roles.update_role(
        uow, caller=owner, tenant_id=cbo.tenant_id, name="unused", permissions=["clients.read"]
    )
    roles.update_role(
        uow, caller=owner, tenant_id=cbo.tenant_id, name="intake", description="Words"
    )
    roles.update_role(
        uow, caller=owner, tenant_id=cbo.tenant_id, name="intake", permissions=["jobseekers.read"]
    )  # the permissions it had
    assert sessions.generation_of(uow, account_id=ana.id) == 0
    roles.update_role(
        uow, caller=owner, tenant_id=cbo.tenant_id, name="intake", permissions=["clients.read"]
    )
    assert sessions.generation_of(uow, account_id=ana.id) == 1
    assert (
        sessions.generation_of(uow, account_id=bo.id)
        == sessions.generation_of(uow, account_id=owner.user_id)
        == 0
    )
    status = sessions.session_status(uow, account_id=ana.id, generation=0)
    assert "role you hold" in status["message"]
    # Tokens issued from now on carry the role's new permissions.
    assert "clients.read" in caller_of(uow, ana).permissions


def test_a_role_holding_more_than_the_caller_is_theirs_neither_to_change_nor_delete(uow, cbo):
    a_custom_role(uow, tenant_id=cbo.tenant_id, name="payroller", permissions=["payroll.run"])
    hr = staff_caller(cbo.tenant_id, permissions=["tenant.staff.manage", "reports.read"])
    with pytest.raises(Forbidden):
        roles.update_role(
            uow, caller=hr, tenant_id=cbo.tenant_id, name="payroller", description="x"
        )
    with pytest.raises(Forbidden):
        roles.delete_role(uow, caller=hr, tenant_id=cbo.tenant_id, name="payroller")
    a_custom_role(uow, tenant_id=cbo.tenant_id, name="reports", permissions=["reports.read"])
    with pytest.raises(Forbidden):  # nor may they widen one they could change
        roles.update_role(
            uow, caller=hr, tenant_id=cbo.tenant_id, name="reports", permissions=["payroll.run"]
        )


# -- client users ------------------------------------------------------------------------------


def test_client_users_belong_to_one_active_client_of_the_cbo(uow, cbo, owner):
    client = a_projected_client(uow, tenant_id=cbo.tenant_id, name="City of Long Beach")
    sent = Outbox(uow)
    kim = staff.create_client_user(
        uow,
        caller=owner,
        tenant_id=cbo.tenant_id,
        client_id=client.client_id,
        email="kim@city.example.org",
        display_name="Kim",
    )
    assert (kim["kind"], kim["client_id"], kim["roles"]) == ("client", client.client_id, ["client"])
    assert sent.types() == ["account.created", "invitation.created", "audit.recorded"]
    assert sent.audit()[0]["action"] == "client_user.created"

    closed = a_projected_client(uow, tenant_id=cbo.tenant_id, active=False)
    with pytest.raises(Conflict, match="inactive"):
        a_client_user(uow, tenant_id=cbo.tenant_id, client_id=closed.client_id)
    with pytest.raises(NotFound):
        a_client_user(uow, tenant_id=cbo.tenant_id, client_id=str(uuid.uuid4()))


def test_client_users_are_listed_per_client_and_deactivated_like_staff(uow, cbo, owner):
    client = a_projected_client(uow, tenant_id=cbo.tenant_id)
    for name in ("Bea", "al", "Cy"):
        a_client_user(uow, tenant_id=cbo.tenant_id, client_id=client.client_id, display_name=name)
    a_client_user(uow, tenant_id=cbo.tenant_id)  # another client's

    def names(**options) -> list[str]:
        page = staff.list_client_users(
            uow, tenant_id=cbo.tenant_id, client_id=client.client_id, **options
        )
        return [user["display_name"] for user in page["items"]]

    assert names(sort="display_name") == ["al", "Bea", "Cy"]
    assert names(sort="-display_name", per_page=1) == ["Cy"]
    kim = a_client_user(uow, tenant_id=cbo.tenant_id, client_id=client.client_id)
    found = staff.client_user(
        uow, tenant_id=cbo.tenant_id, client_id=client.client_id, account_id=kim.id
    )
    assert found is kim
    sent = Outbox(uow)
    staff.deactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=kim.id, kind="client")
    assert sent.audit()[0]["action"] == "client_user.deactivated"
    with pytest.raises(Unauthenticated):
        sign_in(uow, kim)
    staff.reactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=kim.id, kind="client")
    assert sent.audit()[-1]["action"] == "client_user.reactivated"
    # A client user is no staff member, and staff no client user.
    with pytest.raises(NotFound):
        staff.deactivate(uow, caller=owner, tenant_id=cbo.tenant_id, account_id=kim.id)
    with pytest.raises(NotFound):
        staff.client_user(
            uow, tenant_id=cbo.tenant_id, client_id=client.client_id, account_id=owner.user_id
        )


# -- isolation ---------------------------------------------------------------------------------


def test_one_cbo_sees_and_touches_nothing_of_another(uow, cbo, owner):
    sam = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["viewer"])
    a_custom_role(uow, tenant_id=cbo.tenant_id, name="ours")
    client = a_projected_client(uow, tenant_id=cbo.tenant_id)
    kim = a_client_user(uow, tenant_id=cbo.tenant_id, client_id=client.client_id)
    other = a_projected_cbo(uow)
    theirs = staff_caller(other.tenant_id)
    elsewhere = {"tenant_id": other.tenant_id}

    assert staff.list_staff(uow, **elsewhere)["items"] == []
    theirs = roles.list_roles(uow, **elsewhere, **FIRST_PAGE)["items"]
    assert [r["name"] for r in theirs if not r["builtin"]] == []
    sent = Outbox(uow)
    for reach in (
        lambda: staff.get_member(uow, **elsewhere, account_id=sam.id),
        lambda: staff.change_roles(
            uow, caller=theirs, **elsewhere, account_id=sam.id, roles_given=["owner"]
        ),
        lambda: staff.deactivate(uow, caller=theirs, **elsewhere, account_id=sam.id),
        lambda: staff.reactivate(uow, caller=theirs, **elsewhere, account_id=sam.id),
        lambda: staff.resend_invitation(uow, caller=theirs, **elsewhere, account_id=sam.id),
        lambda: roles.update_role(
            uow, caller=theirs, **elsewhere, name="ours", description="Mine now"
        ),
        lambda: roles.delete_role(uow, caller=theirs, **elsewhere, name="ours"),
        lambda: staff.list_client_users(uow, **elsewhere, client_id=client.client_id),
        lambda: staff.client_user(uow, **elsewhere, client_id=client.client_id, account_id=kim.id),
        lambda: staff.create_client_user(
            uow,
            caller=theirs,
            **elsewhere,
            client_id=client.client_id,
            email="z@z.org",
            display_name="Z",
        ),
    ):
        with pytest.raises(NotFound):
            reach()
    assert sent.events() == [] and sam.roles == ["viewer"]
