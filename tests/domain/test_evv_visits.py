"""EVV's domain on its real database: the read model fed by booking's and tenancy's event
payloads, punches (idempotent, judged, refused), exceptions and corrections, verification and
timesheets, the sweep, the sealed chain and its verification against direct tampering, and the
exports."""

from __future__ import annotations

import base64
import csv
import functools
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from chassis.context import Caller
from chassis.errors import Conflict, NotFound, ValidationFailed
from services.evv.exports import domain as exports
from services.evv.ledger import domain as ledger
from services.evv.ledger import rules as ledger_rules
from services.evv.records import domain as records
from services.evv.timesheets import domain as timesheets
from services.evv.visits import domain as visits
from tests.domain.outbox import Outbox

SERVICE = "evv"
KEY = ledger_rules.signing_key("a test key that is long enough to use, really")
SITE = (33.7701, -118.1937)


def ids() -> str:
    return str(uuid.uuid4())


class Market:
    """A CBO with a client, a site, a job type and a worker's confirmed shift, as EVV learns
    them from booking's and tenancy's events."""

    def __init__(self, uow, *, licensed=False, chose_evv=False, starts_at=None):
        self.uow = uow
        self.tenant_id, self.client_id, self.worker_id = ids(), ids(), ids()
        self.site_id, self.job_type_id = ids(), ids()
        now = datetime.now(UTC)
        records.learn_timezone(
            uow, tenant_id=self.tenant_id, timezone="America/Los_Angeles", at=now
        )
        records.learn_site(
            uow,
            tenant_id=self.tenant_id,
            data={
                "site_id": self.site_id,
                "client_id": self.client_id,
                "name": "Harbor",
                "latitude": SITE[0],
                "longitude": SITE[1],
                "geofence_radius_m": 150,
                "timezone": "America/Los_Angeles",
            },
            at=now,
        )
        records.learn_job_type(
            uow,
            tenant_id=self.tenant_id,
            data={"job_type_id": self.job_type_id, "key": "home-care", "name": "Home care"},
            at=now,
        )
        if licensed:
            records.learn_licence(
                uow,
                tenant_id=self.tenant_id,
                data={
                    "licence_id": ids(),
                    "feature": "evv",
                    "starts_on": (now - timedelta(days=30)).date().isoformat(),
                    "ends_on": None,
                },
                revoked=False,
            )
        if chose_evv:
            visits.set_client_choice(
                uow,
                caller=self.staff,
                tenant_id=self.tenant_id,
                client_id=self.client_id,
                evv=True,
            )
        self.starts_at = starts_at or now.replace(second=0, microsecond=0)

    @property
    def staff(self) -> Caller:
        return Caller(kind="staff", user_id="staff-1", tenant_id=self.tenant_id)

    @property
    def worker(self) -> Caller:
        return Caller(kind="jobseeker", user_id=self.worker_id, tenant_id=self.tenant_id)

    @property
    def client(self) -> Caller:
        return Caller(
            kind="client", user_id="cu-1", tenant_id=self.tenant_id, client_id=self.client_id
        )

    def shift(self, *, hours: int = 4, starts_at=None) -> str:
        starts_at = starts_at or self.starts_at
        shift_id, assignment_id = ids(), ids()
        records.learn_booking(
            self.uow,
            tenant_id=self.tenant_id,
            data={
                "booking_id": ids(),
                "client_id": self.client_id,
                "site_id": self.site_id,
                "job_type_id": self.job_type_id,
                "shifts": [{"shift_id": shift_id}],
            },
        )
        records.learn_confirmation(
            self.uow,
            tenant_id=self.tenant_id,
            data={
                "assignment_id": assignment_id,
                "shift_id": shift_id,
                "client_id": self.client_id,
                "worker_id": self.worker_id,
                "worker_tenant_id": self.tenant_id,
                "starts_at": starts_at.isoformat(),
                "ends_at": (starts_at + timedelta(hours=hours)).isoformat(),
            },
        )
        return assignment_id

    def punch(
        self,
        visit_id,
        kind="clock_in",
        *,
        at=None,
        where=SITE,
        device_id=None,
        now=None,
        caller=None,
        **more,
    ):
        at = at or (self.starts_at if kind == "clock_in" else self.starts_at + timedelta(hours=4))
        data = {
            "id": device_id or uuid.uuid4().hex,
            "assignment_id": visit_id,
            "kind": kind,
            "device_time": at,
            "latitude": where[0] if where else None,
            "longitude": where[1] if where else None,
            "accuracy_m": 8.0,
            "mocked": False,
            **more,
        }
        return visits.record_punch(
            self.uow,
            caller=caller or self.worker,
            tenant_id=(caller or self.worker).tenant_id,
            data=data,
            now=now or at,
        )


