"""Pure rules of visits: distance and geofence, the exceptions a punch or a visit raises, and
what a punch may be. No database, no clock of its own (callers pass `now`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

EARTH_RADIUS_M = 6_371_008.8

MUST_FIX = "must_fix"
ACKNOWLEDGE = "acknowledge"

# Must-fix ones keep a visit from payroll until staff resolve them (DOMAIN: a missing punch;
# a mocked location is a forged one); the others are listed for staff to acknowledge.
SEVERITY: dict[str, str] = {
    "outside_geofence": ACKNOWLEDGE,
    "early_clock_in": ACKNOWLEDGE,
    "late_clock_in": ACKNOWLEDGE,
    "early_clock_out": ACKNOWLEDGE,
    "late_clock_out": ACKNOWLEDGE,
    "missing_clock_out": MUST_FIX,
    "too_short": ACKNOWLEDGE,
    "too_long": ACKNOWLEDGE,
    "device_time_skew": ACKNOWLEDGE,
    "mocked_location": MUST_FIX,
    "no_position": ACKNOWLEDGE,
}

DEFAULTS: dict[str, int] = {
    "geofence_default_m": 150,
    "tolerance_minutes": 15,
    "no_show_after_minutes": 60,
    "missing_clock_out_after_minutes": 60,
    "max_skew_minutes": 5,
    "too_short_percent": 50,
    "too_long_minutes": 60,
}

BOUNDS: dict[str, tuple[int, int]] = {
    "geofence_default_m": (25, 5000),
    "tolerance_minutes": (0, 240),
    "no_show_after_minutes": (5, 1440),
    "missing_clock_out_after_minutes": (5, 1440),
    "max_skew_minutes": (1, 1440),
    "too_short_percent": (0, 100),
    "too_long_minutes": (0, 1440),
}

# A device time further than this from the server's is refused (a clock days off is no
# offline punch); an offline punch may reach the server up to `MAX_OFFLINE` late.
MAX_AHEAD = timedelta(hours=24)
MAX_OFFLINE = timedelta(days=3)

# Visit maintenance: three-digit state-published reason codes (Texas HHSC's list as the
# default), and the actions taken. Free text is required only with 210I and 600.
REASON_CODES: dict[str, str] = {
    "100": "Schedule variation",
    "105": "Worker forgot to clock in or out",
    "110": "Mobile device or GPS not working",
    "121": "No call and no show",
    "130": "Disaster or emergency",
    "135": "Visit confirmed with no schedule",
    "140": "Worker worked outside the geofence with the client",
    "215": "Call-in and call-out reversed",
    "210I": "Emergency (explain)",
    "600": "Other (explain)",
}
COMMENT_REQUIRED = frozenset({"210I", "600"})
ACTION_CODES: dict[str, str] = {
    "10": "Confirmed with the client",
    "11": "Confirmed with the worker",
    "12": "Time corrected from the schedule",
    "14": "Worker counselled",
    "20": "Acknowledged, no change",
}


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Metres between two points on the Earth (a sphere of its mean radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def device_time_problem(device_time: datetime, now: datetime) -> str | None:
    """Why a punch's device time is refused (None: it is taken)."""
    if device_time > now + MAX_AHEAD:
        return "The device's time is more than a day ahead of the server's; check its clock."
    if device_time < now - MAX_OFFLINE:
        return "The device's time is more than three days behind the server's; check its clock."
    return None


def comment_problem(reason_code: str, comment: str | None) -> str | None:
    if reason_code in COMMENT_REQUIRED and not (comment or "").strip():
        return f"Reason {reason_code} needs a comment saying what happened."
    return None


@dataclass(frozen=True)
class Site:
    latitude: float
    longitude: float
    radius_m: int


@dataclass(frozen=True)
class Punch:
    kind: str  # clock_in | clock_out
    device_time: datetime
    server_time: datetime
    latitude: float | None
    longitude: float | None
    mocked: bool


@dataclass(frozen=True)
class Found:
    code: str
    detail: str

    @property
    def severity(self) -> str:
        return SEVERITY[self.code]


def distance_to(site: Site | None, punch: Punch) -> float | None:
    if site is None or punch.latitude is None or punch.longitude is None:
        return None
    return haversine_m(site.latitude, site.longitude, punch.latitude, punch.longitude)


def judge_punch(
    punch: Punch,
    *,
    site: Site | None,
    starts_at: datetime,
    ends_at: datetime,
    settings: dict[str, int],
) -> list[Found]:
    """The exceptions one punch raises, judged by its device time (an offline punch keeps
    the time it was made)."""
    found: list[Found] = []
    if punch.latitude is None or punch.longitude is None:
        found.append(Found("no_position", "The punch came without a position."))
    else:
        distance = distance_to(site, punch)
        if distance is not None and site is not None and distance > site.radius_m:
            found.append(
                Found(
                    "outside_geofence",
                    f"{punch.kind} {distance:,.0f} m from the site (geofence {site.radius_m} m).",
                )
            )
    if punch.mocked:
        found.append(Found("mocked_location", "The device reported a mocked location."))
    skew = punch.device_time - punch.server_time
    if skew > timedelta(minutes=settings["max_skew_minutes"]):
        found.append(
            Found("device_time_skew", f"The device's clock is {_minutes(skew)} min ahead.")
        )
    tolerance = timedelta(minutes=settings["tolerance_minutes"])
    scheduled = starts_at if punch.kind == "clock_in" else ends_at
    off = punch.device_time - scheduled
    prefix = "clock_in" if punch.kind == "clock_in" else "clock_out"
    if off < -tolerance:
        found.append(Found(f"early_{prefix}", f"{_minutes(-off)} min before the schedule."))
    elif off > tolerance:
        found.append(Found(f"late_{prefix}", f"{_minutes(off)} min after the schedule."))
    return found


def judge_length(
    *,
    clock_in_at: datetime,
    clock_out_at: datetime,
    starts_at: datetime,
    ends_at: datetime,
    settings: dict[str, int],
) -> list[Found]:
    """A visit too short or too long against its schedule."""
    worked = clock_out_at - clock_in_at
    scheduled = ends_at - starts_at
    if worked * 100 < scheduled * settings["too_short_percent"]:
        return [
            Found("too_short", f"{_minutes(worked)} min worked of {_minutes(scheduled)} booked.")
        ]
    if worked > scheduled + timedelta(minutes=settings["too_long_minutes"]):
        return [
            Found("too_long", f"{_minutes(worked)} min worked of {_minutes(scheduled)} booked.")
        ]
    return []


def minutes_between(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def no_show_due(*, starts_at: datetime, now: datetime, settings: dict[str, int]) -> bool:
    return now >= starts_at + timedelta(minutes=settings["no_show_after_minutes"])


def clock_out_missing(*, ends_at: datetime, now: datetime, settings: dict[str, int]) -> bool:
    return now >= ends_at + timedelta(minutes=settings["missing_clock_out_after_minutes"])


def out_of_bounds(values: dict[str, int]) -> dict[str, list[str]]:
    problems = {}
    for name, value in values.items():
        low, high = BOUNDS[name]
        if not low <= value <= high:
            problems[name] = [f"Between {low} and {high}."]
    return problems


def _minutes(delta: timedelta) -> int:
    return int(abs(delta.total_seconds()) // 60)
