"""Rebooking's replacement offers (offers/replacements.py `offer_next`) on booking's real
database: the preferred workers first in their order, then the ranking when allowed; never a
worker the shift offered before, one rebooking excludes, one the client blocked or identity
refuses; the client's window for replacements; why no offer is made; one answer per key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from chassis.context import Caller
from chassis.errors import Conflict, NotFound
from services.booking.offers import domain as offers
from services.booking.offers import replacements
from services.booking.offers.recheck import identity_recheck
from tests.domain.outbox import Outbox
from tests.factories import staff_caller
from tests.market.offers import (
    a_market,
    a_market_shift,
    a_worker,
    another_client,
    in_days,
    offers_of,
)
from tests.market.recheck import Identity, everyone, unreachable
from tests.market.search import a_rating, an_offer

SERVICE = "booking"

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def market(uow):
    return a_market(uow)


def named_shift(uow, market, worker, **options):
    """A named shift whose named worker declined: it waits for a replacement."""
    shift = a_market_shift(uow, market, fill_mode="named", named_worker_id=worker.id, **options)
    (offer,) = offers.start_filling(
        uow, eligible_now=everyone, caller=staff_caller(market.tenant_id), shifts=[shift], now=NOW
    )
    offers.decline_offer(
        uow,
        eligible_now=everyone,
        tenant_id=worker.tenant_id,
        worker_id=worker.id,
        offer_id=offer.id,
        now=NOW,
    )
    return shift


def next_offer(uow, market, shift, key="k1", eligible_now=everyone, **options):
    return replacements.offer_next(
        uow,
        scope=market.tenant_id,
        shift_id=shift.id,
        idempotency_key=key,
        eligible_now=eligible_now,
        now=NOW,
        **options,
    )


def test_the_preferred_workers_come_first_in_their_order_then_the_ranking(uow, market):
    zed, ana, bo, cy = (a_worker(uow, market) for _ in range(4))
    shift = named_shift(uow, market, zed)
    sent = Outbox(uow)
    first = next_offer(uow, market, shift, "k1", preferred_worker_ids=[bo.id, ana.id])
    assert (first["worker_id"], first["source"], first["offered"]) == (bo.id, "preferred", True)
    assert first["why"] is None and first["booking_id"] == shift.booking_id
    event = sent.one("offer.sent")["data"]
    assert event["channel"] == "rebooking" and event["offer_id"] == first["offer_id"]
    # Bo's offer is live: the position is covered until it ends.
    assert next_offer(uow, market, shift, "k2")["why"] == "covered"
    offers.decline_offer(
        uow,
        eligible_now=everyone,
        tenant_id=bo.tenant_id,
        worker_id=bo.id,
        offer_id=first["offer_id"],
        now=NOW,
    )
    second = next_offer(uow, market, shift, "k3", preferred_worker_ids=[bo.id, ana.id])
    assert (second["worker_id"], second["source"]) == (ana.id, "preferred")
    offers.decline_offer(
        uow,
        eligible_now=everyone,
        tenant_id=ana.tenant_id,
        worker_id=ana.id,
        offer_id=second["offer_id"],
        now=NOW,
    )
    third = next_offer(uow, market, shift, "k4", preferred_worker_ids=[bo.id, ana.id])
    assert (third["worker_id"], third["source"]) == (cy.id, "ranking")
    assert [o.worker_id for o in offers_of(uow, shift)] == [zed.id, bo.id, ana.id, cy.id]


def test_excluded_blocked_refused_and_unknown_workers_are_passed_over(uow, market):
    zed, ana, bo, cy, dee = (a_worker(uow, market) for _ in range(5))
    a_rating(
        uow,
        tenant_id=market.tenant_id,
        client_id=market.client.id,
        worker_id=bo.id,
        rating="blocked",
    )
    shift = named_shift(uow, market, zed)
    answer = next_offer(
        uow,
        market,
        shift,
        preferred_worker_ids=["nobody", zed.id, ana.id, bo.id, cy.id],
        exclude_worker_ids=[ana.id],
        eligible_now=Identity(cy.id),
        use_ranking=False,
    )
    # Zed declined this shift, Ana is excluded, Bo is blocked, Cy refused by identity.
    assert answer["offered"] is False and answer["why"] == "no_candidates"
    ranked = next_offer(
        uow, market, shift, "k2", exclude_worker_ids=[ana.id], eligible_now=Identity(cy.id)
    )
    assert (ranked["worker_id"], ranked["source"]) == (dee.id, "ranking")


def test_the_clients_window_for_replacements_sets_the_deadline(uow, market):
    zed, ana = a_worker(uow, market), a_worker(uow, market)
    shift = named_shift(uow, market, zed)
    answer = next_offer(uow, market, shift, preferred_worker_ids=[ana.id], window_seconds=120)
    assert answer["deadline_at"] == NOW + timedelta(seconds=120)
    (offer,) = [o for o in offers_of(uow, shift) if o.worker_id == ana.id]
    assert offer.deadline_at == NOW + timedelta(seconds=120) and offer.channel == "rebooking"


def test_too_close_started_filled_and_cancelled_shifts_get_no_offer(uow, market):
    zed, ana = a_worker(uow, market), a_worker(uow, market)
    soon = a_market_shift(uow, market, fill_mode="named", named_worker_id=zed.id)
    assert (
        next_offer(uow, market, soon, min_lead_minutes=5 * 24 * 60, preferred_worker_ids=[ana.id])[
            "why"
        ]
        == "too_close"
    )
    shift = named_shift(uow, market, zed)
    shift.status = "filled"
    uow.session.flush()
    assert next_offer(uow, market, shift, "f")["why"] == "filled"
    shift.status = "cancelled"
    uow.session.flush()
    assert next_offer(uow, market, shift, "c")["why"] == "cancelled"
    shift.status = "open"
    shift.starts_at = NOW - timedelta(minutes=1)
    uow.session.flush()
    assert next_offer(uow, market, shift, "s")["why"] == "started"


def test_one_key_one_answer_and_the_cbos_own_shifts_only(uow, market):
    zed, ana, bo = (a_worker(uow, market) for _ in range(3))
    shift = named_shift(uow, market, zed)
    first = next_offer(uow, market, shift, "same", preferred_worker_ids=[ana.id])
    sent = Outbox(uow)
    again = next_offer(uow, market, shift, "same", preferred_worker_ids=[bo.id])
    assert again == first and sent.types() == []
    assert len(offers_of(uow, shift)) == 2
    other = named_shift(uow, market, a_worker(uow, market))
    with pytest.raises(Conflict, match="idempotency key"):
        next_offer(uow, market, other, "same")
    with pytest.raises(NotFound):
        replacements.offer_next(
            uow,
            scope="another-cbo",
            shift_id=shift.id,
            idempotency_key="x",
            eligible_now=everyone,
        )


# -- expire_offers: the deadline sweep's batch ---------------------------------------------------


class CountingIdentity:
    """Identity's RPC as `identity_recheck` sends it: answers every candidate but the
    `refused`, counting the calls."""

    def __init__(self, *refused: str) -> None:
        self.refused = set(refused)
        self.calls: list[list[str]] = []

    def call(self, service: str, method: str, **kwargs) -> list[str]:
        assert (service, method) == ("identity", "eligible_jobseekers")
        self.calls.append(list(kwargs["jobseeker_ids"]))
        return [w for w in kwargs["jobseeker_ids"] if w not in self.refused]


def named_offer(uow, market, worker, day=3):
    shift = a_market_shift(
        uow, market, fill_mode="named", named_worker_id=worker.id, starts_at=in_days(day)
    )
    (offer,) = offers.start_filling(
        uow, eligible_now=everyone, caller=staff_caller(market.tenant_id), shifts=[shift], now=NOW
    )
    return shift, offer


def step_to(*worker_ids: str, key: str) -> dict:
    return {
        "idempotency_key": key,
        "preferred_worker_ids": list(worker_ids),
        "use_ranking": False,
        "exclude_worker_ids": [],
        "window_seconds": None,
        "min_lead_minutes": 0,
    }


def test_a_batch_expires_each_offer_and_takes_its_next_step_asking_identity_once(uow, market):
    zed, ana, bo = (a_worker(uow, market) for _ in range(3))
    made = [named_offer(uow, market, zed, day) for day in (3, 4, 5)]
    late = max(offer.deadline_at for _, offer in made) + timedelta(seconds=1)
    identity = CountingIdentity(ana.id)
    eligible_now = identity_recheck(identity, Caller.system(service="rebooking"))
    items = [
        {
            "offer_id": offer.id,
            "idempotency_key": f"e-{n}",
            "next": step_to(ana.id, bo.id, key=f"n-{n}"),
        }
        for n, (_, offer) in enumerate(made)
    ]
    items[2]["next"] = None  # the sweep left this shift's step to offer.expired's handler
    sent = Outbox(uow)
    answers = replacements.expire_offers(
        uow, scope=None, items=items, eligible_now=eligible_now, now=late
    )
    assert [a["offer_id"] for a in answers] == [offer.id for _, offer in made]
    assert all(a["status"] == "expired" and a["expired"] and a["error"] is None for a in answers)
    # Ana refused by identity: Bo is offered the two shifts whose step came with the expiry.
    assert [a["next"] and (a["next"]["worker_id"], a["next"]["source"]) for a in answers] == [
        (bo.id, "preferred"),
        (bo.id, "preferred"),
        None,
    ]
    assert [[o.worker_id for o in offers_of(uow, shift)] for shift, _ in made] == [
        [zed.id, bo.id],
        [zed.id, bo.id],
        [zed.id],
    ]
    assert sent.types().count("offer.expired") == 3 and sent.types().count("offer.sent") == 2
    # One call to identity for the whole batch's preferred workers, none per step.
    assert len(identity.calls) == 1 and set(identity.calls[0]) == {ana.id, bo.id}

    # The same keys again: the same answers, nothing more made.
    sent = Outbox(uow)
    again = replacements.expire_offers(
        uow, scope=None, items=items, eligible_now=eligible_now, now=late
    )
    assert again == answers and sent.types() == []


def test_an_item_that_fails_leaves_the_others_done_and_says_why(uow, market):
    zed, ana = a_worker(uow, market), a_worker(uow, market)
    (_, early), (_, confirmed), (shift, due) = (
        named_offer(uow, market, zed, day) for day in (3, 4, 5)
    )
    offers.confirm_offer(
        uow,
        eligible_now=everyone,
        tenant_id=zed.tenant_id,
        worker_id=zed.id,
        offer_id=confirmed.id,
        now=NOW,
    )
    early.deadline_at = due.deadline_at + timedelta(hours=1)
    uow.session.flush()
    items = [
        {"offer_id": "no-such-offer", "idempotency_key": "e-0", "next": None},
        {"offer_id": early.id, "idempotency_key": "e-1", "next": step_to(ana.id, key="n-1")},
        {"offer_id": confirmed.id, "idempotency_key": "e-2", "next": step_to(ana.id, key="n-2")},
        {"offer_id": due.id, "idempotency_key": "e-3", "next": step_to(ana.id, key="n-3")},
    ]
    answers = replacements.expire_offers(
        uow,
        scope=market.tenant_id,
        items=items,
        eligible_now=unreachable,
        now=due.deadline_at + timedelta(seconds=1),
    )
    missing, too_early, ended, expired = answers
    assert missing["error"]["kind"] == "not_found" and missing["status"] is None
    assert too_early["error"]["kind"] == "conflict" and too_early["next"] is None
    assert ended["status"] == "confirmed" and not ended["expired"] and ended["next"] is None
    # Identity cannot be reached: the offer is expired all the same, the step is not taken.
    assert expired["status"] == "expired" and expired["next"] is None
    assert "identity" in expired["next_error"]
    assert [o.worker_id for o in offers_of(uow, shift)] == [zed.id]
    assert (
        offers.shift_offer(uow, tenant_id=market.tenant_id, offer_id=early.id)["status"] == "sent"
    )


# -- expire_offers' batch path against one item at a time ----------------------------------------


def a_sweep_batch(uow, market):
    """A batch as the sweep sends it, covering the cases the batch path decides and those it
    leaves to one item at a time: Zed's offers of seven shifts, Yan's of one at the same time
    as Zed's first, and one of Zed's not due yet, with the
    client's preferred workers, two of the shifts at the same time (the second cannot go to
    whom the first went), another client who blocked Ana, a worker identity refuses, a step
    needing booking's ranking, a shift too close for the client, a timer with no step."""
    zed, yan, ana, bo, cy, di = (
        a_worker(uow, market, name=n) for n in ["Zed", "Yan", "Ana", "Bo", "Cy", "Di"]
    )
    other = another_client(uow, market)
    a_rating(
        uow,
        tenant_id=other.tenant_id,
        client_id=other.client.id,
        worker_id=ana.id,
        rating="blocked",
    )
    made = [named_offer(uow, market, zed, 3), named_offer(uow, market, yan, 3)]
    made += [named_offer(uow, market, zed, day) for day in (4, 5, 6, 7, 8)]
    made.append(named_offer(uow, other, zed, 9))
    early = named_offer(uow, market, zed, 10)[1]
    late = max(offer.deadline_at for _, offer in made) + timedelta(seconds=1)
    early.deadline_at = late + timedelta(hours=1)
    uow.session.flush()

    def step(*who, ranking=False, lead=0, n):
        return {
            **step_to(*(w.id for w in who), key=f"n-{n}"),
            "use_ranking": ranking,
            "min_lead_minutes": lead,
        }

    steps = [
        step(ana, bo, n=0),  # Ana
        step(ana, bo, n=1),  # the same hours as shift 0: Bo
        step(di, n=2),  # identity refuses Di: nobody
        step(zed, ranking=True, n=3),  # Zed was offered it: the ranking's
        step(cy, lead=60 * 24 * 30, n=4),  # the client wants a month's notice: too close
        None,  # left to offer.expired's handler
        step(bo, cy, n=6),  # Bo (Bo's other offer is another day)
        step(ana, cy, n=7),  # the other client blocked Ana: Cy
        step(cy, n=8),  # not due yet: 409, no step
    ]
    items = [
        {"offer_id": offer.id, "idempotency_key": f"e-{n}", "next": steps[n]}
        for n, offer in enumerate([o for _, o in made] + [early])
    ]
    identity = CountingIdentity(di.id)
    eligible_now = identity_recheck(identity, Caller.system(service="rebooking"))
    return [s for s, _ in made], items, eligible_now, late


