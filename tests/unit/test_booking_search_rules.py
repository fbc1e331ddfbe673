"""The search's pure rules: every reason a worker is left out, the ranking, and the windows a
request asks for (time zones, daylight-saving changes, repeating rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.booking.reliability.rules import NEW_WORKER_SCORE, RELIABLE_SCORE
from services.booking.search import rules
from services.booking.search.rules import (
    Commitment,
    Preference,
    Reason,
    Request,
    Segment,
    Source,
    Window,
    WorkerFacts,
)
from services.booking.workers import rules as worker_rules

LA = "America/Los_Angeles"
ZONE = ZoneInfo(LA)
UTC = ZoneInfo("UTC")
CBO = "cbo-1"
PARTNER = "cbo-2"
CLIENT = "client-1"
DAY = 24 * 60


def local(text: str) -> datetime:
    """'2026-12-01 09:00' in Long Beach, as an aware time."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


def window(start: str, end: str) -> Window:
    return Window(local(start), local(end))


def every_day(start: str = "00:00", end: str = "24:00") -> list[tuple[int, int]]:
    slots = [{"start": start, "end": end}]
    return worker_rules.weekly_minutes({"weekly": {day: slots for day in worker_rules.WEEKDAYS}})


def weekly(**days: tuple[str, str]) -> list[tuple[int, int]]:
    return worker_rules.weekly_minutes(
        {"weekly": {day: [{"start": s, "end": e}] for day, (s, e) in days.items()}}
    )


def a_worker(**overrides) -> WorkerFacts:
    fields = {
        "id": "w-1",
        "tenant_id": CBO,
        "name": "Ana",
        "job_types": frozenset({"forklift"}),
        "skills": frozenset({"safety"}),
        "weekly_minutes": every_day(),
        "latitude": 33.7706,
        "longitude": -118.182,
        "timezone": LA,
    }
    fields.update(overrides)
    return WorkerFacts(**fields)


# Tuesday 1 December 2026, 09:00-13:00 in Long Beach.
TUESDAY = window("2026-12-01 09:00", "2026-12-01 13:00")


def a_request(*windows: Window, **overrides) -> Request:
    fields = {
        "tenant_id": CBO,
        "client_id": CLIENT,
        "job_type_key": "forklift",
        "job_type_name": "Forklift",
        "windows": windows or (TUESDAY,),
        "needs_approval": True,
        "required_skills": frozenset({"safety"}),
        "site_latitude": 33.7706,
        "site_longitude": -118.182,
    }
    fields.update(overrides)
    return Request(**fields)


def assignment(start: str, end: str, status: str = "booked", **fields) -> Commitment:
    return Commitment("assignment", status, local(start), local(end), **fields)


def offer(start: str, end: str, status: str = "sent", **fields) -> Commitment:
    return Commitment("offer", status, local(start), local(end), **fields)


def codes(found: list[Reason]) -> list[str]:
    return [r.code for r in found]


# -- the worker's standing -------------------------------------------------------------------


def test_a_worker_who_meets_every_rule_is_eligible():
    assert rules.reasons(a_worker(), a_request()) == []


@pytest.mark.parametrize(
    "overrides, code, message",
    [
        ({"approved": False}, rules.NOT_APPROVED, "not approved by the CBO"),
        ({"active": False}, rules.INACTIVE, "account deactivated"),
        ({"suspended": True}, rules.SUSPENDED, "suspended"),
        ({"job_types": frozenset()}, rules.JOB_TYPE, "not approved for Forklift"),
        ({"skills": frozenset()}, rules.SKILLS, "lacks safety"),
    ],
)
def test_each_standing_rule_leaves_out_with_its_reason(overrides, code, message):
    assert rules.reasons(a_worker(**overrides), a_request()) == [Reason(code, message)]


def test_every_reason_is_listed_not_only_the_first():
    worker = a_worker(approved=False, suspended=True, job_types=frozenset(), active=False)
    assert codes(rules.reasons(worker, a_request())) == [
        rules.NOT_APPROVED,
        rules.INACTIVE,
        rules.SUSPENDED,
        rules.JOB_TYPE,
    ]


def test_a_job_type_without_approval_needs_none():
    worker = a_worker(job_types=frozenset())
    assert rules.reasons(worker, a_request(needs_approval=False)) == []


