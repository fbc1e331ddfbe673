"""Availability (weekly hours plus exceptions) and the job-seeker request schemas."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.identity.jobseeker_imports.schemas import CsvRowSchema
from services.identity.jobseekers.rules import slot_overlaps
from services.identity.jobseekers.schemas import SelfRegistrationSchema, validate_availability


def slot(start: str, end: str) -> dict:
    return {"start": start, "end": end}


def reasons(value) -> dict:
    with pytest.raises(ValidationError) as raised:
        validate_availability(value)
    return raised.value.messages


def test_weekly_hours_are_normalised_in_week_and_time_order():
    loaded = validate_availability(
        {
            "weekly": {
                "sunday": [slot("18:00", "24:00")],
                "monday": [slot("13:00", "17:00"), slot("08:00", "12:00")],
                "tuesday": [],
            }
        }
    )
    assert loaded == {
        "weekly": {
            "monday": [slot("08:00", "12:00"), slot("13:00", "17:00")],
            "sunday": [slot("18:00", "24:00")],
        },
        "exceptions": [],
    }


def test_an_empty_availability_is_allowed():
    assert validate_availability({}) == {"weekly": {}, "exceptions": []}


def test_slots_that_touch_do_not_overlap_but_slots_that_cross_do():
    assert slot_overlaps([slot("08:00", "12:00"), slot("12:00", "16:00")]) == []
    assert slot_overlaps([slot("12:00", "16:00"), slot("08:00", "12:01")]) == [
        "08:00-12:01 overlaps 12:00-16:00."
    ]
    assert slot_overlaps([slot("08:00", "18:00"), slot("09:00", "10:00")]) == [
        "08:00-18:00 overlaps 09:00-10:00."
    ]


def test_overlapping_weekly_slots_are_refused_per_day():
    assert reasons(
        {
            "weekly": {
                "monday": [slot("09:00", "12:00"), slot("11:00", "13:00")],
                "friday": [slot("09:00", "10:00")],
            }
        }
    ) == {"weekly": {"monday": ["09:00-12:00 overlaps 11:00-13:00."]}}


@pytest.mark.parametrize(
    "bad, field",
    [
        (slot("9:00", "12:00"), "start"),
        (slot("24:00", "24:00"), "start"),
        (slot("09:00", "24:01"), "end"),
        (slot("12:00", "09:00"), "end"),
        (slot("09:00", "09:00"), "end"),
        ({"start": "09:00"}, "end"),
    ],
)
def test_a_slot_must_be_two_times_in_order(bad, field):
    messages = reasons({"weekly": {"monday": [bad]}})
    assert field in messages["weekly"]["monday"]["value"][0]


def test_weekdays_are_named_in_full():
    messages = reasons({"weekly": {"mon": [slot("09:00", "10:00")]}})
    assert "key" in messages["weekly"]["mon"]


def test_too_many_slots_in_a_day_are_refused():
    many = [slot(f"{h:02d}:00", f"{h:02d}:30") for h in range(9)]
    assert "monday" in reasons({"weekly": {"monday": many}})["weekly"]


def test_exceptions_mark_days_off_or_extra_hours_in_date_order():
    loaded = validate_availability(
        {
            "exceptions": [
                {"date": "2026-12-31", "kind": "extra", "slots": [slot("18:00", "22:00")]},
                {"date": "2026-12-24", "kind": "unavailable", "note": "Family"},
                {"date": "2026-12-26", "kind": "unavailable", "slots": [slot("08:00", "12:00")]},
            ]
        }
    )
    assert loaded["exceptions"] == [
        {"date": "2026-12-24", "kind": "unavailable", "slots": [], "note": "Family"},
        {"date": "2026-12-26", "kind": "unavailable", "slots": [slot("08:00", "12:00")]},
        {"date": "2026-12-31", "kind": "extra", "slots": [slot("18:00", "22:00")]},
    ]


@pytest.mark.parametrize(
    "exception, field",
    [
        ({"date": "2026-02-30", "kind": "unavailable"}, "date"),
        ({"date": "2026-12-24", "kind": "holiday"}, "kind"),
        ({"date": "2026-12-24", "kind": "extra"}, "slots"),
        (
            {
                "date": "2026-12-24",
                "kind": "extra",
                "slots": [slot("09:00", "12:00"), slot("10:00", "11:00")],
            },
            "slots",
        ),
    ],
)
def test_a_bad_exception_names_its_field(exception, field):
    assert field in reasons({"exceptions": [exception]})["exceptions"][0]


def test_two_exceptions_on_one_date_are_refused():
    messages = reasons(
        {
            "exceptions": [
                {"date": "2026-12-24", "kind": "unavailable"},
                {"date": "2026-12-24", "kind": "extra", "slots": [slot("18:00", "20:00")]},
            ]
        }
    )
    assert messages == {"exceptions": {1: ["2026-12-24 already has an exception (item 1)."]}}


def test_registration_tidies_what_people_type():
    data = SelfRegistrationSchema().load(
        {
            "email": " maria@example.org ",
            "password": "x" * 12,
            "name": "  Maria ",
            "phone": "+1 (562) 555-0100",
            "preferred_language": "Español",
            "home_area": "90813-1234",
            "skills": ["Home  Care", "home care", "Cooking"],
        }
    )
    assert data["name"] == "Maria" and data["preferred_language"] == "es"
    assert data["skills"] == ["home care", "cooking"] and data["languages"] == ["es"]


def test_registration_reasons_per_field():
    with pytest.raises(ValidationError) as raised:
        SelfRegistrationSchema().load(
            {
                "email": "x",
                "password": "short",
                "name": "",
                "phone": "555",
                "preferred_language": "fr",
                "home_area": "ABCDE",
                "skills": ["x" * 61],
            }
        )
    assert set(raised.value.messages) == {
        "email",
        "password",
        "name",
        "phone",
        "preferred_language",
        "home_area",
        "skills",
    }


def test_a_csv_row_needs_only_email_and_name():
    assert CsvRowSchema().load({"email": "a@example.org", "name": "A"}) == {
        "email": "a@example.org",
        "name": "A",
        "phone": None,
        "preferred_language": "en",
        "languages": ["en"],
        "home_area": None,
        "skills": [],
        "source": None,
    }
    row = CsvRowSchema().load(
        {"email": "a@example.org", "name": "A", "languages": "km; en", "skills": "Driving|Cooking"}
    )
    assert row["languages"] == ["km", "en"] and row["skills"] == ["driving", "cooking"]
