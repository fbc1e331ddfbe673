"""Identity's re-check as booking asks it (services/booking/offers/recheck.py): which CBO it
names for which caller, partners' workers left to the read model, at most 500 ids a call, and
each worker asked about once a request. Identity is a fake here (FakeServices): this is a
unit test of the adapter alone; tests/integration/test_rpc_contracts.py holds the contract
against the real identity service."""

from __future__ import annotations

from typing import Any

import pytest

from chassis.context import Caller
from chassis.errors import ServiceUnavailable
from services.booking.jobtypes.models import JobType
from services.booking.offers import rules
from services.booking.offers.recheck import identity_recheck

HARBOR, BAY = "t-harbor", "t-bay"
FORKLIFT = JobType(key="forklift", needs_approval=True)
KITCHEN = JobType(key="kitchen", needs_approval=False)


class FakeIdentity:
    """identity.eligible_jobseekers clearing everyone but `refused`; remembers each call."""

    def __init__(self, *refused: str, down: bool = False) -> None:
        self.refused = set(refused)
        self.down = down
        self.calls: list[dict[str, Any]] = []

    def call(self, service: str, method: str, **kwargs: Any) -> Any:
        assert (service, method) == ("identity", "eligible_jobseekers")
        if self.down:
            raise ServiceUnavailable("The identity service is not running.")
        self.calls.append(kwargs)
        return [w for w in kwargs["jobseeker_ids"] if w not in self.refused]


def staff(tenant_id: str) -> Caller:
    return Caller(kind="staff", user_id="u1", tenant_id=tenant_id)


def test_identity_is_asked_about_the_callers_own_cbo_with_the_job_types_approval_rule():
    identity = FakeIdentity("bo")
    eligible_now = identity_recheck(identity, staff(HARBOR))
    assert eligible_now(KITCHEN, HARBOR, ["ana", "bo"]) == {"ana"}
    assert eligible_now(FORKLIFT, HARBOR, ["ana"]) == {"ana"}
    assert identity.calls == [
        {
            "job_type": "kitchen",
            "jobseeker_ids": ["ana", "bo"],
            "tenant_id": HARBOR,
            "needs_job_type_approval": False,
        },
        {
            "job_type": "forklift",
            "jobseeker_ids": ["ana"],
            "tenant_id": HARBOR,
            "needs_job_type_approval": True,
        },
    ]


def test_a_worker_is_asked_about_once_a_request():
    identity = FakeIdentity("bo")
    eligible_now = identity_recheck(identity, staff(HARBOR))
    for _ in range(20):  # a repeating named booking: twenty shifts
        assert eligible_now(KITCHEN, HARBOR, ["bo"]) == set()
    assert eligible_now(KITCHEN, HARBOR, ["bo", "cy"]) == {"cy"}
    assert [c["jobseeker_ids"] for c in identity.calls] == [["bo"], ["cy"]]


def test_a_partner_cbos_workers_are_left_to_the_read_model_for_this_cbos_caller():
    identity = FakeIdentity("pat")
    for caller in (
        staff(HARBOR),
        Caller(kind="client", user_id="c1", tenant_id=HARBOR, client_id="cl1"),
        Caller.system(service="booking", tenant_id=HARBOR),  # an event handler of Harbor's
    ):
        assert identity_recheck(identity, caller)(KITCHEN, BAY, ["pat"]) == {"pat"}
    assert identity.calls == []


def test_the_sweep_acting_across_cbos_names_each_workers_cbo():
    identity = FakeIdentity("pat")
    eligible_now = identity_recheck(identity, Caller.system(service="booking"))
    assert eligible_now(KITCHEN, BAY, ["pat", "pia"]) == {"pia"}
    assert eligible_now(KITCHEN, HARBOR, ["ana"]) == {"ana"}
    assert [c["tenant_id"] for c in identity.calls] == [BAY, HARBOR]


def test_more_than_500_candidates_are_asked_about_500_at_a_time():
    identity = FakeIdentity()
    many = [f"w{n}" for n in range(1201)]
    assert identity_recheck(identity, staff(HARBOR))(KITCHEN, HARBOR, many) == set(many)
    assert [len(c["jobseeker_ids"]) for c in identity.calls] == [500, 500, 201]


def test_nobody_is_asked_about_for_nobody():
    identity = FakeIdentity(down=True)
    assert identity_recheck(identity, staff(HARBOR))(KITCHEN, HARBOR, []) == set()


def test_identity_unreachable_is_a_503_never_a_clearance():
    with pytest.raises(ServiceUnavailable):
        identity_recheck(FakeIdentity(down=True), staff(HARBOR))(KITCHEN, HARBOR, ["ana"])


# -- the pure rules it uses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller_tenant_id", "caller_is_system", "asked"),
    [
        (HARBOR, False, HARBOR),  # own CBO's worker, any caller of that CBO
        (HARBOR, True, HARBOR),
        (BAY, False, None),  # a partner's worker for Bay's staff or client: the read model
        (BAY, True, None),  # for Bay's event handler too
        (None, True, HARBOR),  # a system acting across CBOs names the worker's CBO
        (None, False, None),  # nobody else acts without a CBO here
    ],
)
def test_which_cbo_identity_is_asked_about(caller_tenant_id, caller_is_system, asked):
    assert (
        rules.cbo_to_ask(
            caller_tenant_id=caller_tenant_id,
            caller_is_system=caller_is_system,
            worker_tenant_id=HARBOR,
        )
        == asked
    )


def test_batches_keep_the_order_drop_repeats_and_hold_at_most_size():
    assert rules.batches([], 2) == []
    assert rules.batches(["a", "b", "a", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert rules.batches(["a"], 500) == [["a"]]


def test_workers_by_cbo_keep_their_order_without_repeats():
    pairs = [("ana", HARBOR), ("pat", BAY), ("bo", HARBOR), ("ana", HARBOR)]
    assert rules.by_cbo(pairs) == {HARBOR: ["ana", "bo"], BAY: ["pat"]}
    assert rules.by_cbo([]) == {}
