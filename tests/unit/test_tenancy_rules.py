"""Tenancy's rules without a database: slugs, origins, time zones, term calendars, caps,
licences (the life cycle of a CBO has its own file, test_tenant_lifecycle.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.tenancy.branding import rules as branding
from services.tenancy.licences import rules as licences
from services.tenancy.sources import rules as sources
from services.tenancy.tenants import rules as tenants


@pytest.mark.parametrize("slug", ["abc", "harbor-works", "lb-2026", "a" * 50])
def test_good_slugs(slug):
    assert tenants.slug_problem(slug) is None


@pytest.mark.parametrize(
    "slug",
    ["ab", "-abc", "abc-", "Harbor", "har bor", "harbor_works", "a" * 51, "api", "login-box"],
)
def test_bad_slugs(slug):
    assert tenants.slug_problem(slug)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://www.example.org", "https://www.example.org"),
        ("https://WWW.Example.ORG/", "https://www.example.org"),
        ("https://example.org:443", "https://example.org"),
        ("https://example.org:8443", "https://example.org:8443"),
        ("  https://xn--bcher-kva.example ", "https://xn--bcher-kva.example"),
    ],
)
def test_origins_are_written_as_browsers_send_them(given, expected):
    assert branding.normalise_origin(given) == expected


@pytest.mark.parametrize(
    "origin",
    [
        "http://www.example.org",
        "www.example.org",
        "https://example.org/login",
        "https://example.org?x=1",
        "https://example.org#top",
        "https://user:pw@example.org",
        "https://localhost",
        "https://10.0.0.1",
        "https://-bad-.example.org",
        "https://example.org:99999",
        "javascript:alert(1)",
    ],
)
def test_bad_origins_are_refused(origin):
    with pytest.raises(ValueError):
        branding.normalise_origin(origin)


def _term(starts: str, ends: str) -> dict:
    return {"starts_on": date.fromisoformat(starts), "ends_on": date.fromisoformat(ends)}


def test_terms_are_sorted_and_may_touch_but_not_overlap():
    ranges = sources.parse_terms(
        [_term("2027-01-20", "2027-05-15"), _term("2026-08-25", "2026-12-15")]
    )
    assert ranges[0][0] == date(2026, 8, 25)
    with pytest.raises(ValueError, match="overlaps"):
        sources.parse_terms([_term("2026-01-01", "2026-03-01"), _term("2026-03-01", "2026-04-01")])
    with pytest.raises(ValueError, match="ends before"):
        sources.parse_terms([_term("2026-05-01", "2026-04-01")])
    assert (
        len(
            sources.parse_terms(
                [_term("2026-01-01", "2026-02-28"), _term("2026-03-01", "2026-04-01")]
            )
        )
        == 2
    )


def test_the_seed_rule_14_hours_in_term_time():
    terms = [{"starts_on": "2026-08-25", "ends_on": "2026-12-15"}]
    assert sources.cap_applies(14, terms, date(2026, 8, 25))
    assert sources.cap_applies(14, terms, date(2026, 12, 15))
    assert not sources.cap_applies(14, terms, date(2026, 12, 16))
    assert not sources.cap_applies(None, terms, date(2026, 10, 1))
    assert sources.cap_applies(14, [], date(2026, 12, 25))  # no calendar: all year


def test_licence_periods_and_states():
    today = date(2026, 6, 1)
    assert licences.licence_state(date(2026, 1, 1), None, False, today) == "active"
    assert licences.licence_state(date(2026, 7, 1), None, False, today) == "scheduled"
    assert licences.licence_state(date(2026, 1, 1), date(2026, 5, 31), False, today) == "ended"
    assert licences.licence_state(date(2026, 1, 1), date(2026, 5, 31), True, today) == "revoked"
    assert licences.licence_state(date(2026, 7, 1), date(2026, 6, 30), True, today) == "revoked"
    assert licences.periods_overlap(date(2026, 1, 1), None, date(2030, 1, 1), None)
    assert not licences.periods_overlap(
        date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1), None
    )


def test_today_is_the_cbos_day_not_utcs():
    late_evening_in_long_beach = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
    assert branding.today_in("America/Los_Angeles", late_evening_in_long_beach) == date(
        2026, 11, 23
    )
    assert branding.today_in("Asia/Phnom_Penh", late_evening_in_long_beach) == date(2026, 11, 24)


def test_time_zones_are_names_not_paths():
    assert branding.is_timezone("America/Los_Angeles")
    assert not branding.is_timezone("../../etc/passwd")
    assert not branding.is_timezone("")
