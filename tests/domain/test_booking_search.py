"""The search on booking's real database: the one SQL statement and the pure rules agree on a
generated population, and the cases the issue names hold (unapproved and suspended workers,
the student cap in and out of term, daylight-saving changes, blocks, exclusive job types,
partners), for the route's search and for what the offers area calls."""

from __future__ import annotations

import random
import zlib
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from marshmallow import ValidationError

from chassis.errors import NotFound, ValidationFailed
from services.booking.search import domain, rules
from services.booking.search.schemas import SearchRequestSchema
from services.booking.workers import rules as worker_rules
from tests.factories import jobseeker_caller, staff_caller
from tests.market.builders import (
    LONG_BEACH,
    WEEKDAYS,
    a_cbo_record,
    a_client_record,
    a_job_type,
    a_partnership_record,
    a_shift,
    a_site,
    a_source_record,
    a_worker_record,
    every_day,
)
from tests.market.search import a_rating, a_score, an_assignment, an_offer, client_caller, utc

SERVICE = "booking"
ZONE = ZoneInfo(LONG_BEACH)
FALL_TERM = [{"starts_on": "2026-09-01", "ends_on": "2026-12-18"}]


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


class Market:
    """A CBO with a client, a site, a job type that needs approval, and helpers to search."""

    def __init__(self, uow, *, key: str = "forklift", **job_type_fields: Any) -> None:
        self.uow = uow
        self.cbo = a_cbo_record(uow)
        self.tenant_id = self.cbo.tenant_id
        self.client = a_client_record(uow, tenant_id=self.tenant_id)
        self.site = a_site(uow, tenant_id=self.tenant_id, client_id=self.client.id)
        self.job_type = a_job_type(
            uow,
            tenant_id=self.tenant_id,
            key=key,
            name=key.title(),
            needs_approval=True,
            **job_type_fields,
        )
        self.staff = staff_caller(self.tenant_id)

    def worker(self, **fields: Any):
        fields.setdefault("job_types", [self.job_type.key])
        return a_worker_record(
            self.uow, tenant_id=fields.pop("tenant_id", self.tenant_id), **fields
        )

    def shift(self, start: str, hours: float = 4, **fields: Any):
        return a_shift(
            self.uow,
            job_type=fields.pop("job_type", self.job_type),
            site=fields.pop("site", self.site),
            starts_at=local(start),
            hours=hours,
        )

    def body(self, start: str, end: str, **fields: Any) -> dict:
        return {
            "job_type_id": self.job_type.id,
            "client_id": self.client.id,
            "site_id": self.site.id,
            "starts_at": local(start).isoformat(),
            "ends_at": local(end).isoformat(),
            **fields,
        }

    def search(self, body: dict, caller=None) -> dict:
        request = SearchRequestSchema().load(body)
        return domain.search(self.uow, caller=caller or self.staff, request=request)


def eligible_ids(found: dict) -> list[str]:
    return [item["worker_id"] for item in found["eligible"]["items"]]


def excluded(found: dict) -> dict[str, list[str]]:
    return {
        item["worker_id"]: [r["message"] for r in item["reasons"]]
        for item in found["excluded"]["items"]
    }


# -- the SQL and the rules agree -------------------------------------------------------------


