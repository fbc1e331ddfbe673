"""A suspension landing between the search and the offer, over HTTP on the whole platform.

Staff search and see Bo eligible, and book Bo for one shift (an offer Bo holds). Staff then
suspend Bo in identity and, at once, before booking's read model has heard of it, book Bo
again as a named worker: refused with the reason, by identity's re-check at the moment of the
offer. Bo confirming the offer held from before is a 409 too. Then booking's read model shows
Bo suspended, the search leaves Bo out saying why, and Bo's live offer is withdrawn ("worker
suspended").

Booking's events arrive within milliseconds here, quicker than the next request: so that the
test shows identity's re-check rather than the read model, it holds the read model back by
locking booking's rows of Bo and of Bo's offered shift while the suspension lands (booking's
handlers wait for them); the requests in between only read those rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.db import make_engine
from services.booking.bookings.models import Shift
from services.booking.offers.rules import RECHECK_REFUSED, RECHECK_REFUSED_YOU
from services.booking.workers.models import WorkerRecord
from tests.e2e.market import a_cbo, a_client, a_job_type, an_approved_worker
from tests.waiting import wait_for


@pytest.fixture(scope="module")
def booking_db(platform):
    engine = make_engine(platform.settings.database_url("booking"), poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def cbo(api, operator_token, platform):
    """A CBO with a client, its site, and a job type that needs no per-job-type approval."""
    made = a_cbo(api, operator_token, platform, "suspend")
    harbor = a_client(api, platform, made, "Harbor Cafe")
    made["client"], made["site"] = harbor["id"], harbor["site"]
    made["job_type"] = a_job_type(api, made["owner"], "Kitchen help")["id"]
    return made


def local_day(days_ahead: int) -> str:
    return (
        datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days_ahead)
    ).isoformat()


def book_named(api, cbo: dict, worker: dict, *, days_ahead: int):
    return api(
        "POST",
        "/api/v1/bookings",
        cbo["owner"],
        json={
            "client_id": cbo["client"],
            "site_id": cbo["site"],
            "job_type_id": cbo["job_type"],
            "starts_on": local_day(days_ahead),
            "start_time": "09:00",
            "end_time": "13:00",
            "positions": 1,
            "fill_mode": "named",
            "named_worker_id": worker["id"],
        },
    )


def search(api, cbo: dict, worker: dict, *, days_ahead: int) -> dict:
    found = api(
        "POST",
        "/api/v1/worker-search",
        cbo["owner"],
        json={
            "job_type_id": cbo["job_type"],
            "client_id": cbo["client"],
            "site_id": cbo["site"],
            "date": local_day(days_ahead),
            "start_time": "09:00",
            "end_time": "13:00",
            "jobseeker_id": worker["id"],
        },
    )
    assert found.status_code == 200, found.text
    return found.json()


def offer_of(api, cbo: dict, shift_id: str, worker: dict) -> dict:
    page = api("GET", f"/api/v1/shifts/{shift_id}/offers", cbo["owner"])
    assert page.status_code == 200, page.text
    (offer,) = [o for o in page.json()["items"] if o["worker"]["id"] == worker["id"]]
    return offer


@contextmanager
def holding(booking_db, *rows: tuple[type, str]) -> Iterator[None]:
    """Lock these rows of booking's database (model, id) until the block ends."""
    with booking_db.connect() as conn, conn.begin():
        for model, row_id in rows:
            conn.execute(select(model.id).where(model.id == row_id).with_for_update())
        yield


def suspended_in_booking(booking_db, worker: dict) -> bool:
    with Session(booking_db) as session:
        record = session.get(WorkerRecord, worker["id"])
        return record is not None and record.suspended


def test_a_suspension_between_the_search_and_the_offer_stops_the_offer(
    api, smtp, platform, cbo, booking_db
):
    bo = an_approved_worker(api, smtp, platform, cbo, "Bo")

    # Staff search: Bo may work the shift.
    before = search(api, cbo, bo, days_ahead=5)
    assert before["worker"]["eligible"] is True
    assert bo["id"] in {w["worker_id"] for w in before["eligible"]["items"]}
    # An offer Bo holds from before the suspension.
    held = book_named(api, cbo, bo, days_ahead=3)
    assert held.status_code == 201, held.text
    (held_shift,) = held.json()["shifts"]
    held_offer = offer_of(api, cbo, held_shift["id"], bo)
    assert held_offer["status"] == "sent"

    # Booking's read model is held back while the suspension lands: its rows of Bo and of
    # the shift Bo was offered are locked here, so booking's handlers of jobseeker.suspended
    # wait (the state a moment after the suspension, made to last for the test).
    with holding(booking_db, (WorkerRecord, bo["id"]), (Shift, held_shift["id"])):
        suspended = api(
            "POST",
            f"/api/v1/jobseekers/{bo['id']}/suspend",
            cbo["owner"],
            json={"reason": "Documents under review"},
        )
        assert suspended.status_code == 200, suspended.text

        # At once: booking's read model still has Bo eligible; identity's re-check refuses.
        assert not suspended_in_booking(booking_db, bo)
        refused = book_named(api, cbo, bo, days_ahead=5)
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["message"] == f"Bo cannot be offered this shift: {RECHECK_REFUSED}."
        assert error["fields"]["named_worker_id"] == [RECHECK_REFUSED]
        confirmed = api("POST", f"/api/v1/offers/{held_offer['id']}/confirm", bo["token"])
        assert confirmed.status_code == 409, confirmed.text
        assert confirmed.json()["error"]["message"] == (
            f"You can no longer be booked: {RECHECK_REFUSED_YOU}."
        )
        # Nothing was booked by the refused request, nor taken by the refused confirmation.
        bookings = api("GET", "/api/v1/bookings", cbo["owner"], params={"per_page": 100})
        assert bookings.status_code == 200, bookings.text
        assert bookings.json()["total"] == 1
        assert api("GET", "/api/v1/me/shifts", bo["token"]).json()["items"] == []

    # Then booking hears of it: Bo suspended in its read model, left out of the search with
    # the reason, and the offer Bo held withdrawn.
    wait_for(lambda: suspended_in_booking(booking_db, bo), what="booking to know Bo suspended")
    after = search(api, cbo, bo, days_ahead=5)
    assert after["worker"]["eligible"] is False
    assert "suspended" in {r["code"] for r in after["worker"]["reasons"]}
    withdrawn = wait_for(
        lambda: (
            (offer := offer_of(api, cbo, held_shift["id"], bo))["status"] == "withdrawn" and offer
        ),
        what="Bo's live offer to be withdrawn",
    )
    assert withdrawn["end_reason"] == "worker suspended"
    mine = api("GET", "/api/v1/me/offers", bo["token"], params={"status": "sent"})
    assert mine.status_code == 200, mine.text
    assert mine.json()["items"] == []