def test_missing_skills_are_named_in_order():
    request = a_request(required_skills=frozenset({"safety", "cpr", "driving"}))
    found = rules.reasons(a_worker(skills=frozenset({"driving"})), request)
    assert found == [Reason(rules.SKILLS, "lacks cpr, safety")]


def test_blocked_by_this_client():
    found = rules.reasons(a_worker(), a_request(), preference=Preference(blocked=True))
    assert found == [Reason(rules.BLOCKED, "blocked by this client")]
    assert rules.reasons(a_worker(), a_request(), preference=Preference(favourite=True)) == []


def test_an_exclusive_job_type_is_only_for_its_client():
    assert rules.reasons(a_worker(), a_request(exclusive_client_id=CLIENT)) == []
    found = rules.reasons(a_worker(), a_request(exclusive_client_id="client-2"))
    assert found == [Reason(rules.EXCLUSIVE, "Forklift is exclusive to another client")]


@pytest.mark.parametrize(
    "partners, eligible",
    [
        (None, False),  # no partnership at all
        ({"cbo-3": ["job_types"]}, False),  # a partnership with somebody else
        ({PARTNER: ["opportunities"]}, False),  # formed, but job types are not shared
        ({PARTNER: ["cleaning"]}, False),  # shares another job type's key
        ({PARTNER: ["forklift"]}, True),  # shares this key
        ({PARTNER: ["job_types", "opportunities"]}, True),  # shares every job type
    ],
)
def test_a_partner_cbos_worker_only_through_a_partnership_that_shares_the_job_type(
    partners, eligible
):
    found = rules.reasons(a_worker(tenant_id=PARTNER), a_request(), partners=partners)
    if eligible:
        assert found == []
    else:
        assert found == [Reason(rules.NOT_SHARED, "from another CBO that does not share Forklift")]


def test_a_started_shift_is_refused_only_when_now_is_given():
    request = a_request()
    assert rules.reasons(a_worker(), request, now=TUESDAY.starts_at - timedelta(minutes=1)) == []
    assert codes(rules.reasons(a_worker(), request, now=TUESDAY.starts_at)) == [rules.STARTED]
    assert rules.reasons(a_worker(), request) == []


# -- availability ----------------------------------------------------------------------------


def test_weekly_hours_that_cover_the_window():
    worker = a_worker(weekly_minutes=weekly(tuesday=("08:00", "14:00")))
    assert rules.reasons(worker, a_request()) == []


@pytest.mark.parametrize(
    "hours_of_tuesday",
    [("09:30", "13:00"), ("09:00", "12:59"), ("13:00", "18:00")],
)
def test_weekly_hours_that_miss_part_of_the_window(hours_of_tuesday):
    worker = a_worker(weekly_minutes=weekly(tuesday=hours_of_tuesday))
    assert rules.reasons(worker, a_request()) == [
        Reason(rules.UNAVAILABLE, "not available Tue 1 Dec 09:00–13:00")
    ]


def test_hours_of_another_weekday_do_not_count():
    worker = a_worker(weekly_minutes=weekly(monday=("00:00", "24:00")))
    assert codes(rules.reasons(worker, a_request())) == [rules.UNAVAILABLE]


def test_two_slots_that_touch_cover_a_window_across_them():
    minutes = worker_rules.weekly_minutes(
        {
            "weekly": {
                "tuesday": [{"start": "09:00", "end": "11:00"}, {"start": "11:00", "end": "13:00"}]
            }
        }
    )
    assert rules.reasons(a_worker(weekly_minutes=minutes), a_request()) == []


def test_a_date_exception_overrides_the_weekly_hours_both_ways():
    day = date(2026, 12, 1)
    away = a_worker(days={day: []})
    assert rules.reasons(away, a_request()) == [
        Reason(rules.UNAVAILABLE, "not available Tue 1 Dec 09:00–13:00")
    ]
    extra = a_worker(weekly_minutes=[], days={day: [(8 * 60, 14 * 60)]})
    assert rules.reasons(extra, a_request()) == []
    # An exception on another date changes nothing.
    other = a_worker(days={date(2026, 12, 8): []})
    assert rules.reasons(other, a_request()) == []


