"""The market made over HTTP for booking's end-to-end tests, as its people make it: a CBO the
city approved, clients registered with tenancy, their sites and the CBO's job types in booking,
client users, approved job seekers (self-registered, documents verified, approved by staff),
bookings, offers and confirmations.

Everything goes through the gateway, except what no route can do:

- `wait_for_worker` reads booking's read model (booking_db) to know when the events of a job
  seeker's approval have reached it; it writes nothing;
- `into_the_past` moves a booked shift's times into the past, so that its attendance can be
  marked (no route makes a shift start sooner; see there);
- `seed_score` writes a reliability score, for a test about ranking that does not wait for the
  shifts worked that would have earned it.

Things are plain dicts, so a test reads them as `cbo["owner"]`, `client["site"]` ...
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.db import make_engine
from services.booking.bookings.models import Shift
from services.booking.offers.models import Assignment, Offer
from services.booking.reliability.models import ReliabilityScore
from services.booking.workers.models import WorkerRecord
from tests.e2e.cbos import apply_and_approve
from tests.e2e.registration import register_and_confirm
from tests.e2e.tokens import mint_token, staff_token
from tests.waiting import wait_for

LB = ZoneInfo("America/Los_Angeles")
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 256
PASSWORD = "correct horse battery staple"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALL_WEEK = {"weekly": {day: [{"start": "00:00", "end": "24:00"}] for day in DAYS}, "exceptions": []}
DOWNTOWN_ZIP = "90802"

_engines: dict[str, Engine] = {}


def booking_db(platform) -> Engine:
    """An engine on the platform's booking database (one per database, kept for the run)."""
    url = platform.settings.database_url("booking")
    return _engines.get(url) or _engines.setdefault(url, make_engine(url, poolclass=NullPool))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# -- days ----------------------------------------------------------------------------------------


def today() -> date:
    """Today in Long Beach (the CBOs' and sites' time zone)."""
    return datetime.now(LB).date()


def next_monday() -> date:
    """A Monday one to two weeks ahead, in Long Beach."""
    now = today()
    return now + timedelta(days=7 + (7 - now.weekday()) % 7 or 7)


def days_ahead(days: int) -> date:
    return today() + timedelta(days=days)


# -- the CBO, its clients and its catalogue ------------------------------------------------------


def a_cbo(api, operator_token: str, platform, prefix: str, **settings: int) -> dict:
    """A CBO the city approved, with its owner's token ("owner"); `settings` are booking
    settings to change (e.g. tier_delay_min_seconds=1)."""
    slug = unique(prefix)
    tenant_id = apply_and_approve(api, operator_token, slug)
    # Minting waits until identity knows the CBO (its people can register from then on).
    owner = staff_token(platform, tenant_id, ["owner"])
    if settings:
        changed = api("PATCH", "/api/v1/booking-settings", owner, json=settings)
        assert changed.status_code == 200, changed.text
    return {"id": tenant_id, "slug": slug, "owner": owner}


def client_body(name: str, **overrides) -> dict:
    return {
        "name": name,
        "kind": "business",
        "billing_contact": "Bill Payer",
        "billing_email": f"ap.{uuid.uuid4().hex[:8]}@clients.example.com",
        "address_line1": "1 Pine Ave",
        "city": "Long Beach",
        "state": "CA",
        "postal_code": "90802",
        **overrides,
    }


def register_client(api, owner: str, name: str, **overrides) -> str:
    """A client registered with tenancy (booking asks tenancy of a client it has not heard
    of yet, so it can be booked at once): its id."""
    made = api("POST", "/api/v1/clients", owner, json=client_body(name, **overrides))
    assert made.status_code == 201, made.text
    return made.json()["id"]


def client_user(platform, tenant_id: str, client_id: str, **claims) -> str:
    """A token of a user of the client (kind client) of the CBO `tenant_id`."""
    return mint_token(
        platform, tenant_id=tenant_id, kind="client", roles=["client"], cid=client_id, **claims
    )


def site_body(client_id: str | None, name: str = "Harbor Cafe", **overrides) -> dict:
    body = {
        "name": name,
        "address_line1": "1 Pine Ave",
        "city": "Long Beach",
        "state": "CA",
        "zip": DOWNTOWN_ZIP,
        **overrides,
    }
    if client_id is not None:
        body["client_id"] = client_id
    return body


def a_site(api, token: str, client_id: str | None, name: str, **overrides) -> dict:
    """A site of the client, made by staff (or by the client's own user, client_id None)."""
    made = api("POST", "/api/v1/sites", token, json=site_body(client_id, name, **overrides))
    assert made.status_code == 201, made.text
    return made.json()


def job_type_body(name: str, **overrides) -> dict:
    return {"name": name, "pay_rate_cents": 2000, "bill_rate_cents": 2800, **overrides}