def what_the_batch_did(uow, shifts, answers, sent):
    """Answers, offers and events without the ids each run makes anew."""

    def shown(answer):
        nxt = answer["next"]
        return (
            answer["status"],
            answer["expired"],
            answer["error"] and answer["error"]["kind"],
            nxt and (nxt["worker_id"], nxt["source"], nxt["why"], nxt["deadline_at"]),
            bool(answer["next_error"]),
        )

    # Sorted: offers made in one transaction share a time, and their ids differ each run.
    offers_made = [
        sorted(
            (o.worker_id, o.status, o.channel, o.rank or 0, o.deadline_at)
            for o in offers_of(uow, s)
        )
        for s in shifts
    ]
    events = sorted(
        (e["event_type"], e["data"]["shift_id"], e["data"]["worker_id"]) for e in sent.events()
    )
    return [shown(a) for a in answers], offers_made, events


def both_ways(uow, monkeypatch, caplog, *, shifts, items, eligible_now, late):
    """What the batch did, and what one item at a time did from the same start."""
    savepoint = uow.session.begin_nested()
    sent = Outbox(uow)
    answers = replacements.expire_offers(
        uow, scope=None, items=items, eligible_now=eligible_now, now=late
    )
    together = what_the_batch_did(uow, shifts, answers, sent)
    savepoint.rollback()
    assert "batch path failed" not in caplog.text
    with monkeypatch.context() as patched:
        patched.setattr(
            replacements, "_expire_together", lambda uow, **_: replacements._Together({}, set())
        )
        sent = Outbox(uow)
        answers = replacements.expire_offers(
            uow, scope=None, items=items, eligible_now=eligible_now, now=late
        )
    return together, what_the_batch_did(uow, shifts, answers, sent)