def test_a_shift_across_midnight_needs_both_days():
    night = window("2026-12-01 22:00", "2026-12-02 06:00")
    both = a_worker(weekly_minutes=weekly(tuesday=("22:00", "24:00"), wednesday=("00:00", "06:00")))
    assert rules.reasons(both, a_request(night)) == []
    evening_only = a_worker(weekly_minutes=weekly(tuesday=("18:00", "24:00")))
    assert rules.reasons(evening_only, a_request(night)) == [
        Reason(rules.UNAVAILABLE, "not available Wed 2 Dec 00:00–06:00")
    ]
    # The second day's exception decides for its part only.
    excused = a_worker(
        weekly_minutes=weekly(tuesday=("22:00", "24:00")),
        days={date(2026, 12, 2): [(0, 6 * 60)]},
    )
    assert rules.reasons(excused, a_request(night)) == []


def test_a_shift_across_the_end_of_the_week():
    night = window("2026-12-06 22:00", "2026-12-07 02:00")  # Sunday into Monday
    worker = a_worker(weekly_minutes=weekly(sunday=("20:00", "24:00"), monday=("00:00", "03:00")))
    assert rules.reasons(worker, a_request(night)) == []
    sunday_only = a_worker(weekly_minutes=weekly(sunday=("20:00", "24:00")))
    assert rules.reasons(sunday_only, a_request(night)) == [
        Reason(rules.UNAVAILABLE, "not available Mon 7 Dec 00:00–02:00")
    ]


def test_a_shift_ending_at_midnight_needs_nothing_of_the_next_day():
    late = window("2026-12-01 20:00", "2026-12-02 00:00")
    worker = a_worker(weekly_minutes=weekly(tuesday=("20:00", "24:00")))
    assert rules.reasons(worker, a_request(late)) == []
    assert rules.segments([late], LA) == (Segment(date(2026, 12, 1), 20 * 60, DAY),)


def test_spring_forward_uses_wall_clock_minutes():
    # 2027-03-14 02:00 PST becomes 03:00 PDT: 01:00-05:00 local is three hours of time.
    shift = Window(datetime(2027, 3, 14, 9, tzinfo=UTC), datetime(2027, 3, 14, 12, tzinfo=UTC))
    assert shift.starts_at.astimezone(ZONE).hour == 1
    assert shift.ends_at.astimezone(ZONE).hour == 5
    assert rules.segments([shift], LA) == (Segment(date(2027, 3, 14), 60, 300),)
    covered = a_worker(weekly_minutes=weekly(sunday=("01:00", "05:00")))
    assert rules.reasons(covered, a_request(shift)) == []
    short = a_worker(weekly_minutes=weekly(sunday=("01:00", "04:00")))
    assert rules.reasons(short, a_request(shift)) == [
        Reason(rules.UNAVAILABLE, "not available Sun 14 Mar 01:00–05:00")
    ]


def test_fall_back_uses_wall_clock_minutes():
    # 2026-11-01 02:00 PDT becomes 01:00 PST: 01:00 PDT to 05:00 PST is five hours.
    shift = Window(datetime(2026, 11, 1, 8, tzinfo=UTC), datetime(2026, 11, 1, 13, tzinfo=UTC))
    assert rules.segments([shift], LA) == (Segment(date(2026, 11, 1), 60, 300),)
    assert shift.seconds == 5 * 3600
    worker = a_worker(weekly_minutes=weekly(sunday=("01:00", "05:00")))
    assert rules.reasons(worker, a_request(shift)) == []
    # The same wall-clock hours the Sunday before are the same minutes of the week.
    week_before = window("2026-10-25 01:00", "2026-10-25 05:00")
    assert rules.reasons(worker, a_request(week_before)) == []


def test_availability_is_read_in_the_workers_own_time_zone():
    # 09:00-13:00 in Long Beach is 12:00-16:00 in New York.
    eastern = a_worker(
        weekly_minutes=weekly(tuesday=("12:00", "16:00")), timezone="America/New_York"
    )
    assert rules.reasons(eastern, a_request()) == []


