"""EVV's pure rules, table-driven: distance and geofence, the exceptions of a punch and of a
visit's length, device times, reason codes, the chain's hashes, seals and breaks, pay weeks and
who approves a timesheet line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.evv.exports import rules as exports
from services.evv.ledger import rules as ledger
from services.evv.timesheets import rules as sheets
from services.evv.visits import rules

START = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # Monday 09:00 in Long Beach
END = START + timedelta(hours=4)
SITE = rules.Site(33.7701, -118.1937, 150)


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((33.7701, -118.1937), (33.7701, -118.1937), 0),
        # 0.001 degree of latitude is about 111 m anywhere.
        ((33.7701, -118.1937), (33.7711, -118.1937), 111),
        # Downtown Long Beach to about 2 km north.
        ((33.7701, -118.1937), (33.7881, -118.1937), 2001),
        ((0.0, 0.0), (0.0, 180.0), 20_015_115),
    ],
)
def test_haversine(a, b, metres):
    assert rules.haversine_m(*a, *b) == pytest.approx(metres, rel=0.002, abs=1)


def punch(kind="clock_in", *, at=START, lat=33.7701, lon=-118.1937, mocked=False, server=None):
    return rules.Punch(kind, at, server or at, lat, lon, mocked)


@pytest.mark.parametrize(
    ("made", "codes"),
    [
        (punch(), []),
        (punch(lat=33.7881), ["outside_geofence"]),
        (punch(lat=33.7709), []),  # about 90 m: inside 150 m
        (punch(lat=None, lon=None), ["no_position"]),
        (punch(mocked=True), ["mocked_location"]),
        (punch(at=START - timedelta(minutes=16)), ["early_clock_in"]),
        (punch(at=START - timedelta(minutes=15)), []),
        (punch(at=START + timedelta(minutes=20)), ["late_clock_in"]),
        (punch("clock_out", at=END + timedelta(minutes=30)), ["late_clock_out"]),
        (punch("clock_out", at=END - timedelta(minutes=30)), ["early_clock_out"]),
        # The device's clock 10 minutes ahead of the server's.
        (punch(server=START - timedelta(minutes=10)), ["device_time_skew"]),
        # Offline: made on time, reached the server an hour later: judged by the device time.
        (punch(server=START + timedelta(hours=1)), []),
    ],
)
def test_judge_punch(made, codes):
    found = rules.judge_punch(
        made, site=SITE, starts_at=START, ends_at=END, settings=rules.DEFAULTS
    )
    assert sorted(f.code for f in found) == sorted(codes)


def test_no_site_known_means_no_geofence_judgement():
    found = rules.judge_punch(
        punch(lat=40.0), site=None, starts_at=START, ends_at=END, settings=rules.DEFAULTS
    )
    assert found == []


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        ("outside_geofence", rules.ACKNOWLEDGE),
        ("missing_clock_out", rules.MUST_FIX),
        ("mocked_location", rules.MUST_FIX),
        ("no_position", rules.ACKNOWLEDGE),
    ],
)
def test_severity(code, severity):
    assert rules.Found(code, "").severity == severity


@pytest.mark.parametrize(
    ("worked_minutes", "codes"),
    [(240, []), (119, ["too_short"]), (120, []), (300, []), (301, ["too_long"])],
)
def test_judge_length(worked_minutes, codes):
    found = rules.judge_length(
        clock_in_at=START,
        clock_out_at=START + timedelta(minutes=worked_minutes),
        starts_at=START,
        ends_at=END,
        settings=rules.DEFAULTS,
    )
    assert [f.code for f in found] == codes


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("device_time", "refused"),
    [
        (NOW, False),
        (NOW + timedelta(hours=23), False),
        (NOW + timedelta(days=2), True),
        (NOW - timedelta(days=2), False),
        (NOW - timedelta(days=4), True),
    ],
)
def test_device_time_problem(device_time, refused):
    assert (rules.device_time_problem(device_time, NOW) is not None) == refused


@pytest.mark.parametrize(
    ("code", "comment", "refused"),
    [("100", None, False), ("600", None, True), ("600", "  ", True), ("210I", "storm", False)],
)
def test_comment_required_only_with_210i_and_600(code, comment, refused):
    assert (rules.comment_problem(code, comment) is not None) == refused


@pytest.mark.parametrize(("offset", "due"), [(59, False), (60, True), (120, True)])
def test_no_show_and_missing_clock_out_windows(offset, due):
    now = START + timedelta(minutes=offset)
    assert rules.no_show_due(starts_at=START, now=now, settings=rules.DEFAULTS) == due
    later = END + timedelta(minutes=offset)
    assert rules.clock_out_missing(ends_at=END, now=later, settings=rules.DEFAULTS) == due


def test_settings_bounds():
    assert rules.out_of_bounds({"geofence_default_m": 10}) == {
        "geofence_default_m": ["Between 25 and 5000."]
    }
    assert rules.out_of_bounds(dict(rules.DEFAULTS)) == {}


# -- the chain -----------------------------------------------------------------------------------


def test_record_hash_chains_and_depends_on_everything():
    first = ledger.record_hash(ledger.GENESIS, 1, '["a"]')
    assert len(first) == 64
    assert ledger.record_hash(first, 2, '["b"]') != ledger.record_hash(first, 2, '["c"]')
    assert ledger.record_hash(first, 2, '["b"]') != ledger.record_hash(first, 3, '["b"]')
    assert ledger.record_hash(first, 2, '["b"]') != ledger.record_hash(ledger.GENESIS, 2, '["b"]')


def test_seal_signature_checks_with_the_public_key_only():
    key = ledger.signing_key("x" * 48)
    message = ledger.seal_message("cbo", 1, 10, "ab" * 32)
    signature = ledger.sign_seal(key, message)
    assert ledger.seal_holds(key.public_key(), message, signature)
    assert not ledger.seal_holds(key.public_key(), message + b"!", signature)
    assert not ledger.seal_holds(ledger.signing_key("y" * 48).public_key(), message, signature)
    assert not ledger.seal_holds(key.public_key(), message, "not hex")
    # The same secret gives the same key on every instance.
    assert ledger.key_id(ledger.signing_key("x" * 48)) == ledger.key_id(key)


def test_a_short_secret_is_refused():
    with pytest.raises(RuntimeError):
        ledger.signing_key("short")


@pytest.mark.parametrize(
    ("link", "problem", "seq", "named"),
    [
        (ledger.Link(5, "r5", intact=False, linked=True, step=1), "changed", 5, "r5"),
        (ledger.Link(5, "r5", intact=True, linked=False, step=1), "inserted", 5, "r5"),
        (ledger.Link(5, "r5", intact=True, linked=True, step=0), "inserted", 5, "r5"),
        (ledger.Link(7, "r7", intact=True, linked=False, step=2), "removed", 6, None),
        (ledger.Link(9, "r9", intact=True, linked=False, step=4), "removed", 6, None),
    ],
)
def test_first_break(link, problem, seq, named):
    found = ledger.first_break(link)
    assert (found.problem, found.seq, found.record_id) == (problem, seq, named)
    assert f"#{seq}" in found.message


# -- timesheets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "monday"),
    [
        (START, date(2026, 12, 7)),
        # Sunday 23:30 in Long Beach is Monday 07:30 UTC: still the week before.
        (datetime(2026, 12, 14, 7, 30, tzinfo=UTC), date(2026, 12, 7)),
        (datetime(2026, 12, 14, 8, 0, tzinfo=UTC), date(2026, 12, 14)),
    ],
)
def test_pay_week_in_the_cbo_time_zone(starts_at, monday):
    assert sheets.pay_week(starts_at, "America/Los_Angeles") == monday


@pytest.mark.parametrize(
    ("licensed", "chose", "verified", "open_exceptions", "auto"),
    [
        (True, True, True, 0, True),
        (False, True, True, 0, False),
        (True, False, True, 0, False),
        (True, True, False, 0, False),
        (True, True, True, 1, False),
    ],
)
def test_approved_by_evv(licensed, chose, verified, open_exceptions, auto):
    assert (
        sheets.approved_by_evv(
            licensed=licensed,
            client_chose_evv=chose,
            verified=verified,
            open_exceptions=open_exceptions,
        )
        == auto
    )


@pytest.mark.parametrize(
    ("worker", "client", "status"),
    [
        ("pending", "pending", "pending"),
        ("approved", "pending", "pending"),
        ("approved", "approved", "approved"),
        ("disputed", "approved", "disputed"),
        ("approved", "disputed", "disputed"),
    ],
)
def test_line_status(worker, client, status):
    assert sheets.line_status(worker, client) == status


# -- exports -------------------------------------------------------------------------------------

VISIT = {
    "id": "v1",
    "tenant_id": "cbo",
    "sequence": 1,
    "worker_id": "w1",
    "client_id": "c1",
    "service_type": "home-care",
    "starts_at": START,
    "ends_at": END,
    "clock_in_at": START,
    "clock_out_at": END,
    "latitude": 33.77,
    "longitude": -118.19,
    "approved": True,
    "worked_minutes": 240,
}
RECORDS = [
    {
        "id": "p1",
        "record_type": "punch",
        "kind": "clock_in",
        "method": "mobile_gps",
        "device_time": START,
        "server_time": START,
        "latitude": None,
        "longitude": None,
        "seq": 1,
        "entered_by": None,
        "reason_code": None,
        "action_code": None,
        "comment": None,
    },
    {
        "id": "c1",
        "record_type": "correction",
        "kind": "clock_out",
        "method": "manual",
        "device_time": END,
        "server_time": END,
        "latitude": None,
        "longitude": None,
        "seq": 2,
        "entered_by": "s1",
        "reason_code": "105",
        "action_code": "12",
        "comment": "=forgot",
    },
]


def test_sandata_visit_fills_a_call_without_position_with_the_site():
    visit = exports.sandata_visit(VISIT, RECORDS, "America/Los_Angeles")
    (call,) = visit["Calls"]
    assert call["CallAssignment"] == "Time In" and call["CallType"] == "Mobile"
    assert (call["CallLatitude"], call["CallLongitude"]) == (33.77, -118.19)
    assert call["CallDateTime"] == "2026-12-07T17:00:00Z"
    assert visit["HoursToBill"] == 4.0
    (change,) = visit["VisitChanges"]
    assert (change["ReasonCode"], change["ResolutionCode"]) == ("105", "12")
    rows = exports.sandata_call_rows(visit)
    assert len(rows) == 1 and len(rows[0]) == len(exports.SANDATA_CALL_COLUMNS)


def test_hha_visit():
    visit = exports.hha_visit(VISIT, RECORDS)
    assert visit["CaregiverSSN"] == "999999999"
    assert visit["EVVStartTime"] == "2026-12-07T17:00:00Z" and visit["EVVEndTime"] is None
    assert visit["EditReasons"] == "105/12"
    assert list(visit) == list(exports.HHA_COLUMNS)
