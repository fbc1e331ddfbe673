"""Tenancy's rules without a database, table by table: slugs, colours and words, web origins,
time zones and a CBO's today, term calendars and caps, licence periods and states. (The life
cycle of a CBO has its own file, test_tenant_lifecycle.py.)"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from services.tenancy.branding import rules as branding
from services.tenancy.licences import rules as licences
from services.tenancy.sources import rules as sources
from services.tenancy.tenants import rules as tenants


def d(text: str) -> date:
    return date.fromisoformat(text)


# -- Slugs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug",
    ["abc", "harbor-works", "lb-2026", "123", "a-b", "ex--ample", "a" * 50, "a" + "-" * 48 + "z"],
)
def test_good_slugs(slug):
    assert tenants.slug_problem(slug) is None


@pytest.mark.parametrize(
    "slug",
    [
        "",
        "a",
        "ab",  # too short
        "a" * 51,  # too long
        "-abc",
        "abc-",
        "Harbor",
        "har bor",
        "harbor_works",
        "harbor.works",
        "bücher",
        "harbor\n",  # regression: $ matched before a final newline
        "harbor-works\n",
        "harbor\0",
    ],
)
def test_bad_slugs_say_what_a_slug_is(slug):
    problem = tenants.slug_problem(slug)
    assert problem and "3 to 50 characters" in problem


@pytest.mark.parametrize("slug", sorted(tenants.RESERVED_SLUGS))
def test_reserved_slugs_are_refused_though_well_formed(slug):
    assert tenants.SLUG.match(slug)
    assert tenants.slug_problem(slug) == "That name is reserved; choose another."


# -- Colours, words, languages -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("colour", "good"),
    [
        ("#1F4E79", True),
        ("#abcdef", True),
        ("#000000", True),
        ("#FFF", False),
        ("1F4E79", False),
        ("#1F4E7G", False),
        ("#1F4E799", False),
        ("blue", False),
        ("#1F4E79\n", False),  # regression: $ matched before a final newline
        ("", False),
    ],
)
def test_colours_are_six_hex_digits(colour, good):
    assert bool(branding.HEX_COLOUR.match(colour)) is good


def test_the_default_palette_has_every_colour_well_formed():
    assert set(branding.DEFAULT_COLOURS) == {"primary", "secondary", "accent", "background", "text"}
    assert all(branding.HEX_COLOUR.match(c) for c in branding.DEFAULT_COLOURS.values())


@pytest.mark.parametrize(
    ("key", "good"),
    [
        ("jobseeker", True),
        ("job_seeker", True),
        ("booking.confirmed", True),
        ("a", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("Jobseeker", False),
        ("1st", False),
        ("_private", False),
        ("job-seeker", False),
        ("job seeker", False),
        ("jobseeker\n", False),  # regression: $ matched before a final newline
        ("", False),
    ],
)
def test_word_keys(key, good):
    assert bool(branding.TERM_KEY.match(key)) is good


def test_the_default_time_zone_and_languages():
    assert branding.is_timezone(branding.DEFAULT_TIMEZONE)
    assert branding.SUPPORTED_LANGUAGES == ("en", "es", "km")


# -- Web origins (the login box) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://www.example.org", "https://www.example.org"),
        ("https://WWW.Example.ORG/", "https://www.example.org"),
        ("HTTPS://example.org", "https://example.org"),
        ("https://example.org:443", "https://example.org"),
        ("https://example.org:443/", "https://example.org"),
        ("https://example.org:8443", "https://example.org:8443"),
        ("https://example.org:80", "https://example.org:80"),
        ("https://example.org:1", "https://example.org:1"),
        ("https://example.org:65535", "https://example.org:65535"),
        ("  https://xn--bcher-kva.example ", "https://xn--bcher-kva.example"),
        ("https://a.b.c.d.example.org", "https://a.b.c.d.example.org"),
        ("https://123.example", "https://123.example"),
        ("https://ex--ample.org", "https://ex--ample.org"),
        (f"https://{'a' * 63}.org", f"https://{'a' * 63}.org"),
    ],
)
def test_origins_are_written_as_browsers_send_them(given, expected):
    assert branding.normalise_origin(given) == expected
    assert branding.normalise_origin(expected) == expected  # and stay so


@pytest.mark.parametrize(
    ("origin", "says"),
    [
        ("http://www.example.org", "must start with https://"),
        ("www.example.org", "must start with https://"),
        ("//example.org", "must start with https://"),
        ("ftp://example.org", "must start with https://"),
        ("javascript:alert(1)", "must start with https://"),
        ("", "must start with https://"),
        ("https://example.org/login", "no path, query or #"),
        ("https://example.org?x=1", "no path, query or #"),
        ("https://example.org#top", "no path, query or #"),
        ("https://user:pw@example.org", "user name or password"),
        ("https://user@example.org", "user name or password"),
        ("https://example.org:99999", "is not a web address"),
        ("https://example.org:0", "a port is a number from 1 to 65535"),
        ("https://example.org:00", "a port is a number from 1 to 65535"),
        ("https://example.org:-1", "is not a web address"),
        ("https://example.org:abc", "is not a web address"),
        ("https://", "does not name a web site"),
        ("https://localhost", "does not name a web site"),
        ("https://-bad-.example.org", "does not name a web site"),
        ("https://example-.org", "does not name a web site"),
        ("https://.org", "does not name a web site"),
        ("https://a..b.org", "does not name a web site"),
        ("https://example.org.", "does not name a web site"),
        ("https://ex_ample.org", "does not name a web site"),
        ("https://bücher.example", "does not name a web site"),
        (f"https://{'a' * 64}.org", "does not name a web site"),
        ("https://[::1]", "does not name a web site"),
        ("https://10.0.0.1", "not an IP address"),
        ("https://example.123", "not an IP address"),
    ],
)
def test_bad_origins_are_refused_saying_why(origin, says):
    with pytest.raises(ValueError, match=says.replace("?", r"\?")):
        branding.normalise_origin(origin)


# -- Time zones and a CBO's today --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("America/Los_Angeles", True),
        ("America/New_York", True),
        ("Asia/Phnom_Penh", True),
        ("Etc/GMT+8", True),
        ("UTC", True),
        ("america/los_angeles", False),  # names are exact
        ("America/Los Angeles", False),
        ("Mars/Olympus", False),
        ("PST8PDT ", False),
        ("../../etc/passwd", False),
        ("/etc/localtime", False),
        ("America/../Europe/Paris", False),
        ("", False),
    ],
)
def test_time_zones_are_iana_names_not_paths(name, known):
    assert branding.is_timezone(name) is known


@pytest.mark.parametrize(
    ("moment", "zone", "today"),
    [
        # 06:30 UTC is still the evening before in Long Beach, already the day in Phnom Penh.
        ("2026-11-24T06:30", "America/Los_Angeles", "2026-11-23"),
        ("2026-11-24T06:30", "Asia/Phnom_Penh", "2026-11-24"),
        ("2026-11-24T06:30", "UTC", "2026-11-24"),
        ("2026-11-24T07:59", "America/Los_Angeles", "2026-11-23"),  # PST is UTC-8
        ("2026-11-24T08:00", "America/Los_Angeles", "2026-11-24"),
        ("2026-07-04T06:59", "America/Los_Angeles", "2026-07-03"),  # PDT is UTC-7
        ("2026-07-04T07:00", "America/Los_Angeles", "2026-07-04"),
        ("2026-12-31T16:59", "Asia/Phnom_Penh", "2026-12-31"),  # UTC+7
        ("2026-12-31T17:00", "Asia/Phnom_Penh", "2027-01-01"),
        ("2026-12-31T10:00", "Pacific/Kiritimati", "2027-01-01"),  # UTC+14
        ("2027-01-01T10:00", "Pacific/Pago_Pago", "2026-12-31"),  # UTC-11
        ("2028-02-29T12:00", "America/Los_Angeles", "2028-02-29"),
    ],
)
def test_today_is_the_cbos_day_not_utcs(moment, zone, today):
    now = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    assert branding.today_in(zone, now) == d(today)


def test_today_without_a_moment_is_today_now():
    before = datetime.now(UTC)
    today = branding.today_in("Asia/Phnom_Penh")
    after = datetime.now(UTC)
    assert today in {branding.today_in("Asia/Phnom_Penh", moment) for moment in (before, after)}


# -- Term calendars and caps -------------------------------------------------------------------


def term(starts: str, ends: str) -> dict[str, date]:
    return {"starts_on": d(starts), "ends_on": d(ends)}


FALL = ("2026-08-25", "2026-12-15")
SPRING = ("2027-01-20", "2027-05-15")


@pytest.mark.parametrize(
    ("terms", "ranges"),
    [
        ([], []),
        ([FALL], [FALL]),
        ([SPRING, FALL], [FALL, SPRING]),  # sorted
        ([("2026-03-01", "2026-03-01")], [("2026-03-01", "2026-03-01")]),  # one day
        # touching (one ends the day before the next starts) is fine
        (
            [("2026-03-01", "2026-04-01"), ("2026-01-01", "2026-02-28")],
            [("2026-01-01", "2026-02-28"), ("2026-03-01", "2026-04-01")],
        ),
        (
            [
                ("2027-01-01", "2027-01-02"),
                ("2026-12-30", "2026-12-31"),
                ("2027-01-03", "2027-01-03"),
            ],
            [
                ("2026-12-30", "2026-12-31"),
                ("2027-01-01", "2027-01-02"),
                ("2027-01-03", "2027-01-03"),
            ],
        ),
    ],
)
def test_terms_are_sorted_and_may_touch(terms, ranges):
    parsed = sources.parse_terms([term(*t) for t in terms])
    assert parsed == [(d(s), d(e)) for s, e in ranges]


@pytest.mark.parametrize(
    ("terms", "says"),
    [
        ([("2026-05-01", "2026-04-01")], "The term starting 2026-05-01 ends before it starts."),
        (
            [FALL, ("2026-12-16", "2026-12-15")],
            "The term starting 2026-12-16 ends before it starts.",
        ),
        (
            [("2026-01-01", "2026-03-01"), ("2026-03-01", "2026-04-01")],  # one shared day
            "The term starting 2026-03-01 overlaps the one before it.",
        ),
        (
            [("2026-01-01", "2026-03-01"), ("2026-02-01", "2026-04-01")],
            "The term starting 2026-02-01 overlaps the one before it.",
        ),
        (
            [("2026-01-01", "2026-12-31"), ("2026-06-01", "2026-06-30")],  # inside another
            "The term starting 2026-06-01 overlaps the one before it.",
        ),
        ([FALL, FALL], "The term starting 2026-08-25 overlaps the one before it."),
        (
            [FALL, SPRING, ("2026-12-01", "2027-01-10")],  # the middle one of three
            "The term starting 2026-12-01 overlaps the one before it.",
        ),
    ],
)
def test_terms_that_end_before_they_start_or_overlap_are_refused(terms, says):
    with pytest.raises(ValueError) as refused:
        sources.parse_terms([term(*t) for t in terms])
    assert str(refused.value) == says


STORED = [{"starts_on": s, "ends_on": e} for s, e in (FALL, SPRING)]


@pytest.mark.parametrize(
    ("day", "found"),
    [
        ("2026-08-24", None),
        ("2026-08-25", STORED[0]),
        ("2026-10-01", STORED[0]),
        ("2026-12-15", STORED[0]),
        ("2026-12-16", None),
        ("2027-01-19", None),
        ("2027-01-20", STORED[1]),
        ("2027-05-15", STORED[1]),
        ("2027-05-16", None),
    ],
)
def test_the_term_a_day_falls_in(day, found):
    assert sources.term_containing(STORED, d(day)) == found
    assert sources.term_containing([], d(day)) is None


@pytest.mark.parametrize(
    ("cap", "terms", "day", "applies"),
    [
        (14, STORED, "2026-08-25", True),
        (14, STORED, "2026-12-15", True),
        (14, STORED, "2026-12-16", False),
        (14, STORED, "2027-03-01", True),
        (14, STORED, "2027-07-04", False),
        (14, [], "2026-12-25", True),  # no calendar: all year
        (0.5, [], "2026-12-25", True),
        (None, STORED, "2026-10-01", False),  # no cap: nothing applies
        (None, [], "2026-10-01", False),
    ],
)
def test_the_seed_rule_a_cap_applies_in_term_time(cap, terms, day, applies):
    assert sources.cap_applies(cap, terms, d(day)) is applies


# -- Licence periods ---------------------------------------------------------------------------

JAN_1, JUN_30, DEC_31 = d("2026-01-01"), d("2026-06-30"), d("2026-12-31")


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "day", "covers"),
    [
        (JAN_1, DEC_31, d("2025-12-31"), False),
        (JAN_1, DEC_31, JAN_1, True),
        (JAN_1, DEC_31, JUN_30, True),
        (JAN_1, DEC_31, DEC_31, True),
        (JAN_1, DEC_31, d("2027-01-01"), False),
        (JAN_1, None, d("2025-12-31"), False),
        (JAN_1, None, date.max, True),
        (JAN_1, JAN_1, JAN_1, True),  # one day
        (JAN_1, d("2025-12-31"), JAN_1, False),  # voided: ends before it starts
    ],
)
def test_what_a_licence_covers(starts_on, ends_on, day, covers):
    assert licences.licence_covers(starts_on, ends_on, day) is covers


PERIODS = [
    (d("2025-01-01"), d("2025-12-31")),
    (JAN_1, JUN_30),
    (d("2026-07-01"), DEC_31),
    (JUN_30, d("2026-07-01")),
    (JAN_1, None),
    (d("2027-01-01"), None),
    (d("2020-01-01"), None),
]


def days_of(start: date, end: date | None) -> set[date]:
    """The days of a period, up to the end of 2028 for one that never ends."""
    last = end or d("2028-12-31")
    return {start + timedelta(days=n) for n in range((last - start).days + 1)}


@pytest.mark.parametrize(("a", "b"), list(itertools.product(PERIODS, PERIODS)))
def test_two_periods_overlap_when_they_share_a_day(a, b):
    shared = days_of(*a) & days_of(*b)
    assert licences.periods_overlap(*a, *b) is bool(shared)
    assert licences.periods_overlap(*a, *b) is licences.periods_overlap(*b, *a)


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "revoked", "today", "state"),
    [
        (JAN_1, None, False, JUN_30, "active"),
        (JAN_1, DEC_31, False, DEC_31, "active"),
        (JAN_1, DEC_31, True, JUN_30, "active"),  # ended early, but not yet
        (d("2026-07-01"), None, False, JUN_30, "scheduled"),
        (d("2026-07-01"), DEC_31, True, JUN_30, "scheduled"),
        (JAN_1, d("2026-05-31"), False, JUN_30, "ended"),
        (JAN_1, d("2026-05-31"), True, JUN_30, "revoked"),
        # voided before it started: it never applies
        (d("2026-07-01"), JUN_30, True, JUN_30, "revoked"),
        (d("2026-07-01"), JUN_30, True, d("2026-08-01"), "revoked"),
    ],
)
def test_a_licences_state_on_a_day(starts_on, ends_on, revoked, today, state):
    assert licences.licence_state(starts_on, ends_on, revoked, today) == state


@pytest.mark.parametrize(
    ("day", "before"),
    [
        ("2026-06-30", "2026-06-29"),
        ("2026-07-01", "2026-06-30"),
        ("2027-01-01", "2026-12-31"),
        ("2028-03-01", "2028-02-29"),  # a leap year
        ("2027-03-01", "2027-02-28"),
    ],
)
def test_the_day_before(day, before):
    assert licences.day_before(d(day)) == d(before)
