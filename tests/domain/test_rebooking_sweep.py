"""Rebooking's deadline sweep a chunk at a time, on its real database: a chunk of timers planned
and taken at once comes to the same cascades, steps, timers and events as the same timers one
at a time; the statements a chunk sends do not grow with its size; and a tick waits for a
deadline that falls before the next tick (a fake clock and sleep, no real waiting)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select, update

from chassis.contracts.booking_rpc import NextOffer
from services.rebooking.cascades import domain as cascades
from services.rebooking.cascades.models import Cascade, CascadeStep
from services.rebooking.deadlines import domain as deadlines
from services.rebooking.deadlines import rules as deadline_rules
from services.rebooking.deadlines.models import OfferDeadline
from services.rebooking.licences import domain as licences
from services.rebooking.preferences import domain as preferences
from tests.domain.outbox import Outbox
from tests.factories import staff_caller

SERVICE = "rebooking"

NOW = datetime.now(UTC).replace(microsecond=0)
STARTS = NOW + timedelta(days=2)
DUE = NOW - timedelta(seconds=1)


@dataclass
class Market:
    """Booking as the sweep sees it, for many shifts: `expire` expires every offer and takes
    each step asked for with `offer_next`, which offers a shift's candidates in order (never
    one excluded), then answers the shift's `why`; the same key gets the same answer. Offer ids
    are `<shift>:<worker>`, so two worlds compare."""

    candidates: dict[str, list[str]] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)
    answers: dict[str, NextOffer] = field(default_factory=dict)

    def offer_next(self, **arguments: Any) -> NextOffer:
        key, shift_id = arguments["idempotency_key"], arguments["shift_id"]
        if key not in self.answers:
            left = [
                w
                for w in self.candidates.get(shift_id, [])
                if w not in arguments["exclude_worker_ids"]
            ]
            why = self.why.get(shift_id, "no_candidates")
            base = {
                "shift_id": shift_id,
                "booking_id": f"b-{shift_id}",
                "client_id": "client-1",
                "starts_at": STARTS,
            }
            if left and why == "no_candidates":
                self.candidates[shift_id].remove(left[0])
                self.answers[key] = NextOffer(
                    **base,
                    offered=True,
                    offer_id=f"{shift_id}:{left[0]}",
                    worker_id=left[0],
                    deadline_at=NOW + timedelta(seconds=arguments["window_seconds"]),
                    source="preferred"
                    if left[0] in arguments["preferred_worker_ids"]
                    else "ranking",
                    why=None,
                )
            else:
                self.answers[key] = NextOffer(
                    **base,
                    offered=False,
                    offer_id=None,
                    worker_id=None,
                    deadline_at=None,
                    source=None,
                    why=why,
                )
        return self.answers[key]

    def expire(self, items: list[tuple[str, str, dict | None]]) -> dict[str, tuple]:
        return {
            offer_id: (
                deadline_rules.EXPIRED,
                None,
                None if step is None else self.offer_next(**step),
            )
            for offer_id, _key, step in items
        }


# What a shift of a world is, by its number (n % len(KINDS)).
KINDS = (
    "fresh",  # no cascade yet: started, and the next worker offered
    "advancing",  # a cascade's offer expires: the next worker offered
    "used_up",  # a cascade's offer expires with its attempts used: exhausted
    "nobody",  # no cascade, nobody left: started and exhausted
    "covered",  # booking's own filling covers the shift: nothing
    "closed",  # a cascade's offer expires, the shift filled meanwhile: closed
    "unlicensed",  # the CBO's licence ended while its cascade ran: stopped
    "no_client",  # a timer kept before it knew its client: left to offer.expired's handler
)


@dataclass
class World:
    tag: str
    licensed_cbo: str
    lapsed_cbo: str
    market: Market
    shifts: list[str]


def licence(uow, tenant_id: str, *, ends_on=None, at=NOW) -> None:
    licences.learn_licence(
        uow,
        tenant_id=tenant_id,
        licence_id=f"lic-{tenant_id}",
        feature="rebooking",
        starts_on=NOW.date() - timedelta(days=30),
        ends_on=ends_on,
        event_at=at,
    )


def timer(uow, tenant_id, shift_id, worker_id, *, client_id="client-1", due=DUE) -> str:
    offer_id = f"{shift_id}:{worker_id}"
    deadlines.record_deadline(
        uow,
        tenant_id=tenant_id,
        offer_id=offer_id,
        shift_id=shift_id,
        worker_id=worker_id,
        deadline_at=due,
        client_id=client_id,
    )
    return offer_id


def build(uow, tag: str, size: int) -> World:
    """`size` shifts of every kind in turn, each with one due timer, in two CBOs (the one
    whose licence lapsed holds the `unlicensed` shifts)."""
    world = World(tag, f"{tag}-cbo-a", f"{tag}-cbo-b", Market(), [])
    licence(uow, world.licensed_cbo)
    licence(uow, world.lapsed_cbo)
    preferences.update_preferences(
        uow,
        caller=staff_caller(world.licensed_cbo),
        tenant_id=world.licensed_cbo,
        client_id="client-2",
        data={"max_attempts": 1, "preferred_worker_ids": ["ana"]},
    )
    for n in range(size):
        kind = KINDS[n % len(KINDS)]
        shift_id = f"{tag}-{n}"
        world.shifts.append(shift_id)
        tenant_id = world.lapsed_cbo if kind == "unlicensed" else world.licensed_cbo
        client_id = "client-2" if kind == "used_up" else "client-1"
        world.market.candidates[shift_id] = ["ana", "bo", "cy"]
        if kind in ("fresh", "nobody", "covered", "no_client"):
            if kind == "nobody":
                world.market.candidates[shift_id] = []
            if kind == "covered":
                world.market.why[shift_id] = "covered"
            timer(
                uow,
                tenant_id,
                shift_id,
                "zed",
                client_id=None if kind == "no_client" else client_id,
            )
            continue
        # A cascade that offered Ana after Zed declined; Ana's deadline has passed.
        cascades.offer_lost(
            uow,
            tenant_id=tenant_id,
            event_id=f"{shift_id}-declined",
            trigger="offer.declined",
            shift_id=shift_id,
            client_id=client_id,
            worker_id="zed",
            offer_id=f"{shift_id}:zed",
            offer_next=world.market.offer_next,
            now=NOW,
        )
        if kind == "closed":
            world.market.why[shift_id] = "filled"
        uow.session.execute(
            update(OfferDeadline)
            .where(OfferDeadline.offer_id == f"{shift_id}:ana")
            .values(due_at=DUE)
        )
    licence(
        uow, world.lapsed_cbo, ends_on=NOW.date() - timedelta(days=2), at=NOW + timedelta(seconds=1)
    )
    uow.session.flush()
    return world


def outcome(uow, world: World, sent: Outbox) -> dict[str, Any]:
    """What the sweep made of the world, with its ids made comparable with another world's."""

    def plain(value: Any) -> Any:
        return value.replace(f"{world.tag}-", "") if isinstance(value, str) else value

    kept = list(
        uow.session.execute(
            select(Cascade)
            .where(Cascade.shift_id.in_(world.shifts))
            .execution_options(populate_existing=True)
        ).scalars()
    )
    shift_of = {c.id: c.shift_id for c in kept}
    steps = uow.session.execute(
        select(CascadeStep)
        .where(CascadeStep.cascade_id.in_(shift_of))
        .execution_options(populate_existing=True)
    ).scalars()
    timers = uow.session.execute(
        select(OfferDeadline)
        .where(OfferDeadline.shift_id.in_(world.shifts))
        .execution_options(populate_existing=True)
    ).scalars()
    cbo = {world.licensed_cbo: "A", world.lapsed_cbo: "B"}

    def data(envelope: dict) -> dict:
        values = dict(envelope["data"])
        values["cascade_id"] = plain(shift_of[values["cascade_id"]])
        return {k: plain(v) for k, v in values.items()} | {"cbo": cbo[envelope["tenant_id"]]}

    events: dict[str, list[dict]] = {}
    for envelope in sent.events():
        if envelope["data"].get("shift_id") in world.shifts:
            events.setdefault(envelope["event_type"], []).append(data(envelope))
    return {
        "cascades": sorted(
            (
                plain(c.shift_id),
                cbo[c.tenant_id],
                c.status,
                c.attempts,
                c.max_attempts,
                c.trigger,
                c.trigger_worker_id,
                c.end_reason,
                c.ended_at is not None,
            )
            for c in kept
        ),
        "steps": sorted(
            (plain(shift_of[s.cascade_id]), s.attempt, plain(s.offer_id), s.worker_id, s.source)
            + (s.outcome, s.deadline_at)
            for s in steps
        ),
        "timers": sorted(
            (plain(t.offer_id), cbo[t.tenant_id], t.client_id, t.status, t.outcome, t.tries)
            + (t.last_error, t.due_at, t.fired_at is not None, t.stepped_at is not None)
            for t in timers
        ),
        "events": events,
    }


