"""Billing's pure invoice and licence-charge rules, table-driven: the life cycle, numbers,
periods, the money of a line (rounding as written down in rules.py) and prorated licences."""

from __future__ import annotations

from datetime import date

import pytest

from services.billing.invoices import rules
from services.billing.licences import rules as licence_rules

ALL_ACTIONS = (rules.ISSUE, rules.PAY, rules.VOID_ACTION)


@pytest.mark.parametrize("status", rules.STATUSES)
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_every_move_of_the_life_cycle(status, action):
    expected = {
        (rules.DRAFT, rules.ISSUE): rules.ISSUED,
        (rules.ISSUED, rules.PAY): rules.PAID,
        (rules.ISSUED, rules.VOID_ACTION): rules.VOID,
        (rules.PAID, rules.VOID_ACTION): rules.VOID,
    }.get((status, action))
    assert rules.next_status(status, action) == expected


def test_what_may_follow_each_status():
    assert rules.allowed_actions(rules.DRAFT) == (rules.ISSUE,)
    assert rules.allowed_actions(rules.ISSUED) == (rules.PAY, rules.VOID_ACTION)
    assert rules.allowed_actions(rules.PAID) == (rules.VOID_ACTION,)
    assert rules.allowed_actions(rules.VOID) == ()
    assert rules.VOID not in rules.LIVE and rules.DRAFT in rules.LIVE


@pytest.mark.parametrize(
    ("kind", "sequence", "number"),
    [
        (rules.CLIENT, 1, "INV-000001"),
        (rules.CLIENT, 42, "INV-000042"),
        (rules.LICENCE, 7, "LIC-000007"),
        (rules.CLIENT, 1234567, "INV-1234567"),
    ],
)
def test_numbers(kind, sequence, number):
    assert rules.invoice_number(kind, sequence) == number


def test_a_sequence_starts_at_one():
    with pytest.raises(ValueError):
        rules.invoice_number(rules.CLIENT, 0)


def test_client_invoices_are_numbered_per_cbo_licences_by_the_operator():
    assert rules.issuer_of(rules.CLIENT, "cbo-1") == "cbo-1"
    assert rules.issuer_of(rules.LICENCE, "cbo-1") == rules.PLATFORM_ISSUER


@pytest.mark.parametrize(
    ("period", "day", "bounds"),
    [
        (rules.WEEK, date(2026, 11, 23), (date(2026, 11, 23), date(2026, 11, 29))),  # Monday
        (rules.WEEK, date(2026, 11, 29), (date(2026, 11, 23), date(2026, 11, 29))),  # Sunday
        (rules.WEEK, date(2026, 12, 31), (date(2026, 12, 28), date(2027, 1, 3))),  # across years
        (rules.MONTH, date(2026, 11, 15), (date(2026, 11, 1), date(2026, 11, 30))),
        (rules.MONTH, date(2028, 2, 29), (date(2028, 2, 1), date(2028, 2, 29))),  # leap year
        (rules.MONTH, date(2027, 2, 1), (date(2027, 2, 1), date(2027, 2, 28))),
    ],
)
def test_the_period_of_a_day(period, day, bounds):
    assert rules.period_of(period, day) == bounds


def test_an_unknown_period_is_refused():
    with pytest.raises(ValueError):
        rules.period_of("fortnight", date(2026, 11, 1))


@pytest.mark.parametrize(
    ("period", "starts_on", "problem"),
    [
        (rules.WEEK, date(2026, 11, 23), None),
        (rules.WEEK, date(2026, 11, 24), "A pay week starts on a Monday."),
        (rules.MONTH, date(2026, 11, 1), None),
        (rules.MONTH, date(2026, 11, 2), "A month starts on its first day."),
    ],
)
def test_where_a_period_may_start(period, starts_on, problem):
    assert rules.period_problem(period, starts_on) == problem


@pytest.mark.parametrize(
    ("minutes", "rate_cents", "cents"),
    [
        (60, 2500, 2500),
        (480, 2500, 20000),
        (450, 2125, 15938),  # 7.5 h × $21.25 = $159.375: half up to $159.38
        (1, 2500, 42),  # 41.67 cents
        (1, 2430, 41),  # 40.5 cents: half up
        (1, 2370, 40),  # 39.5 cents: half up
        (7, 1999, 233),  # 233.2166...
        (0, 2500, 0),
        (90, 0, 0),
    ],
)
def test_a_line_is_minutes_times_rate_rounded_half_up_once(minutes, rate_cents, cents):
    assert rules.minutes_amount(minutes, rate_cents) == cents


def test_negative_minutes_or_rates_are_refused():
    with pytest.raises(ValueError):
        rules.minutes_amount(-1, 100)
    with pytest.raises(ValueError):
        rules.minutes_amount(1, -100)


def test_premiums_billed_add_the_uplift_of_each_band():
    # 10 h at $30: 2 h of them at 1.5× and 0 at 2×, plus $15 of reporting-time pay.
    line = rules.bill_line(
        minutes=600,
        rate_cents=3000,
        premium_minutes={"1.5": 120, "2": 0},
        flat_premium_cents=1500,
    )
    assert line.base_cents == 30000
    assert line.premium_cents == 3000 + 1500  # 2 h × $30 × 0.5, then the flat premium
    assert line.amount_cents == 34500


def test_a_double_time_band_adds_a_whole_rate():
    line = rules.bill_line(minutes=780, rate_cents=2000, premium_minutes={"2": 60, "1.5": 240})
    assert line.premium_cents == 2000 + 4000
    assert line.amount_cents == 26000 + 6000


