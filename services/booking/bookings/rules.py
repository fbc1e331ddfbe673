"""Pure rules of bookings: a repeating booking's occurrences (RFC 5545 rules, through
python-dateutil), each shift's times from the site's wall clock to UTC, and when a shift or a
place on it can still be cancelled.

Wall-clock times stay put across daylight-saving changes: a booking for 09:00-13:00 gives
09:00-13:00 local time on every date, whatever the UTC offset that day. Local times follow
RFC 5545 (section 3.3.5) where it is clear and refuse where it would silently move a shift:
- a local time that happens twice (the autumn change, e.g. 01:30 in Long Beach) means its
  first occurrence, daylight time, as RFC 5545 says;
- a local time that does not exist (the spring change skips 02:00-02:59 in Long Beach) is
  refused, naming the date, rather than read as 03:xx as RFC 5545 would: that would shorten
  the shift by an hour without anybody having asked for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

# Booking and shift states.
ACTIVE = "active"
OPEN = "open"
FILLED = "filled"
CANCELLED = "cancelled"
COMPLETED = "completed"

# Who cancelled (Shift.cancelled_by_kind, Assignment.cancelled_by_kind, the events).
BY_CLIENT = "client"
BY_WORKER = "worker"
BY_STAFF = "staff"

# A repeating booking makes at most this many shifts ...
MAX_OCCURRENCES = 200
# ... all starting within this long of the first, which is at most this far ahead.
MAX_SPAN = timedelta(days=366)
MAX_AHEAD = timedelta(days=366)

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")
PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST")
_WEEKDAY = "(MO|TU|WE|TH|FR|SA|SU)"
_BYDAY = re.compile(rf"([+-]?\d{{1,2}})?{_WEEKDAY}")
_NUMBER = re.compile(r"[+-]?\d{1,3}")
_UNTIL = re.compile(r"(\d{8})(?:T(\d{6})(Z?))?")
_TOO_LONG = f"A series may run for at most {MAX_SPAN.days} days; book the rest later."


class RecurrenceError(ValueError):
    """A recurrence rule this platform does not take, with the reason (shown to the person)."""


class NonexistentTime(ValueError):
    """A local time the clocks skip on that date (the spring daylight-saving change)."""

    def __init__(self, local: datetime, timezone: str) -> None:
        self.local = local
        super().__init__(
            f"{local:%Y-%m-%d %H:%M} does not exist in {timezone}: the clocks skip that hour "
            "that day. Choose another time."
        )


def _numbers(name: str, value: str, low: int, high: int, *, signed: bool) -> None:
    for item in value.split(","):
        if not _NUMBER.fullmatch(item):
            raise RecurrenceError(f"{name} takes numbers separated by commas.")
        number = int(item)
        if (number < 0 and not signed) or not low <= abs(number) <= high:
            raise RecurrenceError(f"{name} values must be between {low} and {high}.")


def parse_recurrence(text: str) -> dict[str, str]:
    """The parts of an RFC 5545 rule ("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"), upper-cased, after
    checking that the platform takes it: FREQ DAILY, WEEKLY or MONTHLY; COUNT (at most
    MAX_OCCURRENCES) or UNTIL, exactly one; INTERVAL 1-99; BYDAY (with an ordinal such as 1MO
    or -1FR only when monthly), BYMONTHDAY and BYSETPOS (monthly only), BYMONTH, WKST.
    Anything that would move a shift's time of day (BYHOUR, ...) or that can make a rule
    match nothing for centuries is refused with a RecurrenceError."""
    body = text.strip()
    if body[:6].upper() == "RRULE:":
        body = body[6:]
    parts: dict[str, str] = {}
    for item in body.split(";"):
        name, equals, value = item.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not equals or not name or not value:
            raise RecurrenceError(f"'{item.strip()}' is not NAME=VALUE.")
        if name not in PARTS:
            raise RecurrenceError(f"{name[:20]} is not supported; use {', '.join(PARTS)}.")
        if name in parts:
            raise RecurrenceError(f"{name} is given twice.")
        parts[name] = value
    frequency = parts.get("FREQ")
    if frequency not in FREQUENCIES:
        raise RecurrenceError(f"FREQ must be one of {', '.join(FREQUENCIES)}.")
    monthly = frequency == "MONTHLY"
    if ("COUNT" in parts) == ("UNTIL" in parts):
        raise RecurrenceError("Give COUNT or UNTIL (one of them) so that the series ends.")
    if "COUNT" in parts:
        _numbers("COUNT", parts["COUNT"], 1, 999_999, signed=False)
        if int(parts["COUNT"]) > MAX_OCCURRENCES:
            raise RecurrenceError(f"A booking makes at most {MAX_OCCURRENCES} shifts.")
    if "UNTIL" in parts and not _UNTIL.fullmatch(parts["UNTIL"]):
        raise RecurrenceError("UNTIL must be a date (20261231) or a time (20261231T235959[Z]).")
    if "INTERVAL" in parts:
        _numbers("INTERVAL", parts["INTERVAL"], 1, 99, signed=False)
        if "," in parts["INTERVAL"]:
            raise RecurrenceError("INTERVAL takes one number.")
    if "BYDAY" in parts:
        for item in parts["BYDAY"].split(","):
            found = _BYDAY.fullmatch(item)
            if not found:
                raise RecurrenceError("BYDAY takes days such as MO,TU (or 1MO, -1FR monthly).")
            if found.group(1) is not None:
                if not monthly:
                    raise RecurrenceError("A BYDAY ordinal (1MO, -1FR) needs FREQ=MONTHLY.")
                if not 1 <= abs(int(found.group(1))) <= 5:
                    raise RecurrenceError("A BYDAY ordinal must be between 1 and 5 (or -1 to -5).")
        if frequency == "DAILY" and parts.get("INTERVAL", "1") != "1":
            raise RecurrenceError("Use FREQ=WEEKLY for chosen days every few weeks.")
    for name, high in (("BYMONTHDAY", 31), ("BYSETPOS", 31)):
        if name in parts:
            if not monthly:
                raise RecurrenceError(f"{name} needs FREQ=MONTHLY.")
            _numbers(name, parts[name], 1, high, signed=True)
    if "BYMONTH" in parts:
        _numbers("BYMONTH", parts["BYMONTH"], 1, 12, signed=False)
    if "WKST" in parts and not re.fullmatch(_WEEKDAY, parts["WKST"]):
        raise RecurrenceError("WKST must be a day such as MO.")
    return parts


def normal_recurrence(text: str) -> str:
    """The rule as it is kept: its parts upper-cased in their order, without "RRULE:"."""
    return ";".join(f"{name}={value}" for name, value in parse_recurrence(text).items())


def _until_local(value: str, first: datetime, zone: ZoneInfo) -> datetime:
    """UNTIL as a local time: a date means the end of that day, a time without Z is local, a
    time with Z is UTC. Beyond MAX_SPAN after the first shift it is refused (before any far
    date could overflow a conversion)."""
    found = _UNTIL.fullmatch(value)
    assert found is not None  # parse_recurrence checked it
    try:
        day = datetime.strptime(found.group(1), "%Y%m%d")
        clock = (
            datetime.strptime(found.group(2), "%H%M%S").time()
            if found.group(2)
            else time(23, 59, 59)
        )
    except ValueError as exc:
        raise RecurrenceError("UNTIL is not a valid date or time.") from exc
    until = datetime.combine(day.date(), clock)
    if until > first + MAX_SPAN + timedelta(days=1):
        raise RecurrenceError(_TOO_LONG)
    if found.group(3):
        return until.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
    return until


def local_starts(*, first: datetime, recurrence: str | None, timezone: str) -> list[datetime]:
    """The local (naive) start of every occurrence: `first` alone without a rule; with one,
    every start the rule gives from `first`, which must itself be one of them. At most
    MAX_OCCURRENCES, all within MAX_SPAN of the first; RecurrenceError otherwise."""
    if not recurrence:
        return [first]
    parts = parse_recurrence(recurrence)
    until = parts.pop("UNTIL", None)
    rule = rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=first)
    if until is not None:
        rule = rule.replace(until=_until_local(until, first, ZoneInfo(timezone)))
    starts: list[datetime] = []
    for start in rule:
        if len(starts) == MAX_OCCURRENCES:
            raise RecurrenceError(
                f"The rule gives more than {MAX_OCCURRENCES} shifts; a booking makes at most "
                f"{MAX_OCCURRENCES}."
            )
        if start - first > MAX_SPAN:
            raise RecurrenceError(_TOO_LONG)
        starts.append(start)
    if not starts:
        raise RecurrenceError("The rule gives no shift at all.")
    if starts[0] != first:
        raise RecurrenceError(
            f"The first date ({first:%A %Y-%m-%d}) is not one the rule gives; its first is "
            f"{starts[0]:%A %Y-%m-%d}."
        )
    return starts


def to_utc(local: datetime, timezone: str) -> datetime:
    """A naive local time of `timezone` in UTC. A time that happens twice (the autumn change)
    is its first occurrence; one the clocks skip raises NonexistentTime."""
    zone = ZoneInfo(timezone)
    instant = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local:
        raise NonexistentTime(local, timezone)
    return instant


def local_time(instant: datetime, timezone: str) -> datetime:
    """An aware instant as a naive local time of `timezone`."""
    return instant.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


@dataclass(frozen=True)
class ShiftTimes:
    local_start: datetime  # naive, the site's wall clock
    local_end: datetime
    starts_at: datetime  # UTC
    ends_at: datetime

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


def crosses_midnight(start: time, end: time) -> bool:
    """A shift whose end time is earlier than its start ends the next day (overnight)."""
    return end < start


def shift_times(
    *, first_day: date, start: time, end: time, recurrence: str | None, timezone: str
) -> list[ShiftTimes]:
    """Every shift of a booking: the same wall-clock start and end on each date the rule gives
    (the next day's end for an overnight shift), with its UTC times. Raises RecurrenceError or
    NonexistentTime (ValueError if start == end: a shift must last)."""
    if start == end:
        raise ValueError("A shift must end after it starts.")
    ends_next_day = crosses_midnight(start, end)
    found = []
    for local_start in local_starts(
        first=datetime.combine(first_day, start), recurrence=recurrence, timezone=timezone
    ):
        local_end = datetime.combine(local_start.date(), end)
        if ends_next_day:
            local_end += timedelta(days=1)
        found.append(
            ShiftTimes(
                local_start=local_start,
                local_end=local_end,
                starts_at=to_utc(local_start, timezone),
                ends_at=to_utc(local_end, timezone),
            )
        )
    return found


def minutes_before_start(*, at: datetime, starts_at: datetime) -> int:
    """Whole minutes from `at` to the start (negative once it has started)."""
    return int((starts_at - at).total_seconds() // 60)


def shift_not_cancellable(*, status: str, starts_at: datetime, now: datetime) -> str | None:
    """Why a shift cannot be cancelled now (a message for a 409), or None if it can."""
    if status == CANCELLED:
        return "This shift is already cancelled."
    if status == COMPLETED:
        return "This shift is over; it can no longer be cancelled."
    if starts_at <= now:
        return "This shift has started or is over; it can no longer be cancelled."
    return None


def assignment_not_cancellable(*, status: str, starts_at: datetime, now: datetime) -> str | None:
    """Why a worker's place on a shift cannot be cancelled now (a 409), or None if it can."""
    if status == CANCELLED:
        return "This place on the shift is already cancelled."
    if status != "booked":
        return "This shift is over; the place can no longer be cancelled."
    if starts_at <= now:
        return "This shift has started or is over; the place can no longer be cancelled."
    return None


# -- a worker identity stood down (cancellations.stand_down_worker) ---------------------------


@dataclass(frozen=True)
class Clearance:
    """What booking's read model says of whether a worker may work (not suspended, or their
    account active), and the time of the event that said so (None: no event yet)."""

    may_work: bool
    as_of: datetime | None


def cleared_since(clearance: Clearance | None, occurred_at: datetime) -> bool:
    """Whether a word newer than a suspension or closure at `occurred_at` says the worker may
    work (reinstated, reactivated): then the older event stands nobody down. Unknown to the
    read model, or nothing newer: False."""
    return (
        clearance is not None
        and clearance.may_work
        and clearance.as_of is not None
        and clearance.as_of > occurred_at
    )
