"""The workers area's pure rules: availability as minutes of the local week and of exception
dates (overnight hours, the three kinds of exception), shifts read on the local wall clock
across daylight-saving changes, home ZIPs as coordinates, caps in minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.booking.workers import rules
from services.booking.workers.rules import DAY, WEEK

LA = "America/Los_Angeles"
MON, TUE, SUN = 0, DAY, 6 * DAY


def slot(start: str, end: str) -> dict[str, str]:
    return {"start": start, "end": end}


def week(**days: list[dict[str, str]]) -> dict:
    return {"weekly": days, "exceptions": []}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- minutes and ranges -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "minute"), [("00:00", 0), ("09:30", 570), ("23:59", 1439), ("24:00", 1440)]
)
def test_a_time_of_day_is_its_minute(value, minute):
    assert rules.minute_of_day(value) == minute


@pytest.mark.parametrize(
    ("ranges", "expected"),
    [
        ([], []),
        ([(540, 780)], [(540, 780)]),
        ([(780, 900), (540, 780)], [(540, 900)]),  # touching: one range
        ([(540, 800), (600, 700)], [(540, 800)]),  # inside another
        ([(540, 600), (700, 800)], [(540, 600), (700, 800)]),  # apart
        ([(600, 600), (700, 650)], []),  # empty and backwards ones dropped
    ],
)
def test_ranges_merge_sorted(ranges, expected):
    assert rules.merged(ranges) == expected


@pytest.mark.parametrize(
    ("ranges", "removed", "left"),
    [
        ([(540, 1020)], [], [(540, 1020)]),
        ([(540, 1020)], [(540, 1020)], []),
        ([(540, 1020)], [(720, 780)], [(540, 720), (780, 1020)]),
        ([(540, 1020)], [(0, 600)], [(600, 1020)]),
        ([(540, 1020)], [(960, 1440)], [(540, 960)]),
        ([(540, 600), (700, 800)], [(590, 710)], [(540, 590), (710, 800)]),
        ([(540, 600)], [(600, 700)], [(540, 600)]),  # only touching: nothing cut
    ],
)
def test_without_takes_out_every_minute_removed(ranges, removed, left):
    assert rules.without(ranges, removed) == left


def test_covers_needs_one_range_holding_the_whole_span():
    ranges = [(540, 720), (720, 780), (900, 960)]
    assert rules.covers(ranges, 540, 780)  # touching ranges count as one
    assert rules.covers(ranges, 600, 660)
    assert not rules.covers(ranges, 700, 920)  # a gap at 780-900
    assert not rules.covers(ranges, 500, 600)
    assert not rules.covers([], 0, 1)


# -- weekly hours -----------------------------------------------------------------------------


def test_weekly_hours_are_minutes_of_the_local_week_from_monday_midnight():
    availability = week(
        monday=[slot("09:00", "13:00")],
        wednesday=[slot("14:00", "18:00"), slot("08:00", "10:00")],
        sunday=[slot("10:00", "12:00")],
    )
    assert rules.weekly_minutes(availability) == [
        (540, 780),
        (2 * DAY + 480, 2 * DAY + 600),
        (2 * DAY + 840, 2 * DAY + 1080),
        (SUN + 600, SUN + 720),
    ]
    assert rules.weekly_minutes({"weekly": {}, "exceptions": []}) == []
    assert rules.weekly_minutes({}) == []


def test_overnight_hours_join_across_midnight_into_one_range():
    # Published as two slots, Monday 22:00-24:00 and Tuesday 00:00-06:00: one night.
    availability = week(monday=[slot("22:00", "24:00")], tuesday=[slot("00:00", "06:00")])
    assert rules.weekly_minutes(availability) == [(MON + 1320, TUE + 360)]
    # A night shift Monday 23:00 to Tuesday 04:00 fits; one running to 07:00 does not.
    assert rules.covers(rules.weekly_minutes(availability), MON + 1380, TUE + 240)
    assert not rules.covers(rules.weekly_minutes(availability), MON + 1380, TUE + 420)


def test_a_night_from_sunday_into_monday_wraps_around_the_week():
    availability = week(sunday=[slot("22:00", "24:00")], monday=[slot("00:00", "06:00")])
    minutes = rules.weekly_minutes(availability)
    assert minutes == [(0, 360), (SUN + 1320, WEEK)]
    assert rules.covers_week(minutes, SUN + 1380, WEEK + 180)  # Sunday 23:00 to Monday 03:00
    assert not rules.covers_week(minutes, SUN + 1380, WEEK + 420)  # to Monday 07:00
    assert rules.covers_week(minutes, 60, 120)  # within the week as covers() reads it
    assert not rules.covers_week([(SUN + 1320, WEEK)], SUN + 1380, WEEK + 60)  # no Monday hours


# -- exception dates --------------------------------------------------------------------------

# Thursday 2026-12-24, Friday 2026-12-25, Saturday 2026-12-26.
THURSDAY, FRIDAY, SATURDAY = "2026-12-24", "2026-12-25", "2026-12-26"


def with_exceptions(*exceptions: dict) -> dict:
    return {
        "weekly": {"thursday": [slot("09:00", "17:00")], "friday": [slot("09:00", "17:00")]},
        "exceptions": list(exceptions),
    }


def test_unavailable_all_day_leaves_no_minute_that_day():
    days = rules.day_minutes(with_exceptions({"date": FRIDAY, "kind": "unavailable", "slots": []}))
    assert days == {date(2026, 12, 25): []}


def test_unavailable_some_hours_takes_them_out_of_that_weekday_s_hours():
    days = rules.day_minutes(
        with_exceptions(
            {"date": THURSDAY, "kind": "unavailable", "slots": [slot("12:00", "13:00")]},
            {"date": FRIDAY, "kind": "unavailable", "slots": [slot("08:00", "10:00")]},
        )
    )
    assert days == {
        date(2026, 12, 24): [(540, 720), (780, 1020)],
        date(2026, 12, 25): [(600, 1020)],
    }


def test_unavailable_hours_on_a_day_without_weekly_hours_leave_nothing():
    days = rules.day_minutes(
        with_exceptions(
            {"date": SATURDAY, "kind": "unavailable", "slots": [slot("09:00", "10:00")]}
        )
    )
    assert days == {date(2026, 12, 26): []}


def test_extra_hours_add_to_that_weekday_s_hours():
    days = rules.day_minutes(
        with_exceptions(
            {"date": THURSDAY, "kind": "extra", "slots": [slot("17:00", "20:00")]},
            {"date": SATURDAY, "kind": "extra", "slots": [slot("10:00", "14:00")]},
            {"date": FRIDAY, "kind": "extra", "slots": [slot("07:00", "08:00")]},
        )
    )
    assert days == {
        date(2026, 12, 24): [(540, 1200)],  # joins the weekly 09:00-17:00
        date(2026, 12, 26): [(600, 840)],  # a Saturday without weekly hours
        date(2026, 12, 25): [(420, 480), (540, 1020)],
    }


def test_exceptions_change_only_their_dates_not_the_week():
    availability = with_exceptions({"date": FRIDAY, "kind": "unavailable", "slots": []})
    assert rules.weekly_minutes(availability) == rules.weekly_minutes(with_exceptions())
    assert rules.day_minutes(with_exceptions()) == {}


# -- the local wall clock and daylight saving -------------------------------------------------

# 2026 in Los Angeles: clocks spring forward on Sunday 8 March (02:00 -> 03:00, UTC-8 -> UTC-7)
# and fall back on Sunday 1 November (02:00 -> 01:00).


def test_a_shift_reads_the_same_wall_clock_minutes_either_side_of_spring_forward():
    before = rules.local_day_span(utc(2026, 3, 2, 17), utc(2026, 3, 2, 21), LA)  # 09-13 PST
    after = rules.local_day_span(utc(2026, 3, 9, 16), utc(2026, 3, 9, 20), LA)  # 09-13 PDT
    assert before == (date(2026, 3, 2), 540, 780)
    assert after == (date(2026, 3, 9), 540, 780)
    assert rules.local_week_span(utc(2026, 3, 9, 16), utc(2026, 3, 9, 20), LA) == (540, 780)


def test_a_shift_reads_the_same_wall_clock_minutes_either_side_of_fall_back():
    before = rules.local_day_span(utc(2026, 10, 30, 16), utc(2026, 10, 30, 20), LA)  # Fri PDT
    after = rules.local_day_span(utc(2026, 11, 6, 17), utc(2026, 11, 6, 21), LA)  # Fri PST
    assert before == (date(2026, 10, 30), 540, 780)
    assert after == (date(2026, 11, 6), 540, 780)


def test_weekly_hours_cover_a_shift_in_a_daylight_saving_week_as_in_any_other():
    availability = week(monday=[slot("09:00", "13:00")], sunday=[slot("00:00", "06:00")])
    minutes = rules.weekly_minutes(availability)
    for monday_9am_utc in (utc(2026, 3, 2, 17), utc(2026, 3, 9, 16), utc(2026, 11, 2, 17)):
        start, end = rules.local_week_span(monday_9am_utc, monday_9am_utc + timedelta(hours=4), LA)
        assert (start, end) == (540, 780) and rules.covers_week(minutes, start, end)
    # The spring-forward night: Sunday 01:00-04:00 on the wall clock, though 2 hours pass.
    night = rules.local_day_span(utc(2026, 3, 8, 9), utc(2026, 3, 8, 11), LA)
    assert night == (date(2026, 3, 8), 60, 240)
    assert rules.covers_week(minutes, SUN + 60, SUN + 240)
    # The fall-back night: 00:30-03:00 on the wall clock, though 3.5 hours pass.
    night = rules.local_day_span(utc(2026, 11, 1, 7, 30), utc(2026, 11, 1, 11), LA)
    assert night == (date(2026, 11, 1), 30, 180)


def test_a_shift_past_midnight_ends_past_the_day_and_past_the_week():
    # Sunday 22:00 to Monday 02:00 in Los Angeles (PST).
    start, end = utc(2026, 11, 9, 6), utc(2026, 11, 9, 10)
    assert rules.local_day_span(start, end, LA) == (date(2026, 11, 8), 1320, DAY + 120)
    assert rules.local_week_span(start, end, LA) == (SUN + 1320, WEEK + 120)


def test_the_same_instant_reads_in_the_cbo_s_own_time_zone():
    start = utc(2026, 11, 2, 17)
    assert rules.local_day_span(start, start + timedelta(hours=1), "America/New_York") == (
        date(2026, 11, 2),
        720,
        780,
    )


# -- home ZIP and caps ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("home_zip", "expected"),
    [
        ("90802", (33.7706, -118.182)),  # downtown Long Beach
        ("90802-1234", (33.7706, -118.182)),  # ZIP+4: its ZIP's centroid
        (" 90802 ", (33.7706, -118.182)),
    ],
)
def test_a_home_zip_becomes_its_centroid(home_zip, expected):
    assert rules.zip_coordinates(home_zip) == expected


def test_the_long_beach_zips_lie_near_each_other():
    for home_zip in ("90802", "90804", "90805", "90806", "90810", "90813", "90815"):
        found = rules.zip_coordinates(home_zip)
        assert found is not None
        latitude, longitude = found
        assert 33.7 < latitude < 33.9 and -118.3 < longitude < -118.0, home_zip


@pytest.mark.parametrize(
    "home_zip",
    [None, "", "   ", "9080", "908021", "abcde", "90802-12", "90802\x00", "99999", "00000"],
)
def test_no_zip_a_malformed_one_or_an_unknown_one_has_no_coordinates(home_zip):
    assert rules.zip_coordinates(home_zip) is None


@pytest.mark.parametrize(
    ("hours", "minutes"), [(None, None), (14, 840), (12.5, 750), (12.35, 741), (0.01, 1)]
)
def test_a_weekly_hour_cap_is_kept_in_whole_minutes(hours, minutes):
    assert rules.cap_minutes(hours) == minutes