def line_of(uow, visit_id):
    from services.evv.timesheets.models import TimesheetLine

    return uow.session.get(TimesheetLine, visit_id)


def test_a_visit_inside_the_geofence_is_verified_and_approved_by_evv_under_licence(uow):
    market = Market(uow, licensed=True, chose_evv=True)
    visit_id = market.shift()
    sent = Outbox(uow)
    started = market.punch(visit_id)
    assert started.exceptions == [] and started.visit.status == "in_progress"
    assert started.record.distance_m == 0
    ended = market.punch(visit_id, "clock_out")
    assert ended.visit.status == "verified"
    assert sent.types()[:2] == ["visit.started", "visit.ended"]
    verified = sent.one("visit.verified")["data"]
    assert verified["elements"]["service_type"] == "home-care"
    assert verified["elements"]["recipient_id"] == market.client_id
    assert verified["elements"]["provider_id"] == market.worker_id
    assert verified["worked_minutes"] == 240
    assert sent.one("timesheet.generated")["data"]["worker_id"] == market.worker_id
    approved = sent.one("timesheet.approved")["data"]
    assert approved["approved_by"] == "evv" and approved["worked_minutes"] == 240
    assert line_of(uow, visit_id).status == "approved"


def test_without_the_licence_the_line_waits_for_the_worker_and_the_client(uow):
    market = Market(uow, chose_evv=True)
    visit_id = market.shift()
    market.punch(visit_id)
    market.punch(visit_id, "clock_out")
    assert line_of(uow, visit_id).status == "pending"
    sent = Outbox(uow)
    timesheets.answer_line(
        uow,
        caller=market.worker,
        tenant_id=market.tenant_id,
        visit_id=visit_id,
        answer="approved",
    )
    assert sent.events("timesheet.approved") == []
    done = timesheets.answer_line(
        uow,
        caller=market.client,
        tenant_id=market.tenant_id,
        visit_id=visit_id,
        answer="approved",
    )
    assert done["status"] == "approved"
    assert sent.one("timesheet.approved")["data"]["approved_by"] == "people"
    page = timesheets.list_timesheets(
        uow, caller=market.client, tenant_id=market.tenant_id, page=1, per_page=10
    )
    (sheet,) = page["items"]
    assert sheet["scheduled_minutes"] == 240 and sheet["approved"]


def test_a_dispute_is_resolved_by_staff(uow):
    market = Market(uow)
    visit_id = market.shift()
    market.punch(visit_id)
    market.punch(visit_id, "clock_out")
    sent = Outbox(uow)
    timesheets.answer_line(
        uow,
        caller=market.client,
        tenant_id=market.tenant_id,
        visit_id=visit_id,
        answer="disputed",
        reason="Left at noon",
    )
    assert sent.one("timesheet.disputed")["data"]["disputed_by"] == "client"
    resolved = timesheets.resolve_line(
        uow,
        caller=market.staff,
        tenant_id=market.tenant_id,
        visit_id=visit_id,
        data={"comment": "Checked with both", "worked_minutes": 180},
    )
    assert resolved["status"] == "approved" and resolved["worked_minutes"] == 180
    assert sent.one("timesheet.approved")["data"]["approved_by"] == "staff"
    assert [a["action"] for a in sent.audit()] == ["timesheet_line.resolve"]


