"""Pay and bill rates, and money arithmetic: pure, no database.

Which rate applies (each hourly, integer cents):

- pay rate: the booking's own when staff gave one on the booking; else a client-exclusive job
  type's fixed rate; else the client's rate for the job type; else the job type's default.
- bill rate: the booking's own when staff gave one; else a client-exclusive job type's fixed
  rate; else the client's bill rate for the job type; else, when the client has a markup, the
  pay rate (as chosen above) plus the markup; else the job type's default.

A client-exclusive job type's rates are fixed: the client's overrides and markup do not apply
to it (the client agreed them when the role was made for it).

Rounding (written down once, used everywhere):

- a markup: pay × (10000 + basis points) / 10000, rounded half up to a cent;
- an amount: minutes × hourly rate × multiplier / 60, rounded half up to a cent, computed in
  integers (a multiplier is a fraction: 3/2, 2/1), never in floats;
- each shift's amount at each tier (regular, 1.5x, 2x; its overtime premium on the week's
  regular rate likewise) is rounded once, and a week's or an invoice's total is the sum of
  those rounded amounts, so a total always equals the sum of the lines shown; a premium hour
  (meal, rest) is one hour at the week's regular rate, rounded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

# The largest hourly rate accepted anywhere ($10,000 an hour): beyond it is a typo.
MAX_RATE_CENTS = 1_000_000
# The largest markup (1000 %).
MAX_MARKUP_BASIS_POINTS = 100_000

ONE = Fraction(1)
TIME_AND_A_HALF = Fraction(3, 2)
DOUBLE = Fraction(2)

# Where a chosen rate came from (shown to staff, kept on pay lines).
BOOKING = "booking"
FIXED = "fixed"
CLIENT = "client"
MARKUP = "markup"
JOB_TYPE = "job_type"


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest integer, halves away from zero."""
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


def marked_up(pay_rate_cents: int, basis_points: int) -> int:
    """The pay rate plus a markup in basis points, rounded half up to a cent."""
    return round_half_up(pay_rate_cents * (10_000 + basis_points), 10_000)


def amount_cents(minutes: int, rate_cents: int, multiplier: Fraction = ONE) -> int:
    """What `minutes` at an hourly `rate_cents` times `multiplier` come to, rounded half up."""
    numerator = minutes * rate_cents * multiplier.numerator
    return round_half_up(numerator, 60 * multiplier.denominator)


@dataclass(frozen=True)
class RateInputs:
    """What decides a shift's rates."""

    job_type_pay: int
    job_type_bill: int
    exclusive: bool = False
    client_pay: int | None = None
    client_bill: int | None = None
    markup_basis_points: int | None = None
    booking_pay: int | None = None
    booking_bill: int | None = None


@dataclass(frozen=True)
class Rates:
    pay_rate_cents: int
    bill_rate_cents: int
    pay_source: str
    bill_source: str


def resolve(inputs: RateInputs) -> Rates:
    """The hourly pay and bill rates that apply (see the module's text for the order)."""
    if inputs.booking_pay is not None:
        pay, pay_source = inputs.booking_pay, BOOKING
    elif inputs.exclusive:
        pay, pay_source = inputs.job_type_pay, FIXED
    elif inputs.client_pay is not None:
        pay, pay_source = inputs.client_pay, CLIENT
    else:
        pay, pay_source = inputs.job_type_pay, JOB_TYPE
    if inputs.booking_bill is not None:
        bill, bill_source = inputs.booking_bill, BOOKING
    elif inputs.exclusive:
        bill, bill_source = inputs.job_type_bill, FIXED
    elif inputs.client_bill is not None:
        bill, bill_source = inputs.client_bill, CLIENT
    elif inputs.markup_basis_points is not None:
        bill, bill_source = marked_up(pay, inputs.markup_basis_points), MARKUP
    else:
        bill, bill_source = inputs.job_type_bill, JOB_TYPE
    return Rates(pay, bill, pay_source, bill_source)


def rate_problem(value: int | None) -> str | None:
    """Why an hourly rate cannot be used (None: it can)."""
    if value is None:
        return None
    if value < 0:
        return "A rate cannot be negative."
    if value > MAX_RATE_CENTS:
        return f"A rate is at most {MAX_RATE_CENTS} cents an hour."
    return None


def markup_problem(value: int) -> str | None:
    if value < 0:
        return "A markup cannot be negative."
    if value > MAX_MARKUP_BASIS_POINTS:
        return f"A markup is at most {MAX_MARKUP_BASIS_POINTS} basis points."
    return None
