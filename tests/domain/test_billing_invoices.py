"""Billing's invoices on its real database: numbers without gaps per series (void and replace
included, a failed issue taking none), the life cycle with its events and audit entries, who
sees which invoice, and the operator's licence charges prorated by day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from chassis.context import Caller
from chassis.contracts.permissions import BUILTIN_ROLES
from chassis.errors import Conflict, Forbidden, NotFound
from chassis.jobs import Job
from services.billing.invoices import domain, generation
from services.billing.invoices.models import Invoice
from services.billing.licences import domain as licences
from tests.domain.billing_world import WEEK, BillingWorld
from tests.domain.outbox import Outbox
from tests.factories import jobseeker_caller, operator_caller, staff_caller

SERVICE = "billing"
NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def client_user(tenant_id: str, client_id: str) -> Caller:
    return Caller(
        kind="client",
        user_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        roles=("client",),
        permissions=BUILTIN_ROLES["client"],
        client_id=client_id,
    )


def a_line(source_id: str | None = None, *, minutes: int = 480, rate: int = 2500) -> dict:
    amount = minutes * rate // 60
    return {
        "source_id": source_id or str(uuid.uuid4()),
        "description": "Home care",
        "service_date": date(2026, 11, 23),
        "worker_id": str(uuid.uuid4()),
        "worker_name": "សុខ សុភា",
        "job_type_name": "Home care",
        "minutes": minutes,
        "rate_cents": rate,
        "base_cents": amount,
        "premium_cents": 0,
        "amount_cents": amount,
    }


def a_draft(uow, tenant_id: str, client_id: str | None = None, *, lines=None, kind="client"):
    return domain.create_draft(
        uow,
        tenant_id=tenant_id,
        kind=kind,
        client_id=client_id or str(uuid.uuid4()),
        period="week",
        period_start=date(2026, 11, 23),
        period_end=date(2026, 11, 29),
        issuer_name="Khmer Community Works",
        bill_to_name="City of Long Beach",
        timezone="America/Los_Angeles",
        lines=lines if lines is not None else [a_line()],
    )


def finance(tenant_id: str) -> Caller:
    return staff_caller(tenant_id, role="finance")


def test_a_draft_totals_its_lines_and_has_no_number(uow):
    tenant = str(uuid.uuid4())
    draft = a_draft(uow, tenant, lines=[a_line(minutes=480), a_line(minutes=450, rate=2125)])
    assert draft.number is None and draft.status == "draft"
    assert draft.total_cents == 20000 + 15937  # the builder floors; the domain sums what it gets


def test_numbers_have_no_gaps_across_issue_void_and_replace(uow):
    tenant = str(uuid.uuid4())
    caller = finance(tenant)
    sent = Outbox(uow)
    first = domain.issue_invoice(uow, caller=caller, invoice_id=a_draft(uow, tenant).id, now=NOW)
    voided, replacement = domain.void_invoice(
        uow, caller=caller, invoice_id=first.id, reason="Wrong hours", replace=True, now=NOW
    )
    assert replacement is not None and replacement.number is None
    assert voided.number == "INV-000001" and voided.replaced_by_id == replacement.id
    second = domain.issue_invoice(uow, caller=caller, invoice_id=replacement.id, now=NOW)
    third = domain.issue_invoice(uow, caller=caller, invoice_id=a_draft(uow, tenant).id, now=NOW)
    assert [second.number, third.number] == ["INV-000002", "INV-000003"]
    assert second.replaces_id == first.id
    assert domain.invoice_view(uow, invoice=second)["replaces_number"] == "INV-000001"
    # Another CBO's series starts at one.
    other = str(uuid.uuid4())
    theirs = domain.issue_invoice(
        uow, caller=finance(other), invoice_id=a_draft(uow, other).id, now=NOW
    )
    assert theirs.number == "INV-000001"
    assert sent.types().count("invoice.issued") == 4
    voided_event = sent.one("invoice.voided")["data"]
    assert voided_event["number"] == "INV-000001"
    assert voided_event["replaced_by"] == replacement.id


def test_an_issue_that_fails_takes_no_number(uow):
    tenant = str(uuid.uuid4())
    caller = finance(tenant)
    empty = a_draft(uow, tenant, lines=[])
    with pytest.raises(Conflict):
        domain.issue_invoice(uow, caller=caller, invoice_id=empty.id, now=NOW)
    uow.session.rollback()
    issued = domain.issue_invoice(uow, caller=caller, invoice_id=a_draft(uow, tenant).id, now=NOW)
    assert issued.number == "INV-000001"


def test_the_life_cycle_refuses_wrong_moves(uow):
    tenant = str(uuid.uuid4())
    caller = finance(tenant)
    draft = a_draft(uow, tenant)
    with pytest.raises(Conflict):
        domain.pay_invoice(uow, caller=caller, invoice_id=draft.id, now=NOW)
    with pytest.raises(Conflict):
        domain.void_invoice(
            uow, caller=caller, invoice_id=draft.id, reason="x", replace=False, now=NOW
        )
    domain.issue_invoice(uow, caller=caller, invoice_id=draft.id, now=NOW)
    with pytest.raises(Conflict):
        domain.issue_invoice(uow, caller=caller, invoice_id=draft.id, now=NOW)
    sent = Outbox(uow)
    paid = domain.pay_invoice(uow, caller=caller, invoice_id=draft.id, now=NOW, reference="chk 9")
    assert (paid.status, paid.paid_at, paid.payment_reference) == ("paid", NOW, "chk 9")
    assert sent.one("invoice.paid")["data"]["total_cents"] == 20000
    assert sent.audit()[0]["action"] == "invoice.pay"
    voided, replacement = domain.void_invoice(
        uow, caller=caller, invoice_id=draft.id, reason="Refunded", replace=False, now=NOW
    )
    assert voided.status == "void" and replacement is None
    with pytest.raises(Conflict):
        domain.pay_invoice(uow, caller=caller, invoice_id=draft.id, now=NOW)


def test_a_line_is_on_one_live_invoice_only_until_its_invoice_is_voided(uow):
    tenant = str(uuid.uuid4())
    caller = finance(tenant)
    invoice = a_draft(uow, tenant, lines=[a_line("visit-1")])
    with pytest.raises(Conflict):
        a_draft(uow, tenant, lines=[a_line("visit-1")])
    uow.session.rollback()
    invoice = a_draft(uow, tenant, lines=[a_line("visit-1")])
    domain.issue_invoice(uow, caller=caller, invoice_id=invoice.id, now=NOW)
    domain.void_invoice(
        uow, caller=caller, invoice_id=invoice.id, reason="Wrong", replace=False, now=NOW
    )
    again = a_draft(uow, tenant, lines=[a_line("visit-1")])
    assert again.status == "draft"
    # The same source at another CBO is its own.
    assert a_draft(uow, str(uuid.uuid4()), lines=[a_line("visit-1")]).status == "draft"


def test_who_sees_which_invoice(uow):
    tenant, other_tenant = str(uuid.uuid4()), str(uuid.uuid4())
    client, other_client = str(uuid.uuid4()), str(uuid.uuid4())
    issued = a_draft(uow, tenant, client)
    domain.issue_invoice(uow, caller=finance(tenant), invoice_id=issued.id, now=NOW)
    draft = a_draft(uow, tenant, client)
    licence = a_draft(uow, tenant, kind="licence")

    def seen(caller) -> set[str]:
        page = domain.list_invoices(uow, caller=caller, page=1, per_page=50)
        return {item["id"] for item in page["items"]}

    assert seen(finance(tenant)) == {issued.id, draft.id, licence.id}
    assert seen(client_user(tenant, client)) == {issued.id}  # issued, their own, no draft
    assert seen(client_user(tenant, other_client)) == set()
    assert seen(finance(other_tenant)) == set()
    assert seen(jobseeker_caller(tenant)) == set()
    assert seen(staff_caller(tenant, role="scheduler")) == set()
    assert licence.id in seen(operator_caller()) and issued.id not in seen(operator_caller())
    for caller, invoice in [
        (client_user(tenant, client), draft),
        (client_user(tenant, other_client), issued),
        (finance(other_tenant), issued),
        (jobseeker_caller(tenant), issued),
        (operator_caller(), issued),
    ]:
        with pytest.raises(NotFound):
            domain.find_invoice(uow, caller=caller, invoice_id=invoice.id)


def test_only_finance_staff_move_client_invoices_and_only_the_operator_licence_ones(uow):
    tenant = str(uuid.uuid4())
    client = str(uuid.uuid4())
    invoice = a_draft(uow, tenant, client)
    licence = a_draft(uow, tenant, kind="licence")
    with pytest.raises(Forbidden):
        domain.issue_invoice(uow, caller=finance(tenant), invoice_id=licence.id, now=NOW)
    with pytest.raises(NotFound):  # a client's user never sees a draft
        domain.issue_invoice(
            uow, caller=client_user(tenant, client), invoice_id=invoice.id, now=NOW
        )
    issued = domain.issue_invoice(uow, caller=operator_caller(), invoice_id=licence.id, now=NOW)
    assert issued.number == "LIC-000001"
    domain.issue_invoice(uow, caller=finance(tenant), invoice_id=invoice.id, now=NOW)
    # A client's user whose (forged) token claims payroll.run sees the issued invoice but
    # still cannot pay it: only staff move client invoices.
    forged = Caller(
        kind="client",
        user_id=str(uuid.uuid4()),
        tenant_id=tenant,
        permissions=frozenset({"payroll.run"}),
        client_id=client,
    )
    with pytest.raises(Forbidden):
        domain.pay_invoice(uow, caller=forged, invoice_id=invoice.id, now=NOW)
    with pytest.raises(Forbidden):
        domain.pay_invoice(uow, caller=finance(tenant), invoice_id=licence.id, now=NOW)


def test_a_client_s_invoicing_settings(uow):
    tenant, client = str(uuid.uuid4()), str(uuid.uuid4())
    assert domain.client_settings(uow, tenant_id=tenant, client_id=client)["period"] == "week"
    found = domain.set_client_settings(
        uow,
        caller=finance(tenant),
        tenant_id=tenant,
        client_id=client,
        settings={
            "period": "month",
            "evv_elements": True,
            "bill_premiums": False,
            "terms_days": 15,
        },
    )
    assert found == {
        "client_id": client,
        "period": "month",
        "evv_elements": True,
        "bill_premiums": False,
        "terms_days": 15,
    }
    other = domain.client_settings(uow, tenant_id=str(uuid.uuid4()), client_id=client)
    assert other["period"] == "week"


# Licence charges.


def learn(uow, tenant_id: str, feature: str, starts_on: str, ends_on: str | None = None) -> str:
    licence_id = str(uuid.uuid4())
    licences.learn_licence(
        uow,
        tenant_id=tenant_id,
        licence_id=licence_id,
        feature=feature,
        starts_on=date.fromisoformat(starts_on),
        ends_on=date.fromisoformat(ends_on) if ends_on else None,
        event_at=NOW,
    )
    return licence_id


def test_a_month_of_licence_charges_is_each_cbo_s_own_invoice(uow):
    operator = operator_caller()
    licences.set_price(uow, caller=operator, feature="evv", monthly_cents=20000)
    licences.set_price(uow, caller=operator, feature="rebooking", monthly_cents=15000)
    tenant, late = str(uuid.uuid4()), str(uuid.uuid4())
    licences.learn_cbo_name(uow, tenant_id=tenant, name="Khmer Community Works", event_at=NOW)
    learn(uow, tenant, "evv", "2026-01-01")
    revoked = learn(uow, tenant, "rebooking", "2026-01-01")
    # Revoked: its last day moved to the 10th (an older event arriving later changes nothing).
    licences.learn_licence(
        uow,
        tenant_id=tenant,
        licence_id=revoked,
        feature="rebooking",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 11, 10),
        event_at=NOW,
    )
    licences.learn_licence(
        uow,
        tenant_id=tenant,
        licence_id=revoked,
        feature="rebooking",
        starts_on=date(2026, 1, 1),
        ends_on=None,
        event_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    learn(uow, late, "evv", "2026-11-16")
    found = licences.charge_month(uow, caller=operator, month=date(2026, 11, 1))
    totals = {draft["tenant_id"]: draft["total_cents"] for draft in found["drafts"]}
    assert totals == {tenant: 20000 + 5000, late: 10000}
    mine = next(d for d in found["drafts"] if d["tenant_id"] == tenant)
    assert (mine["kind"], mine["bill_to_name"], mine["period_start"]) == (
        "licence",
        "Khmer Community Works",
        date(2026, 11, 1),
    )
    invoice = domain.find_invoice(uow, caller=finance(tenant), invoice_id=mine["id"])
    lines = domain.invoice_view(uow, invoice=invoice)["lines"]
    assert [line["description"] for line in lines] == [
        "EVV licence, 2026-11-01 to 2026-11-30",
        "Automatic rebooking licence, 2026-11-01 to 2026-11-30 (10 of 30 days)",
    ]
    # Charged again: the drafts are made again, not doubled; once issued, never charged twice.
    again = licences.charge_month(uow, caller=operator, month=date(2026, 11, 1))
    assert len(again["drafts"]) == 2
    for draft in again["drafts"]:
        domain.issue_invoice(uow, caller=operator, invoice_id=draft["id"], now=NOW)
    assert licences.charge_month(uow, caller=operator, month=date(2026, 11, 1))["drafts"] == []
    # The CBO's finance staff see their licence invoice; another CBO's do not.
    issued = next(d for d in again["drafts"] if d["tenant_id"] == tenant)
    seen = domain.find_invoice(uow, caller=finance(tenant), invoice_id=issued["id"])
    assert (seen.number, seen.status) in {("LIC-000001", "issued"), ("LIC-000002", "issued")}
    with pytest.raises(NotFound):
        domain.find_invoice(uow, caller=finance(late), invoice_id=issued["id"])


def test_an_unpriced_feature_is_named_not_charged(uow):
    tenant = str(uuid.uuid4())
    learn(uow, tenant, "evv", "2026-01-01")
    found = licences.charge_month(uow, caller=operator_caller(), month=date(2026, 11, 1))
    assert found["drafts"] == [] and found["unpriced_features"] == ["evv"]


# Invoices made from approved timesheet lines.


def run_all(uow, world, *, period: str, period_start: date) -> dict:
    """An invoice run's steps, one after another, as the job runner would take them."""
    checkpoint, steps = None, 0
    while True:
        job = Job(
            id=str(uuid.uuid4()),
            kind=generation.GENERATE_JOB.name,
            tenant_id=world.tenant_id,
            created_by=None,
            params={},
            checkpoint=checkpoint,
            done=0,
            total=None,
            attempt=1,
        )
        result = generation.generate_step(
            uow, job=job, period=period, period_start=period_start.isoformat()
        )
        checkpoint, steps = result.checkpoint, steps + 1
        if result.finished:
            return {**checkpoint, "steps": steps}