class Population:
    """Random workers of a CBO and its partners, built as rows and, independently, as the facts
    the pure rules take."""

    def __init__(self, uow, seed: int, size: int) -> None:
        self.uow = uow
        self.rnd = random.Random(seed)
        self.market = Market(uow, required_skills=["safety"])
        tenant = self.market.tenant_id
        self.tenant_id = tenant
        # A partner sharing every job type, one sharing only another key, one not in a
        # partnership at all.
        self.sharing = a_cbo_record(uow).tenant_id
        self.other_key = a_cbo_record(uow).tenant_id
        self.stranger = a_cbo_record(uow).tenant_id
        a_partnership_record(uow, proposer_id=self.sharing, partner_id=tenant, shares=["job_types"])
        a_partnership_record(
            uow, proposer_id=tenant, partner_id=self.other_key, shares=["cleaning"]
        )
        self.partners = {self.sharing: ["job_types"], self.other_key: ["cleaning"]}
        self.other_client = a_client_record(uow, tenant_id=tenant)
        self.sources = {
            None: None,
            a_source_record(uow, tenant_id=tenant, weekly_cap_hours=14, terms=FALL_TERM).id: (
                rules.Source(14 * 60, ((date(2026, 9, 1), date(2026, 12, 18)),))
            ),
            a_source_record(uow, tenant_id=tenant, weekly_cap_hours=9, terms=None).id: (
                rules.Source(9 * 60, ())
            ),
        }
        self.other_shifts = [self._other_shift() for _ in range(40)]
        self.facts: dict[str, rules.WorkerFacts] = {}
        self.preferences: dict[str, rules.Preference] = {}
        self.scores: dict[str, float | None] = {}
        for _ in range(size):
            self._worker()

    def _other_shift(self):
        rnd = self.rnd
        base = rnd.choice(
            [local("2026-11-27 00:00"), local("2027-03-09 00:00"), local("2026-10-28 00:00")]
        )
        start = base + timedelta(hours=rnd.randrange(0, 16 * 24, 1))
        return self.market.shift(
            start.replace(tzinfo=None).isoformat(), hours=rnd.choice([2, 3, 4, 6, 8])
        )

    def _availability(self) -> dict:
        rnd = self.rnd
        weekly: dict[str, list[dict]] = {}
        for day in WEEKDAYS:
            slots = []
            for _ in range(rnd.choice([0, 1, 1, 2])):
                # Mostly whole hours, some quarter hours (the whole-hour bits of migration
                # booking_0009 must not take a part of an hour for the whole).
                step = 15 if rnd.random() < 0.3 else 60
                start = rnd.randrange(0, 20 * 60 // step) * step
                end = min(24 * 60, start + rnd.choice([4, 6, 8, 12, 24]) * 60 - 60 + step)
                slots.append({"start": worker_rules_clock(start), "end": worker_rules_clock(end)})
            if slots:
                weekly[day] = slots
        if rnd.random() < 0.25:
            weekly = every_day()["weekly"]
        exceptions = []
        for day in rnd.sample(EXCEPTION_DATES, rnd.choice([0, 0, 1, 2])):
            kind = rnd.choice(["unavailable", "extra"])
            slots = []
            if rnd.random() < 0.7:
                start = rnd.randrange(0, 16) * 60
                slots = [
                    {"start": worker_rules_clock(start), "end": worker_rules_clock(start + 8 * 60)}
                ]
            exceptions.append({"date": day.isoformat(), "kind": kind, "slots": slots})
        return {"weekly": weekly, "exceptions": exceptions}

    def _worker(self) -> None:
        rnd = self.rnd
        tenant = rnd.choices(
            [self.tenant_id, self.sharing, self.other_key, self.stranger], [70, 15, 8, 7]
        )[0]
        availability = self._availability()
        key = self.market.job_type.key
        source_id = rnd.choice(list(self.sources)) if tenant == self.tenant_id else None
        home = (
            None
            if rnd.random() < 0.05
            else (
                33.77 + rnd.uniform(-0.1, 0.1),
                -118.19 + rnd.uniform(-0.1, 0.1),
            )
        )
        row = a_worker_record(
            self.uow,
            tenant_id=tenant,
            availability=availability,
            approved=rnd.random() < 0.9,
            suspended=rnd.random() < 0.07,
            active=rnd.random() < 0.96,
            job_types=[key] if rnd.random() < 0.8 else ["cleaning"],
            skills=["safety"] if rnd.random() < 0.85 else ["cpr"],
            home=home,
            source_id=source_id,
        )
        commitments = []
        for shift in rnd.sample(self.other_shifts, rnd.choice([0, 1, 2, 3])):
            status = rnd.choice(["booked", "booked", "completed", "cancelled", "no_show"])
            made = an_assignment(
                self.uow, shift=shift, worker_id=row.id, worker_tenant_id=tenant, status=status
            )
            commitments.append(
                rules.Commitment("assignment", status, made.starts_at, made.ends_at, shift.id)
            )
        taken = {c.shift_id for c in commitments}
        free = [s for s in self.other_shifts if s.id not in taken]
        for shift in rnd.sample(free, rnd.choice([0, 0, 1, 2])):
            status = rnd.choice(["sent", "sent", "declined", "expired"])
            made = an_offer(
                self.uow, shift=shift, worker_id=row.id, worker_tenant_id=tenant, status=status
            )
            commitments.append(
                rules.Commitment("offer", status, made.starts_at, made.ends_at, shift.id)
            )
        rating = rnd.choice([None, None, None, "favourite", "blocked", "ok"])
        client = rnd.choice([self.market.client.id, self.other_client.id])
        if rating:
            a_rating(
                self.uow,
                tenant_id=self.tenant_id,
                client_id=client,
                worker_id=row.id,
                rating=rating,
            )
        mine = rating if client == self.market.client.id else None
        self.preferences[row.id] = rules.Preference(mine == "favourite", mine == "blocked")
        score = None if rnd.random() < 0.4 else round(rnd.uniform(40, 100), 1)
        if score is not None:
            a_score(self.uow, tenant_id=tenant, worker_id=row.id, score=score)
        self.scores[row.id] = score
        self.facts[row.id] = rules.WorkerFacts(
            id=row.id,
            tenant_id=tenant,
            approved=row.approved,
            suspended=row.suspended,
            active=row.active,
            job_types=frozenset(row.job_types),
            skills=frozenset(row.skills),
            weekly_minutes=worker_rules.weekly_minutes(availability),
            days=worker_rules.day_minutes(availability),
            latitude=home[0] if home else None,
            longitude=home[1] if home else None,
            source=self.sources[source_id],
            commitments=tuple(commitments),
            timezone=LONG_BEACH,
        )


def worker_rules_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


EXCEPTION_DATES = [
    date(2026, 12, 1),
    date(2026, 12, 2),
    date(2026, 12, 3),
    date(2026, 11, 1),
    date(2027, 3, 14),
    date(2027, 3, 15),
    date(2026, 12, 31),
]

REQUESTS = {
    "tuesday in term": ("2026-12-01 09:00", "2026-12-01 13:00", None),
    "quarter hours": ("2026-12-01 09:15", "2026-12-01 12:45", None),
    "night across midnight": ("2026-12-01 22:00", "2026-12-02 06:00", None),
    "spring forward": ("2027-03-14 01:00", "2027-03-14 05:00", None),
    "fall back": ("2026-11-01 00:30", "2026-11-01 05:00", None),
    "winter break": ("2026-12-31 09:00", "2026-12-31 17:00", None),
    "every weekday": (
        "2026-11-30 09:00",
        "2026-11-30 12:00",
        "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=8",
    ),
    "across the week end": ("2026-11-29 20:00", "2026-11-30 04:00", None),
}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_sql_and_the_rules_agree_on_a_generated_population(uow, name):
    population = Population(uow, seed=zlib.crc32(name.encode()), size=300)
    market = population.market
    start, end, rule = REQUESTS[name]
    windows = rules.occurrences(
        datetime.fromisoformat(start), datetime.fromisoformat(end), rule, LONG_BEACH
    )
    context = domain._context(
        uow,
        tenant_id=market.tenant_id,
        job_type=market.job_type,
        site=market.site,
        client_id=market.client.id,
        windows=windows,
    )
    found = domain._run(
        uow,
        context,
        all_of_own=True,
        count_reasons=True,
        include_partners=True,
        tier="all",
        exclude=[],
        limit=10_000,
        offset=0,
        excluded_limit=10_000,
        excluded_offset=0,
    )
    by_rules = {
        worker_id: rules.reasons(
            facts,
            context.request,
            preference=population.preferences[worker_id],
            partners=population.partners,
        )
        for worker_id, facts in population.facts.items()
    }
    expected = {w for w, found_reasons in by_rules.items() if not found_reasons}
    assert {e["id"] for e in found["eligible"]} == expected
    assert found["eligible_total"] == len(expected)
    # Enough of each kind to mean something.
    assert 5 <= len(expected) < 290, name
    # The same order, and the same parts of each rank.
    ordered = rules.ranked(
        (
            w,
            rules.rank_parts(
                population.facts[w],
                context.request,
                preference=population.preferences[w],
                score=population.scores[w],
            ),
        )
        for w in expected
    )
    assert [e["id"] for e in found["eligible"]] == [w for w, _ in ordered]
    for e, (_, parts) in zip(found["eligible"], ordered, strict=True):
        assert e["favourite"] == parts.favourite
        assert e["score"] == pytest.approx(parts.reliability)
        assert e["booked_minutes"] == parts.booked_minutes_this_week
        if parts.distance_km is None:
            assert e["distance_km"] is None
        else:
            assert e["distance_km"] == pytest.approx(parts.distance_km, abs=1e-9)
    # Any page is that slice of the whole order, with its positions (the distance is
    # computed only for the workers that can reach the page: ties at its edge included).
    full = [w for w, _ in ordered]
    for limit, offset in ((1, 0), (5, 0), (7, 3), (20, 10), (50, len(full) - 3), (3, len(full))):
        page = domain._run(
            uow,
            context,
            all_of_own=False,
            include_partners=True,
            tier="all",
            exclude=[],
            limit=limit,
            offset=offset,
            excluded_limit=0,
            excluded_offset=0,
        )["eligible"]
        assert [e["id"] for e in page] == full[offset : offset + limit], (limit, offset)
        assert [e["position"] for e in page] == list(range(offset + 1, offset + len(page) + 1))
    # The CBO's own left-out workers, and the count per reason code.
    own_out = {
        w: r for w, r in by_rules.items() if r and population.facts[w].tenant_id == market.tenant_id
    }
    assert set(found["excluded_ids"]) == set(own_out)
    counts = dict(found["excluded_counts"])
    assert counts.pop("total") == len(own_out)
    for code in domain.FLAGS:
        assert counts[code] == sum(1 for r in own_out.values() if code in {x.code for x in r}), code
    # Staff's usual form counts the left-out without their reasons: the same total and page.
    uncounted = domain._run(
        uow,
        context,
        all_of_own=True,
        include_partners=True,
        tier="all",
        exclude=[],
        limit=10_000,
        offset=0,
        excluded_limit=10_000,
        excluded_offset=0,
    )
    assert uncounted["excluded_counts"] == {"total": len(own_out)}
    assert uncounted["excluded_ids"] == found["excluded_ids"]
    assert uncounted["eligible"] == found["eligible"]
    # Without partners: only the CBO's own are eligible; its left-out are the same.
    for count_reasons in (False, True):
        own_only = domain._run(
            uow,
            context,
            all_of_own=True,
            count_reasons=count_reasons,
            include_partners=False,
            tier=None,
            exclude=[],
            limit=10_000,
            offset=0,
            excluded_limit=10_000,
            excluded_offset=0,
        )
        own_eligible = [e for e in found["eligible"] if e["tenant_id"] == market.tenant_id]
        assert [e["id"] for e in own_only["eligible"]] == [e["id"] for e in own_eligible]
        assert own_only["excluded_ids"] == found["excluded_ids"]
        expected_counts = (
            found["excluded_counts"] if count_reasons else uncounted["excluded_counts"]
        )
        assert own_only["excluded_counts"] == expected_counts
    # The statement's other form (client users, the offers area: no counting) agrees too.
    offerable_only = domain._run(
        uow,
        context,
        all_of_own=False,
        include_partners=True,
        tier="all",
        exclude=[],
        limit=10_000,
        offset=0,
        excluded_limit=0,
        excluded_offset=0,
    )
    assert offerable_only["eligible"] == found["eligible"]
    assert offerable_only["excluded_counts"] is None
    # The loader gives the rules the same facts the generator made.
    explained = domain.explain_workers(uow, context=context, worker_ids=list(population.facts))
    for worker_id in population.facts:
        loaded = domain._reasons(context, explained[worker_id])
        assert [r.code for r in loaded] == [r.code for r in by_rules[worker_id]], worker_id


# -- standing ------------------------------------------------------------------------------


def test_unapproved_suspended_and_deactivated_workers_are_never_returned(uow):
    market = Market(uow)
    ok = market.worker()
    pending = market.worker(approved=False)
    suspended = market.worker(suspended=True)
    gone = market.worker(active=False)
    not_for_forklift = market.worker(job_types=["cleaning"])
    found = market.search(market.body("2026-12-01 09:00", "2026-12-01 13:00", count_reasons=True))
    assert eligible_ids(found) == [ok.id]
    assert excluded(found) == {
        pending.id: ["not approved by the CBO"],
        suspended.id: ["suspended"],
        gone.id: ["account deactivated"],
        not_for_forklift.id: ["not approved for Forklift"],
    }
    assert found["excluded"]["by_reason"] == {
        "not_approved": 1,
        "suspended": 1,
        "inactive": 1,
        "job_type_not_approved": 1,
    }
    shift = market.shift("2026-12-01 09:00")
    assert [c.worker_id for c in domain.ranked_workers(uow, shift=shift, limit=10)] == [ok.id]
    now = utc("2026-11-01T00:00")
    assert domain.reasons_against(uow, shift=shift, worker_id=ok.id, now=now) == []
    assert domain.reasons_against(uow, shift=shift, worker_id=pending.id, now=now) == [
        rules.Reason(rules.NOT_APPROVED, "not approved by the CBO")
    ]


def test_a_suspension_between_the_search_and_the_offer_is_caught(uow):
    market = Market(uow)
    worker = market.worker()
    shift = market.shift("2026-12-01 09:00")
    assert [c.worker_id for c in domain.ranked_workers(uow, shift=shift, limit=5)] == [worker.id]
    worker.suspended = True
    uow.session.flush()
    found = domain.reasons_against(
        uow, shift=shift, worker_id=worker.id, now=utc("2026-11-01T00:00")
    )
    assert found == [rules.Reason(rules.SUSPENDED, "suspended")]


def test_an_unknown_worker_is_never_eligible(uow):
    market = Market(uow)
    shift = market.shift("2026-12-01 09:00")
    assert [r.code for r in domain.reasons_against(uow, shift=shift, worker_id="nobody")] == [
        rules.NOT_APPROVED
    ]


# -- the student cap -----------------------------------------------------------------------


def test_a_student_at_the_term_cap_is_left_out_with_why_and_outside_term_is_fine(uow):
    market = Market(uow)
    college = a_source_record(uow, tenant_id=market.tenant_id, weekly_cap_hours=14, terms=FALL_TERM)
    student = market.worker(source_id=college.id)
    # 12 h booked in the week of Monday 30 November (term) and of Monday 28 December (break).
    for monday in ("2026-11-30", "2026-12-28"):
        first = date.fromisoformat(monday)
        for n in range(3):
            day = (first + timedelta(days=n)).isoformat()
            an_assignment(uow, shift=market.shift(f"{day} 08:00"), worker_id=student.id)
    in_term = market.search(market.body("2026-12-03 09:00", "2026-12-03 12:00", count_reasons=True))
    assert eligible_ids(in_term) == []
    assert excluded(in_term) == {student.id: ["14 h term cap: 12 h booked this week + 3 h shift"]}
    assert in_term["excluded"]["by_reason"] == {"weekly_cap": 1}
    two_hours = market.search(market.body("2026-12-03 09:00", "2026-12-03 11:00"))
    assert eligible_ids(two_hours) == [student.id]
    assert two_hours["eligible"]["items"][0]["rank"]["booked_minutes_this_week"] == 12 * 60
    break_week = market.search(market.body("2026-12-31 09:00", "2026-12-31 12:00"))
    assert eligible_ids(break_week) == [student.id]
    shift = market.shift("2026-12-03 09:00", hours=3)
    assert domain.ranked_workers(uow, shift=shift, limit=5) == []
    assert domain.reasons_against(
        uow, shift=shift, worker_id=student.id, now=utc("2026-11-01T00:00")
    ) == [rules.Reason(rules.CAP, "14 h term cap: 12 h booked this week + 3 h shift")]


def test_a_repeating_search_counts_every_occurrence_against_the_cap(uow):
    market = Market(uow)
    college = a_source_record(uow, tenant_id=market.tenant_id, weekly_cap_hours=14, terms=FALL_TERM)
    student = market.worker(source_id=college.id)
    anyone = market.worker()
    body = {
        "job_type_id": market.job_type.id,
        "client_id": market.client.id,
        "site_id": market.site.id,
        "date": "2026-12-07",
        "start_time": "09:00",
        "end_time": "13:00",
        "recurrence": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=20",
    }
    found = market.search(body)
    assert len(found["occurrences"]) == 20
    assert eligible_ids(found) == [anyone.id]
    assert excluded(found) == {
        student.id: ["14 h term cap: 0 h booked in the week of Mon 7 Dec + 20 h of these shifts"]
    }


# -- time: daylight saving, overlaps -------------------------------------------------------


def test_availability_and_overlaps_across_the_spring_change(uow):
    market = Market(uow)
    sunday_night = market.worker(
        availability={"weekly": {"sunday": [{"start": "00:00", "end": "06:00"}]}, "exceptions": []}
    )
    short = market.worker(
        availability={"weekly": {"sunday": [{"start": "01:00", "end": "04:00"}]}, "exceptions": []}
    )
    busy = market.worker(availability=every_day())
    # 00:30-03:30 wall clock on 14 March 2027: 02:00 PST becomes 03:00 PDT (02:00 UTC+x).
    other = market.shift("2027-03-14 00:30", hours=2)  # 00:30 PST + 2 h = 03:30 PDT
    an_assignment(uow, shift=other, worker_id=busy.id)
    found = market.search({**market.body("2027-03-14 01:00", "2027-03-14 05:00")})
    assert found["occurrences"][0]["ends_at"] - found["occurrences"][0]["starts_at"] == timedelta(
        hours=3
    )
    assert eligible_ids(found) == [sunday_night.id]
    assert excluded(found) == {
        short.id: ["not available Sun 14 Mar 01:00–05:00"],
        busy.id: ["booked Sun 14 Mar 00:30–03:30 at this site"],
    }
    # A shift right after the booked one (03:30 PDT) does not overlap it.
    after = market.search(market.body("2027-03-14 03:30", "2027-03-14 05:00"))
    assert busy.id in eligible_ids(after)


def test_availability_and_overlaps_across_the_autumn_change(uow):
    market = Market(uow)
    early = market.worker(
        availability={"weekly": {"sunday": [{"start": "00:00", "end": "05:00"}]}, "exceptions": []}
    )
    offered = market.worker()
    # 01:00 PDT to 02:30 PST (the builder adds wall-clock hours): two and a half hours.
    pending = market.shift("2026-11-01 01:00", hours=1.5)
    an_offer(uow, shift=pending, worker_id=offered.id)
    body = {
        "job_type_id": market.job_type.id,
        "client_id": market.client.id,
        "site_id": market.site.id,
        "starts_at": "2026-11-01T08:00:00+00:00",  # 01:00 PDT
        "ends_at": "2026-11-01T12:00:00+00:00",  # 04:00 PST
    }
    found = market.search(body)
    assert eligible_ids(found) == [early.id]
    assert excluded(found) == {
        offered.id: ["offered Sun 1 Nov 01:00–02:30, waiting for an answer"],
    }
    # The local-date form of the same morning: 01:00 is the first (daylight-time) one.
    local_form = market.search(
        {
            **{k: v for k, v in body.items() if k not in ("starts_at", "ends_at")},
            "date": "2026-11-01",
            "start_time": "01:00",
            "end_time": "04:00",
        }
    )
    assert local_form["occurrences"] == found["occurrences"]


def test_a_date_exception_overrides_the_weekly_hours(uow):
    market = Market(uow)
    away = market.worker(
        availability={
            "weekly": every_day()["weekly"],
            "exceptions": [{"date": "2026-12-01", "kind": "unavailable", "slots": []}],
        }
    )
    extra = market.worker(
        availability={
            "weekly": {},
            "exceptions": [
                {
                    "date": "2026-12-01",
                    "kind": "extra",
                    "slots": [{"start": "08:00", "end": "14:00"}],
                }
            ],
        }
    )
    found = market.search(market.body("2026-12-01 09:00", "2026-12-01 13:00"))
    assert eligible_ids(found) == [extra.id]
    assert excluded(found) == {away.id: ["not available Tue 1 Dec 09:00–13:00"]}


def test_a_night_shift_across_midnight(uow):
    market = Market(uow)
    both = market.worker(
        availability={
            "weekly": {
                "tuesday": [{"start": "20:00", "end": "24:00"}],
                "wednesday": [{"start": "00:00", "end": "07:00"}],
            },
            "exceptions": [],
        }
    )
    evening = market.worker(
        availability={"weekly": {"tuesday": [{"start": "20:00", "end": "24:00"}]}, "exceptions": []}
    )
    body = {
        "job_type_id": market.job_type.id,
        "client_id": market.client.id,
        "site_id": market.site.id,
        "date": "2026-12-01",
        "start_time": "22:00",
        "end_time": "06:00",
    }
    found = market.search(body)
    assert eligible_ids(found) == [both.id]
    assert excluded(found) == {evening.id: ["not available Wed 2 Dec 00:00–06:00"]}


def test_a_shifts_own_offer_does_not_count_against_it_at_confirmation(uow):
    market = Market(uow)
    worker = market.worker()
    shift = market.shift("2026-12-01 09:00")
    an_offer(uow, shift=shift, worker_id=worker.id)
    now = utc("2026-11-01T00:00")
    assert domain.reasons_against(uow, shift=shift, worker_id=worker.id, now=now) == []
    other = market.shift("2026-12-01 11:00")
    assert [
        r.code for r in domain.reasons_against(uow, shift=other, worker_id=worker.id, now=now)
    ] == [rules.OFFERED]
    assert domain.reasons_against(uow, shift=shift, worker_id=worker.id, now=shift.starts_at) == [
        rules.Reason(rules.STARTED, "the shift has already started")
    ]


def test_an_assignment_of_another_cbo_counts_and_its_site_is_not_named(uow):
    market = Market(uow)
    partner = Market(uow, key="forklift-b")
    worker = market.worker()
    elsewhere = partner.shift("2026-12-01 08:00")
    an_assignment(uow, shift=elsewhere, worker_id=worker.id, worker_tenant_id=market.tenant_id)
    found = market.search(market.body("2026-12-01 09:00", "2026-12-01 13:00"))
    assert excluded(found) == {worker.id: ["booked Tue 1 Dec 08:00–12:00 at another site"]}


# -- clients: blocks, favourites, exclusive job types ------------------------------------


def test_a_blocked_worker_is_left_out_and_favourites_come_first(uow):
    market = Market(uow)
    near = market.worker(home=(33.7706, -118.182))
    far = market.worker(home=(33.85, -118.3))
    unknown = market.worker(home=None)
    reliable = market.worker(home=(33.9, -118.4))
    favourite = market.worker(home=(34.0, -118.5))
    blocked = market.worker()
    a_score(uow, tenant_id=market.tenant_id, worker_id=reliable.id, score=95)
    for worker, rating in ((favourite, "favourite"), (blocked, "blocked")):
        a_rating(
            uow,
            tenant_id=market.tenant_id,
            client_id=market.client.id,
            worker_id=worker.id,
            rating=rating,
        )
    found = market.search(market.body("2026-12-01 09:00", "2026-12-01 13:00"))
    assert eligible_ids(found) == [favourite.id, reliable.id, near.id, far.id, unknown.id]
    assert excluded(found) == {blocked.id: ["blocked by this client"]}
    ranks = {i["worker_id"]: i["rank"] for i in found["eligible"]["items"]}
    assert ranks[favourite.id]["favourite"] and not ranks[near.id]["favourite"]
    assert ranks[reliable.id]["reliability"] == 95 and ranks[reliable.id]["reliable"]
    assert ranks[near.id]["reliability"] == 75 and not ranks[near.id]["reliable"]
    assert ranks[near.id]["distance_km"] == 0 and ranks[unknown.id]["distance_km"] is None
    assert [i["position"] for i in found["eligible"]["items"]] == [1, 2, 3, 4, 5]
    # Pages of the ranking.
    second = market.search(
        {**market.body("2026-12-01 09:00", "2026-12-01 13:00"), "page": 2, "per_page": 2}
    )
    assert eligible_ids(second) == [near.id, far.id]
    assert [i["position"] for i in second["eligible"]["items"]] == [3, 4]
    assert second["eligible"]["total"] == 5
    # Another client's block or favourite changes nothing here.
    shift = market.shift("2026-12-01 09:00")
    tiers = {
        tier: [c.worker_id for c in domain.ranked_workers(uow, shift=shift, limit=10, tier=tier)]
        for tier in ("favourites", "reliable", "eligible")
    }
    assert tiers == {
        "favourites": [favourite.id],
        "reliable": [reliable.id],
        "eligible": [favourite.id, reliable.id, near.id, far.id, unknown.id],
    }
    rest = domain.ranked_workers(uow, shift=shift, limit=2, exclude=[favourite.id])
    assert [(c.worker_id, c.position) for c in rest] == [(reliable.id, 1), (near.id, 2)]
    assert rest[0].score == 95 and rest[1].distance_km == 0 and rest[1].booked_minutes == 0


def test_an_exclusive_job_type_exists_only_for_its_client(uow):
    market = Market(uow)
    other = a_client_record(uow, tenant_id=market.tenant_id)
    other_site = a_site(uow, tenant_id=market.tenant_id, client_id=other.id)
    exclusive = a_job_type(uow, tenant_id=market.tenant_id, client_id=market.client.id, key="docks")
    worker = market.worker(job_types=["docks"])
    mine = {**market.body("2026-12-01 09:00", "2026-12-01 13:00"), "job_type_id": exclusive.id}
    assert eligible_ids(market.search(mine)) == [worker.id]
    assert eligible_ids(market.search(mine, client_caller(market.tenant_id, market.client.id))) == [
        worker.id
    ]
    theirs = {**mine, "client_id": other.id, "site_id": other_site.id}
    with pytest.raises(NotFound):
        market.search(theirs)
    with pytest.raises(NotFound):
        market.search(theirs, client_caller(market.tenant_id, other.id))
    shift = a_shift(uow, job_type=exclusive, site=other_site, starts_at=local("2026-12-01 09:00"))
    assert domain.ranked_workers(uow, shift=shift, limit=5) == []
    assert [
        r.code
        for r in domain.reasons_against(
            uow, shift=shift, worker_id=worker.id, now=utc("2026-11-01T00:00")
        )
    ] == [rules.EXCLUSIVE]


def test_client_users_search_their_own_client_only_and_never_see_who_is_left_out(uow):
    market = Market(uow)
    ok = market.worker()
    pending = market.worker(approved=False)
    other = a_client_record(uow, tenant_id=market.tenant_id)
    body = market.body("2026-12-01 09:00", "2026-12-01 13:00")
    mine = client_caller(market.tenant_id, market.client.id)
    found = market.search({**body, "jobseeker_id": ok.id}, mine)
    assert eligible_ids(found) == [ok.id]
    assert found["excluded"] is None
    assert found["worker"]["eligible"] and found["worker"]["reasons"] is None
    with pytest.raises(NotFound):
        market.search({**body, "jobseeker_id": pending.id}, mine)
    with pytest.raises(NotFound):
        market.search(body, client_caller(market.tenant_id, other.id))
    # Staff explain anybody of their CBO.
    staff = market.search({**body, "jobseeker_id": pending.id})
    assert staff["worker"] == {
        "worker_id": pending.id,
        "name": pending.name,
        "eligible": False,
        "rank": None,
        "reasons": [{"code": "not_approved", "message": "not approved by the CBO"}],
    }


def test_another_cbo_sees_nothing(uow):
    market = Market(uow)
    market.worker()
    stranger = Market(uow)
    body = market.body("2026-12-01 09:00", "2026-12-01 13:00")
    with pytest.raises(NotFound):
        stranger.search(body)
    with pytest.raises(NotFound):
        stranger.search(
            {**stranger.body("2026-12-01 09:00", "2026-12-01 13:00"), "site_id": market.site.id}
        )
    with pytest.raises(NotFound):
        stranger.search(
            {
                **stranger.body("2026-12-01 09:00", "2026-12-01 13:00"),
                "jobseeker_id": market.worker().id,
            }
        )


def test_job_seekers_may_not_search(uow):
    market = Market(uow)
    from chassis.errors import Forbidden

    with pytest.raises(Forbidden):
        market.search(
            market.body("2026-12-01 09:00", "2026-12-01 13:00"), jobseeker_caller(market.tenant_id)
        )


# -- partners ------------------------------------------------------------------------------


def test_partner_workers_only_through_a_formed_partnership_that_shares_the_job_type(uow):
    market = Market(uow)
    own = market.worker()
    sharing = a_cbo_record(uow).tenant_id
    other_key = a_cbo_record(uow).tenant_id
    ended = a_cbo_record(uow).tenant_id
    stranger = a_cbo_record(uow).tenant_id
    a_partnership_record(uow, proposer_id=sharing, partner_id=market.tenant_id, shares=["forklift"])
    a_partnership_record(
        uow, proposer_id=market.tenant_id, partner_id=other_key, shares=["opportunities"]
    )
    gone = a_partnership_record(
        uow, proposer_id=market.tenant_id, partner_id=ended, shares=["job_types"]
    )
    gone.active = False
    uow.session.flush()
    theirs = {t: market.worker(tenant_id=t) for t in (sharing, other_key, ended, stranger)}
    body = market.body("2026-12-01 09:00", "2026-12-01 13:00")
    assert eligible_ids(market.search(body)) == [own.id]
    with_partners = market.search({**body, "include_partners": True})
    assert set(eligible_ids(with_partners)) == {own.id, theirs[sharing].id}
    partner_item = next(i for i in with_partners["eligible"]["items"] if i["partner"])
    assert partner_item["worker_tenant_id"] == sharing
    # Partners' people are never listed as left out.
    assert set(excluded(with_partners)) == set()
    shift = market.shift("2026-12-01 09:00")
    assert [
        c.worker_id for c in domain.ranked_workers(uow, shift=shift, limit=10, tier="partners")
    ] == [theirs[sharing].id]
    now = utc("2026-11-01T00:00")
    assert domain.reasons_against(uow, shift=shift, worker_id=theirs[sharing].id, now=now) == []
    for tenant in (other_key, ended, stranger):
        assert [
            r.code
            for r in domain.reasons_against(uow, shift=shift, worker_id=theirs[tenant].id, now=now)
        ] == [rules.NOT_SHARED]


# -- bad requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, field",
    [
        ({"recurrence": "FREQ=DAILY"}, "recurrence"),
        ({"recurrence": "FREQ=DAILY;COUNT=500"}, "recurrence"),
        ({"recurrence": "nonsense;COUNT=2"}, "recurrence"),
        ({"ends_at": "2026-12-01T08:00:00-08:00"}, "ends_at"),
        ({"ends_at": "2026-12-03T08:00:00-08:00"}, "ends_at"),
    ],
)
def test_unusable_windows_are_refused_by_field(uow, change, field):
    market = Market(uow)
    with pytest.raises(ValidationFailed) as raised:
        market.search({**market.body("2026-12-01 09:00", "2026-12-01 13:00"), **change})
    assert field in raised.value.fields