def test_many_missing_segments_are_summed_up():
    windows = tuple(window(f"2026-12-0{d} 09:00", f"2026-12-0{d} 13:00") for d in range(1, 6))
    found = rules.reasons(a_worker(weekly_minutes=[]), a_request(*windows))
    assert found == [
        Reason(
            rules.UNAVAILABLE,
            "not available Tue 1 Dec 09:00–13:00, Wed 2 Dec 09:00–13:00, "
            "Thu 3 Dec 09:00–13:00 and 2 more",
        )
    ]


# -- other work ------------------------------------------------------------------------------


def test_a_booked_shift_that_overlaps():
    worker = a_worker(commitments=(assignment("2026-12-01 12:00", "2026-12-01 16:00"),))
    assert rules.reasons(worker, a_request()) == [
        Reason(rules.BOOKED, "booked Tue 1 Dec 12:00–16:00 at another site")
    ]
    named = a_worker(
        commitments=(assignment("2026-12-01 08:00", "2026-12-01 10:00", where="Harbor Depot"),)
    )
    assert rules.reasons(named, a_request()) == [
        Reason(rules.BOOKED, "booked Tue 1 Dec 08:00–10:00 at Harbor Depot")
    ]


@pytest.mark.parametrize(
    "commitment",
    [
        assignment("2026-12-01 05:00", "2026-12-01 09:00"),  # ends as it starts
        assignment("2026-12-01 13:00", "2026-12-01 17:00"),  # starts as it ends
        assignment("2026-12-01 09:00", "2026-12-01 13:00", status="cancelled"),
        assignment("2026-12-01 09:00", "2026-12-01 13:00", status="completed"),
        assignment("2026-12-01 09:00", "2026-12-01 13:00", status="no_show"),
        offer("2026-12-01 09:00", "2026-12-01 13:00", status="declined"),
        offer("2026-12-01 09:00", "2026-12-01 13:00", status="expired"),
        offer("2026-12-01 09:00", "2026-12-01 13:00", status="withdrawn"),
        offer("2026-12-01 09:00", "2026-12-01 13:00", status="confirmed"),
    ],
)
def test_what_does_not_hold_the_workers_time(commitment):
    assert rules.reasons(a_worker(commitments=(commitment,)), a_request()) == []


def test_a_pending_offer_that_overlaps():
    worker = a_worker(commitments=(offer("2026-12-01 10:00", "2026-12-01 11:00"),))
    assert rules.reasons(worker, a_request()) == [
        Reason(rules.OFFERED, "offered Tue 1 Dec 10:00–11:00, waiting for an answer")
    ]


def test_the_shifts_own_offer_and_assignment_do_not_count_against_it():
    worker = a_worker(
        commitments=(
            offer("2026-12-01 09:00", "2026-12-01 13:00", shift_id="s-1"),
            assignment("2026-12-01 09:00", "2026-12-01 13:00", shift_id="s-1"),
        ),
        source=Source(cap_minutes=60),
    )
    assert codes(rules.reasons(worker, a_request(shift_id="s-1"))) == [rules.CAP]
    assert codes(rules.reasons(worker, a_request(shift_id="s-2"))) == [
        rules.BOOKED,
        rules.OFFERED,
        rules.CAP,
    ]
    roomy = replace(worker, source=Source(cap_minutes=5 * 60))
    assert rules.reasons(roomy, a_request(shift_id="s-1")) == []


def test_a_booking_overnight_told_with_both_days():
    worker = a_worker(commitments=(assignment("2026-11-30 22:00", "2026-12-01 10:00"),))
    assert rules.reasons(worker, a_request()) == [
        Reason(rules.BOOKED, "booked Mon 30 Nov 22:00–Tue 1 Dec 10:00 at another site")
    ]


# -- the weekly cap of a worker source -------------------------------------------------------

FALL_TERM = ((date(2026, 9, 1), date(2026, 12, 18)),)
STUDENT = Source(cap_minutes=14 * 60, terms=FALL_TERM, name="Long Beach City College")
THREE_HOURS = window("2026-12-03 09:00", "2026-12-03 12:00")  # a Thursday in term


def twelve_hours_booked(week_of: date) -> tuple[Commitment, ...]:
    days = [week_of + timedelta(days=n) for n in range(3)]
    return tuple(assignment(f"{d} 08:00", f"{d} 12:00") for d in days)


