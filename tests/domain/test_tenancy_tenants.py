"""A CBO's life cycle on tenancy's real database: the application, the city's decisions with
their events and audit entries, the city's list of CBOs, and MOUs with their signed PDF."""

from __future__ import annotations

import base64
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chassis.errors import Conflict, NotFound, UnsupportedMediaType
from services.tenancy.branding.rules import DEFAULT_COLOURS, DEFAULT_TIMEZONE, SUPPORTED_LANGUAGES
from services.tenancy.tenants import domain
from services.tenancy.tenants.models import Tenant
from services.tenancy.tenants.rules import ACTIONS, STATUSES
from services.tenancy.tenants.schemas import ApplicationSchema
from tests.domain.outbox import Outbox
from tests.factories import PDF, PNG, a_cbo, an_mou, application, operator_caller, uploaded

SERVICE = "tenancy"


def apply(uow, slug: str, **fields) -> Tenant:
    return domain.apply(uow, data=ApplicationSchema().load(application(slug, **fields)))


def tenant_page(uow, **options) -> list[str]:
    """The slugs of a page of CBOs as the city lists them (newest first unless `sort`)."""
    options = {"page": 1, "per_page": 50, "sort": "-created_at", **options}
    return [t.slug for t in domain.list_tenants(uow, **options)["items"]]


def mou_page(uow, tenant_id: str, **options) -> dict:
    """A page of a CBO's MOUs (newest start first unless `sort`)."""
    options = {"page": 1, "per_page": 50, "sort": "-starts_on", **options}
    return domain.list_mous(uow, tenant_id=tenant_id, **options)


# -- Applying ----------------------------------------------------------------------------------


def test_an_application_waits_for_the_city_with_the_default_branding_and_its_event(uow):
    sent = Outbox(uow)
    tenant = apply(uow, "harbor-works", name="  Harbor Works  ")
    assert (tenant.status, tenant.slug, tenant.name) == ("applied", "harbor-works", "Harbor Works")
    assert (tenant.display_name, tenant.timezone) == ("Harbor Works", DEFAULT_TIMEZONE)
    assert tenant.colors == DEFAULT_COLOURS and tenant.terminology == {}
    assert tenant.languages == list(SUPPORTED_LANGUAGES) and tenant.default_language == "en"
    assert tenant.allowed_origins == [] and tenant.decided_at is None
    # Anybody may apply: an event for the city, and no audit entry (there is no actor).
    assert sent.types() == ["tenant.applied"]
    applied = sent.one("tenant.applied")
    assert applied["tenant_id"] == tenant.id
    assert applied["data"] == {
        "tenant_id": tenant.id,
        "slug": "harbor-works",
        "name": "Harbor Works",
        "contact_email": "contact@harbor-works.example.org",
        "contact_name": "Carla Contact",
    }


@pytest.mark.parametrize("status", STATUSES)
def test_a_short_name_is_taken_whatever_became_of_its_cbo(uow, status):
    a_cbo(uow, slug="harbor-works", status=status)
    sent = Outbox(uow)
    with pytest.raises(Conflict) as taken:
        apply(uow, "harbor-works", name="Another")
    assert set(taken.value.fields) == {"slug"}
    assert domain.list_tenants(uow, page=1, per_page=10, sort="slug")["total"] == 1
    assert sent.events() == []


# -- The city's decisions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "action", "reason", "end", "extra"),
    [
        (
            "applied",
            "approve",
            None,
            "approved",
            # identity invites the owner named in the application, in the CBO's time zone
            {
                "owner_email": "owner@harbor-works.example.org",
                "owner_name": "Olga Owner",
                "timezone": "America/New_York",
            },
        ),
        ("applied", "reject", "Not in Long Beach", "rejected", {"reason": "Not in Long Beach"}),
        ("approved", "suspend", "Unpaid", "suspended", {"reason": "Unpaid"}),
        ("suspended", "reinstate", "Paid", "approved", {"reason": "Paid"}),
    ],
)
def test_each_decision_moves_the_cbo_with_its_event_and_audit_entry(
    uow, start, action, reason, end, extra
):
    tenant = a_cbo(uow, slug="harbor-works", status=start, timezone="America/New_York")
    operator = operator_caller()
    sent = Outbox(uow)
    decided = domain.decide(uow, caller=operator, tenant_id=tenant.id, action=action, reason=reason)
    assert (decided.status, decided.status_reason) == (end, reason)
    assert decided.decided_at and datetime.now(UTC) - decided.decided_at < timedelta(minutes=1)

    event_type = {
        "approve": "tenant.approved",
        "reject": "tenant.rejected",
        "suspend": "tenant.suspended",
        "reinstate": "tenant.reinstated",
    }[action]
    assert sent.types() == [event_type, "audit.recorded"]
    event = sent.one(event_type)
    assert event["tenant_id"] == tenant.id
    assert event["data"] == {
        "tenant_id": tenant.id,
        "slug": "harbor-works",
        "name": "CBO harbor-works",
        **extra,
    }
    trail = sent.one("audit.recorded")
    assert trail["tenant_id"] == tenant.id  # the CBO's trail, though the operator has none
    assert trail["data"] == {
        "actor_id": operator.user_id,
        "actor_kind": "operator",
        "action": f"tenant.{action}",
        "entity_type": "tenant",
        "entity_id": tenant.id,
        "before": {"status": start},
        "after": {"status": end, "reason": reason},
    }


