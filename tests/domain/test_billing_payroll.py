"""Payroll runs on billing's real database: a week with daily and weekly overtime across two
clients and a seventh day, previewed and completed through the background jobs; blockers;
running twice; a correction paid as an adjustment the week after; reporting time for a late
cancellation; the Tuesday schedule; the export files; another CBO."""

from __future__ import annotations

import csv
import functools
import io
from datetime import UTC, datetime, timedelta

import pytest

from chassis.errors import Conflict, NotFound, ValidationFailed
from chassis.jobs import run_job
from services.billing.lines import domain as lines
from services.billing.lines.models import DISPUTED
from services.billing.payroll import domain as payroll
from services.billing.payroll.models import COMPLETED, PREVIEWED, SUPERSEDED, PayrollRun
from tests.domain.billing_world import WEEK, BillingWorld
from tests.domain.outbox import Outbox
from tests.factories import staff_caller

SERVICE = "billing"
KINDS = {payroll.PREVIEW.name: payroll.PREVIEW, payroll.COMPLETE.name: payroll.COMPLETE}
NEXT_WEEK = WEEK + timedelta(days=7)
# Long after both weeks.
NOW = datetime(2026, 12, 8, 20, tzinfo=UTC)


@pytest.fixture
def world(uow) -> BillingWorld:
    return BillingWorld(uow)


@pytest.fixture
def new_unit(uow_for):
    return functools.partial(uow_for, SERVICE)


def finance(world: BillingWorld):
    return staff_caller(tenant_id=world.tenant_id, role="finance")


def preview(world, new_unit, week=WEEK) -> PayrollRun:
    run, job_id = payroll.start_run(
        world.uow, caller=finance(world), tenant_id=world.tenant_id, week_start=week
    )
    assert run_job(new_unit, job_id, KINDS, owner="test") == "succeeded"
    world.uow.session.refresh(run)
    return run


def complete(world, new_unit, run: PayrollRun) -> PayrollRun:
    run, job_id = payroll.complete_run(
        world.uow, caller=finance(world), tenant_id=world.tenant_id, run_id=run.id, now=NOW
    )
    if job_id is not None:
        assert run_job(new_unit, job_id, KINDS, owner="test") == "succeeded"
    world.uow.session.refresh(run)
    return run


def lines_of(world, run) -> dict[tuple[str, str], dict]:
    page = payroll.run_lines(
        world.uow, tenant_id=world.tenant_id, run_id=run.id, page=1, per_page=1000
    )
    return {(x["worker_id"], x["for_week"].isoformat()): x for x in page["items"]}


def csv_rows(world, run, layout: str) -> list[dict[str, str]]:
    found = payroll.export_file(world.uow, tenant_id=world.tenant_id, run_id=run.id, layout=layout)
    return list(csv.DictReader(io.StringIO(found.data.decode("utf-8-sig"))))


@pytest.fixture
def ana_week(world):
    """Ana works for two clients: 9-hour days Monday to Saturday (5 h at the city, 4 h at the
    shop) and 10 hours on Sunday, her seventh consecutive day. Bo works an ordinary week."""
    job = world.job_type(pay=2000, bill=2800)
    ana = world.worker("Ana Reyes", payroll_id="A1")
    bo = world.worker("Bo Chan", payroll_id="B2")
    for day in range(6):
        world.worked(
            worker_id=ana,
            client_id=world.client_a,
            job_type_id=job,
            day=day,
            start="07:00",
            hours=5,
        )
        world.worked(
            worker_id=ana,
            client_id=world.client_b,
            job_type_id=job,
            day=day,
            start="12:30",
            hours=4,
        )
        if day < 5:
            world.worked(
                worker_id=bo,
                client_id=world.client_a,
                job_type_id=job,
                day=day,
                start="08:00",
                hours=4,
            )
    sunday = world.worked(
        worker_id=ana, client_id=world.client_b, job_type_id=job, day=6, start="06:00", hours=10
    )
    return {"job": job, "ana": ana, "bo": bo, "sunday": sunday}