def test_a_chunk_taken_at_once_comes_to_what_its_timers_one_at_a_time_do(uow):
    size = 2 * len(KINDS)
    one = build(uow, "one", size)
    sent = Outbox(uow)
    steps = cascades.ExpirySteps(uow)
    while deadlines.fire_due(uow, expire=one.market.expire, steps=steps, now=NOW, batch=1):
        pass
    alone = outcome(uow, one, sent)

    chunk = build(uow, "all", size)
    sent = Outbox(uow)
    fired = deadlines.fire_due(uow, expire=chunk.market.expire, steps=steps, now=NOW, batch=500)
    assert len(fired) == size and set(fired.values()) == {"expired"}
    together = outcome(uow, chunk, sent)

    assert together == alone
    # And it did what each kind should.
    states = {c[0]: c[2:4] + (c[7],) for c in together["cascades"]}
    assert states["0"] == ("active", 1, None) and states["1"] == ("active", 2, None)
    assert states["2"] == ("exhausted", 1, "attempts_used")
    assert states["3"] == ("exhausted", 0, "no_candidates") and "4" not in states
    assert states["5"] == ("closed", 1, "filled") and states["6"] == ("stopped", 1, "licence")
    stepped = {t[0]: t[9] for t in together["timers"] if t[3] == "fired"}
    assert stepped == {
        f"{n}:{'zed' if n % 8 in (0, 3, 4, 7) else 'ana'}": n % 8 != 7 for n in range(size)
    }
    assert [len(together["events"][t]) for t in ("cascade.started", "cascade.advanced")] == [4, 4]
    assert len(together["events"]["rebooking.exhausted"]) == 4