def drafts_of(uow, world) -> dict[str, Invoice]:
    found = uow.session.scalars(
        select(Invoice).where(Invoice.tenant_id == world.tenant_id, Invoice.status == "draft")
    )
    return {invoice.client_id: invoice for invoice in found}


def test_a_week_s_invoices_bill_each_client_its_shifts_at_the_bill_rate(uow):
    world = BillingWorld(uow)
    licences.learn_cbo_name(uow, tenant_id=world.tenant_id, name="Khmer Works", event_at=NOW)
    home_care = world.job_type(pay=2000, bill=2800)
    sokha, jose = world.worker("សុខ សុភា"), world.worker("José Núñez")
    for day in range(3):
        world.worked(
            worker_id=sokha,
            client_id=world.client_a,
            job_type_id=home_care,
            day=day,
            start="08:00",
            hours=8,
        )
    world.worked(
        worker_id=jose,
        client_id=world.client_b,
        job_type_id=home_care,
        day=1,
        start="09:00",
        hours=7.5,
        bill=3125,
        given=True,
    )
    # A disputed line and another week's line are not billed.
    world.worked(
        worker_id=jose,
        client_id=world.client_a,
        job_type_id=home_care,
        day=4,
        start="09:00",
        hours=4,
        status="disputed",
    )
    world.worked(
        worker_id=jose,
        client_id=world.client_a,
        job_type_id=home_care,
        day=0,
        start="09:00",
        hours=4,
        week=WEEK + timedelta(days=7),
    )
    found = run_all(uow, world, period="week", period_start=WEEK)
    assert (found["drafts"], found["unpriced_lines"]) == (2, 0)
    drafts = drafts_of(uow, world)
    city, shoreline = drafts[world.client_a], drafts[world.client_b]
    assert city.total_cents == 3 * 8 * 2800
    assert shoreline.total_cents == 23438  # 7.5 h × $31.25 = $234.375, half up
    assert (city.bill_to_name, city.issuer_name) == ("City of Long Beach", "Khmer Works")
    assert (city.period_start, city.period_end) == (WEEK, WEEK + timedelta(days=6))
    view = domain.invoice_view(uow, invoice=city)
    assert [line["worker_name"] for line in view["lines"]] == ["សុខ សុភា"] * 3
    assert [line["service_date"] for line in view["lines"]] == [
        WEEK,
        WEEK + timedelta(days=1),
        WEEK + timedelta(days=2),
    ]
    assert view["lines"][0]["evv"] is None  # the client did not ask for the EVV elements
    # Run again: the drafts are made again, not doubled.
    run_all(uow, world, period="week", period_start=WEEK)
    assert {k: v.total_cents for k, v in drafts_of(uow, world).items()} == {
        world.client_a: 3 * 8 * 2800,
        world.client_b: 23438,
    }


