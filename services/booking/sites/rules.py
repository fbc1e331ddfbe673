"""Pure rules of sites: addresses, coordinates from a ZIP's centroid, geofences, time zones.

A site's coordinates are the ones staff (or the client) give; without them, the centroid of its
ZIP code from the `zipcodes` package, a table of US ZIP codes kept up to date by its authors.
EVV checks punches against the geofence radius; shifts at the site are shown in its time zone.
"""

from __future__ import annotations

import math
import zoneinfo
from functools import lru_cache

import zipcodes

from chassis.schemas import Pattern

# Two-letter codes of the states, DC and the territories.
_US_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI"
)
US_STATES: tuple[str, ...] = tuple(_US_STATE_CODES.split())
ZIP_CODE = Pattern(r"^\d{5}$", error="Give a 5-digit ZIP code.")

# Metres: EVV's mobile apps commonly use 50-100 m; Sandata's default exception is a mile.
DEFAULT_GEOFENCE_M = 150
MIN_GEOFENCE_M = 25
MAX_GEOFENCE_M = 5000

# When booking does not know the CBO's own time zone yet (the reference deployment's).
FALLBACK_TIMEZONE = "America/Los_Angeles"


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    """True for an IANA zone name the system knows ("America/Los_Angeles"); never a path, an
    abbreviation the table lacks or an empty name."""
    return name in _timezones()


def zip_centroid(zip_code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a 5-digit ZIP code's centroid; None for a code the table does
    not know (or that is not five digits)."""
    if len(zip_code) != 5 or not zip_code.isascii() or not zip_code.isdigit():
        return None
    found = zipcodes.matching(zip_code)
    if not found:
        return None
    return float(found[0]["lat"]), float(found[0]["long"])


def is_latitude(value: float) -> bool:
    return math.isfinite(value) and -90 <= value <= 90


def is_longitude(value: float) -> bool:
    return math.isfinite(value) and -180 <= value <= 180


def coordinates(
    *, zip_code: str, latitude: float | None, longitude: float | None
) -> tuple[float, float]:
    """The site's coordinates: the ones given (both or neither), else its ZIP's centroid.

    Raises ValueError with {field: [message]} as its argument when they cannot be had."""
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        raise ValueError({missing: ["Give latitude and longitude together, or neither."]})
    if latitude is not None and longitude is not None:
        problems: dict[str, list[str]] = {}
        if not is_latitude(latitude):
            problems["latitude"] = ["A latitude is from -90 to 90."]
        if not is_longitude(longitude):
            problems["longitude"] = ["A longitude is from -180 to 180."]
        if problems:
            raise ValueError(problems)
        return latitude, longitude
    centroid = zip_centroid(zip_code)
    if centroid is None:
        raise ValueError(
            {"zip": ["This ZIP code is not known; give the site's latitude and longitude."]}
        )
    return centroid