@contextmanager
def statements(uow) -> Iterator[list[str]]:
    """The statements `uow` sends meanwhile (an executemany counts once per row: a loop of
    round trips is no single statement)."""
    sent: list[str] = []
    engine = uow.session.get_bind().engine

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        # (SQLAlchemy's insertmanyvalues batches say executemany too, with one dict: one row.)
        rows = len(parameters) if executemany and isinstance(parameters, list | tuple) else 1
        sent.extend([statement.split("\n")[0][:80]] * rows)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_statements_of_a_chunk_do_not_grow_with_its_size(uow):
    counts = {}
    # Every kind of step in each: 17 statements (before the chunks were taken at once, 77 for
    # 8 timers and 761 for 80).
    for size in (len(KINDS), 10 * len(KINDS)):
        world = build(uow, f"n{size}", size)
        steps = cascades.ExpirySteps(uow)
        with statements(uow) as sent:
            fired = deadlines.fire_due(
                uow, expire=world.market.expire, steps=steps, now=NOW, batch=500
            )
        assert len(fired) == size
        counts[size] = len(sent)
    assert counts[len(KINDS)] == counts[10 * len(KINDS)]


def test_a_second_timer_of_a_shift_in_a_chunk_is_left_to_offer_expireds_handler(uow):
    world = build(uow, "twice", 1)  # a fresh shift: Zed's timer
    (shift_id,) = world.shifts
    # Yan's deadline passed after Zed's: the chunk claims Zed's first.
    yan = timer(uow, world.licensed_cbo, shift_id, "yan", due=DUE + timedelta(milliseconds=500))
    asked: list[tuple] = []

    def expire(items):
        asked.extend(items)
        return world.market.expire(items)

    deadlines.fire_due(uow, expire=expire, steps=cascades.ExpirySteps(uow), now=NOW)
    steps = {offer_id: step for offer_id, _, step in asked}
    assert steps[yan] is None and steps[f"{shift_id}:zed"] is not None
    stepped = uow.session.execute(
        select(OfferDeadline.offer_id, OfferDeadline.stepped_at.is_not(None)).where(
            OfferDeadline.status == "fired", OfferDeadline.shift_id == shift_id
        )
    ).all()
    assert dict(stepped) == {f"{shift_id}:zed": True, yan: False}