def test_a_student_at_the_term_cap_is_left_out_and_told_why():
    worker = a_worker(source=STUDENT, commitments=twelve_hours_booked(date(2026, 11, 30)))
    assert rules.reasons(worker, a_request(THREE_HOURS)) == [
        Reason(rules.CAP, "14 h term cap: 12 h booked this week + 3 h shift")
    ]


def test_the_same_week_outside_term_has_no_cap():
    winter = window("2026-12-31 09:00", "2026-12-31 12:00")
    worker = a_worker(source=STUDENT, commitments=twelve_hours_booked(date(2026, 12, 28)))
    assert rules.reasons(worker, a_request(winter)) == []


def test_up_to_the_cap_exactly_is_allowed():
    two_hours = window("2026-12-03 09:00", "2026-12-03 11:00")
    worker = a_worker(source=STUDENT, commitments=twelve_hours_booked(date(2026, 11, 30)))
    assert rules.reasons(worker, a_request(two_hours)) == []


def test_a_week_with_one_day_of_term_is_a_term_week():
    # The term ends on Monday 14 December; the Friday of that week is capped all the same.
    source = Source(14 * 60, ((date(2026, 9, 1), date(2026, 12, 14)),))
    friday = window("2026-12-18 09:00", "2026-12-18 12:00")
    worker = a_worker(source=source, commitments=twelve_hours_booked(date(2026, 12, 14)))
    assert codes(rules.reasons(worker, a_request(friday))) == [rules.CAP]


def test_a_source_without_terms_caps_every_week():
    worker = a_worker(source=Source(14 * 60), commitments=twelve_hours_booked(date(2026, 12, 28)))
    winter = window("2026-12-31 09:00", "2026-12-31 12:00")
    assert rules.reasons(worker, a_request(winter)) == [
        Reason(rules.CAP, "14 h weekly cap: 12 h booked this week + 3 h shift")
    ]


def test_no_cap_no_limit():
    worker = a_worker(source=Source(None), commitments=twelve_hours_booked(date(2026, 11, 30)))
    assert rules.reasons(worker, a_request(window("2026-12-03 13:00", "2026-12-03 23:00"))) == []


@pytest.mark.parametrize(
    "status, counted", [("completed", True), ("cancelled", False), ("no_show", False)]
)
def test_hours_worked_count_and_cancelled_ones_do_not(status, counted):
    booked = tuple(replace(c, status=status) for c in twelve_hours_booked(date(2026, 11, 30)))
    found = rules.reasons(a_worker(source=STUDENT, commitments=booked), a_request(THREE_HOURS))
    assert codes(found) == ([rules.CAP] if counted else [])


def test_hours_in_other_weeks_do_not_count_and_a_shift_across_weeks_is_clipped():
    previous_week = twelve_hours_booked(date(2026, 11, 23))
    worker = a_worker(source=STUDENT, commitments=previous_week)
    assert rules.reasons(worker, a_request(THREE_HOURS)) == []
    # Sunday 22:00 to Monday 08:00 puts 2 h in one week and 8 h in the next.
    across = assignment("2026-11-29 22:00", "2026-11-30 08:00")
    worker = a_worker(source=Source(10 * 60, FALL_TERM), commitments=(across,))
    assert rules.reasons(worker, a_request(window("2026-12-01 09:00", "2026-12-01 11:00"))) == []
    assert rules.reasons(worker, a_request(window("2026-12-01 09:00", "2026-12-01 11:01"))) == [
        Reason(rules.CAP, "10 h term cap: 8 h booked this week + 2.02 h shift")
    ]


def test_a_repeating_request_counts_all_its_occurrences_in_a_week():
    weekdays = tuple(
        window(f"2026-12-{d:02d} 09:00", f"2026-12-{d:02d} 12:00") for d in range(7, 12)
    )
    worker = a_worker(source=STUDENT)
    assert rules.reasons(worker, a_request(*weekdays)) == [
        Reason(
            rules.CAP, "14 h term cap: 0 h booked in the week of Mon 7 Dec + 15 h of these shifts"
        )
    ]
    assert rules.reasons(worker, a_request(*weekdays[:4])) == []