def test_staff_amend_an_approved_line_and_it_is_approved_again(uow):
    market = Market(uow, licensed=True, chose_evv=True)
    visit_id = market.shift()
    market.punch(visit_id)
    market.punch(visit_id, "clock_out")
    sent = Outbox(uow)
    amend = functools.partial(
        timesheets.amend_line,
        uow,
        caller=market.staff,
        tenant_id=market.tenant_id,
        visit_id=visit_id,
    )
    amended = amend(data={"comment": "Left an hour early", "worked_minutes": 180})
    assert (amended["status"], amended["worked_minutes"]) == ("approved", 180)
    approved = sent.one("timesheet.approved")["data"]
    assert (approved["approved_by"], approved["worked_minutes"]) == ("staff", 180)
    assert [a["action"] for a in sent.audit()] == ["timesheet_line.amend"]
    with pytest.raises(Conflict):  # nothing to change
        amend(data={"comment": "Again", "worked_minutes": 180})


def test_only_an_approved_line_is_amended(uow):
    market = Market(uow)
    visit_id = market.shift()
    market.punch(visit_id)
    market.punch(visit_id, "clock_out")
    with pytest.raises(Conflict):
        timesheets.amend_line(
            uow,
            caller=market.staff,
            tenant_id=market.tenant_id,
            visit_id=visit_id,
            data={"comment": "Not yet", "worked_minutes": 100},
        )


def test_a_punch_sent_three_times_is_one_punch(uow):
    market = Market(uow)
    visit_id = market.shift()
    answers = [market.punch(visit_id, device_id="device-punch-0001") for _ in range(3)]
    assert len({a.record.id for a in answers}) == 1
    count = uow.session.execute(
        text("SELECT count(*) FROM visit_records WHERE visit_id = :v"), {"v": visit_id}
    ).scalar()
    assert count == 1


def test_a_clock_in_2_km_away_raises_an_exception_that_staff_resolve(uow):
    market = Market(uow, licensed=True, chose_evv=True)
    visit_id = market.shift()
    sent = Outbox(uow)
    started = market.punch(visit_id, where=(SITE[0] + 0.018, SITE[1]))
    assert started.exceptions == ["outside_geofence"]
    assert started.record.distance_m == pytest.approx(2001, abs=5)
    raised = sent.one("visit.exception_raised")["data"]
    assert raised["severity"] == "acknowledge"
    market.punch(visit_id, "clock_out")
    # Verified (acknowledge-only), but not approved by EVV while the exception is open.
    assert line_of(uow, visit_id).status == "pending"
    with pytest.raises(ValidationFailed) as refused:
        visits.resolve_exception(
            uow,
            caller=market.staff,
            tenant_id=market.tenant_id,
            exception_id=raised["exception_id"],
            data={"reason_code": "600", "action_code": "10", "comment": None},
        )
    assert "comment" in refused.value.fields
    view = visits.resolve_exception(
        uow,
        caller=market.staff,
        tenant_id=market.tenant_id,
        exception_id=raised["exception_id"],
        data={"reason_code": "140", "action_code": "10", "comment": "With the client at park"},
    )
    assert [e.status for e in view.exceptions] == ["resolved"]
    assert line_of(uow, visit_id).status == "approved"
    assert "visit_exception.resolve" in [a["action"] for a in sent.audit()]


def test_offline_punch_keeps_its_device_time_and_delay(uow):
    market = Market(uow)
    visit_id = market.shift()
    answer = market.punch(visit_id, now=market.starts_at + timedelta(hours=2))
    assert answer.record.device_time == market.starts_at
    assert answer.record.delay_seconds == 7200
    assert answer.exceptions == [] and answer.visit.clock_in_at == market.starts_at


