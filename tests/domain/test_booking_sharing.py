"""Partner sharing on booking's real database: a CBO shares an open shift with the partners
whose partnership shares opportunities; the partner's staff see it and offer it to their own
workers (re-checked); a partner's worker confirms under the grant and the fill is reported
back; a CBO outside the partnership never sees it; the end of the partnership withdraws
everything at once and a confirmation after it is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from chassis.errors import Conflict, NotFound, ValidationFailed
from services.booking.bookings.models import Shift
from services.booking.offers import domain as offers
from services.booking.offers.models import Assignment, Offer
from services.booking.sharing import domain as sharing
from services.booking.sharing.models import OpportunityShare
from services.booking.workers.models import PartnershipRecord
from tests.domain.outbox import Outbox
from tests.factories import staff_caller
from tests.market.builders import a_cbo_record, a_partnership_record, a_worker_record
from tests.market.offers import a_market, a_market_shift, a_worker, jobseeker
from tests.market.recheck import Identity, everyone

SERVICE = "booking"
NOW = datetime.now(UTC).replace(microsecond=0)
PAGE = {"page": 1, "per_page": 50, "sort": "-shared_at"}


@pytest.fixture
def scene(uow):
    """Owner A (a market), partner B (opportunities), partner J (job types only), outsider C."""
    market = a_market(uow)
    partner = a_cbo_record(uow).tenant_id
    jobs_only = a_cbo_record(uow).tenant_id
    outsider = a_cbo_record(uow).tenant_id
    ship = a_partnership_record(
        uow, proposer_id=market.tenant_id, partner_id=partner, shares=["opportunities"]
    )
    a_partnership_record(
        uow, proposer_id=jobs_only, partner_id=market.tenant_id, shares=["job_types"]
    )
    shift = a_market_shift(uow, market, fill_mode="named")
    key = market.job_type.key
    return {
        "market": market,
        "owner": market.tenant_id,
        "partner": partner,
        "jobs_only": jobs_only,
        "outsider": outsider,
        "ship": ship,
        "shift": shift,
        "partner_worker": a_worker_record(uow, tenant_id=partner, job_types=[key]),
        "outsider_worker": a_worker_record(uow, tenant_id=outsider, job_types=[key]),
        "own_worker": a_worker(uow, market),
    }


def share(uow, s, **kwargs):
    return sharing.share_shift(
        uow,
        caller=staff_caller(s["owner"]),
        tenant_id=s["owner"],
        shift_id=s["shift"].id,
        now=NOW,
        **kwargs,
    )


def offer(uow, s, share_id, worker_id, *, tenant_id=None, eligible_now=everyone):
    tenant_id = tenant_id or s["partner"]
    return sharing.offer_shared(
        uow,
        caller=staff_caller(tenant_id),
        tenant_id=tenant_id,
        share_id=share_id,
        worker_id=worker_id,
        eligible_now=eligible_now,
    )


def confirm(uow, worker, offer_id):
    return offers.confirm_offer(
        uow,
        tenant_id=worker.tenant_id,
        worker_id=worker.id,
        offer_id=offer_id,
        eligible_now=everyone,
    )


def test_sharing_goes_to_partners_sharing_opportunities_only(uow, scene):
    sent = Outbox(uow)
    (made,) = share(uow, scene)
    assert made.partner_tenant_id == scene["partner"]
    assert made.partnership_id == scene["ship"].id
    event = sent.one("opportunity.shared")
    assert event["tenant_id"] == scene["owner"]
    assert event["data"]["owner_tenant_id"] == scene["owner"]
    assert event["data"]["partner_tenant_id"] == scene["partner"]
    assert event["data"]["job_type_key"] == scene["market"].job_type.key
    assert [a["action"] for a in sent.audit()] == ["opportunity.share"]
    # Sharing again keeps the one share.
    (again,) = share(uow, scene)
    assert again.id == made.id
    assert len(sent.events("opportunity.shared")) == 1


def test_naming_a_partner_that_does_not_share_opportunities_is_422(uow, scene):
    for other in ("jobs_only", "outsider"):
        with pytest.raises(ValidationFailed) as refused:
            share(uow, scene, partner_ids=[scene[other]])
        assert "partner_ids" in refused.value.fields


def test_a_cbo_without_such_partners_cannot_share(uow, scene):
    lonely = a_market(uow)
    shift = a_market_shift(uow, lonely, fill_mode="named")
    with pytest.raises(Conflict, match="no partner that shares opportunities"):
        sharing.share_shift(
            uow,
            caller=staff_caller(lonely.tenant_id),
            tenant_id=lonely.tenant_id,
            shift_id=shift.id,
        )


def test_another_cbos_shift_or_booking_is_404(uow, scene):
    with pytest.raises(NotFound):
        sharing.share_shift(
            uow,
            caller=staff_caller(scene["partner"]),
            tenant_id=scene["partner"],
            shift_id=scene["shift"].id,
        )
    with pytest.raises(NotFound):
        sharing.share_booking(
            uow,
            caller=staff_caller(scene["partner"]),
            tenant_id=scene["partner"],
            booking_id=scene["shift"].booking_id,
        )


def test_a_filled_or_started_shift_cannot_be_shared(uow, scene):
    scene["shift"].status = "filled"
    uow.session.flush()
    with pytest.raises(Conflict, match="filled"):
        share(uow, scene)


def test_only_the_partner_sees_what_is_shared_with_it(uow, scene):
    (made,) = share(uow, scene)
    seen = sharing.list_shared_with(uow, tenant_id=scene["partner"], **PAGE)
    assert [i["id"] for i in seen["items"]] == [made.id]
    item = seen["items"][0]
    assert item["owner"]["id"] == scene["owner"] and item["shift"]["id"] == scene["shift"].id
    for other in ("outsider", "jobs_only", "owner"):
        assert sharing.list_shared_with(uow, tenant_id=scene[other], **PAGE)["total"] == 0
        with pytest.raises(NotFound):
            sharing.share_view(uow, tenant_id=scene[other], share_id=made.id, side="partner")
    for other in ("outsider", "partner"):
        assert sharing.list_shares(uow, tenant_id=scene[other], **PAGE)["total"] == 0
    # Nor can another CBO offer it, withdraw it, or list its offers.
    with pytest.raises(NotFound):
        offer(uow, scene, made.id, scene["outsider_worker"].id, tenant_id=scene["outsider"])
    with pytest.raises(NotFound):
        sharing.withdraw_share(
            uow,
            caller=staff_caller(scene["partner"]),
            tenant_id=scene["partner"],
            share_id=made.id,
            reason="mine now",
            eligible_now=everyone,
        )
    with pytest.raises(NotFound):
        sharing.list_share_offers(
            uow, tenant_id=scene["outsider"], share_id=made.id, page=1, per_page=10, sort="status"
        )


def test_the_partners_worker_is_offered_and_confirms_under_the_grant(uow, scene):
    (made,) = share(uow, scene)
    worker = scene["partner_worker"]
    identity = Identity()
    sent = offer(uow, scene, made.id, worker.id, eligible_now=identity)
    # Identity was asked about the partner's own worker, in the partner's CBO.
    assert identity.asked == [(scene["market"].job_type.key, scene["partner"], [worker.id])]
    assert (sent.share_id, sent.worker_tenant_id, sent.channel) == (
        made.id,
        scene["partner"],
        "shared",
    )
    # The worker sees it among their own offers.
    mine = offers.list_my_offers(
        uow,
        tenant_id=worker.tenant_id,
        worker_id=worker.id,
        page=1,
        per_page=10,
        sort="-created_at",
    )
    assert [o["id"] for o in mine["items"]] == [sent.id]
    events = Outbox(uow)
    assignment = confirm(uow, worker, sent.id)
    assert (assignment.tenant_id, assignment.worker_tenant_id) == (scene["owner"], scene["partner"])
    shift = uow.session.get(Shift, scene["shift"].id, populate_existing=True)
    assert shift.status == "filled"
    filled = events.one("opportunity.filled")["data"]
    assert filled["worker_id"] == worker.id and filled["worker_tenant_id"] == scene["partner"]
    assert filled["assignment_id"] == assignment.id
    view = sharing.share_view(uow, tenant_id=scene["owner"], share_id=made.id, side="owner")
    assert view["status"] == "filled"
    assert view["filled_by"]["worker_id"] == worker.id
    assert view["filled_by"]["tenant_id"] == scene["partner"]
    assert view["shift"]["status"] == "filled"


def test_the_partner_offers_only_its_own_eligible_workers(uow, scene):
    (made,) = share(uow, scene)
    for other in ("outsider_worker", "own_worker"):
        with pytest.raises(ValidationFailed) as refused:
            offer(uow, scene, made.id, scene[other].id)
        assert "jobseeker_id" in refused.value.fields
    with pytest.raises(Conflict) as refused:
        offer(
            uow,
            scene,
            made.id,
            scene["partner_worker"].id,
            eligible_now=Identity(scene["partner_worker"].id),
        )
    assert "jobseeker_id" in refused.value.fields
    suspended = a_worker_record(
        uow, tenant_id=scene["partner"], suspended=True, job_types=[scene["market"].job_type.key]
    )
    with pytest.raises(Conflict, match="suspended"):
        offer(uow, scene, made.id, suspended.id)


def test_a_release_offers_the_partners_eligible_workers(uow, scene):
    (made,) = share(uow, scene)
    key = scene["market"].job_type.key
    others = [a_worker_record(uow, tenant_id=scene["partner"], job_types=[key]) for _ in range(2)]
    a_worker_record(uow, tenant_id=scene["partner"], approved=False, job_types=[key])
    sent = sharing.release_shared(
        uow,
        caller=staff_caller(scene["partner"]),
        tenant_id=scene["partner"],
        share_id=made.id,
        eligible_now=everyone,
    )
    assert {o.worker_id for o in sent} == {scene["partner_worker"].id, *(w.id for w in others)}
    assert {o.worker_tenant_id for o in sent} == {scene["partner"]}


def test_the_end_of_the_partnership_stops_the_sharing_at_once(uow, scene):
    (made,) = share(uow, scene)
    worker = scene["partner_worker"]
    sent = offer(uow, scene, made.id, worker.id)
    events = Outbox(uow)
    # Tenancy's partnership.ended: the read model and the sharing area's handler.
    uow.session.get(PartnershipRecord, scene["ship"].id).active = False
    uow.session.flush()
    assert sharing.end_partnership(uow, partnership_id=scene["ship"].id, eligible_now=everyone) == 1
    assert uow.session.get(OpportunityShare, made.id, populate_existing=True).status == "withdrawn"
    assert uow.session.get(Offer, sent.id, populate_existing=True).status == "withdrawn"
    assert events.one("opportunity.withdrawn")["data"]["reason"] == "partnership ended"
    with pytest.raises(Conflict):
        confirm(uow, worker, sent.id)
    with pytest.raises(Conflict, match="no partner"):
        share(uow, scene)
    assert sharing.end_partnership(uow, partnership_id=scene["ship"].id, eligible_now=everyone) == 0


def test_a_confirmation_is_refused_once_the_read_model_knows_the_end(uow, scene):
    """Whichever handler of partnership.ended runs first, the grant no longer holds."""
    (made,) = share(uow, scene)
    worker = scene["partner_worker"]
    sent = offer(uow, scene, made.id, worker.id)
    uow.session.get(PartnershipRecord, scene["ship"].id).active = False
    uow.session.flush()
    with pytest.raises(Conflict, match="no longer shared"):
        confirm(uow, worker, sent.id)
    assert (
        uow.session.execute(select(Assignment).where(Assignment.offer_id == sent.id)).first()
        is None
    )


def test_withdrawing_a_share_withdraws_the_partners_offers(uow, scene):
    (made,) = share(uow, scene)
    sent = offer(uow, scene, made.id, scene["partner_worker"].id)
    sharing.withdraw_share(
        uow,
        caller=staff_caller(scene["owner"]),
        tenant_id=scene["owner"],
        share_id=made.id,
        reason="filled it ourselves",
        eligible_now=everyone,
    )
    assert uow.session.get(Offer, sent.id, populate_existing=True).status == "withdrawn"
    with pytest.raises(Conflict):
        confirm(uow, scene["partner_worker"], sent.id)
    with pytest.raises(Conflict, match="no longer shared"):
        offer(uow, scene, made.id, scene["partner_worker"].id)


def test_the_shift_filled_by_the_owners_worker_ends_the_shares(uow, scene):
    (made,) = share(uow, scene)
    shift = scene["shift"]
    own = offers.offer_shift(
        uow,
        caller=staff_caller(scene["owner"]),
        tenant_id=scene["owner"],
        shift_id=shift.id,
        worker_id=scene["own_worker"].id,
        eligible_now=everyone,
    )
    events = Outbox(uow)
    confirm(uow, scene["own_worker"], own.id)
    assert uow.session.get(OpportunityShare, made.id, populate_existing=True).status == "withdrawn"
    assert events.one("opportunity.withdrawn")["data"]["reason"] == "shift filled"


def test_sharing_a_booking_shares_its_open_shifts(uow, scene):
    made = sharing.share_booking(
        uow,
        caller=staff_caller(scene["owner"]),
        tenant_id=scene["owner"],
        booking_id=scene["shift"].booking_id,
        now=NOW,
    )
    assert [s.shift_id for s in made] == [scene["shift"].id]


def test_the_worker_sees_their_offer_and_nobody_elses(uow, scene):
    (made,) = share(uow, scene)
    sent = offer(uow, scene, made.id, scene["partner_worker"].id)
    with pytest.raises(NotFound):
        confirm(uow, scene["outsider_worker"], sent.id)
    caller = jobseeker(scene["partner_worker"])
    assert caller.tenant_id == scene["partner"]


def test_a_release_offers_at_most_its_cap(uow, scene, monkeypatch):
    from services.booking.sharing import rules as sharing_rules

    monkeypatch.setattr(sharing_rules, "RELEASE_CAP", 2)
    (made,) = share(uow, scene)
    key = scene["market"].job_type.key
    for _ in range(3):
        a_worker_record(uow, tenant_id=scene["partner"], job_types=[key])
    sent = sharing.release_shared(
        uow,
        caller=staff_caller(scene["partner"]),
        tenant_id=scene["partner"],
        share_id=made.id,
        eligible_now=everyone,
    )
    assert len(sent) == 2
    assert len(uow.session.execute(select(Offer).where(Offer.share_id == made.id)).all()) == 2