def test_a_capped_week_across_the_autumn_change_counts_elapsed_hours():
    # 01:00 PDT to 05:00 PST on 1 November 2026 is five hours of work.
    shift = Window(datetime(2026, 11, 1, 8, tzinfo=UTC), datetime(2026, 11, 1, 13, tzinfo=UTC))
    source = Source(14 * 60, ((date(2026, 9, 1), date(2026, 12, 18)),))
    worker = a_worker(source=source, commitments=twelve_hours_booked(date(2026, 10, 26)))
    assert rules.reasons(worker, a_request(shift)) == [
        Reason(rules.CAP, "14 h term cap: 12 h booked this week + 5 h shift")
    ]


def test_weeks_are_monday_to_monday_local_and_know_the_daylight_saving_hour():
    spring = rules.weeks([window("2027-03-10 09:00", "2027-03-10 13:00")], LA)
    assert [w.monday for w in spring] == [date(2027, 3, 8)]
    assert spring[0].ends_at - spring[0].starts_at == timedelta(hours=167)
    assert spring[0].starts_at == datetime(2027, 3, 8, 8, tzinfo=UTC)
    autumn = rules.weeks([window("2026-10-28 09:00", "2026-10-28 13:00")], LA)
    assert autumn[0].ends_at - autumn[0].starts_at == timedelta(hours=169)
    across = rules.weeks([window("2026-12-06 22:00", "2026-12-07 02:00")], LA)
    assert [(w.monday, w.request_seconds) for w in across] == [
        (date(2026, 11, 30), 2 * 3600),
        (date(2026, 12, 7), 2 * 3600),
    ]
    # Ending exactly at Monday 00:00 touches only the week it ends.
    sunday = rules.weeks([window("2026-12-06 20:00", "2026-12-07 00:00")], LA)
    assert [w.monday for w in sunday] == [date(2026, 11, 30)]


# -- ranking ---------------------------------------------------------------------------------


def test_the_parts_of_a_rank():
    worker = a_worker(
        latitude=33.8, commitments=twelve_hours_booked(date(2026, 11, 30)), source=STUDENT
    )
    parts = rules.rank_parts(worker, a_request(), preference=Preference(favourite=True), score=91)
    assert parts.favourite and parts.reliable and parts.reliability == 91.0
    assert parts.distance_km == pytest.approx(3.27, abs=0.01)
    assert parts.booked_minutes_this_week == 12 * 60


def test_a_worker_without_history_has_the_new_worker_score():
    parts = rules.rank_parts(a_worker(), a_request())
    assert parts.reliability == NEW_WORKER_SCORE
    assert parts.reliable is (NEW_WORKER_SCORE >= RELIABLE_SCORE)
    assert rules.rank_parts(a_worker(), a_request(), score=RELIABLE_SCORE).reliable
    assert not rules.rank_parts(a_worker(), a_request(), score=RELIABLE_SCORE - 0.1).reliable


def test_unknown_homes_have_no_distance():
    assert rules.rank_parts(a_worker(latitude=None), a_request()).distance_km is None
    no_site = a_request(site_latitude=None, site_longitude=None)
    assert rules.rank_parts(a_worker(), no_site).distance_km is None


def test_the_ranking_order():
    def parts(favourite=False, score=75.0, km=1.0, booked=0):
        return rules.RankParts(favourite, score, score >= RELIABLE_SCORE, km, booked)

    items = [
        ("h", parts(km=None)),
        ("g", parts(km=1.0, booked=60)),
        ("f", parts(km=1.0)),
        ("e", parts(km=0.5)),
        ("d", parts(score=90.0, km=20.0)),
        ("c", parts(favourite=True, score=10.0, km=50.0)),
        ("a", parts(km=1.0)),  # the same as f: the id decides
    ]
    assert [worker_id for worker_id, _ in rules.ranked(items)] == [
        "c",
        "d",
        "e",
        "a",
        "f",
        "g",
        "h",
    ]


def test_haversine():
    assert rules.haversine_km(0, 0, 0, 1) == pytest.approx(111.19, abs=0.01)
    assert rules.haversine_km(33.7706, -118.182, 33.7706, -118.182) == 0
    # Downtown Long Beach to Los Angeles City Hall, about 32 km.
    assert rules.haversine_km(33.7706, -118.182, 34.0537, -118.2428) == pytest.approx(32, abs=1)


