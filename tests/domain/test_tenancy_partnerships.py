"""Partnerships between CBOs on tenancy's real database: proposed, accepted or declined,
withdrawn or ended, each move with its event and audit entry, seen only by the two parties."""

from __future__ import annotations

import uuid

import pytest

from chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.tenancy.partnerships import domain
from services.tenancy.tenants.domain import decide
from tests.domain.outbox import Outbox
from tests.factories import a_cbo, a_partnership, operator_caller, staff_caller

SERVICE = "tenancy"


def propose(uow, proposer, partner_slug: str, shares=("job_types",), message: str = "") -> dict:
    return domain.propose(
        uow,
        caller=staff_caller(proposer.id),
        tenant_id=proposer.id,
        data={"partner_slug": partner_slug, "shares": list(shares), "message": message},
    )


def answer(uow, tenant, partnership: dict, *, accept: bool) -> dict:
    return domain.answer(
        uow,
        caller=staff_caller(tenant.id),
        tenant_id=tenant.id,
        partnership_id=partnership["id"],
        accept=accept,
    )


def end(uow, tenant, partnership: dict) -> dict:
    return domain.end(
        uow, caller=staff_caller(tenant.id), tenant_id=tenant.id, partnership_id=partnership["id"]
    )


def listed(uow, tenant, **options) -> list[dict]:
    """A page of the partnerships `tenant` is party to (newest first unless `sort`)."""
    options = {"page": 1, "per_page": 50, "sort": "-created_at", **options}
    return domain.list_partnerships(uow, tenant_id=tenant.id, **options)["items"]


def suspend(uow, tenant) -> None:
    decide(uow, caller=operator_caller(), tenant_id=tenant.id, action="suspend", reason="Audit")


@pytest.fixture
def cbos(uow):
    """Three approved CBOs: a, b and c."""
    return (
        a_cbo(uow, slug="cbo-a", name="CBO A"),
        a_cbo(uow, slug="cbo-b", name="CBO B"),
        a_cbo(uow, slug="cbo-c", name="CBO C"),
    )


def test_a_proposal_is_seen_by_both_parties_from_their_side(uow, cbos):
    a, b, _ = cbos
    owner = staff_caller(a.id)
    sent = Outbox(uow)
    proposal = domain.propose(
        uow,
        caller=owner,
        tenant_id=a.id,
        data={"partner_slug": "cbo-b", "shares": ["job_types"], "message": " Let's share "},
    )
    assert (proposal["status"], proposal["direction"], proposal["message"]) == (
        "proposed",
        "outgoing",
        "Let's share",
    )
    assert proposal["proposer"] == {"id": a.id, "slug": "cbo-a", "name": "CBO A"}
    assert proposal["partner"] == {"id": b.id, "slug": "cbo-b", "name": "CBO B"}
    assert proposal["decided_at"] is None and proposal["ended_at"] is None
    incoming = domain.get_partnership(uow, tenant_id=b.id, partnership_id=proposal["id"])
    assert incoming == {**proposal, "direction": "incoming"}

    assert sent.types() == ["partnership.proposed", "audit.recorded"]
    proposed = sent.one("partnership.proposed")
    assert proposed["tenant_id"] == a.id
    assert proposed["data"] == {
        "partnership_id": proposal["id"],
        "proposer_id": a.id,
        "partner_id": b.id,
        "shares": ["job_types"],
    }
    [trail] = sent.audit()
    assert (trail["action"], trail["actor_id"], trail["after"]) == (
        "partnership.propose",
        owner.user_id,
        {"partner_id": b.id, "shares": ["job_types"], "status": "proposed"},
    )


@pytest.mark.parametrize("status", ["proposed", "formed"])
@pytest.mark.parametrize("who", ["the proposer", "the partner"])
def test_two_cbos_have_one_live_partnership_or_proposal_at_a_time(uow, cbos, status, who):
    a, b, _ = cbos
    a_partnership(uow, proposer_id=a.id, partner_id=b.id, status=status)
    sent = Outbox(uow)
    proposer, partner_slug = (a, "cbo-b") if who == "the proposer" else (b, "cbo-a")
    with pytest.raises(Conflict) as refused:
        propose(uow, proposer, partner_slug, shares=["opportunities"])
    assert set(refused.value.fields) == {"partner_slug"} and sent.events() == []


@pytest.mark.parametrize("status", ["declined", "cancelled", "ended"])
def test_after_a_partnership_is_over_a_new_one_may_be_proposed(uow, cbos, status):
    a, b, _ = cbos
    a_partnership(uow, proposer_id=a.id, partner_id=b.id, status=status)
    assert propose(uow, b, "cbo-a")["status"] == "proposed"
    statuses = sorted(p["status"] for p in listed(uow, a))
    assert statuses == sorted(["proposed", status])