def test_a_week_with_daily_weekly_and_seventh_day_overtime_across_two_clients(
    world, new_unit, ana_week
):
    sent = Outbox(world.uow)
    run = preview(world, new_unit)
    assert (run.status, run.blocker_count, run.workers) == (PREVIEWED, 0, 2)
    found = lines_of(world, run)
    ana = found[(ana_week["ana"], WEEK.isoformat())]
    # Mon-Sat: 8 of each 9 hours regular, 1 daily overtime; the 48 regular-looking hours are
    # 40 regular and 8 weekly overtime; Sunday (the seventh day): 8 at 1.5x, 2 at 2x.
    assert (ana["regular_minutes"], ana["overtime_minutes"], ana["double_time_minutes"]) == (
        40 * 60,
        (6 + 8 + 8) * 60,
        2 * 60,
    )
    # Sunday's ten hours without a break miss a meal period (the other days had one).
    assert ana["meal_premiums"] == 1
    assert ana["gross_cents"] == 40 * 2000 + 22 * 3000 + 2 * 4000 + 2000
    assert {c["client_id"] for c in ana["clients"]} == {world.client_a, world.client_b}
    bo = found[(ana_week["bo"], WEEK.isoformat())]
    assert (bo["regular_minutes"], bo["overtime_minutes"], bo["gross_cents"]) == (1200, 0, 40000)
    previewed = sent.one("payroll.previewed")["data"]
    assert previewed["gross_cents"] == ana["gross_cents"] + bo["gross_cents"]
    run = complete(world, new_unit, run)
    assert run.status == COMPLETED
    completed = sent.one("payroll.completed")["data"]
    assert {x["worker_id"]: x["gross_cents"] for x in completed["lines"]} == {
        ana_week["ana"]: ana["gross_cents"],
        ana_week["bo"]: bo["gross_cents"],
    }
    plain = {row["payroll_id"]: row for row in csv_rows(world, run, "plain")}
    assert (plain["A1"]["regular_hours"], plain["A1"]["overtime_hours"]) == ("40.00", "22.00")
    assert plain["A1"]["double_time_hours"] == "2.00"
    assert plain["A1"]["gross"] == "1560.00"
    adp = {row["File #"]: row for row in csv_rows(world, run, "adp")}
    assert (adp["A1"]["Reg Hours"], adp["A1"]["O/T Hours"], adp["A1"]["Hours 3 Amount"]) == (
        "40.00",
        "22.00",
        "2.00",
    )
    assert (adp["A1"]["Temp Rate"], adp["A1"]["Earnings 3 Amount"]) == ("20.0000", "20.00")
    paychex = [row for row in csv_rows(world, run, "paychex") if row["Worker ID"] == "A1"]
    assert [(r["Pay Component"], r["Hours"], r["Amount"]) for r in paychex] == [
        ("Hourly", "40.00", ""),
        ("Overtime", "22.00", ""),
        ("Double Time", "2.00", ""),
        ("Premium Pay", "", "20.00"),
    ]
    gusto = {row["last_name"]: row for row in csv_rows(world, run, "gusto")}
    assert (gusto["Reyes"]["first_name"], gusto["Reyes"]["regular_hours"]) == ("Ana", "40.00")


def test_running_the_week_again_pays_nobody_twice(world, new_unit, ana_week):
    run = complete(world, new_unit, preview(world, new_unit))
    sent = Outbox(world.uow)
    again = complete(world, new_unit, run)
    assert again.status == COMPLETED and sent.events() == []
    with pytest.raises(Conflict):
        payroll.start_run(
            world.uow, caller=finance(world), tenant_id=world.tenant_id, week_start=WEEK
        )
    # The next week has nothing new to pay.
    later = preview(world, new_unit, NEXT_WEEK)
    assert (later.workers, later.gross_cents) == (0, 0)


def test_a_correction_after_the_run_is_an_adjustment_next_week(world, new_unit, ana_week):
    complete(world, new_unit, preview(world, new_unit))
    # Sunday was 8 hours, not 10: evv approves the line again with its new minutes.
    world.amend(ana_week["sunday"], worked_minutes=8 * 60, at=world.at + timedelta(days=5))
    run = complete(world, new_unit, preview(world, new_unit, NEXT_WEEK))
    found = lines_of(world, run)
    adjustment = found[(ana_week["ana"], WEEK.isoformat())]
    assert adjustment["kind"] == "adjustment"
    # Two double-time hours less ($80); the day is still over six hours without a meal.
    assert (adjustment["double_time_minutes"], adjustment["overtime_minutes"]) == (-120, 0)
    assert adjustment["gross_cents"] == -2 * 4000
    assert len(found) == 1
    # Paid once: a third week has nothing more.
    third = preview(world, new_unit, NEXT_WEEK + timedelta(days=7))
    assert third.workers == 0