def test_a_monthly_client_with_evv_elements_and_a_late_approval(uow):
    world = BillingWorld(uow)
    job = world.job_type(pay=2000, bill=2800)
    ana = world.worker("Ana Reyes")
    domain.set_client_settings(
        uow,
        caller=finance(world.tenant_id),
        tenant_id=world.tenant_id,
        client_id=world.client_a,
        settings={"period": "month", "evv_elements": True},
    )
    # Week of 16 Nov and the week of 30 Nov (Mon 30 Nov is in November; Tue 1 Dec is not).
    world.worked(
        worker_id=ana, client_id=world.client_a, job_type_id=job, day=0, start="08:00", hours=8
    )
    last_week = WEEK + timedelta(days=14)
    world.worked(
        worker_id=ana,
        client_id=world.client_a,
        job_type_id=job,
        day=0,
        start="08:00",
        hours=2,
        week=last_week,
    )
    world.worked(
        worker_id=ana,
        client_id=world.client_a,
        job_type_id=job,
        day=1,
        start="08:00",
        hours=5,
        week=last_week,
    )
    # Weekly runs leave the monthly client alone.
    assert run_all(uow, world, period="week", period_start=WEEK)["drafts"] == 0
    found = run_all(uow, world, period="month", period_start=date(2026, 11, 1))
    assert found["drafts"] == 1
    month = drafts_of(uow, world)[world.client_a]
    assert month.total_cents == (8 + 2) * 2800
    view = domain.invoice_view(uow, invoice=month)
    evv = view["lines"][0]["evv"]
    assert (evv["recipient"], evv["provider"], evv["service_type"]) == (
        "City of Long Beach",
        "Ana Reyes",
        "custodian",
    )
    assert (evv["latitude"], evv["longitude"]) == (33.77, -118.19)
    domain.issue_invoice(uow, caller=finance(world.tenant_id), invoice_id=month.id, now=NOW)
    # A line approved late lands on a new draft; the issued ones are never billed twice.
    world.worked(
        worker_id=ana, client_id=world.client_a, job_type_id=job, day=3, start="08:00", hours=1
    )
    assert run_all(uow, world, period="month", period_start=date(2026, 11, 1))["drafts"] == 1
    assert drafts_of(uow, world)[world.client_a].total_cents == 2800