# -- words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds, shown", [(0, "0 h"), (3600, "1 h"), (5400, "1.5 h"), (900, "0.25 h"), (50400, "14 h")]
)
def test_hours(seconds, shown):
    assert rules.hours(seconds) == shown


def test_spans_are_told_in_the_readers_time_zone():
    booked = assignment("2026-12-01 12:00", "2026-12-01 16:00")
    worker = a_worker(
        commitments=(booked,), timezone="America/New_York", weekly_minutes=every_day()
    )
    found = rules.reasons(worker, a_request(), reader_timezone=LA)
    assert found == [Reason(rules.BOOKED, "booked Tue 1 Dec 12:00–16:00 at another site")]


# -- the windows of a request ----------------------------------------------------------------


def test_a_single_window_from_local_times():
    starts, ends = rules.local_span(date(2026, 12, 1), time(9), time(13))
    assert rules.occurrences(starts, ends, None, LA) == (
        Window(datetime(2026, 12, 1, 17, tzinfo=UTC), datetime(2026, 12, 1, 21, tzinfo=UTC)),
    )


def test_an_end_at_or_before_the_start_is_the_next_day():
    assert rules.local_span(date(2026, 12, 1), time(22), time(6)) == (
        datetime(2026, 12, 1, 22),
        datetime(2026, 12, 2, 6),
    )
    starts, ends = rules.local_span(date(2026, 12, 1), time(9), time(9))
    assert ends - starts == timedelta(hours=24)


def test_weekdays_for_four_weeks():
    starts, ends = rules.local_span(date(2026, 12, 7), time(9), time(13))
    found = rules.occurrences(starts, ends, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=20", LA)
    assert len(found) == 20
    assert {w.starts_at.astimezone(ZONE).weekday() for w in found} == {0, 1, 2, 3, 4}
    assert all(w.seconds == 4 * 3600 for w in found)
    assert found[-1].starts_at.astimezone(ZONE).date() == date(2027, 1, 1)


def test_occurrences_keep_their_wall_clock_time_across_daylight_saving():
    starts, ends = rules.local_span(date(2027, 3, 12), time(9), time(13))
    found = rules.occurrences(starts, ends, "RRULE:FREQ=DAILY;COUNT=4", LA)
    assert [w.starts_at.astimezone(ZONE).hour for w in found] == [9, 9, 9, 9]
    assert [w.starts_at.hour for w in found] == [17, 17, 16, 16]  # UTC


def test_a_local_time_the_clocks_skip_is_refused_and_a_doubled_one_is_the_first():
    starts, ends = rules.local_span(date(2027, 3, 14), time(2, 30), time(6))
    with pytest.raises(ValueError, match="does not exist"):
        rules.occurrences(starts, ends, None, LA)
    starts, ends = rules.local_span(date(2026, 11, 1), time(1, 30), time(5))
    (only,) = rules.occurrences(starts, ends, None, LA)
    assert only.starts_at == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)  # 01:30 PDT
    assert only.seconds == int(4.5 * 3600)


@pytest.mark.parametrize(
    "rule, message",
    [
        ("FREQ=DAILY", "COUNT or UNTIL"),
        ("FREQ=DAILY;COUNT=101", "more than 100"),
        ("FREQ=DAILY;UNTIL=20301231T000000", "more than 100"),
        ("FREQ=NEVER;COUNT=2", "usable"),
        ("BYDAY=XX;COUNT=2", "usable"),
        ("DTSTART:20261201T090000\nRRULE:FREQ=DAILY;COUNT=2", "start"),
        ("FREQ=DAILY;COUNT=2;DTSTART=20261201", "start"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=2", "no occurrence"),
    ],
)
def test_unusable_rules(rule, message):
    starts, ends = rules.local_span(date(2026, 12, 1), time(9), time(13))
    with pytest.raises(ValueError, match=message):
        rules.occurrences(starts, ends, rule, LA)


def test_a_window_is_longer_than_nothing_and_at_most_a_day():
    start = datetime(2026, 12, 1, 9)
    with pytest.raises(ValueError, match="after the start"):
        rules.occurrences(start, start, None, LA)
    with pytest.raises(ValueError, match="24 hours"):
        rules.occurrences(start, start + timedelta(hours=24, minutes=1), None, LA)
