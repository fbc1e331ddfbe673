"""Pure rules of licence charges: what the operator charges a CBO for a month of its EVV and
automatic-rebooking licences.

A feature's charge for a month is its monthly price × the days of the month the CBO held the
licence ÷ the days of the month, rounded half up to the cent (a whole month is the price
exactly). Days are the CBO's calendar days, first and last day included (a licence's `ends_on`
is the last day it covers). Two licences of one feature that overlap count each day once, so
a renewal granted before the old one ended never charges a day twice.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

FEATURES = ("evv", "rebooking")
FEATURE_NAMES = {"evv": "EVV licence", "rebooking": "Automatic rebooking licence"}
MAX_MONTHLY_CENTS = 100_000_000


def month_bounds(month: date) -> tuple[date, date]:
    """The first and last day of the month that holds `month`."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(month.year, month.month)[1])


def parse_month(text: str) -> date:
    """ "2026-11" -> date(2026, 11, 1); ValueError for anything else."""
    digits = text[:4] + text[5:]
    # ASCII digits only: str.isdigit would take "२०२६" too.
    if len(text) != 7 or text[4] != "-" or not (digits.isascii() and digits.isdigit()):
        raise ValueError("A month is written YYYY-MM.")
    year, month = int(text[:4]), int(text[5:])
    if not 2000 <= year <= 2100 or not 1 <= month <= 12:
        raise ValueError("A month is written YYYY-MM.")
    return date(year, month, 1)


def covered_days(periods: Iterable[tuple[date, date | None]], month: date) -> int:
    """How many days of `month` any of the periods (first day, last day or None for
    open-ended) covers; a day covered twice counts once."""
    first, last = month_bounds(month)
    days: set[date] = set()
    for starts_on, ends_on in periods:
        start = max(starts_on, first)
        end = last if ends_on is None else min(ends_on, last)
        day = start
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
    return len(days)


def prorated_cents(monthly_cents: int, days: int, days_in_month: int) -> int:
    """`monthly_cents` for `days` of a month of `days_in_month` days, rounded half up."""
    if monthly_cents < 0 or not 0 <= days <= days_in_month or days_in_month < 1:
        raise ValueError("a charge needs a price and days within the month")
    if days == days_in_month:
        return monthly_cents
    value = Decimal(monthly_cents) * Decimal(days) / Decimal(days_in_month)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Charge:
    feature: str
    days: int
    days_in_month: int
    monthly_cents: int
    amount_cents: int


def charges_for_month(
    *,
    licences: Iterable[tuple[str, date, date | None]],
    prices: dict[str, int],
    month: date,
) -> list[Charge]:
    """A CBO's charges for `month`: one per priced feature it held on at least one day.
    `licences` are (feature, first day, last day or None); a feature without a price is not
    charged."""
    by_feature: dict[str, list[tuple[date, date | None]]] = {}
    for feature, starts_on, ends_on in licences:
        by_feature.setdefault(feature, []).append((starts_on, ends_on))
    first, last = month_bounds(month)
    in_month = last.day
    found = []
    for feature in sorted(by_feature):
        if feature not in prices:
            continue
        days = covered_days(by_feature[feature], first)
        if days == 0:
            continue
        found.append(
            Charge(
                feature=feature,
                days=days,
                days_in_month=in_month,
                monthly_cents=prices[feature],
                amount_cents=prorated_cents(prices[feature], days, in_month),
            )
        )
    return found


def charge_key(feature: str, month: date) -> str:
    """The charge's identity (one per CBO, feature and month): a month is never charged twice."""
    return f"licence:{feature}:{month:%Y-%m}"
