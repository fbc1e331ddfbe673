"""Identity tells the notifications service how to reach a CBO's people: names, emails, a job
seeker's phone and language, and which staff hold a permission; never another CBO's."""

from __future__ import annotations

from services.identity.accounts import contacts
from tests.factories import a_custom_role, a_jobseeker, a_projected_cbo, a_staff_member

SERVICE = "identity"


def test_contacts_of_the_cbos_people_only(uow):
    cbo = a_projected_cbo(uow)
    other = a_projected_cbo(uow)
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id, name="Maria Lopez", preferred_language="km")
    sam = a_staff_member(uow, tenant_id=cbo.tenant_id, display_name="Sam Staff")
    stranger = a_jobseeker(uow, tenant_id=other.tenant_id)

    found = contacts.contacts(
        uow,
        tenant_id=cbo.tenant_id,
        account_ids=[maria.id, sam.id, stranger.id, "nobody", maria.id],
    )
    by_id = {c["account_id"]: c for c in found}
    assert set(by_id) == {maria.id, sam.id}
    assert by_id[maria.id] | {"account_id": None} == {
        "account_id": None,
        "kind": "jobseeker",
        "name": "Maria Lopez",
        "email": maria.account.email,
        "phone": "(562) 555-0100",
        "preferred_language": "km",
        "active": maria.account.status == "active",
    }
    assert by_id[sam.id]["phone"] is None and by_id[sam.id]["preferred_language"] is None
    assert contacts.contacts(uow, tenant_id=cbo.tenant_id, account_ids=[]) == []


def test_staff_to_alert_are_the_active_staff_holding_the_permission(uow):
    cbo = a_projected_cbo(uow)
    other = a_projected_cbo(uow)
    role = a_custom_role(uow, tenant_id=cbo.tenant_id, permissions=["bookings.manage"])
    scheduler = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["scheduler"])
    custom = a_staff_member(uow, tenant_id=cbo.tenant_id, roles=[role["name"]])
    left_out = [
        a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["viewer"]).id,
        a_staff_member(uow, tenant_id=cbo.tenant_id, roles=["scheduler"], status="deactivated").id,
        a_staff_member(uow, tenant_id=other.tenant_id, roles=["scheduler"]).id,
        a_jobseeker(uow, tenant_id=cbo.tenant_id).id,
    ]

    found = contacts.staff_to_alert(uow, tenant_id=cbo.tenant_id, permission="bookings.manage")
    ids = {c["account_id"] for c in found}
    # The CBO's owner (made with the CBO) holds it too.
    assert {scheduler.id, custom.id} <= ids
    assert not ids & set(left_out)
    assert all(c["kind"] == "staff" and c["active"] for c in found)
    assert contacts.staff_to_alert(uow, tenant_id=cbo.tenant_id, permission="no.such") == []