def test_a_proposal_names_another_approved_cbo(uow, cbos):
    a, _, _ = cbos
    a_cbo(uow, slug="waiting", status="applied")
    a_cbo(uow, slug="paused", status="suspended")
    sent = Outbox(uow)
    with pytest.raises(ValidationFailed) as itself:
        propose(uow, a, "cbo-a")
    assert set(itself.value.fields) == {"partner_slug"}
    for slug in ("nobody", "waiting", "paused"):
        with pytest.raises(NotFound):
            propose(uow, a, slug)
    assert sent.events() == []


def test_the_invited_cbo_accepts_and_the_partnership_forms(uow, cbos):
    a, b, _ = cbos
    proposal = a_partnership(uow, proposer_id=a.id, partner_id=b.id, status="proposed")
    sent = Outbox(uow)
    with pytest.raises(Conflict, match="Only the invited CBO"):
        answer(uow, a, proposal, accept=True)
    formed = answer(uow, b, proposal, accept=True)
    assert (formed["status"], formed["direction"]) == ("formed", "incoming")
    assert formed["decided_at"] is not None
    assert sent.types() == ["partnership.formed", "audit.recorded"]
    assert sent.one("partnership.formed")["tenant_id"] == b.id  # the CBO that acted
    assert sent.audit()[0]["action"] == "partnership.accept"
    assert sent.audit()[0]["before"] == {"status": "proposed"}
    with pytest.raises(Conflict, match="not waiting for an answer"):
        answer(uow, b, proposal, accept=False)


def test_the_invited_cbo_declines(uow, cbos):
    a, b, _ = cbos
    proposal = a_partnership(uow, proposer_id=a.id, partner_id=b.id, status="proposed")
    sent = Outbox(uow)
    declined = answer(uow, b, proposal, accept=False)
    assert declined["status"] == "declined" and declined["decided_at"] is not None
    assert sent.types() == ["partnership.declined", "audit.recorded"]
    assert sent.audit()[0]["action"] == "partnership.decline"
    with pytest.raises(Conflict):
        answer(uow, b, proposal, accept=True)


@pytest.mark.parametrize("suspended", ["proposer", "partner"])
def test_a_partnership_does_not_form_while_either_cbo_is_suspended(uow, cbos, suspended):
    a, b, _ = cbos
    proposal = a_partnership(uow, proposer_id=a.id, partner_id=b.id, status="proposed")
    suspend(uow, a if suspended == "proposer" else b)
    sent = Outbox(uow)
    with pytest.raises(Forbidden):
        answer(uow, b, proposal, accept=True)
    assert sent.events() == []
    unanswered = domain.get_partnership(uow, tenant_id=b.id, partnership_id=proposal["id"])
    assert unanswered["status"] == "proposed"


def test_a_suspended_cbo_neither_declines_nor_ends_but_its_partners_still_may(uow, cbos):
    a, b, c = cbos
    proposal = a_partnership(uow, proposer_id=b.id, partner_id=a.id, status="proposed")
    formed = a_partnership(uow, proposer_id=a.id, partner_id=c.id)
    d = a_cbo(uow)
    withdrawn = a_partnership(uow, proposer_id=d.id, partner_id=a.id, status="proposed")
    suspend(uow, a)
    sent = Outbox(uow)
    for refused in (
        lambda: answer(uow, a, proposal, accept=False),
        lambda: end(uow, a, formed),
    ):
        with pytest.raises(Forbidden, match="Your CBO is suspended"):
            refused()
    assert sent.events() == []
    assert end(uow, c, formed)["status"] == "ended"
    assert end(uow, d, withdrawn)["status"] == "cancelled"


def test_the_proposer_withdraws_an_open_proposal_and_the_partner_must_decline_instead(uow, cbos):
    a, b, _ = cbos
    proposal = a_partnership(uow, proposer_id=a.id, partner_id=b.id, status="proposed")
    with pytest.raises(Conflict, match="Decline the proposal instead"):
        end(uow, b, proposal)
    sent = Outbox(uow)
    cancelled = end(uow, a, proposal)
    assert cancelled["status"] == "cancelled" and cancelled["ended_at"] is not None
    assert sent.types() == ["partnership.cancelled", "audit.recorded"]
    assert sent.audit()[0]["action"] == "partnership.cancel"
    assert [p["id"] for p in listed(uow, a, status="cancelled")] == [proposal["id"]]


