"""Who may work a shift, and in what order: the pure rules of a search (no database).

`reasons(worker, request, ...)` lists why a worker is left out of a shift (or of every
occurrence of a repeating one); an empty list means eligible. `rank(...)` gives the parts of an
eligible worker's place in the ranking. The search's SQL (domain.py) applies the same rules to
a whole CBO at once; a domain test proves the two agree on a generated population, and the
explanations a person reads always come from here.

Time. A request is one or more windows (aware datetimes). Availability is wall-clock minutes
in the worker's CBO's time zone: each window is cut into local-date segments (a shift crossing
midnight, or Sunday night into Monday, has two), and a segment is checked against the worker's
exception for that date (a `WorkerDay`) when there is one, otherwise against their weekly
hours (minutes of the local week, Monday 00:00 = 0). Daylight-saving changes need nothing
special: 09:00-13:00 is minutes 540-780 of its day at any UTC offset. Hours worked, booked and
capped are elapsed time (a night shift across the autumn change is an hour longer).

The weekly cap of a worker source applies in term weeks only: a week is Monday 00:00 to
Monday 00:00 local, and it is a term week when any of its days is in one of the source's terms
(a source without terms caps every week). Booked minutes are the worker's assignments that are
booked or completed, clipped to the week; the request's own minutes in that week (all of its
occurrences there) are added, and more than the cap leaves the worker out.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.booking.reliability.rules import NEW_WORKER_SCORE, RELIABLE_SCORE
from services.booking.workers.rules import DAY, Ranges, covers, merged

# -- reason codes, in the order a person reads them ---------------------------------------
NOT_APPROVED = "not_approved"
INACTIVE = "inactive"
SUSPENDED = "suspended"
NOT_SHARED = "not_shared"
EXCLUSIVE = "exclusive_job_type"
JOB_TYPE = "job_type_not_approved"
SKILLS = "missing_skills"
BLOCKED = "blocked"
UNAVAILABLE = "unavailable"
BOOKED = "booked_elsewhere"
OFFERED = "offered_elsewhere"
CAP = "weekly_cap"
STARTED = "shift_started"

CODES: tuple[str, ...] = (
    NOT_APPROVED,
    INACTIVE,
    SUSPENDED,
    NOT_SHARED,
    EXCLUSIVE,
    JOB_TYPE,
    SKILLS,
    BLOCKED,
    UNAVAILABLE,
    BOOKED,
    OFFERED,
    CAP,
    STARTED,
)

# A partnership whose `shares` holds this shares every job type (tenancy's vocabulary);
# otherwise it shares the job type keys it lists.
ALL_JOB_TYPES = "job_types"

# Assignment states that hold a worker's time, and those whose hours count towards a cap.
OVERLAP_STATUSES = ("booked",)
CAP_STATUSES = ("booked", "completed")
PENDING_OFFER = "sent"

EARTH_RADIUS_KM = 6371.0
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Reason:
    """Why a worker is left out: a stable code and a sentence for people."""

    code: str
    message: str


UTC = ZoneInfo("UTC")


def _in_utc(row: Any) -> None:
    """Keep a row's times in UTC: Python compares and subtracts two times of one zone by their
    wall clocks, which is an hour off across a daylight-saving change."""
    object.__setattr__(row, "starts_at", row.starts_at.astimezone(UTC))
    object.__setattr__(row, "ends_at", row.ends_at.astimezone(UTC))


@dataclass(frozen=True)
class Window:
    """One occurrence of the work asked for, [starts_at, ends_at), as aware datetimes."""

    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        _in_utc(self)

    @property
    def seconds(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds())


@dataclass(frozen=True)
class Commitment:
    """Something else holding the worker's time: an assignment (booked, completed, ...) or an
    offer (`sent` while it waits for an answer)."""

    kind: str  # "assignment" | "offer"
    status: str
    starts_at: datetime
    ends_at: datetime
    shift_id: str | None = None
    # Where, as the reader may be told it: a site name of the reader's CBO, else None.
    where: str | None = None

    def __post_init__(self) -> None:
        _in_utc(self)


@dataclass(frozen=True)
class Source:
    """A worker source's cap (minutes a week; None: no cap) and its terms."""

    cap_minutes: int | None
    terms: tuple[tuple[date, date], ...] = ()
    name: str = ""