def test_lines_without_a_bill_rate_are_counted_not_billed(uow):
    world = BillingWorld(uow)
    ana = world.worker("Ana Reyes")
    # A line whose shift billing has not heard of yet cannot be priced.
    visit = {
        "visit_id": str(uuid.uuid4()),
        "shift_id": str(uuid.uuid4()),
        "client_id": world.client_a,
        "worker_id": ana,
        "worker_tenant_id": world.tenant_id,
        "starts_at": world.local(0, "08:00"),
        "ends_at": world.local(0, "12:00"),
    }
    world.line(visit, week=WEEK, clock_out=world.local(0, "12:00"))
    found = run_all(uow, world, period="week", period_start=WEEK)
    assert (found["drafts"], found["unpriced_lines"]) == (0, 1)


def test_a_run_over_many_clients_goes_a_few_clients_a_step(uow):
    world = BillingWorld(uow)
    job = world.job_type(pay=2000, bill=2800)
    ana = world.worker("Ana Reyes")
    clients = [str(uuid.uuid4()) for _ in range(generation.CLIENTS_PER_STEP + 2)]
    for client in clients:
        world.worked(
            worker_id=ana, client_id=client, job_type_id=job, day=0, start="08:00", hours=1
        )
    found = run_all(uow, world, period="week", period_start=WEEK)
    assert (found["drafts"], found["steps"]) == (len(clients), 2)