def test_no_position_is_saved_as_an_exception(uow):
    market = Market(uow)
    visit_id = market.shift()
    answer = market.punch(visit_id, where=None)
    assert answer.exceptions == ["no_position"] and answer.record.latitude is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"device_time_days": 3}, "device_time"),
        ({"kind": "clock_out", "first": True}, "kind"),
        ({"kind": "clock_out", "before_in": True}, "device_time"),
    ],
)
def test_bad_punches_are_refused_per_field(uow, change, field):
    market = Market(uow)
    visit_id = market.shift()
    if not change.get("first"):
        market.punch(visit_id)
    with pytest.raises(ValidationFailed) as refused:
        if "device_time_days" in change:
            market.punch(
                visit_id,
                "clock_out",
                at=market.starts_at + timedelta(days=3),
                now=market.starts_at + timedelta(hours=4),
            )
        elif change.get("first"):
            market.punch(visit_id, "clock_out")
        else:
            market.punch(visit_id, "clock_out", at=market.starts_at - timedelta(minutes=5))
    assert field in refused.value.fields


def test_another_workers_shift_is_not_found(uow):
    market = Market(uow)
    visit_id = market.shift()
    other = Caller(kind="jobseeker", user_id=ids(), tenant_id=market.tenant_id)
    with pytest.raises(NotFound):
        market.punch(visit_id, caller=other)
    stranger = Caller(kind="staff", user_id="s", tenant_id=ids())
    with pytest.raises(NotFound):
        visits.read_visit(uow, caller=stranger, tenant_id=stranger.tenant_id, visit_id=visit_id)
    other_client = Caller(kind="client", user_id="c", tenant_id=market.tenant_id, client_id=ids())
    with pytest.raises(NotFound):
        visits.read_visit(uow, caller=other_client, tenant_id=market.tenant_id, visit_id=visit_id)


def test_a_second_clock_in_is_a_conflict(uow):
    market = Market(uow)
    visit_id = market.shift()
    market.punch(visit_id)
    with pytest.raises(Conflict):
        market.punch(visit_id)


def test_a_missing_clock_out_is_must_fix_and_a_correction_supplies_it(uow):
    market = Market(uow, licensed=True, chose_evv=True)
    visit_id = market.shift(starts_at=market.starts_at - timedelta(hours=6))
    market.punch(visit_id, at=market.starts_at - timedelta(hours=6), now=datetime.now(UTC))
    sent = Outbox(uow)
    done = visits.sweep(uow, now=datetime.now(UTC))
    assert done["missing_clock_outs"] == 1
    assert sent.one("visit.exception_raised")["data"]["severity"] == "must_fix"
    # Swept again: raised once.
    assert visits.sweep(uow, now=datetime.now(UTC))["missing_clock_outs"] == 0
    view = visits.correct_visit(
        uow,
        caller=market.staff,
        tenant_id=market.tenant_id,
        visit_id=visit_id,
        data={
            "kind": "clock_out",
            "time": market.starts_at - timedelta(hours=2),
            "reason_code": "105",
            "action_code": "11",
            "comment": "Forgot to clock out",
        },
    )
    assert view.visit.status == "verified"
    kinds = [(r.record_type, r.kind) for r in view.records]
    assert kinds == [("punch", "clock_in"), ("correction", "clock_out")]
    assert [e.status for e in view.exceptions] == ["resolved"]
    assert sent.one("visit.corrected")["data"]["reason_code"] == "105"
    assert "visit.correct" in [a["action"] for a in sent.audit()]
    assert line_of(uow, visit_id).status == "approved"


def test_a_correction_keeps_the_original_punch(uow):
    market = Market(uow)
    visit_id = market.shift()
    original = market.punch(visit_id, at=market.starts_at + timedelta(minutes=40))
    assert original.exceptions == ["late_clock_in"]
    view = visits.correct_visit(
        uow,
        caller=market.staff,
        tenant_id=market.tenant_id,
        visit_id=visit_id,
        data={
            "kind": "clock_in",
            "time": market.starts_at,
            "reason_code": "100",
            "action_code": "12",
            "comment": None,
        },
        now=market.starts_at + timedelta(hours=1),
    )
    assert [r.device_time for r in view.records] == [
        market.starts_at + timedelta(minutes=40),
        market.starts_at,
    ]
    assert view.records[1].corrects_record_id == original.record.id
    assert view.visit.clock_in_at == market.starts_at