def test_a_client_not_billed_premiums_pays_the_hours_only():
    line = rules.bill_line(
        minutes=600,
        rate_cents=3000,
        premium_minutes={"1.5": 120},
        flat_premium_cents=1500,
        bill_premiums=False,
    )
    assert (line.base_cents, line.premium_cents, line.amount_cents) == (30000, 0, 30000)


def test_each_premium_band_is_rounded_half_up():
    # 1 minute at $24.30 × 0.5 = 20.25 cents -> 20.
    line = rules.bill_line(minutes=1, rate_cents=2430, premium_minutes={"1.5": 1})
    assert line.premium_cents == 20
    assert line.amount_cents == 41 + 20


@pytest.mark.parametrize(
    "bad",
    [
        {"premium_minutes": {"1.5": 700}},  # more premium minutes than the line's
        {"premium_minutes": {"1.5": -1}},
        {"premium_minutes": {"0.5": 10}},  # a multiplier below 1
        {"premium_minutes": {"abc": 10}},
        {"premium_minutes": {"NaN": 10}},
        {"flat_premium_cents": -5},
    ],
)
def test_odd_premiums_are_refused(bad):
    with pytest.raises(ValueError):
        rules.bill_line(minutes=600, rate_cents=3000, **bad)


def test_the_total_is_the_sum_of_rounded_lines():
    lines = [rules.minutes_amount(1, 2430) for _ in range(3)]  # 40.5 cents each
    assert rules.total(lines) == 123  # not round(121.5)


@pytest.mark.parametrize(
    ("minutes", "text"), [(450, "7.50"), (0, "0.00"), (1, "0.02"), (20, "0.33"), (600, "10.00")]
)
def test_hours_as_invoices_print_them(minutes, text):
    assert rules.hours_text(minutes) == text


@pytest.mark.parametrize(
    ("cents", "text"), [(123456, "1234.56"), (5, "0.05"), (-5, "-0.05"), (0, "0.00"), (100, "1.00")]
)
def test_money_as_invoices_print_it(cents, text):
    assert rules.money_text(cents) == text


def test_net_terms():
    assert rules.due_on(date(2026, 11, 30), 30) == date(2026, 12, 30)


# Licence charges.

NOV = date(2026, 11, 1)


@pytest.mark.parametrize(
    ("periods", "days"),
    [
        ([(date(2026, 1, 1), None)], 30),  # open-ended, from before the month
        ([(date(2026, 11, 16), None)], 15),  # from the 16th: 16..30
        ([(date(2026, 10, 1), date(2026, 11, 10))], 10),  # revoked: last day the 10th
        ([(date(2026, 11, 30), date(2026, 11, 30))], 1),
        ([(date(2026, 12, 1), None)], 0),  # starts after
        ([(date(2026, 9, 1), date(2026, 10, 31))], 0),  # ended before
        # A renewal overlapping the old licence counts each day once.
        ([(date(2026, 11, 1), date(2026, 11, 20)), (date(2026, 11, 15), None)], 30),
        # Two separate spells.
        ([(date(2026, 11, 1), date(2026, 11, 5)), (date(2026, 11, 26), date(2026, 11, 27))], 7),
    ],
)
def test_days_of_the_month_a_licence_covers(periods, days):
    assert licence_rules.covered_days(periods, NOV) == days


@pytest.mark.parametrize(
    ("monthly", "days", "in_month", "cents"),
    [
        (10000, 30, 30, 10000),
        (10000, 15, 30, 5000),
        (10000, 1, 31, 323),  # 322.58 -> 323
        (10000, 10, 31, 3226),  # 3225.8 -> 3226
        (9999, 1, 28, 357),  # 357.107 -> 357
        (100, 1, 8, 13),  # 12.5 -> 13: half up
        (10000, 0, 30, 0),
        (0, 30, 30, 0),
    ],
)
def test_a_part_month_is_prorated_by_day_half_up(monthly, days, in_month, cents):
    assert licence_rules.prorated_cents(monthly, days, in_month) == cents


@pytest.mark.parametrize(("monthly", "days", "in_month"), [(-1, 1, 30), (100, 31, 30), (1, -1, 30)])
def test_odd_prorations_are_refused(monthly, days, in_month):
    with pytest.raises(ValueError):
        licence_rules.prorated_cents(monthly, days, in_month)


def test_a_month_of_charges():
    charges = licence_rules.charges_for_month(
        licences=[
            ("evv", date(2026, 1, 1), None),
            ("rebooking", date(2026, 11, 16), None),
            ("unpriced", date(2026, 1, 1), None),
            ("rebooking", date(2026, 12, 1), None),
        ],
        prices={"evv": 20000, "rebooking": 15000},
        month=NOV,
    )
    assert [(c.feature, c.days, c.days_in_month, c.amount_cents) for c in charges] == [
        ("evv", 30, 30, 20000),
        ("rebooking", 15, 30, 7500),
    ]


def test_no_licence_no_charge():
    assert licence_rules.charges_for_month(licences=[], prices={"evv": 1}, month=NOV) == []
    outside = [("evv", date(2026, 12, 1), None)]
    assert licence_rules.charges_for_month(licences=outside, prices={"evv": 1}, month=NOV) == []


@pytest.mark.parametrize(
    ("text", "month"), [("2026-11", date(2026, 11, 1)), ("2027-01", date(2027, 1, 1))]
)
def test_months_are_read(text, month):
    assert licence_rules.parse_month(text) == month


@pytest.mark.parametrize(
    "text",
    ["2026-13", "2026-00", "26-11", "2026/11", "2026-1", "", "1999-12", "२०२६-११", "2026-1\n"],
)
def test_odd_months_are_refused(text):
    with pytest.raises(ValueError):
        licence_rules.parse_month(text)


def test_a_charge_has_one_key_per_feature_and_month():
    assert licence_rules.charge_key("evv", NOV) == "licence:evv:2026-11"