def test_a_run_refuses_a_period_that_does_not_start_one(uow):
    from chassis.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        generation.start_run(
            uow,
            caller_id=None,
            tenant_id=str(uuid.uuid4()),
            period="week",
            period_start=WEEK + timedelta(days=1),
        )


def test_overtime_and_reporting_time_are_billed_as_premiums_where_the_client_pays_them(uow):
    world = BillingWorld(uow)
    job = world.job_type(pay=2000, bill=2800)
    ana = world.worker("Ana Reyes")
    # A 10-hour day: 2 h over 8 at 1.5× (California's daily overtime).
    long_day = world.worked(
        worker_id=ana, client_id=world.client_a, job_type_id=job, day=0, start="07:00", hours=10
    )
    # Shoreline cancelled an 8-hour shift late: 4 h of reporting time (half, at most 4).
    shift = world.shift(
        client_id=world.client_b,
        job_type_id=job,
        starts_at=world.local(2, "08:00"),
        ends_at=world.local(2, "16:00"),
    )
    world.cancel_late(worker_id=ana, shift_id=shift, client_id=world.client_b)
    found = run_all(uow, world, period="week", period_start=WEEK)
    assert found["drafts"] == 2
    drafts = drafts_of(uow, world)
    (line,) = domain.invoice_view(uow, invoice=drafts[world.client_a])["lines"]
    assert line["source_id"] == long_day
    assert (line["base_cents"], line["premium_cents"]) == (10 * 2800, 2 * 1400)
    assert line["premiums"]["minutes"] == {"1.5": 120}
    (reporting,) = domain.invoice_view(uow, invoice=drafts[world.client_b])["lines"]
    assert reporting["description"].startswith("Reporting time")
    assert (reporting["base_cents"], reporting["amount_cents"]) == (0, 4 * 2800)
    # A client not billed premiums pays the hours only, and no reporting time.
    for client in (world.client_a, world.client_b):
        domain.set_client_settings(
            uow,
            caller=finance(world.tenant_id),
            tenant_id=world.tenant_id,
            client_id=client,
            settings={"bill_premiums": False},
        )
    assert run_all(uow, world, period="week", period_start=WEEK)["drafts"] == 1
    assert drafts_of(uow, world)[world.client_a].total_cents == 10 * 2800