REFUSED = [
    (action, status)
    for action, status in itertools.product(ACTIONS, STATUSES)
    if ACTIONS[action][0] != status
]


@pytest.mark.parametrize(("action", "status"), REFUSED)
def test_a_decision_the_status_does_not_allow_is_refused_and_changes_nothing(uow, action, status):
    tenant = a_cbo(uow, status=status)
    sent = Outbox(uow)
    with pytest.raises(Conflict, match=f"The CBO is {status}"):
        domain.decide(
            uow, caller=operator_caller(), tenant_id=tenant.id, action=action, reason="Why not"
        )
    assert domain.get_tenant(uow, tenant_id=tenant.id).status == status
    assert sent.events() == []


@pytest.mark.parametrize("tenant_id", [str(uuid.uuid4()), ""])
def test_a_decision_on_a_cbo_that_does_not_exist_is_not_found(uow, tenant_id):
    with pytest.raises(NotFound):
        domain.decide(uow, caller=operator_caller(), tenant_id=tenant_id, action="approve")
    with pytest.raises(NotFound):
        domain.get_tenant(uow, tenant_id=tenant_id)


# -- The city's list ---------------------------------------------------------------------------


def test_the_city_lists_cbos_by_status_and_searches_names_and_slugs(uow):
    waiting = a_cbo(uow, slug="waiting-one", status="applied", name="Eastside 100% Youth")
    a_cbo(uow, slug="harbor-works", name="Pier Nine Works")
    a_cbo(uow, slug="closed-one", status="rejected", name="Closed Works")

    found = domain.list_tenants(uow, page=1, per_page=10, sort="slug", status="applied")
    assert [t.id for t in found["items"]] == [waiting.id] and found["total"] == 1
    assert tenant_page(uow, q="HARBOR") == ["harbor-works"]  # by slug, in any case
    assert tenant_page(uow, q="pier nine") == ["harbor-works"]  # by name
    assert tenant_page(uow, q="works", sort="slug") == ["closed-one", "harbor-works"]
    assert tenant_page(uow, q="works", status="rejected") == ["closed-one"]
    # LIKE's wildcards are searched for as themselves.
    assert tenant_page(uow, q="%") == tenant_page(uow, q="100%") == ["waiting-one"]
    for wildcard in ("_", "\\", "harbor%", "h_rbor", "works%"):
        assert tenant_page(uow, q=wildcard) == []


def test_cbos_sort_by_the_one_sort_parameter_and_come_in_pages(uow):
    # One transaction has one clock: the test sets when each CBO applied.
    slugs = ("b-second", "a-third", "c-first")
    for hours_ago, slug in zip((2, 1, 3), slugs, strict=True):
        a_cbo(uow, slug=slug, name=slug.upper()).created_at = datetime.now(UTC) - timedelta(
            hours=hours_ago
        )
    uow.session.flush()
    assert tenant_page(uow) == ["a-third", "b-second", "c-first"]  # newest first
    assert tenant_page(uow, sort="created_at") == ["c-first", "b-second", "a-third"]
    assert tenant_page(uow, sort="slug") == ["a-third", "b-second", "c-first"]
    assert tenant_page(uow, sort="-slug") == ["c-first", "b-second", "a-third"]
    assert tenant_page(uow, sort="-name") == ["c-first", "b-second", "a-third"]
    second = domain.list_tenants(uow, page=2, per_page=2, sort="slug")
    assert [t.slug for t in second["items"]] == ["c-first"]
    assert (second["total"], second["page"], second["per_page"]) == (3, 2, 2)


# -- MOUs --------------------------------------------------------------------------------------


def test_an_mou_is_recorded_with_its_event_and_audit_entry(uow):
    tenant = a_cbo(uow)
    operator = operator_caller()
    sent = Outbox(uow)
    mou = an_mou(uow, tenant_id=tenant.id, caller=operator, notes="Year one")
    assert (mou.tenant_id, mou.recorded_by, mou.notes) == (tenant.id, operator.user_id, "Year one")
    assert mou.document_info is None and len(mou.signatories) == 2
    assert sent.types() == ["mou.recorded", "audit.recorded"]
    assert sent.one("mou.recorded")["data"] == {
        "tenant_id": tenant.id,
        "mou_id": mou.id,
        "signed_on": "2026-11-01",
        "starts_on": "2026-12-01",
        "ends_on": "2027-11-30",
    }
    [trail] = sent.audit()
    assert (trail["action"], trail["entity_id"], trail["before"]) == ("mou.record", mou.id, None)
    assert trail["after"]["document"] is None and trail["after"]["ends_on"] == "2027-11-30"
    assert trail["after"]["signatories"] == mou.signatories


