"""Rebooking end to end over HTTP, on the whole platform: a CBO holding the rebooking licence
(granted through the operator's API), a client whose rebooking preferences name workers A, B
and C with a one-minute window for replacements.

- The journey: the named worker declines; A is offered and does not confirm; within a second
  of A's deadline B is offered; B declines; C is offered and confirms; the shift is filled and
  the cascade completed.
- Every candidate declines: the cascade is exhausted (no candidates); the CBO's staff get an
  inbox item and an email, and market watch lists the cascade.
- After the licence is revoked the cascade's offer just expires at its deadline, nothing more
  is offered, and market watch lists the expired offer; without it a decline starts nothing.
- The preferences API: defaults, a client user's own client, validation per field, another
  CBO's staff and another client's user get 404.

What no route shows is read, never written, from the databases: rebooking's processed events
(to know a handler has seen an event that must change nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from chassis.db import make_engine
from chassis.tables import processed_events
from tests.e2e.market import (
    a_cbo,
    a_client,
    a_job_type,
    an_approved_worker,
    book,
    days_ahead,
    my_offer,
    shift_offers,
    unique,
)
from tests.e2e.rebooking_load import due_at
from tests.e2e.tokens import minted_email
from tests.waiting import wait_for

PREFS = "/api/v1/clients/{}/rebooking-preferences"


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture(scope="module")
def rebooking_db(platform):
    engine = make_engine(platform.settings.database_url("rebooking"), poolclass=NullPool)
    yield engine
    engine.dispose()


def handled(rebooking_db, handler: str) -> int:
    """How many events rebooking's `handler` has processed."""
    with rebooking_db.connect() as conn:
        query = select(func.count()).where(processed_events.c.handler == f"rebooking.{handler}")
        return conn.execute(query).scalar_one()


@pytest.fixture(scope="module")
def market(api, smtp, platform, operator_token):
    cbo = a_cbo(api, operator_token, platform, "rebook")
    granted = api(
        "POST",
        f"/api/v1/platform/cbos/{cbo['id']}/licences",
        operator_token,
        json={"feature": "rebooking", "starts_on": (days_ahead(0) - timedelta(days=1)).isoformat()},
    )
    assert granted.status_code == 201, granted.text
    client = a_client(api, platform, cbo, unique("Harbor"))
    job_type = a_job_type(api, cbo["owner"], unique("Dishwasher"))
    workers = {
        name: an_approved_worker(api, smtp, platform, cbo, name)
        for name in ("Zed Named", "Ana First", "Bo Second", "Cy Third")
    }
    return {
        "cbo": cbo,
        "licence_id": granted.json()["id"],
        "client": client,
        "job_type": job_type,
        "workers": workers,
    }


def prefer(api, market, names: list[str], **more) -> dict:
    workers = market["workers"]
    body = {
        "preferred_worker_ids": [workers[n]["id"] for n in names],
        "use_ranking": False,
        "confirmation_window_minutes": 1,
        "min_lead_minutes": 0,
        **more,
    }
    changed = api("PATCH", PREFS.format(market["client"]["id"]), market["cbo"]["owner"], json=body)
    assert changed.status_code == 200, changed.text
    return changed.json()


def named_shift(api, market, days: int) -> str:
    made = book(
        api,
        market["cbo"]["owner"],
        client_id=market["client"]["id"],
        site_id=market["client"]["site"],
        job_type_id=market["job_type"]["id"],
        on=days_ahead(days),
        named=market["workers"]["Zed Named"]["id"],
    )
    (shift,) = made["shifts"]
    return shift["id"]


def answer(api, worker: dict, shift_id: str, action: str) -> dict:
    offer = my_offer(api, worker, shift_id)
    done = api("POST", f"/api/v1/offers/{offer['id']}/{action}", worker["token"], json={})
    assert done.status_code == 200, done.text
    return done.json()


def offered(api, market, shift_id: str, worker: dict, status: str = "sent", timeout=15.0):
    def found():
        offer = shift_offers(api, market["cbo"]["owner"], shift_id).get(worker["id"])
        return offer if offer is not None and offer["status"] == status else None

    return wait_for(found, timeout=timeout, what=f"{worker['name']}'s offer to be {status}")


def cascade_of(api, market, shift_id: str) -> dict | None:
    page = api(
        "GET", "/api/v1/rebooking/cascades", market["cbo"]["owner"], params={"shift_id": shift_id}
    )
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    return items[0] if items else None


