"""Sites' pure rules: coordinates given or from the ZIP code's centroid, time zones; and the
schemas that take a site from a request."""

from __future__ import annotations

import math

import pytest
from marshmallow import ValidationError

from services.booking.sites import rules
from services.booking.sites.schemas import SiteInputSchema, SiteUpdateSchema

DOWNTOWN_LB = (33.7706, -118.182)  # ZIP 90802's centroid in the zipcodes package


@pytest.mark.parametrize(
    ("zip_code", "centroid"),
    [
        ("90802", DOWNTOWN_LB),
        ("90813", (33.782, -118.1835)),
        ("00000", None),  # not a ZIP code
        ("99999", None),
        ("9080", None),
        ("908021", None),
        ("9080a", None),
        ("٩٠٨٠٢", None),  # Arabic-Indic digits are digits to str.isdigit, not to a ZIP code
        ("", None),
    ],
)
def test_a_zip_codes_centroid(zip_code, centroid):
    found = rules.zip_centroid(zip_code)
    if centroid is None:
        assert found is None
    else:
        assert found == pytest.approx(centroid, abs=1e-3)


def test_given_coordinates_are_kept_whatever_the_zip():
    assert rules.coordinates(zip_code="99999", latitude=33.8, longitude=-118.1) == (33.8, -118.1)
    assert rules.coordinates(zip_code="90802", latitude=0.0, longitude=0.0) == (0.0, 0.0)


def test_without_coordinates_a_site_is_at_its_zip_codes_centroid():
    found = rules.coordinates(zip_code="90802", latitude=None, longitude=None)
    assert found == pytest.approx(DOWNTOWN_LB)


@pytest.mark.parametrize(
    ("zip_code", "latitude", "longitude", "fields"),
    [
        ("99999", None, None, {"zip"}),
        ("90802", 33.8, None, {"longitude"}),
        ("90802", None, -118.1, {"latitude"}),
        ("90802", 91.0, -118.1, {"latitude"}),
        ("90802", -90.5, -118.1, {"latitude"}),
        ("90802", 33.8, 180.5, {"longitude"}),
        ("90802", 91.0, -181.0, {"latitude", "longitude"}),
        ("90802", math.nan, -118.1, {"latitude"}),
        ("90802", 33.8, math.inf, {"longitude"}),
    ],
)
def test_coordinates_that_cannot_be_had_name_the_field(zip_code, latitude, longitude, fields):
    with pytest.raises(ValueError) as raised:
        rules.coordinates(zip_code=zip_code, latitude=latitude, longitude=longitude)
    assert set(raised.value.args[0]) == fields


@pytest.mark.parametrize(
    ("value", "known"),
    [
        ("America/Los_Angeles", True),
        ("Asia/Phnom_Penh", True),
        ("UTC", True),
        ("america/los_angeles", False),
        ("Pacific Time", False),
        ("PST", False),
        ("../../etc/passwd", False),
        ("/etc/localtime", False),
        ("", False),
    ],
)
def test_a_time_zone_is_an_iana_name(value, known):
    assert rules.is_timezone(value) is known


# -- schemas -----------------------------------------------------------------------------------


def site(**overrides):
    return {
        "client_id": "client-a",
        "name": "Harbor Cafe",
        "address_line1": "1 Pine Ave",
        "city": "Long Beach",
        "state": "CA",
        "zip": "90802",
        **overrides,
    }


def refused(schema, data) -> dict:
    with pytest.raises(ValidationError) as raised:
        schema.load(data)
    return raised.value.messages_dict


def test_a_site_takes_defaults_and_tidies_its_address():
    loaded = SiteInputSchema().load(site(name=" Harbor Cafe ", state="ca", address_line2="  "))
    assert loaded == {
        "client_id": "client-a",
        "name": "Harbor Cafe",
        "address_line1": "1 Pine Ave",
        "address_line2": None,
        "city": "Long Beach",
        "state": "CA",
        "zip": "90802",
        "latitude": None,
        "longitude": None,
        "geofence_radius_m": 150,
        "timezone": None,
        "active": True,
    }


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": " "}, {"name"}),
        ({"state": "California"}, {"state"}),
        ({"state": "ZZ"}, {"state"}),
        ({"zip": "9080"}, {"zip"}),
        ({"zip": "90802-1234"}, {"zip"}),
        ({"zip": "90802\n"}, {"zip"}),
        ({"zip": 90802}, {"zip"}),
        ({"latitude": 91}, {"latitude"}),
        ({"longitude": -180.01}, {"longitude"}),
        ({"latitude": "north"}, {"latitude"}),
        ({"latitude": float("nan")}, {"latitude"}),
        ({"geofence_radius_m": 24}, {"geofence_radius_m"}),
        ({"geofence_radius_m": 5001}, {"geofence_radius_m"}),
        ({"geofence_radius_m": 10**40}, {"geofence_radius_m"}),
        ({"geofence_radius_m": 150.5}, {"geofence_radius_m"}),
        ({"timezone": "Mars/Olympus"}, {"timezone"}),
        ({"timezone": "../../../etc/passwd"}, {"timezone"}),
        ({"timezone": "x" * 500}, {"timezone"}),
        ({"client_id": "x" * 37}, {"client_id"}),
        ({"city": "x" * 101}, {"city"}),
    ],
)
def test_a_bad_site_is_refused_field_by_field(changes, fields):
    assert set(refused(SiteInputSchema(), site(**changes))) == fields


def test_a_new_site_needs_its_address():
    assert set(refused(SiteInputSchema(), {})) == {
        "name",
        "address_line1",
        "city",
        "state",
        "zip",
    }


def test_a_change_takes_any_subset_but_never_the_client():
    assert SiteUpdateSchema().load({"geofence_radius_m": 300}) == {"geofence_radius_m": 300}
    assert SiteUpdateSchema().load({"timezone": None}) == {"timezone": None}
    assert set(refused(SiteUpdateSchema(), {"client_id": "client-b"})) == {"client_id"}
