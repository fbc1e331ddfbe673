"""Pure rules of the reports: periods and the periods they are compared with, the KPIs made
of a period's summed figures, the earnings profile's bands and percentiles, and the skills
report (which skills are under-used, and which kinds of client buy them)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.reporting.records.rules import METRICS, month_start, week_start

WEEK, MONTH = "week", "month"
PERIOD_KINDS = (WEEK, MONTH)


@dataclass(frozen=True)
class Period:
    """A week (Monday to Sunday) or a calendar month of the CBO: [starts_on, ends_on)."""

    kind: str
    starts_on: date
    ends_on: date

    @property
    def last_day(self) -> date:
        return self.ends_on - timedelta(days=1)

    def days(self) -> list[date]:
        return [
            self.starts_on + timedelta(days=n) for n in range((self.ends_on - self.starts_on).days)
        ]

    def holds(self, day: date) -> bool:
        return self.starts_on <= day < self.ends_on


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(kind: str, day: date) -> Period:
    """The week or month holding `day`."""
    if kind == WEEK:
        start = week_start(day)
        return Period(WEEK, start, start + timedelta(days=7))
    if kind == MONTH:
        start = month_start(day)
        return Period(MONTH, start, _add_months(start, 1))
    raise ValueError(f"no period kind {kind!r}")


def previous(period: Period) -> Period:
    """The period just before."""
    return period_of(period.kind, period.starts_on - timedelta(days=1))


def month_before(period: Period) -> Period:
    """The same period a month before: the week four weeks earlier (same weekdays), or the
    month before (for a month that is also the previous period)."""
    if period.kind == WEEK:
        return period_of(WEEK, period.starts_on - timedelta(days=28))
    return previous(period)


def last_complete(kind: str, today: date) -> Period:
    """The last whole week or month before `today` (what a Monday delivery sends)."""
    return previous(period_of(kind, today))


def weeks_in(period: Period) -> list[date]:
    """The Mondays of the pay weeks counted in a period: a month holds the weeks whose Monday
    falls in it (a pay week is counted once, in the month of its Monday)."""
    first = week_start(period.starts_on)
    if first < period.starts_on:
        first += timedelta(days=7)
    return [
        first + timedelta(days=7 * n)
        for n in range(6)
        if first + timedelta(days=7 * n) < period.ends_on
    ]


# -- KPIs -----------------------------------------------------------------------------------------


def zero() -> dict[str, int]:
    return dict.fromkeys(METRICS, 0)


def add(total: dict[str, int], figures: Any) -> None:
    for name in METRICS:
        total[name] += int(figures.get(name) or 0)


def ratio(part: int, whole: int, digits: int = 4) -> float | None:
    """part / whole, rounded; None when there is nothing to divide by."""
    return round(part / whole, digits) if whole > 0 else None


def kpis(figures: Mapping[str, int], active_jobseekers: int) -> dict[str, Any]:
    """The KPIs of a period from its summed figures and its count of active job seekers."""
    booked = figures["shifts_booked"]
    cancelled = figures["shifts_cancelled"]
    filled = figures["shifts_filled"]
    started = figures["cascades_started"]
    completed, exhausted = figures["cascades_completed"], figures["cascades_exhausted"]
    fill_base = booked - cancelled
    return {
        "active_jobseekers": active_jobseekers,
        "newly_registered": figures["registered"],
        "newly_approved": figures["approved"],
        "shifts_booked": booked,
        "shifts_cancelled": cancelled,
        "shifts_filled": filled,
        # Of the shifts still wanted (booked less cancelled), how many filled.
        "fill_rate": None if fill_base <= 0 else round(min(1.0, filled / fill_base), 4),
        "time_to_fill_minutes": (
            round(figures["fill_minutes"] / filled, 1) if filled > 0 else None
        ),
        "places_worked": figures["places_completed"],
        "hours_worked": round(figures["minutes_worked"] / 60, 2),
        "hours_booked": round(figures["minutes_booked"] / 60, 2),
        "gross_earnings_cents": figures["gross_cents"],
        "no_shows": figures["no_shows"],
        "late_cancellations": figures["late_cancellations"],
        "cascades": {
            "started": started,
            "completed": completed,
            "exhausted": exhausted,
            # Still running, or closed another way (the shift filled or was cancelled).
            "other": max(0, started - completed - exhausted),
        },
        "evv_visits": figures["visits"],
        "evv_exception_rate": ratio(figures["visits_with_exceptions"], figures["visits"]),
    }


# The KPIs in a download, in order, with their headings; nested ones by dotted name.
KPI_COLUMNS: tuple[tuple[str, str], ...] = (
    ("active_jobseekers", "Active job seekers (worked at least one shift)"),
    ("newly_registered", "Newly registered"),
    ("newly_approved", "Newly approved"),
    ("shifts_booked", "Shifts booked"),
    ("shifts_cancelled", "Shifts cancelled"),
    ("shifts_filled", "Shifts filled"),
    ("fill_rate", "Fill rate"),
    ("time_to_fill_minutes", "Time to fill (minutes, mean)"),
    ("places_worked", "Places worked"),
    ("hours_worked", "Hours worked"),
    ("hours_booked", "Hours booked"),
    ("gross_earnings_cents", "Gross earnings (cents)"),
    ("no_shows", "No-shows"),
    ("late_cancellations", "Late cancellations"),
    ("cascades.started", "Cascades started"),
    ("cascades.completed", "Cascades completed"),
    ("cascades.exhausted", "Cascades exhausted"),
    ("cascades.other", "Cascades running or closed otherwise"),
    ("evv_visits", "EVV visits"),
    ("evv_exception_rate", "EVV exception rate"),
)


def kpi_value(values: Mapping[str, Any], name: str) -> Any:
    head, _, rest = name.partition(".")
    value = values.get(head)
    return kpi_value(value, rest) if rest and isinstance(value, Mapping) else value


def change(current: Any, before: Any) -> float | None:
    """The relative change from `before` to `current` (0.25 = 25 % up); None if either is
    missing or before is zero."""
    if not isinstance(current, int | float) or not isinstance(before, int | float) or not before:
        return None
    return round((current - before) / before, 4)


# -- the earnings profile -------------------------------------------------------------------------

# Bands of a worker's week: pay in cents, hours; the last band is open-ended.
EARNINGS_BANDS_CENTS: tuple[int, ...] = (0, 10_000, 25_000, 50_000, 100_000)
HOURS_BANDS: tuple[int, ...] = (0, 5, 10, 20, 30, 40)
PERCENTILES: tuple[int, ...] = (10, 25, 50, 75, 90)


def percentile(values: Sequence[float], q: int) -> float | None:
    """The q-th percentile by the nearest-rank method (a value that occurs); None for none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def bands(values: Iterable[float], edges: Sequence[int]) -> list[dict[str, Any]]:
    """How many values fall in each band [edge, next edge); the last band has no upper end."""
    counts = [0] * len(edges)
    for value in values:
        index = 0
        for position, edge in enumerate(edges):
            if value >= edge:
                index = position
        counts[index] += 1
    return [
        {"from": edge, "to": edges[n + 1] if n + 1 < len(edges) else None, "workers": counts[n]}
        for n, edge in enumerate(edges)
    ]


