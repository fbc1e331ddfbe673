"""Payroll's pure rules: when the Tuesday run is due, what a correction adds, and the providers'
export files (each in its published column order, every cell through the chassis's formula
neutraliser).

A run's export has one row per worker (ADP, Gusto) or per pay component (Paychex), summing the
worker's lines in the run: the run's week and any adjustments of earlier weeks. The rate given
to a provider is the worker's regular rate for the run's week (the week's straight-time pay over
its hours), so the provider's own 1.5x and 2x of it equal WorkLB's overtime pay; the premiums
(meal and rest periods, reporting time, bonuses, and the cents rounding leaves) go as an
earnings amount, so each row's total is WorkLB's gross to the cent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chassis.exports import csv_bytes

TUESDAY = 1

# The per-worker figures a line carries (payroll_lines' and paid_weeks' columns).
FIGURES: tuple[str, ...] = (
    "regular_minutes",
    "overtime_minutes",
    "double_time_minutes",
    "reporting_minutes",
    "meal_premiums",
    "rest_premiums",
    "straight_cents",
    "overtime_premium_cents",
    "period_premium_cents",
    "reporting_cents",
    "bonus_cents",
    "gross_cents",
)


def week_just_ended(now: datetime, timezone: str) -> date:
    """The Monday of the pay week before the one `now` is in (the CBO's zone)."""
    local = now.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.weekday() + 7)


def scheduled_run_due(now: datetime, timezone: str, run_hour: int) -> bool:
    """Whether the CBO's Tuesday run may start now: Tuesday (or later in the week, should the
    service have been down on Tuesday) from `run_hour` local time."""
    local = now.astimezone(ZoneInfo(timezone))
    if local.weekday() == TUESDAY:
        return local.hour >= run_hour
    return local.weekday() > TUESDAY


def week_ended(week_start: date, now: datetime, timezone: str) -> bool:
    """Whether the pay week starting on `week_start` (a Monday) is over in the CBO's zone."""
    local = now.astimezone(ZoneInfo(timezone)).date()
    return week_start + timedelta(days=7) <= local


def difference(now: dict[str, int], paid: dict[str, int] | None) -> dict[str, int]:
    """What a corrected week adds to what was paid for it (negative: taken back)."""
    return {name: now[name] - (paid or {}).get(name, 0) for name in FIGURES}


def is_nothing(figures: dict[str, int]) -> bool:
    return all(figures[name] == 0 for name in FIGURES)


# -- number formats ----------------------------------------------------------------------------