@pytest.mark.parametrize("side", ["proposer", "partner"])
def test_either_side_ends_a_formed_partnership_once(uow, cbos, side):
    a, b, _ = cbos
    formed = a_partnership(uow, proposer_id=a.id, partner_id=b.id, status="formed")
    ender = a if side == "proposer" else b
    sent = Outbox(uow)
    ended = end(uow, ender, formed)
    assert ended["status"] == "ended" and ended["ended_at"] is not None
    assert sent.one("partnership.ended")["tenant_id"] == ender.id
    assert sent.audit()[0]["action"] == "partnership.end"
    with pytest.raises(Conflict, match="already ended"):
        end(uow, a, formed)
    with pytest.raises(Conflict, match="already ended"):
        end(uow, b, formed)


def test_partnerships_filter_by_status_and_direction_sort_and_page(uow, cbos):
    a, b, c = cbos
    outgoing = a_partnership(uow, proposer_id=a.id, partner_id=b.id, status="proposed")
    incoming = a_partnership(uow, proposer_id=c.id, partner_id=a.id)
    assert [p["id"] for p in listed(uow, a, direction="outgoing")] == [outgoing["id"]]
    assert [p["id"] for p in listed(uow, a, direction="incoming")] == [incoming["id"]]
    assert [p["id"] for p in listed(uow, a, status="formed")] == [incoming["id"]]
    assert [p["status"] for p in listed(uow, a, sort="status")] == ["formed", "proposed"]
    second = domain.list_partnerships(uow, tenant_id=a.id, page=2, per_page=1, sort="-status")
    assert [p["id"] for p in second["items"]] == [incoming["id"]] and second["total"] == 2


def test_only_the_two_parties_see_or_touch_a_partnership(uow, cbos):
    a, b, c = cbos
    partnership = a_partnership(uow, proposer_id=a.id, partner_id=b.id, status="proposed")
    assert listed(uow, c) == []
    sent = Outbox(uow)
    for attempt in (
        lambda: domain.get_partnership(uow, tenant_id=c.id, partnership_id=partnership["id"]),
        lambda: answer(uow, c, partnership, accept=True),
        lambda: answer(uow, c, partnership, accept=False),
        lambda: end(uow, c, partnership),
        lambda: domain.get_partnership(uow, tenant_id=a.id, partnership_id=str(uuid.uuid4())),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert sent.events() == []
    assert [p["direction"] for p in listed(uow, a)] == ["outgoing"]
    assert [p["direction"] for p in listed(uow, b)] == ["incoming"]
    assert listed(uow, a, status="formed") == []


def test_other_services_are_told_the_formed_partners_from_either_side_and_by_share(uow, cbos):
    a, b, c = cbos
    d = a_cbo(uow)
    both = ["job_types", "opportunities"]
    ab = a_partnership(uow, proposer_id=a.id, partner_id=b.id, shares=["job_types"])
    ca = a_partnership(uow, proposer_id=c.id, partner_id=a.id, shares=both)
    a_partnership(uow, proposer_id=a.id, partner_id=d.id, status="proposed")

    def partners(tenant, share=None) -> list[dict]:
        found = domain.partners(uow, tenant_id=tenant.id, share=share)
        return sorted(found, key=lambda p: p["tenant_id"])

    expected = sorted(
        [
            {"partnership_id": ab["id"], "tenant_id": b.id, "shares": ["job_types"]},
            {"partnership_id": ca["id"], "tenant_id": c.id, "shares": both},
        ],
        key=lambda p: p["tenant_id"],
    )
    assert partners(a) == partners(a, "job_types") == expected
    assert partners(a, "opportunities") == [
        {"partnership_id": ca["id"], "tenant_id": c.id, "shares": both}
    ]
    assert partners(b) == [{"partnership_id": ab["id"], "tenant_id": a.id, "shares": ["job_types"]}]
    assert partners(b, "opportunities") == [] and partners(d) == []  # only proposed

    end(uow, b, ab)
    assert partners(b) == [] and [p["tenant_id"] for p in partners(a)] == [c.id]


def test_a_partnership_goes_proposed_formed_ended_with_one_event_each(uow, cbos):
    a, b, _ = cbos
    sent = Outbox(uow)
    a_partnership(uow, proposer_id=a.id, partner_id=b.id, status="ended")
    assert [t for t in sent.types() if t.startswith("partnership.")] == [
        "partnership.proposed",
        "partnership.formed",
        "partnership.ended",
    ]
    assert [t["action"] for t in sent.audit()] == [
        "partnership.propose",
        "partnership.accept",
        "partnership.end",
    ]