def test_a_late_client_cancellation_pays_reporting_time(world, new_unit):
    job = world.job_type(pay=2000, bill=2800)
    ana = world.worker("Ana", payroll_id="A1")
    shift = world.shift(
        client_id=world.client_a,
        job_type_id=job,
        starts_at=world.local(2, "09:00"),
        ends_at=world.local(2, "15:00"),
    )
    world.cancel_late(worker_id=ana, shift_id=shift, client_id=world.client_a)
    run = preview(world, new_unit)
    line = lines_of(world, run)[(ana, WEEK.isoformat())]
    # Half the six scheduled hours.
    assert (line["reporting_minutes"], line["reporting_cents"], line["gross_cents"]) == (
        180,
        6000,
        6000,
    )
    assert line["regular_minutes"] == 0


def test_blockers_stop_the_run(world, new_unit, uow):
    job = world.job_type(pay=2000, bill=2800)
    ana = world.worker("Ana", payroll_id=None)
    bo = world.worker("Bo", payroll_id="B2")
    world.worked(
        worker_id=ana, client_id=world.client_a, job_type_id=job, day=0, start="08:00", hours=4
    )
    world.worked(
        worker_id=bo,
        client_id=world.client_a,
        job_type_id=job,
        day=1,
        start="08:00",
        hours=4,
        status=DISPUTED,
    )
    # A visit with a must-fix exception.
    lines.learn_exception(
        uow,
        tenant_id=world.tenant_id,
        data={
            "visit_id": "v-open",
            "shift_id": "s-open",
            "client_id": world.client_a,
            "worker_id": bo,
            "worker_tenant_id": world.tenant_id,
            "starts_at": world.local(2, "08:00"),
            "ends_at": world.local(2, "12:00"),
            "severity": "must_fix",
        },
        at=world.at,
    )
    run = preview(world, new_unit)
    codes = sorted(b["code"] for b in run.blockers)
    assert codes == ["evv_exception", "missing_payroll_id", "unapproved_line"]
    with pytest.raises(Conflict):
        payroll.complete_run(
            world.uow, caller=finance(world), tenant_id=world.tenant_id, run_id=run.id
        )
    # Fixed and previewed again: the old preview is superseded.
    lines.set_payroll_id(uow, tenant_id=world.tenant_id, worker_id=ana, payroll_id="A1")
    again = preview(world, new_unit)
    world.uow.session.refresh(run)
    assert run.status == SUPERSEDED
    assert again.blocker_count == 2


def test_a_day_not_monday_is_refused_and_a_week_under_way_previews_but_never_completes(
    world, new_unit, ana_week
):
    with pytest.raises(ValidationFailed):
        payroll.start_run(
            world.uow,
            caller=finance(world),
            tenant_id=world.tenant_id,
            week_start=WEEK + timedelta(days=1),
        )
    run = preview(world, new_unit)
    assert run.workers == 2
    with pytest.raises(Conflict):
        payroll.complete_run(
            world.uow,
            caller=finance(world),
            tenant_id=world.tenant_id,
            run_id=run.id,
            now=datetime.combine(WEEK + timedelta(days=6), datetime.min.time(), UTC),
        )


def test_the_tuesday_run_previews_and_completes_the_week_just_ended(world, new_unit, ana_week):
    monday = datetime(2026, 11, 24, 3, tzinfo=UTC)  # Monday evening in Long Beach
    assert payroll.start_scheduled_runs(world.uow, now=monday) == []
    tuesday = datetime(2026, 11, 24, 15, tzinfo=UTC)  # Tuesday 07:00 in Long Beach
    [job_id] = payroll.start_scheduled_runs(world.uow, now=tuesday)
    assert run_job(new_unit, job_id, KINDS, owner="test") == "succeeded"
    [run] = world.uow.session.query(PayrollRun).filter_by(tenant_id=world.tenant_id).all()
    assert (run.week_start, run.started_by_kind) == (WEEK, "schedule")
    assert run.complete_job_id is not None
    assert run_job(new_unit, run.complete_job_id, KINDS, owner="test") == "succeeded"
    world.uow.session.refresh(run)
    assert run.status == COMPLETED
    # Later ticks start nothing more.
    assert payroll.start_scheduled_runs(world.uow, now=tuesday + timedelta(hours=2)) == []