@dataclass(frozen=True)
class WorkerFacts:
    """What the read model knows of one worker, with what else holds their time."""

    id: str
    tenant_id: str
    name: str = ""
    approved: bool = True
    suspended: bool = False
    active: bool = True
    job_types: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()
    weekly_minutes: Ranges = field(default_factory=list)
    # Exception dates (local) and the minutes of that day the worker is available on them.
    days: Mapping[date, Ranges] = field(default_factory=dict)
    latitude: float | None = None
    longitude: float | None = None
    source: Source | None = None
    commitments: tuple[Commitment, ...] = ()
    # The worker's CBO's time zone (their availability is in it).
    timezone: str = "America/Los_Angeles"


@dataclass(frozen=True)
class Request:
    """The work asked for: a job type, a client and its site, and one or more windows."""

    tenant_id: str  # the booking CBO
    client_id: str
    job_type_key: str
    job_type_name: str
    windows: tuple[Window, ...]
    needs_approval: bool = False
    required_skills: frozenset[str] = frozenset()
    # The client a client-exclusive job type belongs to (None: any client of the CBO).
    exclusive_client_id: str | None = None
    site_latitude: float | None = None
    site_longitude: float | None = None
    # The shift itself, when there is one: its own offers and assignment do not count against it.
    shift_id: str | None = None


@dataclass(frozen=True)
class Preference:
    """This client's rating of the worker."""

    favourite: bool = False
    blocked: bool = False


@dataclass(frozen=True)
class Segment:
    """The part of a window on one local date, as wall-clock minutes of that day."""

    on_date: date
    start: int
    end: int

    @property
    def week_range(self) -> tuple[int, int]:
        offset = self.on_date.weekday() * DAY
        return offset + self.start, offset + self.end


@dataclass(frozen=True)
class Week:
    """A local Monday-to-Sunday week a request touches: its bounds in time and the request's
    own seconds within it."""

    monday: date
    starts_at: datetime
    ends_at: datetime
    request_seconds: int

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


@dataclass(frozen=True)
class Plan:
    """A request's windows as one time zone sees them (computed once, used by the SQL too)."""

    timezone: str
    segments: tuple[Segment, ...]
    weeks: tuple[Week, ...]

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(sorted({s.on_date for s in self.segments}))

    @property
    def week_ranges(self) -> Ranges:
        """Every minute of the local week the windows need (merged), for dates without an
        exception."""
        return merged(s.week_range for s in self.segments)


# -- time -----------------------------------------------------------------------------------


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local date starts (midnight exists in every zone this platform serves;
    a zone that skips it starts the day at the first instant after the gap)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def segments(windows: Iterable[Window], timezone: str) -> tuple[Segment, ...]:
    """Each window cut at local midnights into wall-clock minutes of each local date."""
    return _segments(tuple(windows), timezone)


# Pure and asked again for every worker a shift is checked against (a batch of re-checks
# asked it thousands of times for a few hundred shifts): kept for the shapes seen lately.
@functools.lru_cache(maxsize=4096)
def _segments(windows: tuple[Window, ...], timezone: str) -> tuple[Segment, ...]:
    zone = ZoneInfo(timezone)
    found: list[Segment] = []
    for window in windows:
        start = window.starts_at.astimezone(zone).replace(tzinfo=None)
        end = window.ends_at.astimezone(zone).replace(tzinfo=None)
        day = start.date()
        while True:
            first = start.hour * 60 + start.minute if day == start.date() else 0
            last = end.hour * 60 + end.minute if day == end.date() else DAY
            if last > first:
                found.append(Segment(day, first, last))
            if day >= end.date():
                break
            day += timedelta(days=1)
    return tuple(sorted(set(found), key=lambda s: (s.on_date, s.start, s.end)))


def week_of(day: date) -> date:
    """The Monday of a date's week."""
    return day - timedelta(days=day.weekday())