def test_the_batch_path_does_what_one_item_at_a_time_does(uow, market, monkeypatch, caplog):
    shifts, items, eligible_now, late = a_sweep_batch(uow, market)
    together, alone = both_ways(
        uow, monkeypatch, caplog, shifts=shifts, items=items, eligible_now=eligible_now, late=late
    )
    assert together == alone
    chosen = [a[3] and (a[3][0] is not None, a[3][1], a[3][2]) for a in together[0]]
    assert chosen == [
        (True, "preferred", None),
        (True, "preferred", None),
        (False, None, "no_candidates"),
        (True, "ranking", None),
        (False, None, "too_close"),
        None,
        (True, "preferred", None),
        (True, "preferred", None),
        None,
    ]
    assert together[0][-1][2] == "conflict"  # not due yet


def test_two_positions_of_a_shift_and_a_key_used_twice_go_as_one_at_a_time(
    uow, market, monkeypatch, caplog
):
    """Two due offers of a two-position shift beside a shift at the same hours, all wanting
    the same two workers: each shift's steps in the shifts' order. And a favourites shift's
    expiry (item by item) whose key a later item reuses: the first holds it, the other 409."""
    zed, yan, xi, p1, p2 = (a_worker(uow, market) for _ in range(5))
    pair = a_market_shift(uow, market, fill_mode="named", positions=2)
    beside = a_market_shift(uow, market, fill_mode="named")
    deadline = NOW + timedelta(hours=1)
    due = [
        an_offer(uow, shift=pair, worker_id=zed.id),
        an_offer(uow, shift=pair, worker_id=yan.id),
        an_offer(uow, shift=beside, worker_id=xi.id),
    ]
    favourites = a_market_shift(uow, market, fill_mode="favourites", starts_at=in_days(5))
    keyed = a_market_shift(uow, market, fill_mode="named", starts_at=in_days(6))
    due += [
        an_offer(uow, shift=favourites, worker_id=zed.id),
        an_offer(uow, shift=keyed, worker_id=zed.id),
    ]
    for offer in due:
        offer.deadline_at = deadline
    uow.session.flush()
    items = [
        {"offer_id": o.id, "idempotency_key": f"e-{n}", "next": step_to(p1.id, p2.id, key=f"n-{n}")}
        for n, o in enumerate(due[:3])
    ]
    items += [
        {"offer_id": due[3].id, "idempotency_key": "same", "next": None},
        {"offer_id": due[4].id, "idempotency_key": "same", "next": None},
    ]
    shifts = [pair, beside, favourites, keyed]
    together, alone = both_ways(
        uow,
        monkeypatch,
        caplog,
        shifts=shifts,
        items=items,
        eligible_now=everyone,
        late=deadline + timedelta(seconds=1),
    )
    assert together == alone
    made = {offer[0] for offers in together[1][:2] for offer in offers if offer[2] == "rebooking"}
    assert made == {p1.id, p2.id}
    assert [a[2] for a in together[0][3:]] == (
        [None, "conflict"] if favourites.id < keyed.id else ["conflict", None]
    )


def test_the_batch_path_sends_as_many_statements_for_many_items_as_for_few(uow, market):
    """Statements per batch, not per item (the first run warms the caches of the session)."""

    def statements_for(count: int, run: str) -> int:
        zed, ana, bo = (a_worker(uow, market) for _ in range(3))
        made = [named_offer(uow, market, zed, 3 + day) for day in range(count)]
        late = max(offer.deadline_at for _, offer in made) + timedelta(seconds=1)
        items = [
            {
                "offer_id": offer.id,
                "idempotency_key": f"{run}-e-{n}",
                "next": step_to(ana.id, bo.id, key=f"{run}-n-{n}"),
            }
            for n, (_, offer) in enumerate(made)
        ]
        seen: list[str] = []
        connection = uow.session.connection()
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(connection, "before_cursor_execute", listener)
        try:
            answers = replacements.expire_offers(
                uow, scope=None, items=items, eligible_now=everyone, now=late
            )
        finally:
            event.remove(connection, "before_cursor_execute", listener)
        assert all(a["next"]["worker_id"] == ana.id for a in answers)
        return len(seen)

    few, many = statements_for(3, "few"), statements_for(30, "many")
    assert few == many
    assert many < 40  # one at a time: about thirty an item