def test_two_issues_at_once_wait_for_each_other_and_take_consecutive_numbers(domain_engine):
    """Two finance staff issue two drafts of one CBO at the same moment, on two connections:
    the second waits for the counter row the first holds, so they take 1 and 2, never the
    same number. (Committed for real, then deleted: the other tests' rollback cannot cover
    two connections.)"""
    import eventlet
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from chassis.db import UnitOfWork
    from services.billing.invoices.models import InvoiceCounter

    engine = domain_engine("billing")
    tenant = str(uuid.uuid4())
    from tests.waiting import wait_for

    def unit() -> UnitOfWork:
        return UnitOfWork(Session(bind=engine, expire_on_commit=False), source="billing")

    setup = unit()
    ids = [a_draft(setup, tenant).id for _ in range(2)]
    setup.commit()
    first, second = unit(), unit()
    try:
        taken = [domain.issue_invoice(first, caller=finance(tenant), invoice_id=ids[0], now=NOW)]
        # The second issue blocks on the counter row until the first commits.
        waiting = eventlet.spawn(
            domain.issue_invoice, second, caller=finance(tenant), invoice_id=ids[1], now=NOW
        )
        wait_for(lambda: _waiting_for_a_lock(engine), what="the second issue to wait for the row")
        assert not waiting.dead
        first.commit()
        taken.append(waiting.wait())
        second.commit()
        assert sorted(invoice.number for invoice in taken) == ["INV-000001", "INV-000002"]
    finally:
        for used in (first, second):
            used.close()
        cleanup = unit()
        cleanup.session.execute(delete(Invoice).where(Invoice.tenant_id == tenant))
        cleanup.session.execute(delete(InvoiceCounter).where(InvoiceCounter.series == tenant))
        cleanup.commit()
        cleanup.close()


