"""The roles a CBO can give its staff, as one paged list on identity's real database: the
built-in roles (not rows) first, then the CBO's own, with pages that run across the two."""

from __future__ import annotations

import uuid

from chassis.contracts.permissions import STAFF_ROLES
from services.identity.staff import roles
from tests.factories import staff_caller

SERVICE = "identity"


def names(uow, tenant_id: str, **options) -> tuple[list[str], int]:
    found = roles.list_roles(uow, tenant_id=tenant_id, **{"page": 1, "per_page": 50, **options})
    return [role["name"] for role in found["items"]], found["total"]


def test_pages_run_from_the_built_in_roles_into_the_cbos_own_by_name(uow):
    tenant_id = str(uuid.uuid4())
    for name in ("zeta", "alpha", "mid"):
        roles.create_role(
            uow, caller=staff_caller(tenant_id), tenant_id=tenant_id, name=name, permissions=[]
        )
    everything = [*STAFF_ROLES, "alpha", "mid", "zeta"]
    assert names(uow, tenant_id) == (everything, 9)
    pages = [names(uow, tenant_id, page=page, per_page=4) for page in (1, 2, 3, 4)]
    assert pages == [(everything[0:4], 9), (everything[4:8], 9), (["zeta"], 9), ([], 9)]

    assert names(uow, tenant_id, builtin=True) == (list(STAFF_ROLES), 6)
    assert names(uow, tenant_id, builtin=False) == (["alpha", "mid", "zeta"], 3)
    assert names(uow, tenant_id, builtin=False, page=2, per_page=2) == (["zeta"], 3)


def test_another_cbo_sees_only_the_built_in_roles(uow):
    tenant_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    roles.create_role(
        uow, caller=staff_caller(tenant_id), tenant_id=tenant_id, name="mine", permissions=[]
    )
    assert names(uow, other_id) == (list(STAFF_ROLES), 6)
    assert names(uow, other_id, builtin=False) == ([], 0)