def distribution(
    weeks: Sequence[tuple[int, int]],
) -> dict[str, Any]:
    """The profile of worker-weeks, each (minutes worked, gross cents)."""
    hours = [round(minutes / 60, 2) for minutes, _ in weeks]
    cents = [gross for _, gross in weeks]
    return {
        "worker_weeks": len(weeks),
        "earnings_cents": {
            "bands": bands(cents, EARNINGS_BANDS_CENTS),
            "percentiles": {f"p{q}": percentile(cents, q) for q in PERCENTILES},
            "mean": round(sum(cents) / len(cents), 1) if cents else None,
        },
        "hours": {
            "bands": bands(hours, HOURS_BANDS),
            "percentiles": {f"p{q}": percentile(hours, q) for q in PERCENTILES},
            "mean": round(sum(hours) / len(hours), 2) if hours else None,
        },
    }


# -- skills and prospects -------------------------------------------------------------------------

# Which kinds of client (tenancy's client kinds: city, business, family) buy a skill's labour.
# Written down here, small on purpose: a skill not listed has no suggested buyers.
SKILL_CLIENT_KINDS: dict[str, tuple[str, ...]] = {
    "driving": ("business",),
    "delivery": ("business",),
    "forklift": ("business",),
    "warehouse": ("business",),
    "food service": ("business",),
    "retail": ("business",),
    "customer service": ("business", "city"),
    "event staff": ("business", "city"),
    "clerical": ("city", "business"),
    "data entry": ("city", "business"),
    "custodial": ("city", "business"),
    "cleaning": ("business", "family"),
    "landscaping": ("city", "family"),
    "construction": ("city", "business"),
    "translation": ("city", "family"),
    "home care": ("family",),
    "elder care": ("family",),
    "childcare": ("family",),
    "tutoring": ("family",),
    "cooking": ("family", "business"),
}

