"""Search: the workers who may work a shift, ranked, and (for staff) those left out with why.

The rules are those of rules.py, applied to a whole CBO by ONE SQL statement in booking's
database (`_statement`): each rule is an SQL expression over the worker's row and a small set
of marks (what other tables say about a worker for this request), and the statement answers
the ranked page of eligible workers with their rank parts and their total, and for staff the
count of left-out workers per reason and a page of them. The left-out workers on the page
(and a worker asked about by id) are then loaded as rules.WorkerFacts and explained by
rules.reasons, so every sentence a person reads comes from the pure module. A domain test
proves that the statement and the rules agree on generated populations (the eligible set,
its order and rank parts, the counts per reason). Where the time goes: docs/PERFORMANCE.md.

A repeating request asks for every occurrence: a worker is eligible only when eligible for
each one, and a weekly cap counts all of the request's occurrences in a week.

Other areas call:
- `reasons_against(uow, shift=, worker_id=, now=None)`: the re-check before an offer and at
  its confirmation (empty: the worker may have it); `ShiftsRecheck(uow, shifts=, worker_ids=)`
  the same for many pairs, what it reads loaded once (a batch of replacement offers);
- `ranked_workers(uow, shift=, limit=, tier=None, exclude=())`: who to offer a shift to next.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, literal, null, or_, select, text, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Boolean, Date, DateTime, Float, Integer, String

from chassis.context import CLIENT, Caller
from chassis.db import UnitOfWork
from chassis.errors import NotFound, ValidationFailed
from services.booking.attendance.models import BLOCKED, FAVOURITE, ClientPreference
from services.booking.bookings.models import Shift
from services.booking.common import check_client, market_tenant
from services.booking.jobtypes.models import JobType
from services.booking.offers.models import Assignment, Offer
from services.booking.reliability.rules import NEW_WORKER_SCORE, RELIABLE_SCORE
from services.booking.search import rules
from services.booking.sites.models import Site
from services.booking.workers.models import (
    CboRecord,
    ClientRecord,
    PartnershipRecord,
    SourceRecord,
    WorkerDay,
    WorkerRecord,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "America/Los_Angeles"
SEARCH_WORK_MEM = "32MB"
TIERS = ("favourites", "reliable", "eligible", "partners")

# The SQL flag of each reason code (rules.NOT_SHARED and rules.STARTED have none: partners
# that do not share are never candidates, and a search has no "now").
FLAGS: dict[str, str] = {
    rules.NOT_APPROVED: "f_not_approved",
    rules.INACTIVE: "f_inactive",
    rules.SUSPENDED: "f_suspended",
    rules.EXCLUSIVE: "f_exclusive",
    rules.JOB_TYPE: "f_job_type",
    rules.SKILLS: "f_skills",
    rules.BLOCKED: "f_blocked",
    rules.UNAVAILABLE: "f_unavailable",
    rules.BOOKED: "f_booked",
    rules.OFFERED: "f_offered",
    rules.CAP: "f_cap",
}


@dataclass(frozen=True)
class Candidate:
    """A worker a shift may be offered to, in ranking order (position from 1)."""

    worker_id: str
    worker_tenant_id: str
    favourite: bool
    score: float
    distance_km: float | None
    booked_minutes: int
    position: int


@dataclass(frozen=True)
class Context:
    """A request as the search runs it: the rules' request, and who and where it concerns."""

    tenant_id: str
    request: rules.Request
    job_type: JobType
    site: Site
    # Every CBO partnered with this one now, and what it shares.
    partners: dict[str, list[str]]
    # The partners whose workers may take this job type.
    sharing: tuple[str, ...]
    timezones: dict[str, str]  # tenant id -> its time zone

    def plan_for(self, timezone: str) -> rules.Plan:
        return rules.plan(self.request.windows, timezone)


# -- what the search reads ------------------------------------------------------------------


def timezones_of(uow: UnitOfWork, *, tenant_ids: Iterable[str]) -> dict[str, str]:
    """Each CBO's time zone (the default for one booking has not heard of yet)."""
    ids = sorted(set(tenant_ids))
    found: dict[str, str] = dict(
        uow.session.execute(  # type: ignore[arg-type]
            select(CboRecord.tenant_id, CboRecord.timezone).where(CboRecord.tenant_id.in_(ids))
        ).all()
    )
    return {t: found.get(t) or DEFAULT_TIMEZONE for t in ids}


def partners_of(uow: UnitOfWork, *, tenant_id: str) -> dict[str, list[str]]:
    """The CBOs in a formed partnership with this one, and what each partnership shares."""
    rows = uow.session.execute(
        select(PartnershipRecord).where(
            PartnershipRecord.active.is_(True),
            or_(
                PartnershipRecord.proposer_id == tenant_id,
                PartnershipRecord.partner_id == tenant_id,
            ),
        )
    ).scalars()
    found: dict[str, list[str]] = {}
    for row in rows:
        other = row.partner_id if row.proposer_id == tenant_id else row.proposer_id
        found.setdefault(other, []).extend(row.shares or [])
    return found


def _context(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    job_type: JobType,
    site: Site,
    client_id: str,
    windows: tuple[rules.Window, ...],
    shift_id: str | None = None,
    partners: dict[str, list[str]] | None = None,
    known_timezones: dict[str, str] | None = None,
) -> Context:
    """The request's context; `partners` and `known_timezones` when the caller has read them
    already (a batch of shifts of a few CBOs)."""
    if partners is None:
        partners = partners_of(uow, tenant_id=tenant_id)
    sharing = tuple(
        sorted(t for t, shares in partners.items() if rules.shares_job_type(shares, job_type.key))
    )
    request = rules.Request(
        tenant_id=tenant_id,
        client_id=client_id,
        job_type_key=job_type.key,
        job_type_name=job_type.name,
        windows=windows,
        needs_approval=job_type.needs_approval,
        required_skills=frozenset(job_type.required_skills or ()),
        exclusive_client_id=job_type.client_id,
        site_latitude=site.latitude,
        site_longitude=site.longitude,
        shift_id=shift_id,
    )
    return Context(
        tenant_id=tenant_id,
        request=request,
        job_type=job_type,
        site=site,
        partners=partners,
        sharing=sharing,
        timezones=timezones_of(uow, tenant_ids=[tenant_id, *sharing])
        if known_timezones is None
        else {t: known_timezones[t] for t in (tenant_id, *sharing)},
    )


def _shift_context(uow: UnitOfWork, shift: Shift) -> Context:
    job_type = uow.session.get(JobType, shift.job_type_id)
    site = uow.session.get(Site, shift.site_id)
    return _context_of(uow, shift, job_type, site)


def _context_of(
    uow: UnitOfWork, shift: Shift, job_type: JobType | None, site: Site | None, **known: Any
) -> Context:
    """The context of a request for `shift` alone (`known`: what `_context` may be given)."""
    if job_type is None or site is None:
        raise NotFound("The shift's job type or site is gone.")
    return _context(
        uow,
        tenant_id=shift.tenant_id,
        job_type=job_type,
        site=site,
        client_id=shift.client_id,
        windows=(rules.Window(shift.starts_at, shift.ends_at),),
        shift_id=shift.id,
        **known,
    )


# -- the one statement ----------------------------------------------------------------------


def _multirange(ranges: Sequence[tuple[int, int]]) -> str:
    return "{" + ",".join(f"[{a},{b})" for a, b in ranges) + "}"


def _tstz_multirange(windows: Iterable[rules.Window]) -> str:
    parts = ",".join(
        f'["{w.starts_at.isoformat()}","{w.ends_at.isoformat()}")'
        for w in sorted(windows, key=lambda w: w.starts_at)
    )
    return "{" + parts + "}"


