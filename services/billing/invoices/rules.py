"""Pure rules of invoices: the life cycle, numbers, the period a client is invoiced for, and
the amount of a line.

Life cycle: `draft → issued → paid`, and `issued → void` or `paid → void`. A draft has no
number; it takes the next number of its series when it is issued (in the same transaction as
the counter row, locked, so numbers have no gaps and no repeats). A voided invoice keeps its
number for ever; its replacement is a new invoice that takes a new number when it is issued.

Money (written down, as the issue asks): every amount is integer cents. A line's amount is
`minutes × rate ÷ 60` rounded half up to the cent, once per line; a premium billed is
`minutes × rate × (multiplier − 1) ÷ 60` per band, each band rounded half up; the invoice's
total is the sum of its rounded lines (so the PDF, the CSV and the total always agree).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DRAFT = "draft"
ISSUED = "issued"
PAID = "paid"
VOID = "void"
STATUSES = (DRAFT, ISSUED, PAID, VOID)

ISSUE = "issue"
PAY = "pay"
VOID_ACTION = "void"

# (status now, action) -> status after.
TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, ISSUE): ISSUED,
    (ISSUED, PAY): PAID,
    (ISSUED, VOID_ACTION): VOID,
    (PAID, VOID_ACTION): VOID,
}

# An invoice that counts: its lines may be on no other live invoice.
LIVE = frozenset({DRAFT, ISSUED, PAID})

CLIENT = "client"
LICENCE = "licence"
KINDS = (CLIENT, LICENCE)

WEEK = "week"
MONTH = "month"
PERIODS = (WEEK, MONTH)

# The number series: a CBO's invoices to its clients, and the operator's licence invoices.
SERIES_PREFIX = {CLIENT: "INV", LICENCE: "LIC"}
PLATFORM_ISSUER = "platform"

MAX_MINUTES = 60 * 24 * 31
MAX_RATE_CENTS = 100_000_000  # a million dollars an hour: anything above is a typo


def next_status(status: str, action: str) -> str | None:
    """The status `action` leads to from `status`, or None when it is not allowed."""
    return TRANSITIONS.get((status, action))


def allowed_actions(status: str) -> tuple[str, ...]:
    """What may be done next with an invoice in `status` (for the API and the PDF)."""
    return tuple(action for (now, action) in TRANSITIONS if now == status)


def invoice_number(kind: str, sequence: int) -> str:
    """The printed number: the series' prefix and the sequence, zero-padded (INV-000042)."""
    if sequence < 1:
        raise ValueError("invoice sequences start at 1")
    return f"{SERIES_PREFIX[kind]}-{sequence:06d}"


def issuer_of(kind: str, tenant_id: str) -> str:
    """Whose series a number comes from: the CBO's for client invoices, the operator's (one
    series for every CBO's licence invoices) for licence invoices."""
    return tenant_id if kind == CLIENT else PLATFORM_ISSUER


def week_of(day: date) -> tuple[date, date]:
    """The pay week (Monday to Sunday) that holds `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, first.replace(day=calendar.monthrange(day.year, day.month)[1])


def period_of(period: str, day: date) -> tuple[date, date]:
    """The invoicing period (first and last day) of kind `period` that holds `day`."""
    if period == WEEK:
        return week_of(day)
    if period == MONTH:
        return month_of(day)
    raise ValueError(f"no such period {period!r}")


def period_problem(period: str, starts_on: date) -> str | None:
    """Why `starts_on` cannot start a period of kind `period` (None: it can)."""
    if period == WEEK and starts_on.weekday() != 0:
        return "A pay week starts on a Monday."
    if period == MONTH and starts_on.day != 1:
        return "A month starts on its first day."
    return None


def in_period(day: date, starts_on: date, ends_on: date) -> bool:
    return starts_on <= day <= ends_on


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def minutes_amount(minutes: int, rate_cents: int) -> int:
    """`minutes` at an hourly rate of `rate_cents`, rounded half up to the cent."""
    if minutes < 0 or rate_cents < 0:
        raise ValueError("minutes and rates are never negative")
    return _half_up(Decimal(minutes) * Decimal(rate_cents) / Decimal(60))


def multiplier(text: str | int | float | Decimal) -> Decimal:
    """A premium band's multiplier ("1.5", "2"); at least 1."""
    try:
        value = Decimal(str(text))
    except InvalidOperation as exc:
        raise ValueError(f"not a multiplier: {text!r}") from exc
    if not value.is_finite() or value < 1 or value > 10:
        raise ValueError(f"not a multiplier: {text!r}")
    return value


@dataclass(frozen=True)
class BilledLine:
    """What a shift costs the client: the hours at the bill rate, plus premiums billed."""

    base_cents: int
    premium_cents: int
    amount_cents: int


def bill_line(
    *,
    minutes: int,
    rate_cents: int,
    premium_minutes: Mapping[str, int] | None = None,
    flat_premium_cents: int = 0,
    bill_premiums: bool = True,
) -> BilledLine:
    """A line's money. `premium_minutes` maps a multiplier ("1.5", "2") to the minutes of the
    shift paid at it (they are among `minutes`: only the uplift, multiplier − 1, is added);
    `flat_premium_cents` are premiums that are not hours (reporting time, a missed meal
    period). A client that is not billed premiums pays the hours at the rate only."""
    base = minutes_amount(minutes, rate_cents)
    premium = 0
    if bill_premiums:
        for band, band_minutes in sorted((premium_minutes or {}).items()):
            uplift = multiplier(band) - 1
            if band_minutes < 0 or band_minutes > minutes:
                raise ValueError("premium minutes lie within the line's minutes")
            premium += _half_up(Decimal(band_minutes) * Decimal(rate_cents) * uplift / 60)
        if flat_premium_cents < 0:
            raise ValueError("premiums are never negative")
        premium += flat_premium_cents
    return BilledLine(base_cents=base, premium_cents=premium, amount_cents=base + premium)


def total(amounts: Iterable[int]) -> int:
    """The invoice's total: the sum of its rounded lines."""
    return sum(amounts)


def due_on(issued_on: date, terms_days: int) -> date:
    """When an invoice issued on `issued_on` is due (net `terms_days`)."""
    return issued_on + timedelta(days=terms_days)


def hours_text(minutes: int) -> str:
    """Minutes as decimal hours with two places (450 -> "7.50"), as invoices print them."""
    return f"{Decimal(minutes) / Decimal(60):.2f}"


def money_text(cents: int) -> str:
    """Cents as dollars with two places (123456 -> "1234.56"; -5 -> "-0.05")."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"
