"""Billing's rates and money rules (services/billing/rates/rules.py): which rate applies, and
how cents are rounded."""

from __future__ import annotations

from fractions import Fraction

import pytest

from services.billing.rates import rules
from services.billing.rates.rules import RateInputs

JT = {"job_type_pay": 2000, "job_type_bill": 2800}


@pytest.mark.parametrize(
    ("numerator", "denominator", "rounded"),
    [
        (5, 10, 1),  # a half goes up
        (4, 10, 0),
        (15, 10, 2),
        (14, 10, 1),
        (25, 10, 3),  # not banker's rounding
        (-5, 10, -1),  # halves away from zero
        (-4, 10, 0),
        (0, 7, 0),
        (7, 7, 1),
    ],
)
def test_round_half_up(numerator, denominator, rounded):
    assert rules.round_half_up(numerator, denominator) == rounded


def test_round_half_up_refuses_a_zero_denominator():
    with pytest.raises(ValueError):
        rules.round_half_up(1, 0)


@pytest.mark.parametrize(
    ("minutes", "rate", "multiplier", "cents"),
    [
        (60, 2000, rules.ONE, 2000),
        (480, 2000, rules.ONE, 16000),
        (60, 2000, rules.TIME_AND_A_HALF, 3000),
        (60, 2000, rules.DOUBLE, 4000),
        (1, 2000, rules.ONE, 33),  # 33.33 -> 33
        (1, 2050, rules.ONE, 34),  # 34.166 -> 34
        (1, 2010, rules.TIME_AND_A_HALF, 50),  # 50.25 -> 50
        (1, 2020, rules.TIME_AND_A_HALF, 51),  # 50.5 -> 51 (a half goes up)
        (45, 1999, rules.TIME_AND_A_HALF, 2249),  # 2248.875
        (0, 2000, rules.DOUBLE, 0),
        (-60, 2000, rules.ONE, -2000),  # an adjustment taking pay back
    ],
)
def test_amount_cents(minutes, rate, multiplier, cents):
    assert rules.amount_cents(minutes, rate, multiplier) == cents


def test_amounts_are_exact_for_any_fraction():
    # 7 minutes at $17.77 and 5/4: 7 * 1777 * 5 / (60 * 4) = 259.145... -> 259
    assert rules.amount_cents(7, 1777, Fraction(5, 4)) == 259


@pytest.mark.parametrize(
    ("pay", "basis_points", "bill"),
    [
        (2000, 2500, 2500),
        (2000, 0, 2000),
        (1999, 2500, 2499),  # 2498.75 -> 2499
        (1998, 2500, 2498),  # 2497.5 -> 2498 (a half goes up)
        (1, 5000, 2),  # 1.5 -> 2
        (1, 4999, 1),
    ],
)
def test_markup(pay, basis_points, bill):
    assert rules.marked_up(pay, basis_points) == bill


def test_the_job_types_rates_by_default():
    found = rules.resolve(RateInputs(**JT))
    assert (found.pay_rate_cents, found.bill_rate_cents) == (2000, 2800)
    assert (found.pay_source, found.bill_source) == (rules.JOB_TYPE, rules.JOB_TYPE)


def test_the_clients_rates_override_the_job_types():
    found = rules.resolve(RateInputs(**JT, client_pay=2200, client_bill=3100))
    assert (found.pay_rate_cents, found.bill_rate_cents) == (2200, 3100)
    assert (found.pay_source, found.bill_source) == (rules.CLIENT, rules.CLIENT)


def test_a_client_pay_rate_alone_keeps_the_job_types_bill_rate():
    found = rules.resolve(RateInputs(**JT, client_pay=2200))
    assert (found.pay_rate_cents, found.bill_rate_cents) == (2200, 2800)


def test_the_markup_makes_the_bill_rate_where_the_client_has_none():
    found = rules.resolve(RateInputs(**JT, client_pay=2200, markup_basis_points=3000))
    assert (found.pay_rate_cents, found.bill_rate_cents) == (2200, 2860)
    assert found.bill_source == rules.MARKUP


def test_a_clients_bill_rate_beats_its_markup():
    found = rules.resolve(RateInputs(**JT, client_bill=3000, markup_basis_points=3000))
    assert (found.bill_rate_cents, found.bill_source) == (3000, rules.CLIENT)


def test_the_bookings_own_rates_beat_everything():
    found = rules.resolve(
        RateInputs(
            **JT,
            client_pay=2200,
            client_bill=3100,
            markup_basis_points=3000,
            booking_pay=2500,
            booking_bill=3500,
        )
    )
    assert (found.pay_rate_cents, found.bill_rate_cents) == (2500, 3500)
    assert (found.pay_source, found.bill_source) == (rules.BOOKING, rules.BOOKING)


def test_a_booking_pay_rate_alone_is_marked_up_for_the_bill():
    found = rules.resolve(RateInputs(**JT, booking_pay=2400, markup_basis_points=2500))
    assert (found.pay_rate_cents, found.bill_rate_cents) == (2400, 3000)


def test_a_client_exclusive_job_types_rates_are_fixed():
    found = rules.resolve(
        RateInputs(**JT, exclusive=True, client_pay=1, client_bill=2, markup_basis_points=9000)
    )
    assert (found.pay_rate_cents, found.bill_rate_cents) == (2000, 2800)
    assert (found.pay_source, found.bill_source) == (rules.FIXED, rules.FIXED)


@pytest.mark.parametrize(
    ("value", "problem"),
    [(None, False), (0, False), (rules.MAX_RATE_CENTS, False), (-1, True), (10**12, True)],
)
def test_rate_problems(value, problem):
    assert (rules.rate_problem(value) is not None) is problem


@pytest.mark.parametrize(
    ("value", "problem"), [(0, False), (100_000, False), (-1, True), (100_001, True)]
)
def test_markup_problems(value, problem):
    assert (rules.markup_problem(value) is not None) is problem