def test_a_shift_with_no_clock_in_an_hour_after_its_start_is_a_possible_no_show(uow):
    market = Market(uow)
    visit_id = market.shift(starts_at=datetime.now(UTC) - timedelta(minutes=61))
    sent = Outbox(uow)
    visits.sweep(uow, now=datetime.now(UTC))
    suspected = sent.one("visit.no_show_suspected")["data"]
    assert suspected["visit_id"] == visit_id and suspected["minutes_after_start"] >= 61
    visits.sweep(uow, now=datetime.now(UTC))
    assert len(sent.events("visit.no_show_suspected")) == 1


def test_a_cancelled_place_cannot_be_punched(uow):
    market = Market(uow)
    visit_id = market.shift()
    records.learn_cancellation(uow, tenant_id=market.tenant_id, assignment_ids=[visit_id])
    with pytest.raises(Conflict):
        market.punch(visit_id)


# -- the chain -----------------------------------------------------------------------------------


def sealed_market(uow, punches=3):
    market = Market(uow)
    for _ in range(punches):
        visit_id = market.shift()
        market.punch(visit_id)
        market.punch(visit_id, "clock_out")
    while ledger.seal(uow, key=KEY, batch=2):
        pass
    return market


def chain(uow, market):
    return uow.session.execute(
        text("SELECT id, seq FROM visit_records WHERE tenant_id = :t ORDER BY seq"),
        {"t": market.tenant_id},
    ).all()


def test_a_sealed_chain_verifies(uow):
    market = sealed_market(uow)
    found = ledger.verify(uow, tenant_id=market.tenant_id, key=KEY)
    assert found.intact and found.records == 6 and found.unsealed == 0 and found.seals == 3
    assert [seq for _, seq in chain(uow, market)] == [1, 2, 3, 4, 5, 6]


def test_a_changed_record_is_named(uow):
    market = sealed_market(uow)
    record_id, _ = chain(uow, market)[2]
    uow.session.execute(
        text("UPDATE visit_records SET latitude = latitude + 0.01 WHERE id = :i"), {"i": record_id}
    )
    found = ledger.verify(uow, tenant_id=market.tenant_id, key=KEY)
    assert not found.intact
    assert (found.problem.problem, found.problem.record_id, found.problem.seq) == (
        "changed",
        record_id,
        3,
    )


def test_a_removed_record_is_named(uow):
    market = sealed_market(uow)
    record_id, _ = chain(uow, market)[3]
    uow.session.execute(text("DELETE FROM visit_records WHERE id = :i"), {"i": record_id})
    found = ledger.verify(uow, tenant_id=market.tenant_id, key=KEY)
    assert (found.problem.problem, found.problem.seq) == ("removed", 4)


def test_the_last_record_removed_is_named(uow):
    market = sealed_market(uow)
    record_id, _ = chain(uow, market)[-1]
    uow.session.execute(text("DELETE FROM visit_records WHERE id = :i"), {"i": record_id})
    found = ledger.verify(uow, tenant_id=market.tenant_id, key=KEY)
    assert (found.problem.problem, found.problem.seq) == ("removed", 6)


def _copy_of(uow, record_id, new_id, seq, prev_hash, hash_):
    uow.session.execute(
        text(
            "INSERT INTO visit_records SELECT :n, tenant_id, visit_id, worker_id, record_type, "
            "kind, 'forged-' || left(:n, 20), method, device_time, server_time, delay_seconds, "
            "latitude, longitude, accuracy_m, mocked, distance_m, corrects_record_id, "
            "reason_code, action_code, comment, entered_by, :s, :p, :h FROM visit_records "
            "WHERE id = :i"
        ),
        {"n": new_id, "s": seq, "p": prev_hash, "h": hash_, "i": record_id},
    )