def test_a_cascade_replaces_a_worker_who_does_not_confirm_until_one_does(api, market, platform):
    w = market["workers"]
    prefer(api, market, ["Ana First", "Bo Second", "Cy Third"])
    shift_id = named_shift(api, market, 3)
    answer(api, w["Zed Named"], shift_id, "decline")

    ana = offered(api, market, shift_id, w["Ana First"])
    assert ana["channel"] == "rebooking"
    window = when(ana["deadline_at"]) - when(ana["created_at"])
    assert timedelta(seconds=50) <= window <= timedelta(seconds=61)
    # Ana does not confirm: at her deadline rebooking has booking expire her offer, and Bo is
    # offered within a second of it. (Her deadline is brought to two seconds from now in both
    # databases, as tests/perf/bench_rebooking.py does, rather than waiting out the minute.)
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    due_at(platform, [ana["id"]], deadline)
    offered(api, market, shift_id, w["Ana First"], status="expired", timeout=30)
    bo = offered(api, market, shift_id, w["Bo Second"])
    assert when(bo["created_at"]) - deadline < timedelta(seconds=1)

    answer(api, w["Bo Second"], shift_id, "decline")
    offered(api, market, shift_id, w["Cy Third"])
    answer(api, w["Cy Third"], shift_id, "confirm")
    shift = api("GET", f"/api/v1/shifts/{shift_id}", market["cbo"]["owner"])
    assert shift.status_code == 200 and shift.json()["status"] == "filled"

    def completed():
        found = cascade_of(api, market, shift_id)
        return found if found and found["status"] == "completed" else None

    cascade = wait_for(completed, what="the cascade to complete")
    assert cascade["trigger"] == "offer.declined" and cascade["attempts"] == 3
    assert [(s["worker_id"], s["source"], s["outcome"]) for s in cascade["steps"]] == [
        (w["Ana First"]["id"], "preferred", "expired"),
        (w["Bo Second"]["id"], "preferred", "declined"),
        (w["Cy Third"]["id"], "preferred", "confirmed"),
    ]
    # Each worker was offered the shift once.
    offers = api("GET", f"/api/v1/shifts/{shift_id}/offers", market["cbo"]["owner"]).json()
    assert sorted(o["worker"]["id"] for o in offers["items"]) == sorted(x["id"] for x in w.values())


def email_of(token: str) -> str:
    """The address of the account behind a token tests/e2e/tokens.py minted."""
    return minted_email(jwt.decode(token, options={"verify_signature": False})["sub"])


def test_when_every_candidate_declines_the_cascade_is_exhausted(api, market, smtp):
    w = market["workers"]
    prefer(api, market, ["Ana First", "Bo Second"])
    shift_id = named_shift(api, market, 4)
    answer(api, w["Zed Named"], shift_id, "decline")
    for name in ("Ana First", "Bo Second"):
        offered(api, market, shift_id, w[name])
        answer(api, w[name], shift_id, "decline")

    def exhausted():
        found = cascade_of(api, market, shift_id)
        return found if found and found["status"] == "exhausted" else None

    cascade = wait_for(exhausted, what="the cascade to be exhausted")
    assert cascade["end_reason"] == "no_candidates" and cascade["attempts"] == 2
    assert w["Cy Third"]["id"] not in shift_offers(api, market["cbo"]["owner"], shift_id)

    # The CBO's staff who manage bookings are alerted: an inbox item and an email (read from
    # the SMTP server on loopback).
    owner = market["cbo"]["owner"]

    def alert() -> dict | None:
        page = api("GET", "/api/v1/me/inbox", owner, params={"per_page": 100})
        assert page.status_code == 200, page.text
        found = [
            i
            for i in page.json()["items"]
            if i["kind"] == "rebooking_exhausted" and i["data"].get("shift_id") == shift_id
        ]
        return found[0] if found else None

    item = wait_for(alert, what="the staff alert in the owner's inbox")
    assert item["title"].startswith("No replacement found") and item["read_at"] is None
    owner_email = email_of(owner)
    mail = wait_for(
        lambda: next(
            (m for m in smtp.to(owner_email) if "No replacement found" in m["Subject"]), None
        ),
        what="the alert's email",
    )
    assert "No replacement found" in mail["Subject"]
    # Market watch shows the exhausted cascade, with the action that resolves it.
    watch = api("GET", "/api/v1/market-watch", owner, params={"horizon_hours": 168})
    assert watch.status_code == 200, watch.text
    [shown] = [c for c in watch.json()["cascades_exhausted"]["items"] if c["shift_id"] == shift_id]
    assert shown["reason"] == "no_candidates" and shown["attempts"] == 2
    assert shown["action"]["href"] == f"/api/v1/shifts/{shift_id}/offers"