def a_job_type(api, owner: str, name: str, **overrides) -> dict:
    """A job type of the CBO (client_id=...: exclusive to that client)."""
    made = api("POST", "/api/v1/job-types", owner, json=job_type_body(name, **overrides))
    assert made.status_code == 201, made.text
    return made.json()


def a_client(api, platform, cbo: dict, name: str, *, site: str | None = None) -> dict:
    """A client of the CBO ready to book: registered with tenancy, a site (named `site`, else
    "<name> kitchen") and a user. {"id", "name", "site" (its id), "user" (a token)}."""
    client_id = register_client(api, cbo["owner"], name)
    made = a_site(api, cbo["owner"], client_id, site or f"{name} kitchen")
    return {
        "id": client_id,
        "name": name,
        "site": made["id"],
        "user": client_user(platform, cbo["id"], client_id),
    }


def a_worker_source(
    api, owner: str, name: str, *, weekly_hour_cap: float | None, terms: Iterable[dict] = ()
) -> str:
    """A worker source of the CBO (tenancy), e.g. a college capping its students' hours in
    its terms ({"starts_on", "ends_on"} ISO dates): its id."""
    made = api(
        "POST",
        "/api/v1/worker-sources",
        owner,
        json={"name": name, "weekly_hour_cap": weekly_hour_cap, "terms": list(terms)},
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


def set_preference(
    api, token: str, client_id: str, worker_id: str, rating: str, note: str | None = None
) -> dict:
    """The client's rating of a worker, set directly: staff may rate any worker of their CBO
    (with a note saying why), a client user only one who worked for them."""
    body: dict[str, Any] = {"rating": rating}
    if note is not None:
        body["note"] = note
    made = api("PUT", f"/api/v1/clients/{client_id}/preferences/{worker_id}", token, json=body)
    assert made.status_code == 200, made.text
    return made.json()


# -- job seekers ---------------------------------------------------------------------------------


def _staff_changes(api, owner: str, worker_id: str, changes: dict) -> None:
    """Staff change the job seeker's profile; retried while identity has not yet heard of a
    worker source named in it (it learns of them from tenancy's events)."""

    def attempt():
        response = api("PUT", f"/api/v1/jobseekers/{worker_id}", owner, json=changes)
        if response.status_code == 422 and "source_id" in response.json()["error"]["fields"]:
            return None
        return [response]

    (changed,) = wait_for(attempt, what="identity to know the CBO's worker source")
    assert changed.status_code == 200, changed.text


def wait_for_worker(
    platform,
    worker_id: str,
    *,
    approved: bool = True,
    available: bool = True,
    source_id: str | None = None,
    job_types: Iterable[str] = (),
    what: str = "the job seeker",
) -> None:
    """Until booking's read model holds what identity's events say of the job seeker."""
    engine = booking_db(platform)
    wanted_types = set(job_types)

    def known() -> bool:
        with Session(engine) as session:
            found = session.get(WorkerRecord, worker_id)
            return (
                found is not None
                and found.approved == approved
                and (not available or bool(found.weekly_minutes))
                and found.source_id == source_id
                and wanted_types <= set(found.job_types or ())
            )

    wait_for(known, what=f"booking to know {what}")


def an_approved_worker(
    api,
    smtp,
    platform,
    cbo: dict,
    name: str,
    *,
    availability: dict | None = ALL_WEEK,
    home_zip: str = DOWNTOWN_ZIP,
    source_id: str | None = None,
    job_types: Iterable[str] = (),
    approved: bool = True,
    language: str = "en",
    phone: str = "(562) 555-0100",
    email: str | None = None,
) -> dict:
    """A job seeker who registered themself (and confirmed their email), whose documents staff
    verified and whom staff approved (unless approved=False), with `availability` (None: none),
    their home ZIP, a worker source and per-job-type approvals (job type keys). Returns once
    booking's read model knows all of it: {"id", "name", "token" (their own)}."""
    owner = cbo["owner"]
    body = {
        "email": email or f"{name.lower().replace(' ', '.')}-{uuid.uuid4().hex[:6]}@example.org",
        "password": PASSWORD,
        "name": name,
        "phone": phone,
        "preferred_language": language,
        "home_area": home_zip,
    }
    worker_id, token = register_and_confirm(api, smtp, cbo["slug"], body)
    base = f"/api/v1/jobseekers/{worker_id}"
    changes: dict[str, Any] = {}
    if availability is not None:
        changes["availability"] = availability
    if source_id is not None:
        changes["source_id"] = source_id
    if changes:
        _staff_changes(api, owner, worker_id, changes)
    if approved:
        for document_type, content, filename in (
            ("photo_id", PNG, "face.png"),
            ("work_authorization", PDF, "permit.pdf"),
        ):
            uploaded = api(
                "POST",
                f"{base}/documents",
                owner,
                data={"document_type": document_type},
                files={"file": (filename, content, "application/octet-stream")},
            )
            assert uploaded.status_code == 201, uploaded.text
            verified = api("POST", f"{base}/documents/{uploaded.json()['id']}/verify", owner)
            assert verified.status_code == 200, verified.text
        done = api("POST", f"{base}/approve", owner)
        assert done.status_code == 200, done.text
    for key in job_types:
        typed = api("POST", f"{base}/job-types", owner, json={"job_type": key})
        assert typed.status_code == 200, typed.text
    wait_for_worker(
        platform,
        worker_id,
        approved=approved,
        available=availability is not None and bool(availability.get("weekly")),
        source_id=source_id,
        job_types=job_types,
        what=name,
    )
    return {"id": worker_id, "name": name, "token": token, "email": body["email"]}


# -- bookings, offers, assignments --------------------------------------------------------------


def booking_body(
    *,
    site_id: str,
    job_type_id: str,
    on: date,
    client_id: str | None = None,
    start: str = "09:00",
    end: str = "13:00",
    fill_mode: str = "open",
    named: str | None = None,
    **more,
) -> dict:
    """A booking's body: one shift `on` the day from `start` to `end` at the site (more: positions,
    recurrence, notes ...); named=<worker id> offers it to that worker."""
    body = {
        "client_id": client_id,
        "site_id": site_id,
        "job_type_id": job_type_id,
        "starts_on": on.isoformat(),
        "start_time": start,
        "end_time": end,
        "fill_mode": "named" if named else fill_mode,
        **more,
    }
    if named:
        body["named_worker_id"] = named
    return body


def book(api, token: str, **booking) -> dict:
    """A booking made by staff (naming client_id) or a client user: the booking with its
    shifts."""
    made = api("POST", "/api/v1/bookings", token, json=booking_body(**booking))
    assert made.status_code == 201, made.text
    return made.json()


def shift_offers(api, token: str, shift_id: str) -> dict[str, dict]:
    """The shift's offers by worker id, as the caller reads them."""
    page = api("GET", f"/api/v1/shifts/{shift_id}/offers", token, params={"per_page": 200})
    assert page.status_code == 200, page.text
    return {offer["worker"]["id"]: offer for offer in page.json()["items"]}


def my_offer(api, worker: dict, shift_id: str, status: str = "sent") -> dict:
    """The worker's one offer of the shift, as they read it in their own offers."""
    page = api(
        "GET", "/api/v1/me/offers", worker["token"], params={"status": status, "per_page": 200}
    )
    assert page.status_code == 200, page.text
    (offer,) = [o for o in page.json()["items"] if o["shift"]["id"] == shift_id]
    return offer


def confirm(api, worker: dict, shift_id: str) -> dict:
    """The worker confirms their offer of the shift: the confirmed offer (with assignment_id)."""
    offer = my_offer(api, worker, shift_id)
    confirmed = api("POST", f"/api/v1/offers/{offer['id']}/confirm", worker["token"])
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()


def placed(api, token: str, worker: dict, **booking) -> dict:
    """A shift booked for the named worker (by staff, or a client user) who confirms it:
    {"booking_id", "shift_id", "offer_id", "assignment_id"}."""
    made = book(api, token, named=worker["id"], **booking)
    (shift,) = made["shifts"]
    confirmed = confirm(api, worker, shift["id"])
    return {
        "booking_id": made["id"],
        "shift_id": shift["id"],
        "offer_id": confirmed["id"],
        "assignment_id": confirmed["assignment_id"],
    }


def into_the_past(platform, shift_id: str, starts_at: datetime) -> None:
    """Move a booked shift (and its offers and assignments) to start at `starts_at`, keeping
    its length: attendance is marked once a shift has started, bookings start in the future,
    and no route moves a shift. Waiting for a real start would cost a minute per shift (times
    are whole minutes), so this one step is SQL, and it touches times only."""
    with Session(booking_db(platform)) as session, session.begin():
        shift = session.get(Shift, shift_id)
        assert shift is not None, shift_id
        moved = starts_at.astimezone(UTC) - shift.starts_at
        for model in (Shift, Offer, Assignment):
            key = model.id if model is Shift else model.shift_id
            session.execute(
                update(model)
                .where(key == shift_id)
                .values(starts_at=model.starts_at + moved, ends_at=model.ends_at + moved)
            )
        # An offer's deadline is never after its shift starts.
        session.execute(
            update(Offer)
            .where(Offer.shift_id == shift_id)
            .values(deadline_at=func.least(Offer.deadline_at, Offer.starts_at))
        )


def seed_score(platform, cbo: dict, worker: dict, score: float) -> None:
    """A worker's reliability score, as shifts worked would have left it: for ranking tests
    that do not work those shifts (reliability's own tests earn scores through the API)."""
    with booking_db(platform).begin() as conn:
        conn.execute(
            insert(ReliabilityScore)
            .values(worker_id=worker["id"], tenant_id=cbo["id"], score=score, active_points=0.0)
            .on_conflict_do_update(index_elements=["worker_id"], set_={"score": score})
        )