# A skill is under-used when its approved workers get fewer booked hours a week each than this.
UNDERUSED_HOURS_PER_WORKER_WEEK = 4.0
# A client "books little" of a skill below this many hours a week of it.
LITTLE_HOURS_PER_WEEK = 2.0
# At most this many prospects listed per skill.
MAX_PROSPECTS = 10


@dataclass(frozen=True)
class ClientInfo:
    id: str
    name: str
    kind: str


def skills_report(
    *,
    workers_by_skill: Mapping[str, int],
    minutes_by_job_type_client: Mapping[tuple[str, str], int],
    skills_by_job_type: Mapping[str, Sequence[str]],
    clients: Sequence[ClientInfo],
    weeks: int,
) -> list[dict[str, Any]]:
    """Every skill of the CBO's approved workers with the hours booked for it over `weeks`
    (shifts of job types that require it), ranked most under-used first (fewest booked hours a
    week per worker), each under-used one with the kinds of client that buy it and the CBO's
    clients of those kinds that book little of it (fewest hours first)."""
    weeks = max(1, weeks)
    by_skill_client: dict[str, dict[str, int]] = {}
    for (job_type_id, client_id), minutes in minutes_by_job_type_client.items():
        for skill in skills_by_job_type.get(job_type_id, ()):
            per_client = by_skill_client.setdefault(skill, {})
            per_client[client_id] = per_client.get(client_id, 0) + minutes
    rows: list[dict[str, Any]] = []
    for skill, workers in workers_by_skill.items():
        if workers <= 0:
            continue
        per_client = by_skill_client.get(skill, {})
        hours = sum(per_client.values()) / 60
        per_worker_week = hours / workers / weeks
        underused = per_worker_week < UNDERUSED_HOURS_PER_WORKER_WEEK
        kinds = SKILL_CLIENT_KINDS.get(skill, ())
        prospects = []
        if underused and kinds:
            for client in clients:
                if client.kind not in kinds:
                    continue
                client_hours = per_client.get(client.id, 0) / 60
                if client_hours / weeks < LITTLE_HOURS_PER_WEEK:
                    prospects.append(
                        {
                            "client_id": client.id,
                            "name": client.name,
                            "kind": client.kind,
                            "hours_booked": round(client_hours, 2),
                        }
                    )
            prospects.sort(key=lambda p: (p["hours_booked"], p["name"], p["client_id"]))
        rows.append(
            {
                "skill": skill,
                "approved_workers": workers,
                "hours_booked": round(hours, 2),
                "hours_per_worker_week": round(per_worker_week, 2),
                "underused": underused,
                "client_kinds": list(kinds),
                "prospects": prospects[:MAX_PROSPECTS],
            }
        )
    rows.sort(key=lambda r: (r["hours_per_worker_week"], -r["approved_workers"], r["skill"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


# -- scope ----------------------------------------------------------------------------------------


def scope_for(
    *,
    operator: bool,
    own_tenant: str | None,
    asked: str | None,
    shared_with_own: bool,
) -> str | None:
    """Whose figures a caller reads: the operator any CBO's (or, asking none, every CBO's:
    None); a CBO its own, or a partner's that shares its reports. Raises LookupError for a
    CBO the caller may not see (answered as not found: no trace of it)."""
    if operator:
        return asked
    if own_tenant is None:
        raise LookupError("no CBO")
    if asked is None or asked == own_tenant:
        return own_tenant
    if shared_with_own:
        return asked
    raise LookupError("not shared")