def test_another_cbo_sees_none_of_it(world, new_unit, uow, ana_week):
    run = complete(world, new_unit, preview(world, new_unit))
    other = BillingWorld(uow)
    with pytest.raises(NotFound):
        payroll.read_run(uow, tenant_id=other.tenant_id, run_id=run.id)
    with pytest.raises(NotFound):
        payroll.export_file(uow, tenant_id=other.tenant_id, run_id=run.id, layout="adp")
    assert (
        payroll.list_runs(uow, tenant_id=other.tenant_id, week_start=None, page=1, per_page=5)[
            "items"
        ]
        == []
    )


def test_the_cost_of_a_proposed_shift_matches_the_payroll_of_its_week(world, new_unit, ana_week):
    from services.billing.costs import domain as costs

    proposed = {
        "starts_at": world.local(5, "18:00"),
        "ends_at": world.local(5, "20:00"),
        "client_id": world.client_a,
        "job_type_id": ana_week["job"],
    }
    # Bo holds a booked 8-hour Saturday shift he has not worked yet.
    saturday = world.shift(
        client_id=world.client_a,
        job_type_id=ana_week["job"],
        starts_at=world.local(5, "08:00"),
        ends_at=world.local(5, "16:00"),
    )
    [ana, bo] = costs.shift_costs(
        world.uow,
        tenant_id=world.tenant_id,
        proposed=proposed,
        workers=[
            {"worker_id": ana_week["ana"], "booked_shift_ids": []},
            {"worker_id": ana_week["bo"], "booked_shift_ids": [saturday]},
        ],
    )
    run = preview(world, new_unit)
    paid = lines_of(world, run)[(ana_week["ana"], WEEK.isoformat())]
    assert ana["before"]["gross_cents"] == paid["gross_cents"]
    assert ana["before"]["overtime_minutes"] == paid["overtime_minutes"]
    # Saturday already has 9 hours: two more are daily (and weekly) overtime at 1.5x.
    assert ana["shift"] == {"regular_minutes": 0, "overtime_minutes": 120, "double_time_minutes": 0}
    assert ana["added"]["pay_cents"] == 2 * 3000
    # Bo: 20 worked + 8 booked + 2 proposed, but 10 hours on Saturday: 2 at 1.5x.
    assert bo["before"]["regular_minutes"] == 28 * 60
    assert bo["shift"]["overtime_minutes"] == 120
    assert bo["added"]["bill_cents"] == 2 * 4200


def test_a_bonus_is_paid_with_the_week_and_raises_its_overtime(world, new_unit, ana_week):
    bo = ana_week["bo"]
    payroll.set_bonus(
        world.uow,
        caller=finance(world),
        tenant_id=world.tenant_id,
        data={"worker_id": bo, "week_start": WEEK, "cents": 5000, "reason": "Reliability"},
    )
    run = complete(world, new_unit, preview(world, new_unit))
    line = lines_of(world, run)[(bo, WEEK.isoformat())]
    assert (line["bonus_cents"], line["gross_cents"]) == (5000, 40000 + 5000)
    # The week is run: a bonus for it now goes on a later week.
    with pytest.raises(Conflict):
        payroll.set_bonus(
            world.uow,
            caller=finance(world),
            tenant_id=world.tenant_id,
            data={"worker_id": bo, "week_start": WEEK, "cents": 1, "reason": "Late"},
        )
    with pytest.raises(NotFound):
        payroll.set_bonus(
            world.uow,
            caller=finance(world),
            tenant_id=BillingWorld(world.uow).tenant_id,
            data={"worker_id": bo, "week_start": NEXT_WEEK, "cents": 1, "reason": "Theirs"},
        )