# -- a tick waits for a deadline that falls before the next ---------------------------------------


@dataclass
class Clock:
    """A fake clock: `sleep` moves it on and is remembered."""

    now: datetime
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += timedelta(seconds=seconds)


def test_a_tick_waits_for_a_deadline_before_the_next_tick_and_fires_it_at_its_moment(uow):
    start = datetime.now(UTC) + timedelta(days=1)  # alone: no other timer falls due meanwhile
    clock = Clock(start)
    soon = timer(uow, "cbo", "s1", "ana", due=start + timedelta(milliseconds=100))
    sooner = timer(uow, "cbo", "s2", "bo", due=start + timedelta(milliseconds=100))
    then = timer(uow, "cbo", "s3", "cy", due=start + timedelta(milliseconds=300))
    later = timer(uow, "cbo", "s4", "dee", due=start + timedelta(milliseconds=500))
    fired_at: dict[str, datetime] = {}

    def expire(items):
        for offer_id, _, _ in items:
            fired_at[offer_id] = clock.now
        return {offer_id: (deadline_rules.EXPIRED, None, None) for offer_id, _, _ in items}

    found = deadlines.sweep(uow, expire=expire, interval=0.5, clock=clock, sleep=clock.sleep)
    assert found == {soon: "expired", sooner: "expired", then: "expired"}
    assert clock.slept == [0.1, 0.2]  # the one at the next tick is the next tick's
    assert fired_at == {
        soon: start + timedelta(milliseconds=100),
        sooner: start + timedelta(milliseconds=100),
        then: start + timedelta(milliseconds=300),
    }
    status = dict(uow.session.execute(select(OfferDeadline.offer_id, OfferDeadline.status)).all())
    assert status[later] == "pending"

    # The next tick, half a second after the first: it fires at once, and nothing else waits.
    clock.now, clock.slept = start + timedelta(milliseconds=500), []
    found = deadlines.sweep(uow, expire=expire, interval=0.5, clock=clock, sleep=clock.sleep)
    assert found == {later: "expired"} and clock.slept == []


def test_a_tick_takes_full_chunks_one_after_another_each_committed(uow):
    start = datetime.now(UTC) + timedelta(days=1)
    clock = Clock(start)
    offers = [timer(uow, "cbo", f"s{n}", "ana", due=start) for n in range(5)]
    commits: list[int] = []
    checkpoint = uow.checkpoint

    def counted() -> None:
        commits.append(1)
        checkpoint()

    uow.checkpoint = counted  # type: ignore[method-assign]
    found = deadlines.sweep(
        uow,
        expire=lambda items: {o: (deadline_rules.EXPIRED, None, None) for o, _, _ in items},
        interval=0.5,
        clock=clock,
        sleep=clock.sleep,
        batch=2,
        chunks=2,
    )
    # Two full chunks, then the tick ends: the next takes the rest.
    assert len(found) == 4 and set(found) < set(offers) and len(commits) == 2
    assert clock.slept == []
