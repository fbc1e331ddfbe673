"""Billing's read model of timesheet lines and its rates on the real database: lines priced from
the job type, the client's rates and markup, the booking's own rates and a client-exclusive job
type's fixed ones; events in any order; a line approved again after a correction; late client
cancellations; payroll ids; tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chassis.errors import NotFound
from services.billing.lines import domain as lines
from services.billing.lines.models import DISPUTED, CancellationRecord, VisitRecord
from services.billing.rates import domain as rates
from services.billing.rates import rules as rate_rules
from tests.domain.billing_world import WEEK, BillingWorld
from tests.factories import staff_caller

SERVICE = "billing"


@pytest.fixture
def world(uow) -> BillingWorld:
    return BillingWorld(uow)


def _set_rates(world: BillingWorld, client_id: str, **data) -> dict:
    caller = staff_caller(tenant_id=world.tenant_id, permissions=("payroll.run",))
    return rates.set_client_rates(
        world.uow,
        caller=caller,
        tenant_id=world.tenant_id,
        client_id=client_id,
        data={"markup_basis_points": None, "job_types": [], **data},
    )


def test_an_approved_line_is_priced_from_the_job_type(world):
    job = world.job_type(pay=2000, bill=2800)
    ana = world.worker("Ana Reyes")
    visit = world.worked(
        worker_id=ana, client_id=world.client_a, job_type_id=job, day=0, start="08:00", hours=8
    )
    [line] = lines.priced_lines(world.uow, tenant_id=world.tenant_id, week_starts=[WEEK])
    assert line.visit_id == visit
    assert (line.worked_minutes, line.scheduled_minutes) == (480, 480)
    assert (line.pay_rate_cents, line.bill_rate_cents) == (2000, 2800)
    assert (line.worker_name, line.payroll_id, line.client_name) == (
        "Ana Reyes",
        "E100",
        "City of Long Beach",
    )
    assert line.service_date == WEEK
    assert line.elements["service_type"] == "custodian"
    assert line.clock_in_at == world.local(0, "08:00")


def test_client_rates_markup_booking_and_fixed_rates(world):
    job = world.job_type(pay=2000, bill=2800)
    exclusive = world.job_type(pay=3000, bill=4000, client_id=world.client_a)
    ana = world.worker("Ana")
    _set_rates(
        world,
        world.client_a,
        markup_basis_points=2500,
        job_types=[
            {"job_type_id": job, "pay_rate_cents": 2200, "bill_rate_cents": None},
            {"job_type_id": exclusive, "pay_rate_cents": 1, "bill_rate_cents": 1},
        ],
    )
    common = {"worker_id": ana, "client_id": world.client_a, "start": "08:00", "hours": 4}
    overridden = world.worked(job_type_id=job, day=0, **common)
    fixed = world.worked(job_type_id=exclusive, day=1, **common)
    booked = world.worked(job_type_id=job, day=2, pay=2600, bill=3600, given=True, **common)
    other_client = world.worked(
        worker_id=ana, client_id=world.client_b, job_type_id=job, day=3, start="08:00", hours=4
    )
    found = {
        line.visit_id: line
        for line in lines.priced_lines(world.uow, tenant_id=world.tenant_id, week_starts=[WEEK])
    }
    assert (found[overridden].pay_rate_cents, found[overridden].bill_rate_cents) == (2200, 2750)
    assert found[overridden].rates.bill_source == rate_rules.MARKUP
    assert (found[fixed].pay_rate_cents, found[fixed].bill_rate_cents) == (3000, 4000)
    assert (found[booked].pay_rate_cents, found[booked].bill_rate_cents) == (2600, 3600)
    assert (found[other_client].pay_rate_cents, found[other_client].bill_rate_cents) == (
        2000,
        2800,
    )


def test_setting_rates_for_another_cbos_job_type_is_not_found(world, uow):
    other = BillingWorld(uow)
    theirs = other.job_type(pay=2000, bill=2800)
    with pytest.raises(NotFound):
        _set_rates(world, world.client_a, job_types=[{"job_type_id": theirs}])


def test_rates_are_replaced_whole(world):
    job = world.job_type(pay=2000, bill=2800)
    _set_rates(world, world.client_a, markup_basis_points=1000, job_types=[{"job_type_id": job}])
    after = _set_rates(world, world.client_a)
    assert after == {"client_id": world.client_a, "markup_basis_points": None, "job_types": []}


def test_a_line_before_its_shift_is_unpriced_until_the_shift_arrives(world):
    ana = world.worker("Ana")
    visit = {
        "visit_id": "v-early",
        "shift_id": "s-early",
        "client_id": world.client_a,
        "worker_id": ana,
        "worker_tenant_id": world.tenant_id,
        "starts_at": world.local(0, "08:00"),
        "ends_at": world.local(0, "12:00"),
    }
    world.line(visit, week=WEEK, clock_out=world.local(0, "12:00"))
    [line] = lines.priced_lines(world.uow, tenant_id=world.tenant_id, week_starts=[WEEK])
    assert not line.priced and line.job_type_id is None


def test_an_older_event_changes_nothing_and_a_new_approval_counts_a_version(world):
    job = world.job_type(pay=2000, bill=2800)
    ana = world.worker("Ana")
    visit = world.worked(
        worker_id=ana, client_id=world.client_a, job_type_id=job, day=0, start="08:00", hours=8
    )
    world.amend(visit, worked_minutes=420, at=world.at + timedelta(days=3))
    world.amend(visit, worked_minutes=999, at=world.at + timedelta(days=1))  # older: ignored
    [line] = lines.priced_lines(world.uow, tenant_id=world.tenant_id, week_starts=[WEEK])
    assert (line.worked_minutes, line.version, line.approved_by) == (420, 2, "staff")


def test_disputed_lines_are_not_approved_ones(world):
    job = world.job_type(pay=2000, bill=2800)
    ana = world.worker("Ana")
    world.worked(
        worker_id=ana,
        client_id=world.client_a,
        job_type_id=job,
        day=0,
        start="08:00",
        hours=8,
        status=DISPUTED,
    )
    assert lines.priced_lines(world.uow, tenant_id=world.tenant_id, week_starts=[WEEK]) == []
    [line] = lines.priced_lines(
        world.uow, tenant_id=world.tenant_id, week_starts=[WEEK], status=None
    )
    assert line.status == DISPUTED


def test_only_a_clients_late_cancellation_is_kept(world, uow):
    ana = world.worker("Ana")
    world.cancel_late(worker_id=ana, shift_id="s1", client_id=world.client_a)
    for by, late in (("worker", True), ("client", False), ("staff", True)):
        lines.learn_late_cancellations(
            uow,
            tenant_id=world.tenant_id,
            data={
                "assignment_id": f"a-{by}-{late}",
                "shift_id": "s2",
                "client_id": world.client_a,
                "worker_id": ana,
                "cancelled_by_kind": by,
                "minutes_before_start": 30,
                "late": late,
            },
            at=world.at,
        )
    kept = uow.session.query(CancellationRecord).filter_by(tenant_id=world.tenant_id).all()
    assert [c.shift_id for c in kept] == ["s1"]


def test_a_payroll_id_for_another_cbos_worker_is_not_found(world, uow):
    other = BillingWorld(uow)
    theirs = other.worker("Somebody")
    with pytest.raises(NotFound):
        lines.set_payroll_id(uow, tenant_id=world.tenant_id, worker_id=theirs, payroll_id="X1")
    with pytest.raises(NotFound):
        lines.set_payroll_id(uow, tenant_id=world.tenant_id, worker_id="nobody", payroll_id="X1")


def test_another_cbo_sees_none_of_the_lines(world, uow):
    job = world.job_type(pay=2000, bill=2800)
    ana = world.worker("Ana")
    world.worked(
        worker_id=ana, client_id=world.client_a, job_type_id=job, day=0, start="08:00", hours=8
    )
    other = BillingWorld(uow)
    assert lines.priced_lines(uow, tenant_id=other.tenant_id, week_starts=[WEEK]) == []


def test_punches_in_any_order_and_never_over_a_verification(world, uow):
    starts = world.local(0, "09:00")
    visit = {
        "visit_id": "v-punched",
        "shift_id": "s-punched",
        "client_id": "c-punched",
        "worker_id": "w-punched",
        "worker_tenant_id": world.tenant_id,
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=4),
    }
    clock_in, clock_out = starts + timedelta(minutes=2), starts + timedelta(hours=4)

    def punch(at_minutes: int, **punches) -> None:
        lines.learn_punch(
            uow,
            tenant_id=world.tenant_id,
            data={**visit, "clock_in_at": clock_in, **punches},
            at=world.at + timedelta(minutes=at_minutes),
        )

    def kept() -> tuple:
        uow.session.flush()
        uow.session.expire_all()
        found = uow.session.get(VisitRecord, "v-punched")
        assert found is not None
        return found.clock_in_at, found.clock_out_at, found.verified

    punch(10, clock_out_at=clock_out)  # the clock-out's event arrives first
    assert kept() == (clock_in, clock_out, False)
    punch(1)  # the older clock-in's event changes nothing
    assert kept() == (clock_in, clock_out, False)
    lines.learn_verified(
        uow,
        tenant_id=world.tenant_id,
        data={
            **visit,
            "elements": {
                "begins_at": clock_in,
                "ends_at": clock_out,
                "service_date": starts.date(),
            },
            "worked_minutes": 238,
        },
        at=world.at + timedelta(minutes=20),
    )
    punch(30, clock_in_at=starts)  # a punch after the verification: the verification stands
    assert kept()[2] is True and kept()[0] == clock_in


def test_a_batch_of_punches_keeps_what_each_punch_alone_would(world, uow):
    starts = world.local(1, "08:00")

    def visit(number: int) -> dict:
        return {
            "visit_id": f"v-batch-{number}",
            "shift_id": f"s-batch-{number}",
            "client_id": "c-batch",
            "worker_id": f"w-batch-{number}",
            "worker_tenant_id": world.tenant_id,
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=3),
            "clock_in_at": starts + timedelta(minutes=number),
        }

    at = world.at
    ended = {**visit(2), "clock_out_at": starts + timedelta(hours=3)}
    lines.learn_punches(
        uow,
        punches=[
            (world.tenant_id, visit(1), at),
            (world.tenant_id, ended, at + timedelta(minutes=5)),
            # The same visit's older clock-in, later in the batch: the clock-out stands.
            (world.tenant_id, visit(2), at),
            (world.tenant_id, visit(3), at),
        ],
    )
    uow.session.flush()
    uow.session.expire_all()
    kept = {number: uow.session.get(VisitRecord, f"v-batch-{number}") for number in (1, 2, 3)}
    assert {n: (v.clock_in_at, v.clock_out_at) for n, v in kept.items() if v} == {
        1: (starts + timedelta(minutes=1), None),
        2: (starts + timedelta(minutes=2), starts + timedelta(hours=3)),
        3: (starts + timedelta(minutes=3), None),
    }
    assert not any(v.verified for v in kept.values() if v)