@pytest.mark.parametrize("status", ["applied", "approved", "suspended"])
def test_an_mou_is_recorded_for_any_cbo_the_city_has_not_rejected(uow, status):
    assert an_mou(uow, tenant_id=a_cbo(uow, status=status).id).id


def test_a_rejected_cbo_has_no_mou_to_record(uow):
    tenant = a_cbo(uow, status="rejected")
    sent = Outbox(uow)
    with pytest.raises(Conflict, match="rejected"):
        an_mou(uow, tenant_id=tenant.id)
    assert mou_page(uow, tenant.id)["total"] == 0 and sent.events() == []


def test_the_signed_pdf_is_checked_from_its_bytes_and_a_new_one_replaces_it(uow):
    tenant = a_cbo(uow)
    mou = an_mou(uow, tenant_id=tenant.id)
    operator = operator_caller()
    sent = Outbox(uow)
    with pytest.raises(UnsupportedMediaType) as refused:
        domain.attach_mou_document(
            uow, caller=operator, tenant_id=tenant.id, mou_id=mou.id, file=uploaded(PNG, "mou.pdf")
        )
    assert set(refused.value.fields) == {"file"} and sent.events() == []

    attached = domain.attach_mou_document(
        uow, caller=operator, tenant_id=tenant.id, mou_id=mou.id, file=uploaded(PDF, "signed.pdf")
    )
    info = {"filename": "signed.pdf", "content_type": "application/pdf", "size": len(PDF)}
    assert attached.document_info == info
    assert sent.one("mou.document_attached")["data"] == {
        "tenant_id": tenant.id,
        "mou_id": mou.id,
        **info,
    }
    [first] = sent.audit()
    assert (first["action"], first["before"], first["after"]) == ("mou.attach_document", None, info)
    document = domain.mou_document(uow, tenant_id=tenant.id, mou_id=mou.id)
    assert base64.b64decode(document["data"]) == PDF
    assert (document["filename"], document["content_type"]) == ("signed.pdf", "application/pdf")

    second_pdf = PDF + b"% countersigned\n"
    domain.attach_mou_document(
        uow,
        caller=operator,
        tenant_id=tenant.id,
        mou_id=mou.id,
        file=uploaded(second_pdf, "v2.pdf"),
    )
    assert sent.audit()[-1]["before"] == info
    document = domain.mou_document(uow, tenant_id=tenant.id, mou_id=mou.id)
    assert base64.b64decode(document["data"]) == second_pdf


def test_mous_are_listed_newest_first_and_only_under_their_own_cbo(uow):
    tenant, other = a_cbo(uow), a_cbo(uow)
    first = an_mou(uow, tenant_id=tenant.id, starts_on="2025-12-01", ends_on="2026-11-30")
    second = an_mou(uow, tenant_id=tenant.id)
    assert [m.id for m in mou_page(uow, tenant.id)["items"]] == [second.id, first.id]
    with pytest.raises(NotFound, match="No document"):
        domain.mou_document(uow, tenant_id=tenant.id, mou_id=first.id)

    assert mou_page(uow, other.id)["items"] == []
    with pytest.raises(NotFound):  # the MOU under another CBO's id
        domain.mou_document(uow, tenant_id=other.id, mou_id=first.id)
    with pytest.raises(NotFound):
        domain.attach_mou_document(
            uow,
            caller=operator_caller(),
            tenant_id=other.id,
            mou_id=first.id,
            file=uploaded(PDF, "signed.pdf"),
        )
    with pytest.raises(NotFound):
        mou_page(uow, str(uuid.uuid4()))


def test_mous_page_and_sort_by_the_one_sort_parameter(uow):
    tenant = a_cbo(uow)
    old = an_mou(
        uow,
        tenant_id=tenant.id,
        signed_on="2026-01-05",
        starts_on="2025-12-01",
        ends_on="2026-11-30",
    )
    new = an_mou(uow, tenant_id=tenant.id, signed_on="2025-11-01", starts_on="2026-12-01")
    second_page = mou_page(uow, tenant.id, page=2, per_page=1)
    assert [m.id for m in second_page["items"]] == [old.id]
    assert (second_page["total"], second_page["page"], second_page["per_page"]) == (2, 2, 1)
    assert [m.id for m in mou_page(uow, tenant.id, sort="starts_on")["items"]] == [old.id, new.id]
    assert [m.id for m in mou_page(uow, tenant.id, sort="-signed_on")["items"]] == [old.id, new.id]
