"""Bookings as pure rules: which RFC 5545 rules are taken, the occurrences they give, each
shift's wall-clock times in UTC across daylight-saving changes, and what can be cancelled."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.booking.bookings import rules
from services.booking.bookings.rules import (
    MAX_OCCURRENCES,
    NonexistentTime,
    RecurrenceError,
    local_starts,
    normal_recurrence,
    parse_recurrence,
    shift_times,
    to_utc,
)

LB = "America/Los_Angeles"
WEEKDAYS_20 = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=20"
# Spring 2027 in Long Beach: 02:00 PST becomes 03:00 PDT on Sunday 14 March.
SPRING = date(2027, 3, 14)
# Autumn 2026: 02:00 PDT becomes 01:00 PST on Sunday 1 November.
AUTUMN = date(2026, 11, 1)


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def starts(first: datetime, recurrence: str | None) -> list[datetime]:
    return local_starts(first=first, recurrence=recurrence, timezone=LB)


def refused(first: datetime, recurrence: str) -> str:
    with pytest.raises(RecurrenceError) as raised:
        starts(first, recurrence)
    return str(raised.value)


# -- which rules are taken ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        WEEKDAYS_20,
        "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270131",
        "freq=daily;count=5",
        " FREQ = DAILY ; COUNT = 5 ",
        "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=10",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;COUNT=6;WKST=SU",
        "FREQ=MONTHLY;BYDAY=1MO,-1FR;COUNT=6",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=6",
        "FREQ=MONTHLY;BYMONTHDAY=1,15,-1;UNTIL=20271231T235959",
        "FREQ=WEEKLY;BYMONTH=1,2,3;BYDAY=TU;UNTIL=20270401T000000Z",
        f"FREQ=DAILY;COUNT={MAX_OCCURRENCES}",
    ],
)
def test_rules_the_platform_takes(text):
    parts = parse_recurrence(text)
    assert parts["FREQ"] in rules.FREQUENCIES
    assert ("COUNT" in parts) != ("UNTIL" in parts)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "is not NAME=VALUE"),
        ("FREQ", "is not NAME=VALUE"),
        ("FREQ=", "is not NAME=VALUE"),
        ("FREQ=WEEKLY;;COUNT=2", "is not NAME=VALUE"),
        ("FREQ=WEEKLY", "Give COUNT or UNTIL"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20270101", "Give COUNT or UNTIL"),
        ("FREQ=HOURLY;COUNT=2", "FREQ must be one of DAILY, WEEKLY, MONTHLY"),
        ("FREQ=YEARLY;COUNT=2", "FREQ must be one of"),
        ("COUNT=2", "FREQ must be one of"),
        ("FREQ=WEEKLY;FREQ=DAILY;COUNT=2", "FREQ is given twice"),
        ("FREQ=DAILY;COUNT=2;BYHOUR=9", "BYHOUR is not supported"),
        ("FREQ=DAILY;COUNT=2;DTSTART=20270101T090000", "DTSTART is not supported"),
        ("FREQ=DAILY;COUNT=201", "at most 200 shifts"),
        ("FREQ=DAILY;COUNT=99999999999999999999", "COUNT takes numbers"),
        ("FREQ=DAILY;COUNT=0", "COUNT values must be between"),
        ("FREQ=DAILY;COUNT=-3", "COUNT values must be between"),
        ("FREQ=DAILY;COUNT=x", "COUNT takes numbers"),
        ("FREQ=DAILY;UNTIL=2027-01-01", "UNTIL must be a date"),
        ("FREQ=DAILY;UNTIL=20270101T0900", "UNTIL must be a date"),
        ("FREQ=DAILY;INTERVAL=0;COUNT=2", "INTERVAL values must be between 1 and 99"),
        ("FREQ=DAILY;INTERVAL=100;COUNT=2", "INTERVAL values must be between 1 and 99"),
        ("FREQ=DAILY;INTERVAL=1,2;COUNT=2", "INTERVAL takes one number"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=2", "BYDAY takes days"),
        ("FREQ=WEEKLY;BYDAY=MO,;COUNT=2", "BYDAY takes days"),
        ("FREQ=WEEKLY;BYDAY=1MO;COUNT=2", "needs FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYDAY=6MO;COUNT=2", "between 1 and 5"),
        ("FREQ=MONTHLY;BYDAY=0MO;COUNT=2", "between 1 and 5"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU;COUNT=2", "Use FREQ=WEEKLY"),
        ("FREQ=WEEKLY;BYMONTHDAY=1;COUNT=2", "BYMONTHDAY needs FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYMONTHDAY=32;COUNT=2", "BYMONTHDAY values must be between 1 and 31"),
        ("FREQ=MONTHLY;BYMONTHDAY=0;COUNT=2", "BYMONTHDAY values must be between 1 and 31"),
        ("FREQ=DAILY;BYSETPOS=1;COUNT=2", "BYSETPOS needs FREQ=MONTHLY"),
        ("FREQ=DAILY;BYMONTH=13;COUNT=2", "BYMONTH values must be between 1 and 12"),
        ("FREQ=DAILY;BYMONTH=-1;COUNT=2", "BYMONTH values must be between 1 and 12"),
        ("FREQ=DAILY;WKST=XX;COUNT=2", "WKST must be a day"),
    ],
)
def test_rules_the_platform_refuses_say_why(text, why):
    with pytest.raises(RecurrenceError) as raised:
        parse_recurrence(text)
    assert why in str(raised.value)


def test_a_rule_is_kept_in_one_form():
    assert normal_recurrence("rrule:freq=weekly; byday=mo,fr ;count=4") == (
        "FREQ=WEEKLY;BYDAY=MO,FR;COUNT=4"
    )


# -- occurrences -------------------------------------------------------------------------------


def test_without_a_rule_there_is_one_shift():
    first = at(date(2026, 12, 7), "09:00")
    assert starts(first, None) == [first]
    assert starts(first, "") == [first]


def test_weekdays_for_four_weeks_are_twenty_shifts():
    found = starts(at(date(2027, 3, 1), "09:00"), WEEKDAYS_20)
    assert len(found) == 20
    assert {d.weekday() for d in found} == {0, 1, 2, 3, 4}
    assert found[0] == at(date(2027, 3, 1), "09:00")
    assert found[-1] == at(date(2027, 3, 26), "09:00")
    assert {d.time() for d in found} == {time(9)}


def test_until_a_date_includes_that_day():
    found = starts(at(date(2027, 3, 1), "09:00"), "FREQ=DAILY;UNTIL=20270305")
    assert [d.day for d in found] == [1, 2, 3, 4, 5]


def test_until_a_local_time_or_a_utc_time():
    first = at(date(2027, 3, 1), "09:00")
    assert len(starts(first, "FREQ=DAILY;UNTIL=20270305T085959")) == 4
    assert len(starts(first, "FREQ=DAILY;UNTIL=20270305T090000")) == 5
    # 17:00 UTC is 09:00 in Long Beach (PST) that day.
    assert len(starts(first, "FREQ=DAILY;UNTIL=20270305T170000Z")) == 5
    assert len(starts(first, "FREQ=DAILY;UNTIL=20270305T165959Z")) == 4


def test_monthly_rules():
    found = starts(at(date(2027, 1, 4), "09:00"), "FREQ=MONTHLY;BYDAY=1MO;COUNT=3")
    assert found == [
        at(date(2027, 1, 4), "09:00"),
        at(date(2027, 2, 1), "09:00"),
        at(date(2027, 3, 1), "09:00"),
    ]
    last_fridays = starts(at(date(2027, 1, 29), "18:00"), "FREQ=MONTHLY;BYDAY=-1FR;COUNT=2")
    assert [d.date() for d in last_fridays] == [date(2027, 1, 29), date(2027, 2, 26)]


def test_every_other_saturday():
    found = starts(at(date(2027, 1, 2), "10:00"), "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;COUNT=3")
    assert [d.date() for d in found] == [date(2027, 1, 2), date(2027, 1, 16), date(2027, 1, 30)]


def test_the_first_date_must_be_one_the_rule_gives():
    why = refused(at(date(2027, 3, 6), "09:00"), WEEKDAYS_20)  # a Saturday
    assert "Saturday 2027-03-06 is not one the rule gives" in why.replace("(", "").replace(")", "")
    assert "Monday 2027-03-08" in why


def test_a_rule_that_gives_nothing_is_refused():
    assert "gives no shift" in refused(at(date(2027, 3, 1), "09:00"), "FREQ=DAILY;UNTIL=20270201")
    assert "gives no shift" in refused(
        at(date(2027, 3, 1), "09:00"), "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30;COUNT=2"
    )


def test_more_than_the_cap_is_refused():
    why = refused(at(date(2027, 1, 1), "09:00"), "FREQ=DAILY;UNTIL=20271231")
    assert f"more than {MAX_OCCURRENCES} shifts" in why


def test_a_series_longer_than_a_year_is_refused():
    first = at(date(2027, 1, 4), "09:00")
    assert "at most 366 days" in refused(first, "FREQ=WEEKLY;COUNT=60")
    assert "at most 366 days" in refused(first, "FREQ=WEEKLY;UNTIL=20990101")
    assert "at most 366 days" in refused(first, "FREQ=WEEKLY;UNTIL=99991231T235959Z")
    assert len(starts(first, "FREQ=WEEKLY;UNTIL=20280103")) == 53


def test_an_impossible_date_in_until_is_refused():
    assert "not a valid date" in refused(at(date(2027, 1, 4), "09:00"), "FREQ=DAILY;UNTIL=20270231")


# -- local times to UTC ------------------------------------------------------------------------


def test_a_wall_clock_time_in_winter_and_in_summer():
    assert to_utc(at(date(2027, 1, 4), "09:00"), LB) == utc("2027-01-04T17:00")
    assert to_utc(at(date(2027, 7, 5), "09:00"), LB) == utc("2027-07-05T16:00")


def test_a_time_the_spring_change_skips_does_not_exist():
    for clock in ("02:00", "02:30", "02:59"):
        with pytest.raises(NonexistentTime) as raised:
            to_utc(at(SPRING, clock), LB)
        assert f"2027-03-14 {clock} does not exist in {LB}" in str(raised.value)
    assert to_utc(at(SPRING, "01:59"), LB) == utc("2027-03-14T09:59")
    assert to_utc(at(SPRING, "03:00"), LB) == utc("2027-03-14T10:00")


def test_a_time_the_autumn_change_repeats_is_its_first_occurrence():
    # 01:30 happens at 08:30 UTC (PDT) and again at 09:30 UTC (PST): the first is taken.
    assert to_utc(at(AUTUMN, "01:30"), LB) == utc("2026-11-01T08:30")
    assert to_utc(at(AUTUMN, "02:00"), LB) == utc("2026-11-01T10:00")


def test_a_time_without_daylight_saving():
    assert to_utc(at(SPRING, "02:30"), "UTC") == utc("2027-03-14T02:30")
    assert to_utc(at(SPRING, "02:30"), "Asia/Tokyo") == utc("2027-03-13T17:30")


# -- shifts ------------------------------------------------------------------------------------


def test_weekday_shifts_keep_nine_to_one_local_across_the_spring_change():
    found = shift_times(
        first_day=date(2027, 3, 1),
        start=time(9),
        end=time(13),
        recurrence=WEEKDAYS_20,
        timezone=LB,
    )
    assert len(found) == 20
    assert {(t.local_start.time(), t.local_end.time()) for t in found} == {(time(9), time(13))}
    assert {t.minutes for t in found} == {240}
    before = [t for t in found if t.local_start.date() < SPRING]
    after = [t for t in found if t.local_start.date() > SPRING]
    assert len(before) == 10 and len(after) == 10
    assert {t.starts_at.time() for t in before} == {time(17)}  # PST, UTC-8
    assert {t.starts_at.time() for t in after} == {time(16)}  # PDT, UTC-7
    assert {t.ends_at.time() for t in after} == {time(20)}


def test_weekday_shifts_keep_nine_to_one_local_across_the_autumn_change():
    found = shift_times(
        first_day=date(2026, 10, 19),
        start=time(9),
        end=time(13),
        recurrence=WEEKDAYS_20,
        timezone=LB,
    )
    assert [t.starts_at.hour for t in found] == [16] * 10 + [17] * 10
    assert {t.local_start.time() for t in found} == {time(9)}


def test_an_overnight_shift_ends_the_next_day_and_lasts_what_the_clocks_say():
    nights = shift_times(
        first_day=date(2027, 3, 12),
        start=time(22),
        end=time(6),
        recurrence="FREQ=DAILY;COUNT=4",
        timezone=LB,
    )
    assert [t.local_end - t.local_start for t in nights] == [timedelta(hours=8)] * 4
    # The night into Sunday 14 March loses an hour; the others last 8 hours.
    assert [t.minutes for t in nights] == [480, 420, 480, 480]
    assert nights[0].local_end == at(date(2027, 3, 13), "06:00")


def test_an_overnight_shift_into_the_autumn_change_lasts_an_hour_more():
    [night] = shift_times(
        first_day=date(2026, 10, 31), start=time(22), end=time(6), recurrence=None, timezone=LB
    )
    assert night.minutes == 9 * 60


def test_a_shift_starting_or_ending_at_a_skipped_time_is_refused_with_its_date():
    with pytest.raises(NonexistentTime) as raised:
        shift_times(
            first_day=date(2027, 3, 8),
            start=time(2, 30),
            end=time(6),
            recurrence="FREQ=DAILY;COUNT=10",
            timezone=LB,
        )
    assert raised.value.local == at(SPRING, "02:30")
    with pytest.raises(NonexistentTime) as raised:
        shift_times(
            first_day=date(2027, 3, 13),
            start=time(22),
            end=time(2, 15),
            recurrence=None,
            timezone=LB,
        )
    assert raised.value.local == at(SPRING, "02:15")


def test_a_shift_must_last():
    with pytest.raises(ValueError):
        shift_times(
            first_day=date(2027, 3, 1), start=time(9), end=time(9), recurrence=None, timezone=LB
        )
    assert rules.crosses_midnight(time(22), time(6))
    assert not rules.crosses_midnight(time(9), time(13))


# -- cancellations -----------------------------------------------------------------------------

NOW = utc("2026-12-07T12:00")


def test_minutes_before_start_are_whole_minutes():
    assert rules.minutes_before_start(at=NOW, starts_at=NOW + timedelta(hours=2, seconds=59)) == 120
    assert rules.minutes_before_start(at=NOW, starts_at=NOW + timedelta(seconds=59)) == 0
    assert rules.minutes_before_start(at=NOW, starts_at=NOW - timedelta(seconds=1)) == -1


@pytest.mark.parametrize(
    ("status", "starts_in", "why"),
    [
        ("open", timedelta(hours=1), None),
        ("filled", timedelta(seconds=1), None),
        ("cancelled", timedelta(hours=1), "already cancelled"),
        ("completed", -timedelta(hours=9), "is over"),
        ("open", timedelta(0), "has started or is over"),
        ("filled", -timedelta(hours=1), "has started or is over"),
    ],
)
def test_when_a_shift_can_be_cancelled(status, starts_in, why):
    found = rules.shift_not_cancellable(status=status, starts_at=NOW + starts_in, now=NOW)
    assert (found is None) if why is None else (why in found)


@pytest.mark.parametrize(
    ("status", "starts_in", "why"),
    [
        ("booked", timedelta(hours=1), None),
        ("cancelled", timedelta(hours=1), "already cancelled"),
        ("completed", -timedelta(hours=9), "is over"),
        ("no_show", -timedelta(hours=9), "is over"),
        ("booked", timedelta(0), "has started or is over"),
    ],
)
def test_when_a_place_can_be_cancelled(status, starts_in, why):
    found = rules.assignment_not_cancellable(status=status, starts_at=NOW + starts_in, now=NOW)
    assert (found is None) if why is None else (why in found)


# -- a worker identity stood down ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("clearance", "cleared"),
    [
        (None, False),  # the read model does not know the worker
        (rules.Clearance(may_work=True, as_of=None), False),  # no event said so yet
        (rules.Clearance(may_work=True, as_of=datetime(2026, 12, 1, 9, 0, 1, tzinfo=UTC)), True),
        (rules.Clearance(may_work=True, as_of=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)), False),
        (rules.Clearance(may_work=True, as_of=datetime(2026, 12, 1, 8, 59, tzinfo=UTC)), False),
        (rules.Clearance(may_work=False, as_of=datetime(2026, 12, 1, 10, 0, tzinfo=UTC)), False),
    ],
)
def test_only_a_newer_word_that_the_worker_may_work_spares_them(clearance, cleared):
    suspended_at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert rules.cleared_since(clearance, suspended_at) is cleared