def test_a_local_time_the_clocks_skip_is_refused(uow):
    market = Market(uow)
    body = {
        "job_type_id": market.job_type.id,
        "client_id": market.client.id,
        "site_id": market.site.id,
        "date": "2027-03-14",
        "start_time": "02:30",
        "end_time": "06:00",
    }
    with pytest.raises(ValidationFailed) as raised:
        market.search(body)
    assert "does not exist" in raised.value.fields["start_time"][0]


def test_inactive_job_types_and_sites_are_refused(uow):
    market = Market(uow)
    market.job_type.active = False
    uow.session.flush()
    with pytest.raises(ValidationFailed):
        market.search(market.body("2026-12-01 09:00", "2026-12-01 13:00"))


@pytest.mark.parametrize(
    "change, field",
    [
        ({"date": "9999-12-31", "end_time": "08:00"}, "date"),
        ({"date": "0001-01-01"}, "date"),
        ({"recurrence": "FREQ=YEARLY;INTERVAL=50;COUNT=20"}, "recurrence"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused(uow, change, field):
    market = Market(uow)
    body = {
        "job_type_id": market.job_type.id,
        "client_id": market.client.id,
        "site_id": market.site.id,
        "date": "2026-12-01",
        "start_time": "09:00",
        "end_time": "13:00",
        **change,
    }
    with pytest.raises((ValidationFailed, ValidationError)) as raised:
        market.search(body)
    fields = getattr(raised.value, "fields", None) or raised.value.messages
    assert field in fields


def test_the_week_hour_bits_are_the_whole_hours_the_weekly_minutes_cover(uow):
    """Migration booking_0009's generated bits, against rules.covers hour by hour, on random
    weekly minutes (quarter hours, touching and week-long ranges); and the search's test of a
    request's weekly minutes with them agrees with rules.covers."""
    from sqlalchemy import text

    rnd = random.Random(8)
    samples: list[list[tuple[int, int]]] = [[], [(0, 10080)], [(59, 121)], [(60, 120), (180, 240)]]
    for _ in range(200):
        ranges: list[tuple[int, int]] = []
        for _ in range(rnd.randrange(0, 5)):
            a = rnd.randrange(0, 10080 // 15) * 15 + rnd.choice([0, 0, 0, 1, 14])
            b = min(10080, a + rnd.randrange(1, 40) * 15 + rnd.choice([0, 0, 1]))
            ranges.append((a, b))
        samples.append(worker_rules.merged(ranges) if ranges else [])
    for ranges in samples:
        literal = "{" + ",".join(f"[{a},{b})" for a, b in ranges) + "}"
        bits = uow.session.execute(
            text(
                "SELECT booking_week_hours(CAST(:m AS int4multirange), 0), "
                "booking_week_hours(CAST(:m AS int4multirange), 1), "
                "booking_week_hours(CAST(:m AS int4multirange), 2)"
            ),
            {"m": literal},
        ).one()
        for hour in range(168):
            part, bit = divmod(hour, domain.HOURS_PER_PART)
            assert bool(bits[part] >> bit & 1) == worker_rules.covers(
                ranges, hour * 60, hour * 60 + 60
            ), (ranges, hour)
        for need in ([(1980, 2220)], [(1985, 2220)], [(0, 60), (10020, 10080)], [(600, 615)]):
            sql = domain._weekly_sql(need, "need")
            found = uow.session.execute(
                text(
                    f"SELECT {sql} FROM (SELECT CAST(:m AS int4multirange) AS weekly_minutes, "
                    "booking_week_hours(CAST(:m AS int4multirange), 0) AS week_hours_0, "
                    "booking_week_hours(CAST(:m AS int4multirange), 1) AS week_hours_1, "
                    "booking_week_hours(CAST(:m AS int4multirange), 2) AS week_hours_2) w"
                ),
                {"m": literal, "need": "{" + ",".join(f"[{a},{b})" for a, b in need) + "}"},
            ).scalar()
            assert found == all(worker_rules.covers(ranges, a, b) for a, b in need), (ranges, need)