def _waiting_for_a_lock(engine) -> bool:
    """Whether a session of the billing database waits for a row lock (the counter's)."""
    from sqlalchemy import text as sql

    with engine.connect() as conn:
        return bool(
            conn.execute(
                sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query ILIKE '%invoice_counters%'"
                )
            ).scalar()
        )


def test_a_period_s_accounting_export_holds_its_issued_and_paid_invoices_only(uow):
    tenant = str(uuid.uuid4())
    caller = finance(tenant)
    issued, paid, voided = (a_draft(uow, tenant) for _ in range(3))
    a_draft(uow, tenant)  # stays a draft
    for invoice in (issued, paid, voided):
        domain.issue_invoice(uow, caller=caller, invoice_id=invoice.id, now=NOW)
    domain.pay_invoice(uow, caller=caller, invoice_id=paid.id, now=NOW)
    domain.void_invoice(
        uow, caller=caller, invoice_id=voided.id, reason="x", replace=False, now=NOW
    )
    found = domain.issued_for_export(uow, caller=caller, period_start=date(2026, 11, 23))
    assert [view["number"] for view in found] == ["INV-000001", "INV-000002"]
    assert (
        domain.issued_for_export(
            uow, caller=finance(str(uuid.uuid4())), period_start=date(2026, 11, 23)
        )
        == []
    )