def hours(minutes: int) -> str:
    """Minutes as hours with two decimals, rounded half up ("7.75", "-0.50")."""
    return str((Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def dollars(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def rate_dollars(rate_cents: Decimal) -> str:
    """An hourly rate in dollars with four decimals (ADP's Temp Rate, Paychex's Rate)."""
    return str((rate_cents / 100).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def split_name(name: str | None) -> tuple[str, str]:
    """(first, last) of a full name: the last word is the last name (Gusto's two columns)."""
    parts = (name or "").split()
    if not parts:
        return "", ""
    if len(parts) == 1:
        return parts[0], ""
    return " ".join(parts[:-1]), parts[-1]


# -- a worker's row ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerTotal:
    """A worker's lines in one run, summed (the run's week and its adjustments)."""

    worker_id: str
    payroll_id: str
    name: str | None
    regular_minutes: int
    overtime_minutes: int
    double_time_minutes: int
    reporting_minutes: int
    gross_cents: int
    rate_cents: Decimal  # the regular rate of the run's week, cents an hour

    def hours_pay_cents(self) -> int:
        """What the provider pays for the hours at `rate_cents` (1x, 1.5x, 2x)."""
        exact = self.rate_cents * (
            Decimal(self.regular_minutes)
            + Decimal(self.overtime_minutes) * Decimal("1.5")
            + Decimal(self.double_time_minutes) * 2
        )
        return int((exact / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def premium_cents(self) -> int:
        """Everything else in the gross: premiums, reporting time, bonuses, rounding."""
        return self.gross_cents - self.hours_pay_cents()


def worker_totals(lines: Iterable[dict[str, Any]], week_start: date) -> list[WorkerTotal]:
    """Each worker's lines of a run summed, in payroll id order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        grouped.setdefault(line["worker_id"], []).append(line)
    found = []
    for worker_id, mine in grouped.items():
        own = next((x for x in mine if x["for_week"] == week_start), None)
        rate_line = own or mine[0]
        found.append(
            WorkerTotal(
                worker_id=worker_id,
                payroll_id=rate_line["payroll_id"] or "",
                name=rate_line["name"],
                regular_minutes=sum(x["regular_minutes"] for x in mine),
                overtime_minutes=sum(x["overtime_minutes"] for x in mine),
                double_time_minutes=sum(x["double_time_minutes"] for x in mine),
                reporting_minutes=sum(x["reporting_minutes"] for x in mine),
                gross_cents=sum(x["gross_cents"] for x in mine),
                rate_cents=Decimal(rate_line["regular_rate"]),
            )
        )
    found.sort(key=lambda t: (t.payroll_id, t.worker_id))
    return found


# -- the files ---------------------------------------------------------------------------------

ADP_HEADER: tuple[str, ...] = (
    "Co Code",
    "Batch ID",
    "File #",
    "Reg Hours",
    "O/T Hours",
    "Hours 3 Code",
    "Hours 3 Amount",
    "Temp Rate",
    "Earnings 3 Code",
    "Earnings 3 Amount",
    "Temp Dept",
)
PAYCHEX_HEADER: tuple[str, ...] = (
    "Client ID",
    "Worker ID",
    "Org",
    "Job Number",
    "Pay Component",
    "Rate",
    "Rate Number",
    "Hours",
    "Units",
    "Line Date",
    "Amount",
)
GUSTO_HEADER: tuple[str, ...] = (
    "first_name",
    "last_name",
    "regular_hours",
    "overtime_hours",
    "double_overtime_hours",
    "bonus",
    "correction_payment",
)
PLAIN_HEADER: tuple[str, ...] = (
    "week_start",
    "for_week",
    "kind",
    "worker_id",
    "payroll_id",
    "name",
    "regular_hours",
    "overtime_hours",
    "double_time_hours",
    "reporting_hours",
    "meal_premiums",
    "rest_premiums",
    "regular_rate",
    "straight_pay",
    "overtime_premium",
    "period_premiums",
    "reporting_pay",
    "bonus",
    "gross",
)
# ADP's hours code for double time, its earnings code for premiums; Paychex's pay components.
ADP_DOUBLE_TIME_CODE = "D"
ADP_PREMIUM_CODE = "P"
PAYCHEX_COMPONENTS = {
    "regular": "Hourly",
    "overtime": "Overtime",
    "double_time": "Double Time",
    "premium": "Premium Pay",
}


@dataclass(frozen=True)
class ExportFile:
    layout: str
    filename: str
    content_type: str
    data: bytes


def adp(totals: Sequence[WorkerTotal], *, company_code: str, batch_id: str) -> ExportFile:
    """ADP Workforce Now paydata: PR<co>EPI.csv, a row per worker (File # = payroll id)."""
    rows = [
        (
            company_code,
            batch_id,
            t.payroll_id,
            hours(t.regular_minutes),
            hours(t.overtime_minutes),
            ADP_DOUBLE_TIME_CODE if t.double_time_minutes else "",
            hours(t.double_time_minutes) if t.double_time_minutes else "",
            rate_dollars(t.rate_cents),
            ADP_PREMIUM_CODE if t.premium_cents() else "",
            dollars(t.premium_cents()) if t.premium_cents() else "",
            "",
        )
        for t in totals
    ]
    return ExportFile("adp", f"PR{company_code}EPI.csv", "text/csv", csv_bytes(ADP_HEADER, rows))


def paychex(totals: Sequence[WorkerTotal], *, company_code: str, week_start: date) -> ExportFile:
    """Paychex Flex SPI: a row per worker and pay component, dated the week's last day."""
    line_date = (week_start + timedelta(days=6)).strftime("%m/%d/%Y")
    rows: list[tuple[Any, ...]] = []
    for t in totals:
        rate = rate_dollars(t.rate_cents)
        parts = (
            ("regular", t.regular_minutes, rate),
            ("overtime", t.overtime_minutes, rate_dollars(t.rate_cents * Decimal("1.5"))),
            ("double_time", t.double_time_minutes, rate_dollars(t.rate_cents * 2)),
        )
        for component, minutes, shown_rate in parts:
            if minutes:
                rows.append(
                    (
                        company_code,
                        t.payroll_id,
                        "",
                        "",
                        PAYCHEX_COMPONENTS[component],
                        shown_rate,
                        "",
                        hours(minutes),
                        "",
                        line_date,
                        "",
                    )
                )
        if t.premium_cents():
            rows.append(
                (
                    company_code,
                    t.payroll_id,
                    "",
                    "",
                    PAYCHEX_COMPONENTS["premium"],
                    "",
                    "",
                    "",
                    "",
                    line_date,
                    dollars(t.premium_cents()),
                )
            )
    return ExportFile(
        "paychex",
        f"SPI_{company_code}_{week_start.isoformat()}.csv",
        "text/csv",
        csv_bytes(PAYCHEX_HEADER, rows),
    )


def gusto(
    totals: Sequence[WorkerTotal], *, bonuses: dict[str, int], week_start: date
) -> ExportFile:
    """Gusto's hours import: a row per worker by name (an upload overwrites the payroll's
    entries, so a run's file is whole)."""
    rows = []
    for t in totals:
        first, last = split_name(t.name)
        bonus = bonuses.get(t.worker_id, 0)
        rows.append(
            (
                first,
                last,
                hours(t.regular_minutes),
                hours(t.overtime_minutes),
                hours(t.double_time_minutes),
                dollars(bonus),
                dollars(t.premium_cents() - bonus),
            )
        )
    return ExportFile(
        "gusto",
        f"gusto_hours_{week_start.isoformat()}.csv",
        "text/csv",
        csv_bytes(GUSTO_HEADER, rows),
    )


def plain(lines: Sequence[dict[str, Any]], *, week_start: date) -> ExportFile:
    """Every line of the run as WorkLB computed it (adjustments on rows of their own)."""
    rows = [
        (
            week_start,
            line["for_week"],
            line["kind"],
            line["worker_id"],
            line["payroll_id"] or "",
            line["name"] or "",
            hours(line["regular_minutes"]),
            hours(line["overtime_minutes"]),
            hours(line["double_time_minutes"]),
            hours(line["reporting_minutes"]),
            line["meal_premiums"],
            line["rest_premiums"],
            rate_dollars(Decimal(line["regular_rate"])),
            dollars(line["straight_cents"]),
            dollars(line["overtime_premium_cents"]),
            dollars(line["period_premium_cents"]),
            dollars(line["reporting_cents"]),
            dollars(line["bonus_cents"]),
            dollars(line["gross_cents"]),
        )
        for line in sorted(lines, key=_line_order)
    ]
    return ExportFile(
        "plain", f"payroll_{week_start.isoformat()}.csv", "text/csv", csv_bytes(PLAIN_HEADER, rows)
    )


def _line_order(line: dict[str, Any]) -> tuple[str, str, date]:
    return line["payroll_id"] or "", line["worker_id"], line["for_week"]


LAYOUTS: tuple[str, ...] = ("adp", "paychex", "gusto", "plain")