def test_an_inserted_record_is_named(uow):
    market = sealed_market(uow)
    record_id, _ = chain(uow, market)[1]
    forged = ids()
    _copy_of(uow, record_id, forged, 2, "f" * 64, "e" * 64)
    found = ledger.verify(uow, tenant_id=market.tenant_id, key=KEY)
    assert found.problem.problem in ("inserted", "changed")
    assert found.problem.record_id in (forged, record_id)
    assert found.problem.seq == 2


def test_a_record_appended_with_a_good_hash_is_named_by_the_seals(uow):
    market = sealed_market(uow)
    last_id, _ = chain(uow, market)[-1]
    last_hash = uow.session.execute(
        text("SELECT hash FROM visit_records WHERE id = :i"), {"i": last_id}
    ).scalar()
    forged = ids()
    _copy_of(uow, last_id, forged, 7, last_hash, "0" * 64)
    # The forger computes the hash right (no secret needed): only the seals catch it.
    uow.session.execute(text(ledger.FIXED_OUTPUT))
    uow.session.execute(
        text(f"UPDATE visit_records SET hash = encode({ledger.HASH_SQL}, 'hex') WHERE id = :i"),
        {"i": forged},
    )
    found = ledger.verify(uow, tenant_id=market.tenant_id, key=KEY)
    assert (found.problem.problem, found.problem.record_id, found.problem.seq) == (
        "inserted",
        forged,
        7,
    )


def test_a_seal_signed_by_another_key_fails(uow):
    market = sealed_market(uow, punches=1)
    found = ledger.verify(
        uow, tenant_id=market.tenant_id, key=ledger_rules.signing_key("another key " * 4)
    )
    assert not found.intact and "signature" in found.problem.message


def test_sealing_two_cbos_keeps_two_chains(uow):
    first, second = sealed_market(uow, punches=1), sealed_market(uow, punches=2)
    assert [s for _, s in chain(uow, first)] == [1, 2]
    assert [s for _, s in chain(uow, second)] == [1, 2, 3, 4]
    assert ledger.verify(uow, tenant_id=second.tenant_id, key=KEY).intact


# -- exports -------------------------------------------------------------------------------------


def test_exports_in_both_layouts(uow):
    market = Market(uow, licensed=True, chose_evv=True)
    visit_id = market.shift()
    market.punch(visit_id)
    market.punch(visit_id, "clock_out")
    day = market.starts_at.date()
    period = {"start": day - timedelta(days=1), "end": day + timedelta(days=1)}
    sandata = exports.export(
        uow, tenant_id=market.tenant_id, layout="sandata", fmt="json", **period
    )
    (visit,) = json.loads(base64.b64decode(sandata["data"]))["visits"]
    assert visit["VisitOtherID"] == visit_id and visit["BillVisit"] is True
    assert [c["CallAssignment"] for c in visit["Calls"]] == ["Time In", "Time Out"]
    hha = exports.export(uow, tenant_id=market.tenant_id, layout="hhaexchange", fmt="csv", **period)
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(hha["data"]).decode("utf-8-sig"))))
    assert [r["VisitExternalID"] for r in rows] == [visit_id]
    assert rows[0]["CaregiverSSN"] == "999999999"
    other = exports.export(uow, tenant_id=ids(), layout="sandata", fmt="json", **period)
    assert json.loads(base64.b64decode(other["data"]))["visits"] == []


def test_a_correction_of_a_verified_visit_changes_its_pending_line(uow):
    market = Market(uow)
    visit_id = market.shift()
    market.punch(visit_id)
    market.punch(visit_id, "clock_out")
    assert line_of(uow, visit_id).worked_minutes == 240
    visits.correct_visit(
        uow,
        caller=market.staff,
        tenant_id=market.tenant_id,
        visit_id=visit_id,
        data={
            "kind": "clock_out",
            "time": market.starts_at + timedelta(hours=3),
            "reason_code": "100",
            "action_code": "10",
            "comment": None,
        },
        now=market.starts_at + timedelta(hours=5),
    )
    assert line_of(uow, visit_id).worked_minutes == 180