def test_after_the_licence_is_revoked_offers_just_expire_and_nothing_starts(
    api, market, operator_token, rebooking_db, platform
):
    w = market["workers"]
    prefer(api, market, ["Ana First", "Bo Second", "Cy Third"])
    shift_id = named_shift(api, market, 5)
    answer(api, w["Zed Named"], shift_id, "decline")
    ana = offered(api, market, shift_id, w["Ana First"])

    revoked = api(
        "POST",
        f"/api/v1/platform/cbos/{market['cbo']['id']}/licences/{market['licence_id']}/revoke",
        operator_token,
        json={"reason": "Trial over"},
    )
    assert revoked.status_code == 200, revoked.text
    wait_for(lambda: handled(rebooking_db, "learn_licence_revoked"), what="rebooking to learn")

    # Ana's offer still expires at its deadline (brought to two seconds from now); nobody else
    # is offered; the cascade stops.
    expiries = handled(rebooking_db, "rebook_expired_offer")
    due_at(platform, [ana["id"]], datetime.now(UTC) + timedelta(seconds=2))
    offered(api, market, shift_id, w["Ana First"], status="expired", timeout=30)
    wait_for(
        lambda: handled(rebooking_db, "rebook_expired_offer") > expiries,
        what="rebooking to see the expiry",
    )
    assert set(shift_offers(api, market["cbo"]["owner"], shift_id)) == {
        w["Zed Named"]["id"],
        w["Ana First"]["id"],
    }
    cascade = cascade_of(api, market, shift_id)
    assert cascade is not None and (cascade["status"], cascade["end_reason"]) == (
        "stopped",
        "licence",
    )
    assert ana["deadline_at"]
    # Staff see the expired offer in market watch: nobody else has been offered the shift.
    watch = api(
        "GET", "/api/v1/market-watch", market["cbo"]["owner"], params={"horizon_hours": 168}
    )
    assert watch.status_code == 200, watch.text
    [expired] = [o for o in watch.json()["expired_offers"]["items"] if o["shift_id"] == shift_id]
    assert expired["worker"]["worker_id"] == w["Ana First"]["id"]
    assert expired["pending_offers"] == 0
    assert expired["action"]["href"] == f"/api/v1/shifts/{shift_id}/offers"

    # Without the licence a decline starts nothing.
    declines = handled(rebooking_db, "rebook_declined_offer")
    other = named_shift(api, market, 6)
    answer(api, w["Zed Named"], other, "decline")
    wait_for(
        lambda: handled(rebooking_db, "rebook_declined_offer") > declines,
        what="rebooking to see the decline",
    )
    assert list(shift_offers(api, market["cbo"]["owner"], other)) == [w["Zed Named"]["id"]]
    assert cascade_of(api, market, other) is None


def test_preferences_are_checked_per_field_and_hidden_from_other_cbos_and_clients(
    api, platform, market, operator_token
):
    owner, client = market["cbo"]["owner"], market["client"]
    path = PREFS.format(client["id"])
    # A client's own user reads and changes its preferences.
    mine = api("GET", path, client["user"])
    assert mine.status_code == 200, mine.text
    changed = api("PATCH", path, client["user"], json={"max_attempts": 4})
    assert changed.status_code == 200 and changed.json()["max_attempts"] == 4

    for body, field in (
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": "3"}, "max_attempts"),
        ({"confirmation_window_minutes": 10**12}, "confirmation_window_minutes"),
        ({"min_lead_minutes": -1}, "min_lead_minutes"),
        ({"use_ranking": "perhaps"}, "use_ranking"),
        ({"preferred_worker_ids": ["a", "a"]}, "preferred_worker_ids"),
        ({"preferred_worker_ids": ["x" * 37]}, "preferred_worker_ids"),
        ({"preferred_worker_ids": ["ក"]}, "preferred_worker_ids"),
        ({"preferred_worker_ids": [str(i) for i in range(51)]}, "preferred_worker_ids"),
        ({"preferred_worker_ids": "abc"}, "preferred_worker_ids"),
        ({"surprise": 1}, "surprise"),
    ):
        refused = api("PATCH", path, owner, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert field in refused.json()["error"]["fields"], (body, refused.text)
    assert api("GET", path, owner).json()["max_attempts"] == 4

    other_cbo = a_cbo(api, operator_token, platform, "rebook-other")
    other_client = a_client(api, platform, market["cbo"], unique("Other"))
    for token in (other_cbo["owner"], other_client["user"]):
        assert api("GET", path, token).status_code == 404
        assert api("PATCH", path, token, json={"max_attempts": 2}).status_code == 404
    assert api("GET", PREFS.format("no-such-client"), owner).status_code == 404
    assert api("GET", "/api/v1/rebooking/cascades", other_client["user"]).json()["total"] == 0
