"""Reporting's pure rules: periods and comparisons, KPIs, bands and percentiles, the skills
report, whose figures a caller reads, schedules' occurrences across daylight saving, and the
spreadsheet cells of downloads."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chassis.config import Settings
from chassis.exports import xlsx_bytes
from chassis.mail import Attachment, Email, Mailer
from services.reporting.dashboards import rules
from services.reporting.records import rules as records
from services.reporting.schedules import rules as schedules

pytestmark = pytest.mark.unit
LB = ZoneInfo("America/Los_Angeles")


# -- days and periods -----------------------------------------------------------------------


def test_a_moment_counts_on_the_cbos_own_day():
    late_evening = datetime(2026, 11, 17, 7, 30, tzinfo=UTC)  # 23:30 on the 16th in Long Beach
    assert records.local_day(late_evening, "America/Los_Angeles") == date(2026, 11, 16)
    assert records.local_day(late_evening, "Asia/Phnom_Penh") == date(2026, 11, 17)
    assert records.local_day(late_evening, "Not/AZone") == date(2026, 11, 16)  # the default
    assert records.local_day(datetime(2026, 11, 17, 7, 30), None) == date(2026, 11, 16)


def test_weeks_start_on_monday_and_months_on_the_first():
    assert records.week_start(date(2026, 11, 22)) == date(2026, 11, 16)  # a Sunday
    assert records.week_start(date(2026, 11, 16)) == date(2026, 11, 16)
    assert records.month_start(date(2026, 11, 30)) == date(2026, 11, 1)
    assert records.period_starts(date(2026, 12, 1)) == (
        ("week", date(2026, 11, 30)),
        ("month", date(2026, 12, 1)),
    )


def test_minutes_between_are_whole_and_never_negative():
    start = datetime(2026, 11, 17, 9, tzinfo=UTC)
    assert records.minutes_between(start, start + timedelta(hours=4, seconds=29)) == 240
    assert records.minutes_between(start, start - timedelta(hours=1)) == 0


@pytest.mark.parametrize(
    ("kind", "day", "start", "end", "previous", "month_before"),
    [
        (
            "week",
            date(2026, 11, 18),
            date(2026, 11, 16),
            date(2026, 11, 23),
            date(2026, 11, 9),
            date(2026, 10, 19),
        ),
        (
            "week",
            date(2026, 1, 1),
            date(2025, 12, 29),
            date(2026, 1, 5),
            date(2025, 12, 22),
            date(2025, 12, 1),
        ),
        (
            "month",
            date(2026, 11, 30),
            date(2026, 11, 1),
            date(2026, 12, 1),
            date(2026, 10, 1),
            date(2026, 10, 1),
        ),
        (
            "month",
            date(2026, 1, 15),
            date(2026, 1, 1),
            date(2026, 2, 1),
            date(2025, 12, 1),
            date(2025, 12, 1),
        ),
        (
            "month",
            date(2024, 3, 31),
            date(2024, 3, 1),
            date(2024, 4, 1),
            date(2024, 2, 1),
            date(2024, 2, 1),
        ),
    ],
)
def test_a_period_and_the_periods_it_is_compared_with(
    kind, day, start, end, previous, month_before
):
    period = rules.period_of(kind, day)
    assert (period.starts_on, period.ends_on) == (start, end)
    assert period.holds(day) and not period.holds(end)
    assert rules.previous(period).starts_on == previous
    assert rules.month_before(period).starts_on == month_before
    assert len(period.days()) == (end - start).days


def test_an_unknown_period_kind_is_refused():
    with pytest.raises(ValueError):
        rules.period_of("year", date(2026, 1, 1))


def test_a_month_counts_the_pay_weeks_whose_monday_it_holds():
    assert rules.weeks_in(rules.period_of("month", date(2026, 11, 5))) == [
        date(2026, 11, d) for d in (2, 9, 16, 23, 30)
    ]
    assert rules.weeks_in(rules.period_of("month", date(2026, 2, 5))) == [
        date(2026, 2, d) for d in (2, 9, 16, 23)
    ]
    assert rules.weeks_in(rules.period_of("week", date(2026, 11, 18))) == [date(2026, 11, 16)]
    assert rules.last_complete("week", date(2026, 11, 23)).starts_on == date(2026, 11, 16)
    assert rules.last_complete("month", date(2026, 12, 1)).starts_on == date(2026, 11, 1)


# -- KPIs ---------------------------------------------------------------------------------------


def figures(**values: int) -> dict[str, int]:
    found = rules.zero()
    found.update(values)
    return found


def test_the_kpis_of_summed_figures():
    kpis = rules.kpis(
        figures(
            registered=3,
            approved=2,
            shifts_booked=10,
            shifts_cancelled=2,
            shifts_filled=6,
            fill_minutes=600,
            places_completed=5,
            minutes_worked=1230,
            minutes_booked=2400,
            gross_cents=12345,
            no_shows=1,
            late_cancellations=2,
            cascades_started=4,
            cascades_completed=2,
            cascades_exhausted=1,
            visits=8,
            visits_with_exceptions=2,
        ),
        active_jobseekers=4,
    )
    assert kpis["fill_rate"] == 0.75  # 6 of the 8 still wanted
    assert kpis["time_to_fill_minutes"] == 100.0
    assert kpis["hours_worked"] == 20.5
    assert kpis["cascades"] == {"started": 4, "completed": 2, "exhausted": 1, "other": 1}
    assert kpis["evv_exception_rate"] == 0.25
    assert (kpis["active_jobseekers"], kpis["newly_registered"]) == (4, 3)


def test_kpis_with_nothing_to_divide_by_say_none():
    kpis = rules.kpis(figures(shifts_booked=2, shifts_cancelled=2), active_jobseekers=0)
    assert kpis["fill_rate"] is None and kpis["time_to_fill_minutes"] is None
    assert kpis["evv_exception_rate"] is None
    assert rules.kpis(figures(shifts_booked=1, shifts_filled=2), 0)["fill_rate"] == 1.0


def test_changes_and_nested_kpi_values():
    assert rules.change(12, 4) == 2.0
    assert rules.change(3, 0) is None and rules.change(None, 3) is None
    assert rules.kpi_value({"cascades": {"started": 3}}, "cascades.started") == 3
    total = rules.zero()
    rules.add(total, {"shifts_booked": 2, "unknown": 9})
    rules.add(total, {"shifts_booked": None})
    assert total["shifts_booked"] == 2 and "unknown" not in total


# -- the earnings profile -----------------------------------------------------------------------


def test_percentiles_by_nearest_rank():
    values = [15, 20, 35, 40, 50]
    assert [rules.percentile(values, q) for q in (5, 30, 40, 50, 100)] == [15, 20, 20, 35, 50]
    assert rules.percentile([], 50) is None
    assert rules.percentile([7], 90) == 7


def test_bands_put_each_value_in_one_band_and_the_last_is_open():
    found = rules.bands([0, 9999, 10000, 250000, -5], (0, 10000, 25000))
    assert found == [
        {"from": 0, "to": 10000, "workers": 3},  # a negative adjustment counts in the first
        {"from": 10000, "to": 25000, "workers": 1},
        {"from": 25000, "to": None, "workers": 1},
    ]


def test_a_distribution_of_worker_weeks():
    found = rules.distribution([(240, 8000), (480, 16500)])
    assert found["worker_weeks"] == 2
    assert found["hours"]["mean"] == 6.0
    assert found["earnings_cents"]["percentiles"]["p50"] == 8000
    empty = rules.distribution([])
    assert empty["worker_weeks"] == 0 and empty["hours"]["mean"] is None


# -- skills -------------------------------------------------------------------------------------


def test_under_used_skills_ranked_with_the_clients_that_could_buy_them():
    clients = [
        rules.ClientInfo("c1", "Harbor Deliveries", "business"),
        rules.ClientInfo("c2", "City Parks", "city"),
        rules.ClientInfo("c3", "Bakery", "business"),
        rules.ClientInfo("c4", "Lopez family", "family"),
    ]
    report = rules.skills_report(
        workers_by_skill={"driving": 10, "custodial": 2, "juggling": 3, "ghost": 0},
        minutes_by_job_type_client={("jt-drive", "c1"): 60 * 16, ("jt-clean", "c2"): 60 * 40},
        skills_by_job_type={"jt-drive": ["driving"], "jt-clean": ["custodial"]},
        clients=clients,
        weeks=4,
    )
    assert [(r["rank"], r["skill"], r["hours_per_worker_week"]) for r in report] == [
        (1, "juggling", 0.0),
        (2, "driving", 0.4),
        (3, "custodial", 5.0),
    ]
    juggling, driving, custodial = report
    assert juggling["underused"] and juggling["prospects"] == []  # no buyers written down
    # Harbor books 4 h a week of driving (not little); the bakery none.
    assert [p["client_id"] for p in driving["prospects"]] == ["c3"]
    assert not custodial["underused"] and custodial["prospects"] == []


def test_the_skill_table_names_only_tenancy_client_kinds():
    assert {kind for kinds in rules.SKILL_CLIENT_KINDS.values() for kind in kinds} <= {
        "city",
        "business",
        "family",
    }


# -- who reads what ----------------------------------------------------------------------------


def test_whose_figures_a_caller_reads():
    assert (
        rules.scope_for(operator=True, own_tenant=None, asked=None, shared_with_own=False) is None
    )
    assert rules.scope_for(operator=True, own_tenant=None, asked="b", shared_with_own=False) == "b"
    assert rules.scope_for(operator=False, own_tenant="a", asked=None, shared_with_own=False) == "a"
    assert rules.scope_for(operator=False, own_tenant="a", asked="a", shared_with_own=False) == "a"
    assert rules.scope_for(operator=False, own_tenant="a", asked="b", shared_with_own=True) == "b"
    with pytest.raises(LookupError):
        rules.scope_for(operator=False, own_tenant="a", asked="b", shared_with_own=False)
    with pytest.raises(LookupError):
        rules.scope_for(operator=False, own_tenant=None, asked=None, shared_with_own=False)


# -- schedules ------------------------------------------------------------------------------------


def weekly(after: datetime, **overrides) -> datetime:
    values = {
        "timezone": "America/Los_Angeles",
        "period": "week",
        "weekday": 0,
        "day_of_month": 1,
        "hour": 8,
        "minute": 0,
        **overrides,
    }
    return schedules.next_occurrence(after=after, **values)


def test_a_weekly_schedule_is_monday_8_in_the_cbos_zone_across_daylight_saving():
    assert weekly(datetime(2026, 11, 23, 7, 59, tzinfo=LB)) == datetime(2026, 11, 23, 8, tzinfo=LB)
    assert weekly(datetime(2026, 11, 23, 8, 0, tzinfo=LB)) == datetime(2026, 11, 30, 8, tzinfo=LB)
    # Clocks go back on Sunday Nov 1 2026: Monday 8:00 is 16:00 UTC, not 15:00.
    assert weekly(datetime(2026, 10, 27, tzinfo=LB)) == datetime(2026, 11, 2, 16, tzinfo=UTC)
    assert weekly(datetime(2026, 10, 20, tzinfo=LB)) == datetime(2026, 10, 26, 15, tzinfo=UTC)


def test_a_monthly_schedule_and_what_each_occurrence_sends():
    found = weekly(datetime(2026, 11, 20, tzinfo=LB), period="month", day_of_month=2, hour=7)
    assert found == datetime(2026, 12, 2, 7, tzinfo=LB)
    sent = schedules.period_sent(occurrence=found, timezone="America/Los_Angeles", period="month")
    assert sent.starts_on == date(2026, 11, 1)
    monday = datetime(2026, 11, 23, 16, tzinfo=UTC)
    week = schedules.period_sent(occurrence=monday, timezone="America/Los_Angeles", period="week")
    assert week.starts_on == date(2026, 11, 16)


def test_an_occurrence_has_one_key_and_a_stable_message_id():
    one = datetime(2026, 11, 23, 16, tzinfo=UTC)
    assert schedules.idempotency_key("s1", one) == "s1:20261123T1600Z"
    assert schedules.idempotency_key("s1", one.astimezone(LB)) == "s1:20261123T1600Z"
    assert schedules.message_id("s1:20261123T1600Z", "worklb.local") == (
        "<report.s1.20261123T1600Z@worklb.local>"
    )


def test_failed_sends_back_off_then_give_up():
    now = datetime(2026, 11, 23, tzinfo=UTC)
    waits = [schedules.retry_at(n, now) for n in range(1, schedules.MAX_ATTEMPTS + 1)]
    assert [(w - now).total_seconds() for w in waits[:-1]] == [60, 300, 1800, 7200]
    assert waits[-1] is None


# -- files ----------------------------------------------------------------------------------------


def test_xlsx_cells_never_run_as_formulas():
    data = xlsx_bytes(
        [
            (
                "KPIs: [x]",
                ["=SUM(A1)", "n"],
                [["=cmd|' /C calc'!A0", -12], ["@evil", None], [True, 2.5]],
            )
        ]
    )
    archive = zipfile.ZipFile(io.BytesIO(data))
    sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    strings = archive.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet  # no formula cell
    assert "'=cmd|' /C calc'!A0" in strings.replace("&apos;", "'")
    assert "'@evil" in strings.replace("&apos;", "'")
    assert "KPIs   x " in archive.read("xl/workbook.xml").decode()


def test_an_email_carries_its_attachment_and_chosen_message_id():
    message = Mailer(Settings()).build(
        Email(
            to="a@example.org, b@example.org",
            subject="KPIs",
            text="see the file",
            attachments=(Attachment("k.csv", "text/csv; charset=utf-8", b"a,b\n"),),
            message_id="<report.x@worklb.local>",
        )
    )
    (attached,) = list(message.iter_attachments())
    assert attached.get_filename() == "k.csv" and attached.get_content_type() == "text/csv"
    assert message["Message-ID"] == "<report.x@worklb.local>"