def _haversine(lat: str, lon: str) -> str:
    """The SQL of rules.haversine_km from the worker's home to the site (:site_lat/lon)."""
    return (
        f"CASE WHEN {lat} IS NULL OR {lon} IS NULL OR CAST(:site_lat AS float8) IS NULL "
        f"OR CAST(:site_lon AS float8) IS NULL THEN NULL ELSE "
        f"2 * {rules.EARTH_RADIUS_KM} * asin(sqrt(least(1.0, "
        f"power(sin(radians(CAST(:site_lat AS float8) - {lat}) / 2), 2) "
        f"+ cos(radians({lat})) * cos(radians(CAST(:site_lat AS float8))) "
        f"* power(sin(radians(CAST(:site_lon AS float8) - {lon}) / 2), 2)))) END"
    )


HOURS_PER_PART = 56  # bits of the week's hours per week_hours_<k> column (migration 0008)


def _weekly_sql(ranges: Sequence[tuple[int, int]], need: str) -> str:
    """SQL: the worker's weekly hours hold every minute of `ranges` (minutes of the local
    week; `need` names the same as an int4multirange parameter). The whole hours inside the
    ranges must be bits of week_hours_<k> (a bigint AND per part touched); when every range
    starts and ends on the hour that is the whole test, else the multirange containment
    decides what the bits let through."""
    masks = [0, 0, 0]
    for a, b in ranges:
        for hour in range(-(-a // 60), b // 60):
            masks[hour // HOURS_PER_PART] |= 1 << (hour % HOURS_PER_PART)
    tests = [
        f"(w.week_hours_{k} & CAST({m} AS bigint)) = CAST({m} AS bigint)"
        for k, m in enumerate(masks)
        if m
    ]
    if not tests or any(a % 60 or b % 60 for a, b in ranges):
        tests.append(f"w.weekly_minutes @> CAST(:{need} AS int4multirange)")
    return f"coalesce({' AND '.join(tests)}, false)"


ORDER = "c.favourite DESC, c.score DESC, c.distance_km ASC NULLS LAST, c.booked_minutes ASC, c.id"


def _statement(
    context: Context,
    *,
    all_of_own: bool,
    include_partners: bool,
    tier: str | None,
    exclude: Sequence[str],
    limit: int,
    offset: int,
    excluded_limit: int,
    excluded_offset: int,
    count_reasons: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """The search as one statement and its parameters.

    The eligible are the offerable workers (approved, active, not suspended) of the CBO, and
    with `include_partners` of the partner CBOs that share the job type, that pass every rule
    (and `tier`, and are not in `exclude`). `all_of_own`: also count the CBO's workers left out
    and give a page of them (staff see who is left out and why); with `count_reasons`, count
    them per reason too (a second pass over every worker of the CBO)."""
    request = context.request
    partners = list(context.sharing) if include_partners else []
    tenants = [context.tenant_id, *partners]
    zones = sorted({context.timezones[t] for t in tenants})
    plans = [context.plan_for(z) for z in zones]
    params: dict[str, Any] = {
        "tenant": context.tenant_id,
        "partners": partners,
        "tz_tenants": tenants,
        "tz_groups": [zones.index(context.timezones[t]) for t in tenants],
        "key": request.job_type_key,
        "needs_approval": request.needs_approval,
        "skills": sorted(request.required_skills),
        "exclusive": request.exclusive_client_id is not None
        and request.exclusive_client_id != request.client_id,
        "client": request.client_id,
        "shift": request.shift_id,
        "windows": _tstz_multirange(request.windows),
        "first_start": min(w.starts_at for w in request.windows),
        "last_end": max(w.ends_at for w in request.windows),
        "site_lat": request.site_latitude,
        "site_lon": request.site_longitude,
        "new_score": NEW_WORKER_SCORE,
        "reliable": RELIABLE_SCORE,
        "exclude": list(exclude),
        "limit": limit,
        "offset": offset,
        "last": max(0, offset + limit - 1),
        "x_limit": excluded_limit,
        "x_offset": excluded_offset,
    }
    types: dict[str, Any] = {
        "partners": ARRAY(String),
        "tz_tenants": ARRAY(String),
        "tz_groups": ARRAY(Integer),
        "skills": ARRAY(String),
        "exclude": ARRAY(String),
        "first_start": DateTime(timezone=True),
        "last_end": DateTime(timezone=True),
        "site_lat": Float,
        "site_lon": Float,
        "needs_approval": Boolean,
        "exclusive": Boolean,
    }

    # Weeks of every time zone group, numbered across groups; each group's first week is the
    # one "booked this week" means.
    wk_g: list[int] = []
    wk_s: list[datetime] = []
    wk_e: list[datetime] = []
    wk_mon: list[date] = []
    wk_sun: list[date] = []
    wk_secs: list[int] = []
    first_week: list[int] = []
    for g, p in enumerate(plans):
        first_week.append(len(wk_g))
        for week in p.weeks:
            wk_g.append(g)
            wk_s.append(week.starts_at)
            wk_e.append(week.ends_at)
            wk_mon.append(week.monday)
            wk_sun.append(week.sunday)
            wk_secs.append(week.request_seconds)
    params.update(
        wk_g=wk_g,
        wk_s=wk_s,
        wk_e=wk_e,
        wk_mon=wk_mon,
        wk_sun=wk_sun,
        wk_secs=wk_secs,
        tz_first=[first_week[zones.index(context.timezones[t])] for t in tenants],
        weeks_start=min(wk_s),
        weeks_end=max(wk_e),
    )
    types.update(
        wk_g=ARRAY(Integer),
        wk_s=ARRAY(DateTime(timezone=True)),
        wk_e=ARRAY(DateTime(timezone=True)),
        wk_mon=ARRAY(Date),
        wk_sun=ARRAY(Date),
        wk_secs=ARRAY(Integer),
        tz_first=ARRAY(Integer),
        weeks_start=DateTime(timezone=True),
        weeks_end=DateTime(timezone=True),
    )

    # Availability: a worker without an exception on any date the request touches needs the
    # group's week minutes (one multirange containment); one with exceptions is checked
    # segment by segment, each date's exception first, else the weekly hours.
    dates = sorted({s.on_date for p in plans for s in p.segments})
    params["dates"] = dates
    types["dates"] = ARRAY(Date)
    day_columns = []
    for i, on_date in enumerate(dates):
        params[f"d{i}"] = on_date
        types[f"d{i}"] = Date
        day_columns.append(
            f"(array_agg(m.minutes) FILTER (WHERE m.k = 7 AND m.on_date = :d{i}))[1] AS m{i}"
        )
    group_cases = []
    for g, p in enumerate(plans):
        params[f"need{g}"] = _multirange(p.week_ranges)
        checks = []
        for segment in p.segments:
            k = dates.index(segment.on_date)
            wa, wb = segment.week_range
            checks.append(
                f"coalesce(m.m{k} @> int4range({segment.start}, {segment.end}), "
                f"coalesce(w.weekly_minutes @> int4range({wa}, {wb}), false))"
            )
        per_segment = " AND ".join(checks) or "true"
        group_cases.append(
            f"WHEN {g} THEN CASE WHEN NOT coalesce(m.has_day, false) THEN "
            f"{_weekly_sql(p.week_ranges, f'need{g}')} "
            f"ELSE ({per_segment}) END"
        )
    available = f"CASE tz.g {' '.join(group_cases)} ELSE false END"

    offerable = "(w.approved AND w.active AND NOT w.suspended)"
    # One time zone (the usual case): its group is a constant; several: each worker's comes
    # from their CBO's row of tz.
    if len(zones) == 1:
        zone_join, group_of = "", "0"
    else:
        zone_join, group_of = "JOIN tz ON tz.tenant_id = w.tenant_id", "tz.g"
    available = available.replace("CASE tz.g ", f"CASE {group_of} ")
    first_booked = (
        "SELECT b.worker_id, b.tenant_id, 6, b.secs, NULL, NULL FROM booked b WHERE b.i = 0"
        if len(zones) == 1
        else "SELECT b.worker_id, b.tenant_id, 6, b.secs, NULL, NULL FROM booked b "
        "JOIN workers w ON w.id = b.worker_id "
        "JOIN tz ON tz.tenant_id = w.tenant_id WHERE b.i = tz.first_week"
    )
    # Each rule as an expression over the worker's row (w) and the marks other tables leave
    # on them for this request (m: exceptions on the dates asked for, booked or offered
    # elsewhere, over the cap, blocked or favourite); FLAGS names them by code.
    flag_sql = {
        "f_not_approved": "NOT coalesce(w.approved, false)",
        "f_inactive": "NOT coalesce(w.active, false)",
        "f_suspended": "coalesce(w.suspended, false)",
        "f_exclusive": "CAST(:exclusive AS boolean)",
        "f_job_type": "(CAST(:needs_approval AS boolean) AND NOT "
        "coalesce(CAST(:key AS varchar) = ANY(w.job_types), false))",
        "f_skills": "NOT coalesce(coalesce(w.skills, '{}') @> CAST(:skills AS varchar[]), false)",
        "f_blocked": "coalesce(m.blocked, false)",
        "f_unavailable": f"NOT coalesce({available}, false)",
        "f_booked": "coalesce(m.booked, false)",
        "f_offered": "coalesce(m.offered, false)",
        "f_cap": "(coalesce(m.capped, false) OR coalesce(w.source_id = ANY(ARRAY("
        "SELECT source_id FROM capped WHERE secs > cap * 60)), false))",
    }
    joins = f"FROM workers w {zone_join} LEFT JOIN marks m ON m.worker_id = w.id"
    # The eligible: the rules on the worker's own row as separate conditions, which the scan
    # applies and the planner estimates from the columns' statistics; the rules that need the
    # exceptions and marks as one opaque condition after the joins. (Eleven conditions of
    # their own would look like almost no row at all, and the planner would fetch scores one
    # by one instead of hashing them.)
    row_only = (
        "f_not_approved",
        "f_inactive",
        "f_suspended",
        "f_exclusive",
        "f_job_type",
        "f_skills",
    )
    joined = " OR ".join(f"({e})" for f, e in flag_sql.items() if f not in row_only)
    # Approval, activity and suspension are the scope's own conditions (offerable) already.
    no_flag = " AND ".join(f"NOT ({flag_sql[f]})" for f in row_only[3:])
    if len(zones) == 1:
        # What the scan can check alone: the weekly hours, unless an exception decides.
        no_flag += (
            f" AND ({_weekly_sql(plans[0].week_ranges, 'need0')}"
            " OR w.id IN (SELECT wd.worker_id FROM worker_days wd"
            " WHERE wd.tenant_id = ANY(CAST(:tz_tenants AS varchar[]))"
            " AND wd.on_date = ANY(CAST(:dates AS date[]))))"
        )
    no_flag += f" AND (CASE WHEN {joined} THEN false ELSE true END)"
    if include_partners:
        scope = f"w.tenant_id = ANY(CAST(:tz_tenants AS varchar[])) AND {offerable}"
    else:
        scope = f"w.tenant_id = :tenant AND {offerable}"
    tier_filter = {
        None: "w.tenant_id = :tenant",
        "favourites": "w.tenant_id = :tenant AND coalesce(m.favourite, false)",
        "reliable": "w.tenant_id = :tenant AND coalesce(w.score, :new_score) >= :reliable",
        "eligible": "w.tenant_id = :tenant",
        "partners": "w.tenant_id <> :tenant",
        "all": "true",
    }[tier]
    exclude_sql = "    AND NOT (w.id = ANY(CAST(:exclude AS varchar[])))" if exclude else ""
    day_select = "".join(f",\n         {c}" for c in day_columns)
    if all_of_own:
        # The left-out are the CBO's workers that are not eligible: all of its eligible must be.
        if tier not in (None, "all") or exclude:
            raise ValueError("counting the left-out needs every eligible worker of the CBO")
        # Staff: how many of the CBO's workers are left out, and a page of them read in name
        # order (ix_workers_tenant_name: it stops early). Counted by reason on request,
        # without joining anything to the whole CBO: the rules on the worker's row (weekly
        # hours included) in one scan, then the few workers with an exception on the dates,
        # or with a mark, each corrected or counted through their primary key (assembled in
        # _excluded_counts).
        own_group = zones.index(context.timezones[context.tenant_id])
        own_available = available.replace(f"CASE {group_of} ", f"CASE {own_group} ")
        weekly_ok = _weekly_sql(plans[own_group].week_ranges, f"need{own_group}")
        alone = (
            "coalesce(w.source_id = ANY(ARRAY("
            "SELECT source_id FROM capped WHERE secs > cap * 60)), false)"
        )
        if count_reasons:
            row_counts = ", ".join(
                f"'{f}', count(*) FILTER (WHERE {flag_sql[f]})" for f in row_only
            )
            counts_sql = f"""
  (SELECT json_build_object('own', count(*), {row_counts},
            'weekly_unavailable', count(*) FILTER (WHERE NOT {weekly_ok}),
            'cap_alone', count(*) FILTER (WHERE {alone}))
     FROM workers w WHERE w.tenant_id = :tenant) AS row_counts,
  (SELECT json_build_object(
            'weekly_unavailable', count(*) FILTER (WHERE NOT {weekly_ok}),
            'unavailable', count(*) FILTER (WHERE NOT coalesce({own_available}, false)))
     FROM marks m JOIN workers w ON w.id = m.worker_id
     WHERE m.has_day AND w.tenant_id = :tenant) AS day_counts,
  (SELECT json_build_object(
            'f_blocked', count(*) FILTER (WHERE m.blocked),
            'f_booked', count(*) FILTER (WHERE m.booked),
            'f_offered', count(*) FILTER (WHERE m.offered),
            'capped', count(*) FILTER (WHERE m.capped))
     FROM marks m WHERE m.tenant_id = :tenant) AS mark_counts,"""
        else:
            # Only how many: the CBO's workers (kept by triggers, migration booking_0050)
            # less its eligible.
            counts_sql = """
  (SELECT json_build_object('own', coalesce(max(c.workers), 0)) FROM worker_counts c
     WHERE c.tenant_id = :tenant) AS row_counts,
  CAST(NULL AS json) AS day_counts, CAST(NULL AS json) AS mark_counts,"""
        # Without partners every eligible worker is the CBO's own: eligible_total counts them.
        own_eligible = (
            "(SELECT count(*) FROM eligible WHERE tenant_id = :tenant)"
            if include_partners
            else "CAST(NULL AS bigint)"
        )
        excluded_sql = f"""{counts_sql}
  {own_eligible} AS own_eligible,
  (SELECT coalesce(json_agg(x.id ORDER BY x.name, x.id), '[]'::json) FROM (
     SELECT w.id, w.name COLLATE "C" AS name FROM workers w
     WHERE w.tenant_id = :tenant AND w.id NOT IN (SELECT id FROM eligible)
     ORDER BY w.name COLLATE "C", w.id LIMIT :x_limit OFFSET :x_offset) x) AS excluded_ids"""
    else:
        excluded_sql = """
  CAST(NULL AS json) AS row_counts, CAST(NULL AS json) AS day_counts,
  CAST(NULL AS json) AS mark_counts, CAST(NULL AS bigint) AS own_eligible,
  CAST(NULL AS json) AS excluded_ids"""
    # The page: the distance (a dozen float functions a row) is computed only for the
    # workers that can reach it, those whose (favourite, score) is at least that of the page's
    # last worker in (favourite, score) order (`cut`): every worker ahead of it on those two
    # stays ahead whatever the distance, every one behind stays behind; the ties compete on
    # distance. Usually the page's few dozen instead of every eligible worker.
    # Shape (see docs/PERFORMANCE.md): the few workers other tables say something about for
    # this request (booked or offered elsewhere, over the cap, blocked or favourite, hours
    # booked that week) are one small set of marks; exceptions on the dates asked for are
    # another. The eligible are read with every rule as a condition of the scan, and only
    # they are scored, measured and sorted; staff also get how many are left out, a page of
    # them in name order and, when they ask, the counts per reason (one more pass, an
    # aggregate).
    sql = f"""
WITH tz AS (
  SELECT * FROM unnest(CAST(:tz_tenants AS varchar[]), CAST(:tz_groups AS int[]),
                       CAST(:tz_first AS int[])) AS t(tenant_id, g, first_week)
),
weeks AS (
  SELECT i - 1 AS i, g, s, e, monday, sunday, secs
  FROM unnest(CAST(:wk_g AS int[]), CAST(:wk_s AS timestamptz[]),
              CAST(:wk_e AS timestamptz[]), CAST(:wk_mon AS date[]),
              CAST(:wk_sun AS date[]), CAST(:wk_secs AS bigint[]))
       WITH ORDINALITY AS x(g, s, e, monday, sunday, secs, i)
),
booked AS (
  SELECT a.worker_id, wk.i, max(a.worker_tenant_id) AS tenant_id,
         sum(floor(date_part('epoch', least(a.ends_at, wk.e) - greatest(a.starts_at, wk.s))))
           AS secs
  FROM assignments a JOIN weeks wk ON a.starts_at < wk.e AND a.ends_at > wk.s
  WHERE a.status IN ('booked', 'completed')
    AND a.worker_tenant_id = ANY(CAST(:tz_tenants AS varchar[]))
    AND a.starts_at < :weeks_end AND a.ends_at > :weeks_start
    AND a.shift_id IS DISTINCT FROM CAST(:shift AS varchar)
  GROUP BY a.worker_id, wk.i
),
capped AS (
  SELECT s.id AS source_id, wk.i, wk.secs, s.weekly_cap_minutes AS cap
  FROM source_records s
  JOIN tz ON tz.tenant_id = s.tenant_id
  JOIN weeks wk ON wk.g = tz.g
  WHERE s.weekly_cap_minutes IS NOT NULL
    AND (jsonb_array_length(coalesce(s.terms, '[]'::jsonb)) = 0 OR EXISTS (
      SELECT 1 FROM jsonb_array_elements(coalesce(s.terms, '[]'::jsonb)) t
      WHERE (t->>'starts_on')::date <= wk.sunday AND (t->>'ends_on')::date >= wk.monday))
),
marks AS (
  SELECT m.worker_id, max(m.tenant_id) AS tenant_id,
         bool_or(m.k = 1) AS booked, bool_or(m.k = 2) AS offered,
         bool_or(m.k = 3) AS capped, bool_or(m.k = 4) AS blocked, bool_or(m.k = 5) AS favourite,
         sum(m.secs) FILTER (WHERE m.k = 6) AS first_week_secs,
         bool_or(m.k = 7) AS has_day{day_select}
  FROM (
    SELECT a.worker_id, a.worker_tenant_id AS tenant_id, 1 AS k, 0 AS secs,
           CAST(NULL AS date) AS on_date, CAST(NULL AS int4multirange) AS minutes
    FROM assignments a
    WHERE a.status = 'booked' AND a.worker_tenant_id = ANY(CAST(:tz_tenants AS varchar[]))
      AND a.starts_at < :last_end AND a.ends_at > :first_start
      AND tstzrange(a.starts_at, a.ends_at) && CAST(:windows AS tstzmultirange)
      AND a.shift_id IS DISTINCT FROM CAST(:shift AS varchar)
    UNION ALL
    SELECT o.worker_id, o.worker_tenant_id, 2, 0, NULL, NULL FROM offers o
    WHERE o.status = 'sent' AND o.worker_tenant_id = ANY(CAST(:tz_tenants AS varchar[]))
      AND o.starts_at < :last_end AND o.ends_at > :first_start
      AND tstzrange(o.starts_at, o.ends_at) && CAST(:windows AS tstzmultirange)
      AND o.shift_id IS DISTINCT FROM CAST(:shift AS varchar)
    UNION ALL
    SELECT b.worker_id, w.tenant_id, 3, 0, NULL, NULL FROM booked b
    JOIN workers w ON w.id = b.worker_id
    JOIN capped cp ON cp.source_id = w.source_id AND cp.i = b.i
    WHERE b.secs + cp.secs > cp.cap * 60
      AND NOT coalesce(w.source_id = ANY(ARRAY(
        SELECT source_id FROM capped WHERE secs > cap * 60)), false)
    UNION ALL
    SELECT p.worker_id, w.tenant_id, CASE p.rating WHEN '{BLOCKED}' THEN 4 ELSE 5 END, 0,
           NULL, NULL
    FROM client_preferences p JOIN workers w ON w.id = p.worker_id
    WHERE p.client_id = :client AND p.rating IN ('{BLOCKED}', '{FAVOURITE}')
    UNION ALL
    {first_booked}
    UNION ALL
    SELECT wd.worker_id, wd.tenant_id, 7, 0, wd.on_date, wd.minutes FROM worker_days wd
    WHERE wd.tenant_id = ANY(CAST(:tz_tenants AS varchar[]))
      AND wd.on_date = ANY(CAST(:dates AS date[]))
  ) m
  GROUP BY m.worker_id
),
eligible AS (
  SELECT w.id, w.tenant_id, w.name, coalesce(m.favourite, false) AS favourite,
    coalesce(w.score, :new_score) AS score,
    w.latitude, w.longitude,
    CAST(coalesce(m.first_week_secs, 0) AS bigint) / 60 AS booked_minutes
  {joins}
  WHERE {scope} AND {no_flag} AND {tier_filter}
{exclude_sql}
),
cut AS (
  SELECT favourite, score FROM eligible
  ORDER BY favourite DESC, score DESC LIMIT 1 OFFSET :last
)
SELECT
  (SELECT count(*) FROM eligible) AS eligible_total,
  (SELECT coalesce(json_agg(c ORDER BY {ORDER}), '[]'::json) FROM (
     SELECT c.id, c.tenant_id, c.name, c.favourite, c.score, c.distance_km, c.booked_minutes
     FROM (
       SELECT e.id, e.tenant_id, e.name, e.favourite, e.score, e.booked_minutes,
              {_haversine("e.latitude", "e.longitude")} AS distance_km
       FROM eligible e
       WHERE NOT EXISTS (SELECT FROM cut)
          OR (e.favourite, e.score) >= (SELECT cut.favourite, cut.score FROM cut)) c
     ORDER BY {ORDER} LIMIT :limit OFFSET :offset) c) AS eligible,{excluded_sql}
"""
    used = {name for name in params if f":{name}" in sql}
    statement = text(sql).bindparams(
        *(bindparam(name, type_=kind) for name, kind in types.items() if name in used)
    )
    params = {name: value for name, value in params.items() if name in used}
    return statement, params


def _run(uow: UnitOfWork, context: Context, **options: Any) -> dict[str, Any]:
    statement, params = _statement(context, **options)
    # The eligible of a large CBO are sorted in memory, not on disk (this transaction only).
    uow.session.execute(text(f"SET LOCAL work_mem = '{SEARCH_WORK_MEM}'"))
    row = uow.session.execute(statement, params).one()
    return {
        "eligible_total": row.eligible_total,
        # The page in order (a top-N sort, not a sort of every eligible worker): positions
        # count from the page's offset.
        "eligible": [
            {**e, "position": options["offset"] + n}
            for n, e in enumerate(row.eligible or [], start=1)
        ],
        "excluded_counts": _excluded_counts(row),
        "excluded_ids": row.excluded_ids,
    }


def _excluded_counts(row: Any) -> dict[str, int] | None:
    """The CBO's left-out workers in total and per reason code, from the statement's parts:
    row rules over every worker; the weekly-hours verdict replaced by the exception's for
    workers with one on the dates asked for; the marks; the cap of a request over it alone."""
    if row.row_counts is None:
        return None
    rows, days, marks = row.row_counts, row.day_counts, row.mark_counts
    own_eligible = row.eligible_total if row.own_eligible is None else row.own_eligible
    if days is None:  # not counted by reason
        return {"total": int(rows["own"] - own_eligible)}
    by_flag = {f: rows[f] for f in rows if f.startswith("f_")}
    by_flag["f_unavailable"] = (
        rows["weekly_unavailable"] - days["weekly_unavailable"] + days["unavailable"]
    )
    by_flag.update({f: marks[f] for f in ("f_blocked", "f_booked", "f_offered")})
    by_flag["f_cap"] = rows["cap_alone"] + marks["capped"]
    counts = {code: int(by_flag[flag]) for code, flag in FLAGS.items()}
    return {"total": int(rows["own"] - own_eligible), **counts}


# -- explaining ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Explained:
    facts: rules.WorkerFacts
    preference: rules.Preference
    score: float | None


def _terms(raw: Any) -> tuple[tuple[date, date], ...]:
    return tuple(
        (date.fromisoformat(str(t["starts_on"])), date.fromisoformat(str(t["ends_on"])))
        for t in (raw or [])
    )


_EXPLAINED_COLUMNS = (
    "id",
    "tenant_id",
    "name",
    "approved",
    "suspended",
    "active",
    "job_types",
    "skills",
    "weekly_minutes",
    "latitude",
    "longitude",
    "source_id",
    "score",
)


def _worker_rows(uow: UnitOfWork, *, worker_ids: Sequence[str], client_id: str | None) -> list:
    """The columns the rules read of these workers, with `client_id`'s rating of each (None:
    no rating read) and the worker source's rule joined on: one round trip."""
    rating = ClientPreference.rating if client_id is not None else null().label("rating")
    query = select(
        *(getattr(WorkerRecord, c) for c in _EXPLAINED_COLUMNS),
        rating,
        SourceRecord.weekly_cap_minutes.label("source_cap"),
        SourceRecord.terms.label("source_terms"),
        SourceRecord.name.label("source_name"),
    )
    if client_id is not None:
        query = query.outerjoin(
            ClientPreference,
            (ClientPreference.worker_id == WorkerRecord.id)
            & (ClientPreference.client_id == client_id),
        )
    query = query.outerjoin(SourceRecord, SourceRecord.id == WorkerRecord.source_id).where(
        WorkerRecord.id.in_(list(worker_ids))
    )
    return list(uow.session.execute(query).all())


def _worker_days(
    uow: UnitOfWork, *, worker_ids: Sequence[str], dates: Iterable[date]
) -> dict[str, dict[date, rules.Ranges]]:
    days: dict[str, dict[date, rules.Ranges]] = {}
    query = select(WorkerDay).where(
        WorkerDay.worker_id.in_(list(worker_ids)), WorkerDay.on_date.in_(sorted(set(dates)))
    )
    for row in uow.session.execute(query).scalars():
        days.setdefault(row.worker_id, {})[row.on_date] = list(row.minutes or [])
    return days


def _held(uow: UnitOfWork, *, worker_ids: Sequence[str], first: datetime, last: datetime) -> list:
    """The workers' shifts (with the site's name) and pending offers between `first` and
    `last`, in one query."""
    ids = list(worker_ids)
    assignments = (
        select(
            literal("assignment").label("kind"),
            Assignment.worker_id,
            Assignment.tenant_id,
            Assignment.status,
            Assignment.starts_at,
            Assignment.ends_at,
            Assignment.shift_id,
            Site.name.label("site_name"),
        )
        .join(Shift, Shift.id == Assignment.shift_id)
        .join(Site, Site.id == Shift.site_id)
        .where(
            Assignment.worker_id.in_(ids),
            Assignment.starts_at < last,
            Assignment.ends_at > first,
        )
    )
    offers = select(
        literal("offer").label("kind"),
        Offer.worker_id,
        Offer.tenant_id,
        Offer.status,
        Offer.starts_at,
        Offer.ends_at,
        Offer.shift_id,
        null().label("site_name"),
    ).where(
        Offer.worker_id.in_(ids),
        Offer.status == rules.PENDING_OFFER,
        Offer.starts_at < last,
        Offer.ends_at > first,
    )
    return list(uow.session.execute(union_all(assignments, offers)).all())


def _commitment(held: Any, context: Context) -> rules.Commitment:
    where = None
    if held.kind == "assignment" and held.tenant_id == context.tenant_id:
        where = "this site" if held.site_name == context.site.name else held.site_name
    return rules.Commitment(
        kind=held.kind,
        status=held.status,
        starts_at=held.starts_at,
        ends_at=held.ends_at,
        shift_id=held.shift_id,
        where=where,
    )


def _span(context: Context, timezones: Iterable[str]) -> tuple[datetime, datetime]:
    """From the first to the last moment whose commitments count for the request: the weeks
    its windows fall in (in each of `timezones`) and the windows themselves."""
    plans = [context.plan_for(z) for z in set(timezones)]
    starts = [w.starts_at for p in plans for w in p.weeks]
    ends = [w.ends_at for p in plans for w in p.weeks]
    starts += [w.starts_at for w in context.request.windows]
    ends += [w.ends_at for w in context.request.windows]
    return min(starts), max(ends)


def _explained(
    worker: Any,
    *,
    rating: str | None,
    days: dict[date, rules.Ranges],
    commitments: Iterable[rules.Commitment],
    timezone: str,
) -> Explained:
    facts = rules.WorkerFacts(
        id=worker.id,
        tenant_id=worker.tenant_id,
        name=worker.name,
        approved=bool(worker.approved),
        suspended=bool(worker.suspended),
        active=bool(worker.active),
        job_types=frozenset(worker.job_types or ()),
        skills=frozenset(worker.skills or ()),
        weekly_minutes=list(worker.weekly_minutes or []),
        days=days,
        latitude=worker.latitude,
        longitude=worker.longitude,
        source=rules.Source(worker.source_cap, _terms(worker.source_terms), worker.source_name)
        if worker.source_id and worker.source_name is not None
        else None,
        commitments=tuple(commitments),
        timezone=timezone,
    )
    return Explained(
        facts,
        rules.Preference(favourite=rating == FAVOURITE, blocked=rating == BLOCKED),
        worker.score,
    )


def explain_workers(
    uow: UnitOfWork, *, context: Context, worker_ids: Sequence[str]
) -> dict[str, Explained]:
    """The facts the rules need about these workers, loaded in a few queries."""
    ids = list(dict.fromkeys(worker_ids))
    if not ids:
        return {}
    found = {
        row.id: row
        for row in _worker_rows(uow, worker_ids=ids, client_id=context.request.client_id)
    }
    # The request's context knows the zones of the CBO and its partners: usually all of them.
    tenants = {w.tenant_id for w in found.values()}
    zones = {t: context.timezones[t] for t in tenants if t in context.timezones}
    if len(zones) < len(tenants):
        zones.update(timezones_of(uow, tenant_ids=tenants - zones.keys()))
    dates = {s.on_date for z in set(zones.values()) for s in context.plan_for(z).segments}
    days = _worker_days(uow, worker_ids=ids, dates=dates)
    first, last = _span(context, zones.values())
    commitments: dict[str, list[rules.Commitment]] = {}
    for held in _held(uow, worker_ids=ids, first=first, last=last):
        commitments.setdefault(held.worker_id, []).append(_commitment(held, context))
    return {
        worker_id: _explained(
            found[worker_id],
            rating=found[worker_id].rating,
            days=days.get(worker_id, {}),
            commitments=commitments.get(worker_id, ()),
            timezone=zones[found[worker_id].tenant_id],
        )
        for worker_id in ids
        if worker_id in found
    }


def _reasons(context: Context, item: Explained, now: datetime | None = None) -> list[rules.Reason]:
    return rules.reasons(
        item.facts,
        context.request,
        preference=item.preference,
        partners=context.partners,
        now=now,
        reader_timezone=context.timezones[context.tenant_id],
    )


# -- for other areas -------------------------------------------------------------------------


def reasons_against(
    uow: UnitOfWork, *, shift: Shift, worker_id: str, now: datetime | None = None
) -> list[rules.Reason]:
    """Why `worker_id` may not have `shift` now (empty: they may). The shift's own offers and
    assignment do not count against it, so this serves before an offer and at its
    confirmation. `now` (default: the current time) refuses a shift that has started. A worker
    booking does not know is left out as not approved."""
    context = _shift_context(uow, shift)
    explained = explain_workers(uow, context=context, worker_ids=[worker_id]).get(worker_id)
    if explained is None:
        return [rules.Reason(rules.NOT_APPROVED, "not approved by the CBO")]
    moment = now if now is not None else datetime.now(ZoneInfo("UTC"))
    return _reasons(context, explained, moment)


class ShiftsRecheck:
    """`reasons_against` for many (shift, worker) pairs, with what it reads loaded once: the
    shifts' contexts, the workers, their ratings by the shifts' clients, their days and what
    holds their time across all the shifts' weeks (rebooking's batch of replacement offers:
    a few queries for the batch instead of eight a pair). The offers the batch makes are
    noted (`note_offer`) so the pairs after them see them, as they would one at a time."""

    def __init__(self, uow: UnitOfWork, *, shifts: Sequence[Shift], worker_ids: Sequence[str]):
        self.contexts = _shift_contexts(uow, shifts)
        ids = list(dict.fromkeys(worker_ids))
        self.workers = {row.id: row for row in _worker_rows(uow, worker_ids=ids, client_id=None)}
        clients = sorted({s.client_id for s in shifts})
        self.ratings: dict[tuple[str, str], str] = {}
        if self.workers and clients:
            rated = select(
                ClientPreference.worker_id, ClientPreference.client_id, ClientPreference.rating
            ).where(
                ClientPreference.worker_id.in_(list(self.workers)),
                ClientPreference.client_id.in_(clients),
            )
            self.ratings = {(w, c): r for w, c, r in uow.session.execute(rated).all()}
        tenants = {w.tenant_id for w in self.workers.values()}
        known = {t: z for c in self.contexts.values() for t, z in c.timezones.items()}
        self.zones = {t: known[t] for t in tenants if t in known}
        if len(self.zones) < len(tenants):
            self.zones.update(timezones_of(uow, tenant_ids=tenants - self.zones.keys()))
        # Per shift and time zone: the dates and the span whose days and commitments count.
        self.dates: dict[tuple[str, str], frozenset[date]] = {}
        self.spans: dict[tuple[str, str], tuple[datetime, datetime]] = {}
        for shift_id, context in self.contexts.items():
            for zone in set(self.zones.values()):
                self.dates[(shift_id, zone)] = frozenset(
                    s.on_date for s in context.plan_for(zone).segments
                )
                self.spans[(shift_id, zone)] = _span(context, [zone])
        self.days = _worker_days(
            uow, worker_ids=list(self.workers), dates=set().union(*self.dates.values())
        )
        # A commitment as a shift's reader sees it, made once for the batch (it differs only
        # by the reader's CBO and site): made for every pair, they were most of the re-check.
        self._seen: dict[tuple[int, str, str], rules.Commitment] = {}
        # Per worker, their shifts and their pending offers apart: a shift counts across the
        # weeks (the cap), an offer only where it meets the shift's windows (rules: an offer
        # elsewhere changes no reason). A preferred worker offered hundreds of shifts in a
        # batch held ~30 offers in every week, each made a commitment for every pair.
        self.held: dict[str, _Timeline] = {}
        self.offers: dict[str, _Timeline] = {}
        if self.workers and self.spans:
            first = min(a for a, _ in self.spans.values())
            last = max(b for _, b in self.spans.values())
            for held in _held(uow, worker_ids=list(self.workers), first=first, last=last):
                self._timeline_of(held).add(held)

    def reasons_against(self, *, shift: Shift, worker_id: str, now: datetime) -> list[rules.Reason]:
        """As the module's `reasons_against`, from what was loaded and noted."""
        worker = self.workers.get(worker_id)
        if worker is None:
            return [rules.Reason(rules.NOT_APPROVED, "not approved by the CBO")]
        context = self.contexts[shift.id]
        zone = self.zones[worker.tenant_id]
        first, last = self.spans[(shift.id, zone)]
        dates = self.dates[(shift.id, zone)]
        days = self.days.get(worker_id, {})
        rating = self.ratings.get((worker_id, shift.client_id))
        held = self.held[worker_id].between(first, last) if worker_id in self.held else []
        if worker_id in self.offers:
            offers = self.offers[worker_id]
            met = {
                id(offer): offer
                for window in context.request.windows
                for offer in offers.between(window.starts_at, window.ends_at)
            }
            held = held + list(met.values())
        explained = _explained(
            worker,
            rating=rating,
            days={d: r for d, r in days.items() if d in dates},
            commitments=[self._commitment(h, context) for h in held],
            timezone=zone,
        )
        return _reasons(context, explained, now)

    def _timeline_of(self, held: Any) -> _Timeline:
        found = self.offers if held.kind == "offer" else self.held
        return found.setdefault(held.worker_id, _Timeline())

    def _commitment(self, held: Any, context: Context) -> rules.Commitment:
        key = (id(held), context.tenant_id, context.site.name)
        if key not in self._seen:
            self._seen[key] = _commitment(held, context)
        return self._seen[key]

    def note_offer(self, *, shift: Shift, worker_id: str, worker_tenant_id: str) -> None:
        """The batch offered `shift` to the worker: a pending offer holds their time now."""
        self.offers.setdefault(worker_id, _Timeline()).add(
            _Held(
                kind="offer",
                worker_id=worker_id,
                tenant_id=shift.tenant_id,
                status=rules.PENDING_OFFER,
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                shift_id=shift.id,
                site_name=None,
            )
        )


class _Timeline:
    """A worker's commitments in order of their start, to find those between two moments
    without reading them all (a batch's preferred worker may hold hundreds of offers: reading
    them all for every shift made the batch quadratic)."""

    def __init__(self) -> None:
        self.starts: list[datetime] = []
        self.items: list[Any] = []
        self.longest = timedelta(0)

    def add(self, held: Any) -> None:
        at = bisect.bisect_right(self.starts, held.starts_at)
        self.starts.insert(at, held.starts_at)
        self.items.insert(at, held)
        self.longest = max(self.longest, held.ends_at - held.starts_at)

    def between(self, first: datetime, last: datetime) -> list[Any]:
        """Those that start before `last` and end after `first`."""
        low = bisect.bisect_left(self.starts, first - self.longest)
        high = bisect.bisect_left(self.starts, last)
        return [h for h in self.items[low:high] if h.ends_at > first]


@dataclass(frozen=True)
class _Held:
    """A row of `_held` made in memory (an offer a batch has just made)."""

    kind: str
    worker_id: str
    tenant_id: str
    status: str
    starts_at: datetime
    ends_at: datetime
    shift_id: str
    site_name: str | None


def _shift_contexts(uow: UnitOfWork, shifts: Sequence[Shift]) -> dict[str, Context]:
    """`_shift_context` of each shift, with the job types, sites, partners and time zones
    read once for all."""
    job_types = {
        j.id: j
        for j in uow.session.execute(
            select(JobType).where(JobType.id.in_(sorted({s.job_type_id for s in shifts})))
        ).scalars()
    }
    sites = {
        s.id: s
        for s in uow.session.execute(
            select(Site).where(Site.id.in_(sorted({s.site_id for s in shifts})))
        ).scalars()
    }
    partners = {t: partners_of(uow, tenant_id=t) for t in sorted({s.tenant_id for s in shifts})}
    zones = timezones_of(
        uow, tenant_ids={t for t in partners} | {p for found in partners.values() for p in found}
    )
    contexts: dict[str, Context] = {}
    for shift in shifts:
        contexts[shift.id] = _context_of(
            uow,
            shift,
            job_types.get(shift.job_type_id),
            sites.get(shift.site_id),
            partners=partners[shift.tenant_id],
            known_timezones=zones,
        )
    return contexts


def ranked_workers(
    uow: UnitOfWork,
    *,
    shift: Shift,
    limit: int,
    tier: str | None = None,
    exclude: Sequence[str] = (),
) -> list[Candidate]:
    """The eligible workers for `shift`, best first, at most `limit`, leaving out `exclude`.

    tier None or "eligible": the CBO's own eligible workers; "favourites": those of them the
    client marked favourite; "reliable": those with a score of at least RELIABLE_SCORE;
    "partners": the eligible workers of partner CBOs whose formed partnership shares the job
    type (none without one). Position counts from 1 within what is returned."""
    if tier is not None and tier not in TIERS:
        raise ValueError(f"tier must be one of {', '.join(TIERS)}")
    context = _shift_context(uow, shift)
    if context.request.exclusive_client_id not in (None, context.request.client_id):
        return []
    found = _run(
        uow,
        context,
        all_of_own=False,
        include_partners=tier == "partners",
        tier=tier,
        exclude=list(exclude),
        limit=max(0, limit),
        offset=0,
        excluded_limit=0,
        excluded_offset=0,
    )
    return [
        Candidate(
            worker_id=e["id"],
            worker_tenant_id=e["tenant_id"],
            favourite=e["favourite"],
            score=float(e["score"]),
            distance_km=None if e["distance_km"] is None else float(e["distance_km"]),
            booked_minutes=int(e["booked_minutes"]),
            position=int(e["position"]),
        )
        for e in found["eligible"]
    ]


# -- the route -------------------------------------------------------------------------------


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(fields={"site_id": ["The site's time zone is not known."]}) from exc
    return name


def _request_windows(data: dict[str, Any], *, timezone: str) -> tuple[rules.Window, ...]:
    """The windows a search body asks for: starts_at/ends_at (aware), or a local date with
    start and end times (in the site's zone; an end at or before the start is the next day),
    repeated by `recurrence` when given."""
    utc = ZoneInfo("UTC")
    try:
        if data.get("starts_at") is not None:
            starts_at, ends_at = data["starts_at"], data["ends_at"]
            if ends_at <= starts_at:
                raise ValidationFailed(fields={"ends_at": ["The end must be after the start."]})
            if data.get("recurrence") is None:
                if ends_at - starts_at > rules.MAX_WINDOW:
                    raise ValidationFailed(fields={"ends_at": ["A shift lasts at most 24 hours."]})
                return (rules.Window(starts_at.astimezone(utc), ends_at.astimezone(utc)),)
            zone = ZoneInfo(timezone)
            local_start = starts_at.astimezone(zone).replace(tzinfo=None)
            local_end = ends_at.astimezone(zone).replace(tzinfo=None)
        else:
            local_start, local_end = rules.local_span(
                data["date"], data["start_time"], data["end_time"]
            )
        return rules.occurrences(local_start, local_end, data.get("recurrence"), timezone)
    except (ValueError, OverflowError) as exc:
        field = "recurrence" if data.get("recurrence") is not None else "start_time"
        if data.get("starts_at") is not None and data.get("recurrence") is None:
            field = "starts_at"
        raise ValidationFailed(fields={field: [str(exc)]}) from exc


def _job_type_for(uow: UnitOfWork, *, tenant_id: str, job_type_id: str, client_id: str) -> JobType:
    job_type = uow.session.execute(
        select(JobType).where(JobType.id == job_type_id, JobType.tenant_id == tenant_id)
    ).scalar_one_or_none()
    # A client-exclusive job type does not exist for anyone but its client.
    if job_type is None or job_type.client_id not in (None, client_id):
        raise NotFound("There is no such job type.")
    if not job_type.active:
        raise ValidationFailed(fields={"job_type_id": ["This job type is not active."]})
    return job_type


def _client_and_site(
    uow: UnitOfWork, *, tenant_id: str, client_id: str, site_id: str
) -> tuple[ClientRecord, Site]:
    client = uow.session.execute(
        select(ClientRecord).where(
            ClientRecord.id == client_id, ClientRecord.tenant_id == tenant_id
        )
    ).scalar_one_or_none()
    if client is None:
        raise NotFound("There is no such client.")
    if not client.active:
        raise ValidationFailed(fields={"client_id": ["This client is not active."]})
    site = uow.session.execute(
        select(Site).where(
            Site.id == site_id, Site.tenant_id == tenant_id, Site.client_id == client_id
        )
    ).scalar_one_or_none()
    if site is None:
        raise NotFound("There is no such site.")
    if not site.active:
        raise ValidationFailed(fields={"site_id": ["This site is not active."]})
    return client, site


def _reason_views(found: list[rules.Reason]) -> list[dict[str, str]]:
    return [{"code": r.code, "message": r.message} for r in found]


def _rank_view(context: Context, item: Explained) -> dict[str, Any]:
    parts = rules.rank_parts(
        item.facts, context.request, preference=item.preference, score=item.score
    )
    return {
        "favourite": parts.favourite,
        "reliability": parts.reliability,
        "reliable": parts.reliable,
        "distance_km": None if parts.distance_km is None else round(parts.distance_km, 2),
        "booked_minutes_this_week": parts.booked_minutes_this_week,
    }


def _rank_from_statement(found: dict[str, Any]) -> dict[str, Any]:
    score = float(found["score"])
    distance = found["distance_km"]
    return {
        "favourite": bool(found["favourite"]),
        "reliability": score,
        "reliable": score >= RELIABLE_SCORE,
        "distance_km": None if distance is None else round(float(distance), 2),
        "booked_minutes_this_week": int(found["booked_minutes"]),
    }


def search(uow: UnitOfWork, *, caller: Caller, request: dict[str, Any]) -> dict[str, Any]:
    """The route's search (request: the loaded SearchRequestSchema).

    Eligible workers are ranked with the parts of their rank. A repeating request asks for
    every occurrence: a worker is eligible only when eligible for each one (and a weekly cap
    counts all the occurrences in a week). Staff also get `excluded`: the CBO's workers left
    out, a page of them with their reasons and the total per reason code. Client users search
    for their own client only, and never see who is left out or why."""
    tenant_id = market_tenant(caller)
    check_client(caller, request["client_id"])
    is_client = caller.kind == CLIENT
    job_type = _job_type_for(
        uow, tenant_id=tenant_id, job_type_id=request["job_type_id"], client_id=request["client_id"]
    )
    _client, site = _client_and_site(
        uow, tenant_id=tenant_id, client_id=request["client_id"], site_id=request["site_id"]
    )
    windows = _request_windows(request, timezone=_zone(site.timezone))
    context = _context(
        uow,
        tenant_id=tenant_id,
        job_type=job_type,
        site=site,
        client_id=request["client_id"],
        windows=windows,
    )
    page, per_page = request["page"], request["per_page"]
    excluded_page = request["excluded_page"]
    include_partners = request["include_partners"]
    count_reasons = request["count_reasons"] and not is_client
    found = _run(
        uow,
        context,
        all_of_own=not is_client,
        count_reasons=count_reasons,
        include_partners=include_partners,
        tier="all" if include_partners else None,
        exclude=[],
        limit=per_page,
        offset=(page - 1) * per_page,
        excluded_limit=0 if is_client else per_page,
        excluded_offset=(excluded_page - 1) * per_page,
    )
    # The ranked page comes with its rank parts from the statement (the domain test proves
    # they are the rules'); only the left-out page and the one worker asked about are loaded
    # and explained by the rules.
    wanted = request.get("jobseeker_id")
    explained = explain_workers(
        uow,
        context=context,
        worker_ids=[*(found["excluded_ids"] or []), *([wanted] if wanted else [])],
    )
    eligible_items = [
        {
            "worker_id": e["id"],
            "name": e["name"],
            "worker_tenant_id": e["tenant_id"],
            "partner": e["tenant_id"] != tenant_id,
            "position": int(e["position"]),
            "rank": _rank_from_statement(e),
        }
        for e in found["eligible"]
    ]
    tz = context.timezones[tenant_id]
    answer: dict[str, Any] = {
        "job_type_id": job_type.id,
        "client_id": request["client_id"],
        "site_id": site.id,
        "timezone": tz,
        "occurrences": [
            {"starts_at": w.starts_at, "ends_at": w.ends_at} for w in context.request.windows
        ],
        "eligible": {
            "items": eligible_items,
            "total": found["eligible_total"],
            "page": page,
            "per_page": per_page,
        },
        "excluded": None,
        "worker": None,
    }
    if not is_client:
        counts = dict(found["excluded_counts"] or {})
        total = counts.pop("total", 0)
        answer["excluded"] = {
            "items": [
                {
                    "worker_id": worker_id,
                    "name": explained[worker_id].facts.name,
                    "reasons": _reason_views(_reasons(context, explained[worker_id])),
                }
                for worker_id in found["excluded_ids"]
                if worker_id in explained
            ],
            "total": total,
            "page": excluded_page,
            "per_page": per_page,
            "by_reason": {code: n for code, n in counts.items() if n} if count_reasons else None,
        }
    if wanted:
        answer["worker"] = _one_worker(
            context,
            explained.get(wanted),
            tenant_id=tenant_id,
            is_client=is_client,
            include_partners=include_partners,
        )
    return answer


def _one_worker(
    context: Context,
    item: Explained | None,
    *,
    tenant_id: str,
    is_client: bool,
    include_partners: bool,
) -> dict[str, Any]:
    visible = item is not None and (
        item.facts.tenant_id == tenant_id
        or (include_partners and item.facts.tenant_id in context.sharing)
    )
    # A client user sees only workers who may be offered work at all; staff see the CBO's own.
    if (
        visible
        and is_client
        and not (
            item.facts.approved and item.facts.active and not item.facts.suspended  # type: ignore[union-attr]
        )
    ):
        visible = False
    if not visible or item is None:
        raise NotFound("There is no such job seeker.")
    found = _reasons(context, item)
    return {
        "worker_id": item.facts.id,
        "name": item.facts.name,
        "eligible": not found,
        "rank": _rank_view(context, item) if not found else None,
        "reasons": None if is_client else _reason_views(found),
    }


# -- the cost of the shift with each candidate (billing's word) ---------------------------------

# How far around the proposed shift a candidate's held shifts are sent to billing, which keeps
# those of the shift's pay week.
COST_WINDOW = timedelta(days=7)


def _hours(minutes: int) -> str:
    hours = minutes / 60
    return f"{hours:.0f}" if minutes % 60 == 0 else f"{hours:.1f}"


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else "+"
    return f"{sign}${abs(cents) / 100:,.2f}"


def cost_view(cost: dict[str, Any], *, name: str, is_client: bool) -> dict[str, Any]:
    """What the search shows of billing's answer; a client's user sees the bill, never pay."""
    after = cost["after"]
    total = after["regular_minutes"] + after["overtime_minutes"] + after["double_time_minutes"]
    shift, added = cost["shift"], cost["added"]
    premiums = [
        f"{_hours(shift[key])} h at {label}"
        for key, label in (("overtime_minutes", "1.5x"), ("double_time_minutes", "2x"))
        if shift[key]
    ]
    money = f"{_dollars(added['bill_cents'])} billed" if is_client else _dollars(added["pay_cents"])
    first = (name or "this worker").split()[0] if name else "this worker"
    summary = (
        f"this shift puts {first} at {_hours(total)} h: "
        f"{', '.join(premiums) if premiums else 'no premium'}, {money}"
    )
    return {
        "week_start": cost["week_start"],
        "week_minutes": total,
        "regular_minutes": shift["regular_minutes"],
        "overtime_minutes": shift["overtime_minutes"],
        "double_time_minutes": shift["double_time_minutes"],
        "seventh_day": cost["seventh_day"],
        "added_pay_cents": None if is_client else added["pay_cents"],
        "added_bill_cents": added["bill_cents"],
        "summary": summary,
    }


def attach_costs(
    uow: UnitOfWork,
    *,
    answer: dict[str, Any],
    is_client: bool,
    price: Any,
) -> None:
    """Give each ranked candidate of the page the cost of the (first) shift with them, from
    one call to billing, `price(proposed=..., workers=...)`; null for everyone when billing
    does not answer in time (the search answers regardless), or for a partner's worker."""
    items = answer["eligible"]["items"]
    for item in items:
        item["cost"] = None
    own = [item for item in items if not item["partner"]]
    if not own or not answer["occurrences"]:
        return
    first = answer["occurrences"][0]
    held: dict[str, list[str]] = {item["worker_id"]: [] for item in own}
    for worker_id, shift_id in uow.session.execute(
        select(Assignment.worker_id, Assignment.shift_id).where(
            Assignment.worker_id.in_(list(held)),
            Assignment.status.in_(("booked", "completed")),
            Assignment.starts_at >= first["starts_at"] - COST_WINDOW,
            Assignment.starts_at < first["starts_at"] + COST_WINDOW,
        )
    ):
        held[worker_id].append(shift_id)
    proposed = {
        "starts_at": first["starts_at"],
        "ends_at": first["ends_at"],
        "client_id": answer["client_id"],
        "job_type_id": answer["job_type_id"],
    }
    try:
        costs = price(
            proposed=proposed,
            workers=[{"worker_id": w, "booked_shift_ids": s[:100]} for w, s in held.items()],
        )
    except Exception as exc:  # billing down or slow: the search answers without costs
        log.warning("no shift costs from billing: %s: %s", type(exc).__name__, exc)
        return
    by_worker = {cost["worker_id"]: cost for cost in costs}
    for item in own:
        cost = by_worker.get(item["worker_id"])
        if cost is not None:
            item["cost"] = cost_view(cost, name=item["name"], is_client=is_client)