def overlap_seconds(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> int:
    """Seconds two spans share (elapsed time: the spans are compared in UTC)."""
    start = max(a_start.astimezone(UTC), b_start.astimezone(UTC))
    end = min(a_end.astimezone(UTC), b_end.astimezone(UTC))
    return max(0, int((end - start).total_seconds()))


def weeks(windows: Sequence[Window], timezone: str) -> tuple[Week, ...]:
    """The local weeks the windows touch, with the windows' seconds in each."""
    return _weeks(tuple(windows), timezone)


@functools.lru_cache(maxsize=4096)  # as _segments
def _weeks(windows: tuple[Window, ...], timezone: str) -> tuple[Week, ...]:
    zone = ZoneInfo(timezone)
    mondays: set[date] = set()
    for window in windows:
        day = week_of(window.starts_at.astimezone(zone).date())
        last = (window.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
        while day <= last:
            mondays.add(day)
            day += timedelta(days=7)
    found = []
    for monday in sorted(mondays):
        starts_at = local_midnight(monday, zone)
        ends_at = local_midnight(monday + timedelta(days=7), zone)
        seconds = sum(overlap_seconds(w.starts_at, w.ends_at, starts_at, ends_at) for w in windows)
        found.append(Week(monday, starts_at, ends_at, seconds))
    return tuple(found)


def plan(windows: Sequence[Window], timezone: str) -> Plan:
    return Plan(timezone, segments(windows, timezone), weeks(windows, timezone))


def in_term(terms: Sequence[tuple[date, date]], week: Week) -> bool:
    """Whether a cap applies in this week: any day of it in a term, or no terms at all."""
    if not terms:
        return True
    return any(start <= week.sunday and week.monday <= end for start, end in terms)


def clipped_seconds(commitments: Iterable[Commitment], week: Week) -> int:
    """Seconds of the worker's capped assignments inside the week."""
    return sum(
        overlap_seconds(c.starts_at, c.ends_at, week.starts_at, week.ends_at)
        for c in commitments
        if c.kind == "assignment" and c.status in CAP_STATUSES
    )


# -- words ---------------------------------------------------------------------------------


def hours(seconds: int | float) -> str:
    """12 h, 12.5 h, 0.25 h."""
    value = round(seconds / 3600, 2)
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} h"


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def day_label(day: date) -> str:
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {day.strftime('%b')}"


def span(starts_at: datetime, ends_at: datetime, timezone: str) -> str:
    """'Tue 1 Dec 09:00–13:00' (or '… 22:00–Wed 2 Dec 06:00') in local time."""
    zone = ZoneInfo(timezone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    first = f"{day_label(start.date())} {clock(start.hour * 60 + start.minute)}"
    if end.date() == start.date() or (
        end.date() == start.date() + timedelta(days=1) and end.hour == 0 and end.minute == 0
    ):
        minute = end.hour * 60 + end.minute
        return f"{first}–{clock(minute or DAY)}"
    return f"{first}–{day_label(end.date())} {clock(end.hour * 60 + end.minute)}"


# -- the rules -----------------------------------------------------------------------------


def shares_job_type(shares: Iterable[str], key: str) -> bool:
    shared = set(shares)
    return ALL_JOB_TYPES in shared or key in shared


def overlaps_any(commitment: Commitment, windows: Iterable[Window]) -> bool:
    return any(
        commitment.starts_at < w.ends_at and w.starts_at < commitment.ends_at for w in windows
    )


def reasons(
    worker: WorkerFacts,
    request: Request,
    *,
    preference: Preference | None = None,
    partners: Mapping[str, Iterable[str]] | None = None,
    now: datetime | None = None,
    reader_timezone: str | None = None,
) -> list[Reason]:
    """Every reason `worker` may not work `request` (empty: eligible).

    `partners` maps each CBO partnered with the booking CBO (a formed partnership) to what
    it shares; a worker of another CBO is eligible only through one that shares this job type.
    `now`, when given, also refuses a request whose first window has started.
    `reader_timezone` is the zone times are told in (the booking CBO's; default the worker's).
    """
    found: list[Reason] = []
    tz = reader_timezone or worker.timezone
    if now is not None and request.windows and min(w.starts_at for w in request.windows) <= now:
        found.append(Reason(STARTED, "the shift has already started"))
    if not worker.approved:
        found.append(Reason(NOT_APPROVED, "not approved by the CBO"))
    if not worker.active:
        found.append(Reason(INACTIVE, "account deactivated"))
    if worker.suspended:
        found.append(Reason(SUSPENDED, "suspended"))
    if worker.tenant_id != request.tenant_id:
        shares = (partners or {}).get(worker.tenant_id)
        if shares is None or not shares_job_type(shares, request.job_type_key):
            found.append(
                Reason(NOT_SHARED, f"from another CBO that does not share {request.job_type_name}")
            )
    if request.exclusive_client_id is not None and request.exclusive_client_id != request.client_id:
        found.append(Reason(EXCLUSIVE, f"{request.job_type_name} is exclusive to another client"))
    if request.needs_approval and request.job_type_key not in worker.job_types:
        found.append(Reason(JOB_TYPE, f"not approved for {request.job_type_name}"))
    missing = sorted(request.required_skills - worker.skills)
    if missing:
        found.append(Reason(SKILLS, f"lacks {', '.join(missing)}"))
    if preference is not None and preference.blocked:
        found.append(Reason(BLOCKED, "blocked by this client"))
    found.extend(_availability(worker, request))
    found.extend(_overlaps(worker, request, tz))
    found.extend(_cap(worker, request))
    return found


def _availability(worker: WorkerFacts, request: Request) -> list[Reason]:
    missing: list[Segment] = []
    for segment in segments(request.windows, worker.timezone):
        exception = worker.days.get(segment.on_date)
        if exception is not None:
            ok = covers(exception, segment.start, segment.end)
        else:
            ok = covers(worker.weekly_minutes, *segment.week_range)
        if not ok:
            missing.append(segment)
    if not missing:
        return []
    shown = ", ".join(
        f"{day_label(s.on_date)} {clock(s.start)}–{clock(s.end)}" for s in missing[:3]
    )
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    return [Reason(UNAVAILABLE, f"not available {shown}{more}")]


def _overlaps(worker: WorkerFacts, request: Request, timezone: str) -> list[Reason]:
    found: list[Reason] = []
    for commitment in sorted(
        worker.commitments, key=lambda c: (c.starts_at, c.kind != "assignment")
    ):
        if request.shift_id is not None and commitment.shift_id == request.shift_id:
            continue
        if not overlaps_any(commitment, request.windows):
            continue
        when = span(commitment.starts_at, commitment.ends_at, timezone)
        if commitment.kind == "assignment" and commitment.status in OVERLAP_STATUSES:
            where = f"at {commitment.where}" if commitment.where else "at another site"
            found.append(Reason(BOOKED, f"booked {when} {where}"))
        elif commitment.kind == "offer" and commitment.status == PENDING_OFFER:
            found.append(Reason(OFFERED, f"offered {when}, waiting for an answer"))
    return found


def _cap(worker: WorkerFacts, request: Request) -> list[Reason]:
    source = worker.source
    if source is None or source.cap_minutes is None:
        return []
    counted = [
        c for c in worker.commitments if request.shift_id is None or c.shift_id != request.shift_id
    ]
    for week in weeks(request.windows, worker.timezone):
        if not in_term(source.terms, week):
            continue
        booked = clipped_seconds(counted, week)
        if booked + week.request_seconds > source.cap_minutes * 60:
            kind = "term cap" if source.terms else "weekly cap"
            cap = hours(source.cap_minutes * 60)
            if len(request.windows) == 1:
                told = f"{hours(booked)} booked this week + {hours(week.request_seconds)} shift"
            else:
                told = (
                    f"{hours(booked)} booked in the week of {day_label(week.monday)} "
                    f"+ {hours(week.request_seconds)} of these shifts"
                )
            return [Reason(CAP, f"{cap} {kind}: {told}")]
    return []


# -- ranking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankParts:
    """The parts of an eligible worker's place, in the order they count."""

    favourite: bool
    reliability: float
    reliable: bool
    distance_km: float | None
    booked_minutes_this_week: int


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # The same operations, in the same order, as the search's SQL (domain.py).
    dp, dl = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = (
        math.sin(dp / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dl / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def distance_km(worker: WorkerFacts, request: Request) -> float | None:
    if None in (
        worker.latitude,
        worker.longitude,
        request.site_latitude,
        request.site_longitude,
    ):
        return None
    return haversine_km(
        worker.latitude,  # type: ignore[arg-type]
        worker.longitude,  # type: ignore[arg-type]
        request.site_latitude,  # type: ignore[arg-type]
        request.site_longitude,  # type: ignore[arg-type]
    )


def score_of(score: float | None) -> float:
    """A worker's reliability score; a worker without history counts as NEW_WORKER_SCORE."""
    return NEW_WORKER_SCORE if score is None else float(score)


def booked_minutes_this_week(worker: WorkerFacts, request: Request) -> int:
    """Minutes the worker is booked (or worked) in the week of the request's first window."""
    if not request.windows:
        return 0
    first = min(request.windows, key=lambda w: w.starts_at)
    week = weeks([first], worker.timezone)[0]
    counted = [
        c for c in worker.commitments if request.shift_id is None or c.shift_id != request.shift_id
    ]
    return clipped_seconds(counted, week) // 60


def rank_parts(
    worker: WorkerFacts,
    request: Request,
    *,
    preference: Preference | None = None,
    score: float | None = None,
) -> RankParts:
    reliability = score_of(score)
    return RankParts(
        favourite=bool(preference and preference.favourite),
        reliability=reliability,
        reliable=reliability >= RELIABLE_SCORE,
        distance_km=distance_km(worker, request),
        booked_minutes_this_week=booked_minutes_this_week(worker, request),
    )


def rank_key(parts: RankParts, worker_id: str) -> tuple:
    """Favourites first, then the more reliable, the nearer (unknown last), the less booked;
    the worker id breaks ties so an order is always the same."""
    return (
        not parts.favourite,
        -parts.reliability,
        parts.distance_km is None,
        parts.distance_km or 0.0,
        parts.booked_minutes_this_week,
        worker_id,
    )


def ranked(items: Iterable[tuple[str, RankParts]]) -> list[tuple[str, RankParts]]:
    """(worker id, parts) pairs in ranking order."""
    return sorted(items, key=lambda item: rank_key(item[1], item[0]))


# -- the windows a request asks for -----------------------------------------------------------

MAX_WINDOW = timedelta(hours=24)
MAX_OCCURRENCES = 100


def to_utc(local: datetime, timezone: str) -> datetime:
    """A local wall-clock time as an aware UTC time; ValueError for a time the clocks skip.
    An hour that happens twice (autumn) is its first, daylight-time, occurrence."""
    zone = ZoneInfo(timezone)
    aware = local.replace(tzinfo=zone, fold=0)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != local:
        raise ValueError(
            f"{local:%Y-%m-%d %H:%M} does not exist in {timezone}: the clocks go forward then."
        )
    return aware.astimezone(UTC)


def local_span(on_date: date, start: time, end: time) -> tuple[datetime, datetime]:
    """A local date with start and end times as naive local datetimes; an end at or before
    the start is on the next day (a night shift)."""
    starts = datetime.combine(on_date, start)
    ends = datetime.combine(on_date, end)
    if ends <= starts:
        ends += timedelta(days=1)
    return starts, ends


def occurrences(
    starts_local: datetime, ends_local: datetime, rule: str | None, timezone: str
) -> tuple[Window, ...]:
    """The windows of a local start and end, repeated by an RFC 5545 RRULE (python-dateutil;
    without one, the single window). Occurrences keep their wall-clock times across
    daylight-saving changes. ValueError with a message for a rule that is not usable: not
    parsable, with its own DTSTART, unbounded (neither COUNT nor UNTIL), more than
    MAX_OCCURRENCES occurrences, or an occurrence at a time the clocks skip."""
    from itertools import islice

    from dateutil.rrule import rrulestr

    length = ends_local - starts_local
    if length <= timedelta(0):
        raise ValueError("The end must be after the start.")
    if length > MAX_WINDOW:
        raise ValueError("A shift lasts at most 24 hours.")
    if rule is None:
        return (Window(to_utc(starts_local, timezone), to_utc(ends_local, timezone)),)
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    upper = text.upper()
    if "DTSTART" in upper or "\n" in text:
        raise ValueError("Give only the RRULE's parts (FREQ=...;...); the start is the window's.")
    if "COUNT=" not in upper and "UNTIL=" not in upper:
        raise ValueError("The rule must end: give COUNT or UNTIL.")
    try:
        parsed = rrulestr(text, dtstart=starts_local)
        starts = list(islice(iter(parsed), MAX_OCCURRENCES + 1))  # type: ignore[call-overload]
    except (ValueError, TypeError, OverflowError, KeyError, IndexError) as exc:
        raise ValueError(f"Not a usable RFC 5545 rule: {exc}") from exc
    if not starts:
        raise ValueError("The rule gives no occurrence.")
    if starts[-1].year > 2200:
        raise ValueError("The rule goes on past the year 2200.")
    if len(starts) > MAX_OCCURRENCES:
        raise ValueError(f"The rule gives more than {MAX_OCCURRENCES} occurrences.")
    return tuple(
        Window(to_utc(start, timezone), to_utc(start + length, timezone)) for start in starts
    )
