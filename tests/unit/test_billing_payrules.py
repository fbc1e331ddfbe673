"""California's pay rules (services/billing/payrules/rules.py), each with cases taken from the
rule's own text (quoted in the module): Labor Code §510 (daily, weekly and seventh-day
overtime), no pyramiding, joint employment, the regular rate with several rates and with
bonuses (29 CFR 778.115, 778.209; Alvarado v. Dart), IWC wage order 4 §5 (reporting time),
Labor Code §512 / §226.7 (meal and rest periods)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from services.billing.payrules import rules
from services.billing.payrules.rules import (
    DOUBLE_TIME,
    OVERTIME,
    REGULAR,
    Cancelled,
    PayRules,
    Work,
)

ZONE = ZoneInfo("America/Los_Angeles")
MONDAY = date(2026, 11, 16)
RATE = 2000  # $20.00 an hour
H = 60


def at(day: int, clock: str = "08:00") -> datetime:
    hours, minutes = (int(p) for p in clock.split(":"))
    local = datetime.combine(MONDAY + timedelta(days=day), time(hours, minutes), ZONE)
    return local.astimezone(UTC)


def work(day: int, hours: float, start: str = "08:00", **options) -> Work:
    options.setdefault("pay_rate_cents", RATE)
    options.setdefault("bill_rate_cents", 2800)
    key = options.pop("key", f"d{day}-{start}")
    return Work(key=key, starts_at=at(day, start), minutes=round(hours * H), **options)


def week(*works: Work, **options) -> rules.WeekPay:
    options.setdefault("rules", PayRules(meal_periods=False))
    return rules.week_pay(list(works), week_start=MONDAY, zone=ZONE, **options)


def hours(pay: rules.WeekPay) -> tuple[float, float, float]:
    return tuple(pay.minutes[t] / H for t in (REGULAR, OVERTIME, DOUBLE_TIME))  # type: ignore[return-value]


# -- Labor Code §510: daily overtime ------------------------------------------------------------


def test_eight_hours_a_day_five_days_is_all_regular():
    pay = week(*(work(d, 8) for d in range(5)))
    assert hours(pay) == (40, 0, 0)
    assert pay.gross_cents == 40 * RATE


def test_work_in_excess_of_eight_hours_in_one_workday_is_time_and_a_half():
    pay = week(work(0, 9))
    assert hours(pay) == (8, 1, 0)
    assert pay.gross_cents == 8 * RATE + 3000


def test_work_in_excess_of_12_hours_in_one_day_is_double():
    pay = week(work(0, 13, start="06:00"))
    assert hours(pay) == (8, 4, 1)
    assert pay.gross_cents == 8 * RATE + 4 * 3000 + 4000


def test_exactly_eight_and_exactly_twelve_hours_are_not_in_excess():
    assert hours(week(work(0, 8))) == (8, 0, 0)
    assert hours(week(work(0, 12, start="06:00"))) == (8, 4, 0)


def test_a_workday_is_the_calendar_day_so_a_night_shift_is_split_at_midnight():
    # 20:00 to 06:00: four hours on Monday, six on Tuesday: neither day over eight.
    assert hours(week(work(0, 10, start="20:00"))) == (10, 0, 0)


def test_two_shifts_the_same_day_add_up():
    pay = week(work(0, 5, start="06:00", key="a"), work(0, 5, start="12:00", key="b"))
    assert hours(pay) == (8, 2, 0)
    assert pay.works[1].minutes[OVERTIME] == 2 * H  # the later shift holds the overtime


# -- §510: weekly overtime and no pyramiding ---------------------------------------------------


def test_work_in_excess_of_40_hours_in_any_one_workweek_is_time_and_a_half():
    pay = week(*(work(d, 8) for d in range(6)))
    assert hours(pay) == (40, 8, 0)
    assert pay.gross_cents == 40 * RATE + 8 * 3000


def test_daily_overtime_hours_do_not_count_again_towards_the_40():
    # Four tens: 8 regular and 2 overtime each day; 32 regular hours, under 40.
    pay = week(*(work(d, 10) for d in range(4)))
    assert hours(pay) == (32, 8, 0)
    # Five tens: 40 regular, 10 daily overtime, nothing weekly on top.
    assert hours(week(*(work(d, 10) for d in range(5)))) == (40, 10, 0)


def test_each_hour_is_paid_at_the_highest_premium_only():
    # 40 regular hours by Friday, then 13 hours on Saturday: every Saturday hour is overtime
    # by the week, hours 12-13 are double by the day; none is paid 1.5 x 1.5 or 1.5 + 2.
    pay = week(*(work(d, 8) for d in range(5)), work(5, 13, start="06:00"))
    assert hours(pay) == (40, 12, 1)
    assert pay.gross_cents == 40 * RATE + 12 * 3000 + 4000


# -- §510: the seventh day ---------------------------------------------------------------------


def test_the_first_eight_hours_on_the_seventh_day_are_time_and_a_half():
    pay = week(*(work(d, 4) for d in range(6)), work(6, 8))
    assert hours(pay) == (24, 8, 0)
    assert pay.seventh_day == MONDAY + timedelta(days=6)


def test_work_in_excess_of_eight_hours_on_the_seventh_day_is_double():
    pay = week(*(work(d, 4) for d in range(6)), work(6, 10))
    assert hours(pay) == (24, 8, 2)
    assert pay.gross_cents == 24 * RATE + 8 * 3000 + 2 * 4000


def test_seven_eights_a_week_and_ten_on_the_seventh():
    # Days 1-6: 48 hours, 40 regular, the last 8 by the week; Sunday: 8 at 1.5x and 2 at 2x.
    pay = week(*(work(d, 8) for d in range(6)), work(6, 10))
    assert hours(pay) == (40, 16, 2)


def test_no_seventh_day_without_all_six_days_before_it():
    pay = week(*(work(d, 4) for d in range(1, 7)))
    assert pay.seventh_day is None
    assert hours(pay) == (24, 0, 0)


def test_the_seventh_day_rule_can_be_switched_off():
    off = PayRules(seventh_day=False, meal_periods=False)
    pay = week(*(work(d, 4) for d in range(7)), rules=off)
    assert hours(pay) == (28, 0, 0)


def test_outside_california_only_the_weekly_rule():
    federal = PayRules(
        daily_overtime_after_minutes=None,
        daily_double_time_after_minutes=None,
        seventh_day=False,
        meal_periods=False,
        reporting_time=False,
    )
    assert hours(week(work(0, 14, start="06:00"), rules=federal)) == (14, 0, 0)
    assert hours(week(*(work(d, 9) for d in range(5)), rules=federal)) == (40, 5, 0)


# -- joint employment: all the CBO's clients together ------------------------------------------


def test_hours_for_two_clients_in_a_day_and_a_week_add_together():
    ana = [work(d, 5, start="07:00", key=f"a{d}", client_id="city") for d in range(5)] + [
        work(d, 4, start="13:00", key=f"b{d}", client_id="shop") for d in range(5)
    ]
    pay = week(*ana)
    # Nine hours a day: one of overtime each day; 40 regular.
    assert hours(pay) == (40, 5, 0)
    by_client = {}
    for item in pay.works:
        by_client[item.client_id] = by_client.get(item.client_id, 0) + item.minutes[OVERTIME]
    assert by_client == {"city": 0, "shop": 5 * H}


# -- the regular rate ---------------------------------------------------------------------------


def test_with_two_rates_overtime_is_half_the_weighted_regular_rate_on_top():
    # 29 CFR 778.115: 30 h at $20 and 15 h at $30 = $1,050 for 45 h; regular rate $23.33;
    # the 5 overtime hours get half of it more: $58.33.
    works = [work(d, 10) for d in range(3)]
    works += [work(d, 7.5, pay_rate_cents=3000) for d in range(3, 5)]
    pay = week(*works, rules=PayRules(daily_overtime_after_minutes=None, meal_periods=False))
    assert hours(pay) == (40, 5, 0)
    assert pay.regular_rate == Fraction(105000, 45)
    assert pay.straight_cents == 105000
    assert pay.overtime_premium_cents == 5833
    assert pay.gross_cents == 105000 + 5833


def test_a_bonus_raises_the_regular_rate_flsa():
    # 29 CFR 778.209: 45 hours at $20 and a $90 attendance bonus: regular rate $22, the
    # overtime premium 5 x $11.
    weekly = PayRules(daily_overtime_after_minutes=None, meal_periods=False, bonus_method="flsa")
    pay = week(*(work(d, 9) for d in range(5)), bonus_cents=9000, rules=weekly)
    assert pay.regular_rate == 2200
    assert pay.overtime_premium_cents == 5 * 1100
    assert pay.gross_cents == 90000 + 9000 + 5500


def test_a_flat_bonus_in_california_alvarado():
    # Alvarado v. Dart: the $90 bonus over the 40 non-overtime hours is $2.25 an hour, times
    # 1.5 for each of the 5 overtime hours ($16.875) besides half the $20 wage ($50).
    weekly = PayRules(daily_overtime_after_minutes=None, meal_periods=False)
    pay = week(*(work(d, 9) for d in range(5)), bonus_cents=9000, rules=weekly)
    assert pay.overtime_premium_cents == 6688  # $66.875, rounded half up once
    assert pay.gross_cents == 90000 + 9000 + 6688
    assert pay.premium_cents == 9000


# -- wage order 4 §5: reporting time ------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheduled", "worked", "owed"),
    [
        (8, 2, 2),  # half the scheduled day (4 h), less the 2 worked
        (8, 0, 4),
        (8, 4, 0),  # half was furnished: nothing owed
        (8, 3.5, 0.5),
        (3, 1, 1),  # half is 1.5 h, "in no event for less than two (2) hours"
        (10, 1, 3),  # half is 5 h, "nor more than four (4) hours"
        (2, 0, 2),
    ],
)
def test_reporting_time_is_half_the_scheduled_day_between_two_and_four_hours(
    scheduled, worked, owed
):
    assert rules.reporting_minutes(scheduled * H, round(worked * H), PayRules()) == owed * H


def test_a_short_shift_pays_reporting_time_at_its_rate_and_it_is_not_hours_worked():
    pay = week(work(0, 2, scheduled_minutes=8 * H))
    assert hours(pay) == (2, 0, 0)
    assert (pay.reporting_minutes, pay.reporting_cents) == (2 * H, 2 * RATE)
    assert pay.gross_cents == 4 * RATE


def test_a_late_client_cancellation_pays_reporting_time():
    cancelled = Cancelled(key="c", starts_at=at(2), scheduled_minutes=6 * H, pay_rate_cents=RATE)
    pay = week(work(0, 8), cancelled=[cancelled])
    assert (pay.reporting_minutes, pay.reporting_cents) == (3 * H, 3 * RATE)
    assert pay.gross_cents == 8 * RATE + 3 * RATE
    assert hours(pay) == (8, 0, 0)


def test_reporting_time_can_be_switched_off():
    assert rules.reporting_minutes(8 * H, 0, PayRules(reporting_time=False)) == 0


# -- §512 and §226.7: meal and rest periods -----------------------------------------------------


def meals(*works: Work) -> rules.WeekPay:
    return rules.week_pay(list(works), week_start=MONDAY, zone=ZONE)


def test_more_than_five_hours_without_a_meal_period_costs_an_hour_at_the_regular_rate():
    pay = meals(work(0, 8))
    assert pay.meal_premiums == 1
    assert pay.period_premium_cents == RATE
    assert pay.gross_cents == 9 * RATE


def test_a_day_of_no_more_than_six_hours_may_waive_the_meal():
    assert meals(work(0, 6)).meal_premiums == 0
    assert meals(work(0, 6.25)).meal_premiums == 1
    assert meals(work(0, 5)).meal_premiums == 0


def test_a_thirty_minute_break_before_the_end_of_the_fifth_hour_is_a_meal_period():
    taken = meals(work(0, 4, start="08:00", key="a"), work(0, 4, start="12:30", key="b"))
    assert taken.meal_premiums == 0
    late = meals(work(0, 6, start="08:00", key="a"), work(0, 2, start="14:30", key="b"))
    assert late.meal_premiums == 1  # it started after the fifth hour
    short = meals(work(0, 4, start="08:00", key="a"), work(0, 4, start="12:20", key="b"))
    assert short.meal_premiums == 1  # twenty minutes is no meal period


def test_more_than_twelve_hours_needs_a_second_meal_period_but_one_premium_a_day():
    # Over ten hours a second meal is due; it may be waived while the day is no more than
    # twelve hours and the first was not waived.
    waived = meals(work(0, 4, start="06:00", key="a"), work(0, 7, start="10:30", key="b"))
    assert waived.meal_premiums == 0
    one_meal = meals(work(0, 4, start="05:00", key="a"), work(0, 9, start="09:30", key="b"))
    assert one_meal.meal_premiums == 1
    two_meals = meals(
        work(0, 4, start="05:00", key="a"),
        work(0, 4, start="09:30", key="b"),
        work(0, 5, start="14:00", key="c"),
    )
    assert two_meals.meal_premiums == 0
    assert meals(work(0, 13, start="06:00")).meal_premiums == 1


def test_meal_premiums_count_per_workday():
    assert meals(*(work(d, 8) for d in range(3))).meal_premiums == 3


@pytest.mark.parametrize(
    ("worked_hours", "due"),
    [(3, 0), (3.5, 1), (6, 1), (6.1, 2), (10, 2), (10.1, 3), (14, 3), (14.1, 4)],
)
def test_ten_minutes_rest_per_four_hours_or_major_fraction(worked_hours, due):
    assert rules.rest_periods_due(round(worked_hours * H)) == due


def test_rest_periods_are_judged_only_where_they_are_clocked():
    straight = work(0, 8, start="08:00")
    assert meals(straight).rest_premiums == 0
    clocked = PayRules(rest_periods_clocked=True, meal_periods=False)
    assert week(straight, rules=clocked).rest_premiums == 1
    with_breaks = week(
        work(0, 3, start="08:00", key="a"),
        work(0, 3, start="11:10", key="b"),
        work(0, 2, start="14:20", key="c"),
        rules=clocked,
    )
    assert with_breaks.rest_premiums == 0


# -- bills ------------------------------------------------------------------------------------


def test_the_bill_charges_each_hour_at_its_tier():
    pay = week(work(0, 9, bill_rate_cents=3000))
    assert pay.bill_cents == 8 * 3000 + 4500


# -- the cost of a proposed shift --------------------------------------------------------------


def test_a_shift_that_puts_a_worker_at_42_hours():
    booked = [work(d, 8) for d in range(5)]
    cost = rules.cost_of(
        booked, work(5, 2, key="proposed"), week_start=MONDAY, zone=ZONE, rules=PayRules()
    )
    assert cost.after.worked_minutes == 42 * H
    assert cost.shift_minutes == {REGULAR: 0, OVERTIME: 2 * H, DOUBLE_TIME: 0}
    assert cost.added_minutes == {REGULAR: 0, OVERTIME: 2 * H, DOUBLE_TIME: 0}
    assert cost.added_pay_cents == 2 * 3000
    assert cost.added_bill_cents == 2 * 4200


def test_a_seventh_day_shift_shows_its_premium():
    booked = [work(d, 4) for d in range(6)]
    cost = rules.cost_of(
        booked, work(6, 10, key="sunday"), week_start=MONDAY, zone=ZONE, rules=PayRules()
    )
    assert cost.shift_minutes == {REGULAR: 0, OVERTIME: 8 * H, DOUBLE_TIME: 2 * H}
    # 8 x $30 + 2 x $40, and the missed meal period's hour at the regular rate.
    assert cost.added_pay_cents == 8 * 3000 + 2 * 4000 + cost.after.period_premium_cents


def test_a_proposed_shift_with_a_booked_ones_key_replaces_it():
    booked = [work(0, 8, key="s")]
    cost = rules.cost_of(booked, work(0, 8, key="s"), week_start=MONDAY, zone=ZONE)
    assert cost.before.worked_minutes == 0 and cost.after.worked_minutes == 8 * H


def test_an_empty_week():
    pay = week()
    assert (pay.gross_cents, pay.worked_minutes, pay.regular_rate) == (0, 0, 0)
