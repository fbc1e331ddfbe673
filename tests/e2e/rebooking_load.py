"""Many cascades at once, for the rebooking scale tests (tests/e2e/test_rebooking_scale.py)
and the benchmark (tests/perf/bench_rebooking.py).

A licensed CBO whose client prefers one worker ("Ana", no ranking); named bookings that offer
`shifts` shifts to "Zed" (daily, in five slots of a day that never overlap, so one worker may
hold them all). Made through the API, like tests/e2e/market.py's market.

What no route does is SQL, and touches deadlines only: `due_at` moves offers' deadlines (in
booking's offers and in rebooking's timers, as offer.sent recorded them) to one moment, as if
they had been made with a window ending then; a real window is at least a minute, and a
thousand of them cannot be made to end in the same second any other way. The rest is read:
offers per shift and worker in booking's database, cascades in rebooking's.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlparse

import requests
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from chassis.db import make_engine
from deploy.catalogue import SERVICE_CLASSES
from deploy.local import ROOT, die_with
from services.booking.offers.models import Offer
from tests.e2e.market import (
    a_cbo,
    a_client,
    a_job_type,
    an_approved_worker,
    booking_body,
    days_ahead,
    unique,
)
from tests.waiting import wait_for

# Slots of a day that never overlap (one worker may hold them all) and never start or end in
# the hour daylight saving skips (02:00-03:00 local in spring), each a named booking of up to
# PER_BOOKING daily shifts (fewer than booking's 200, so one booking stays well inside the
# gateway's RPC timeout).
SLOTS = (
    ("00:00", "01:30"),
    ("03:00", "05:00"),
    ("05:30", "07:30"),
    ("08:00", "10:00"),
    ("10:30", "12:30"),
    ("13:00", "15:00"),
    ("15:30", "17:30"),
    ("18:00", "20:00"),
    ("20:30", "22:30"),
)
PER_BOOKING = 120

_engines: dict[str, Engine] = {}


def db(platform, service: str) -> Engine:
    """An engine on one of the platform's databases that keeps one connection: the tests poll
    often, and the server's connections are shared by every platform on the machine."""
    url = platform.settings.database_url(service)
    return _engines.get(url) or _engines.setdefault(
        url, make_engine(url, pool_size=1, max_overflow=1, pool_pre_ping=True)
    )


def a_load_market(
    api, smtp, platform, operator_token, *, shifts: int, also_bo: bool = False
) -> dict:
    """A licensed CBO, its client (preferring Ana, and Bo after her when `also_bo`; no
    ranking, windows of an hour, no lead limit), and `shifts` shifts offered to Zed by named
    bookings. Returns {"cbo", "client", "zed", "ana", "bo" (or None), "shift_ids",
    "zed_offers" (offer ids)}."""
    cbo = a_cbo(api, operator_token, platform, "load")
    granted = api(
        "POST",
        f"/api/v1/platform/cbos/{cbo['id']}/licences",
        operator_token,
        json={"feature": "rebooking", "starts_on": (days_ahead(0) - timedelta(days=1)).isoformat()},
    )
    assert granted.status_code == 201, granted.text
    client = a_client(api, platform, cbo, unique("Depot"))
    job_type = a_job_type(api, cbo["owner"], unique("Loader"))
    zed = an_approved_worker(api, smtp, platform, cbo, "Zed Named")
    ana = an_approved_worker(api, smtp, platform, cbo, "Ana Replacement")
    bo = an_approved_worker(api, smtp, platform, cbo, "Bo Second") if also_bo else None
    prefs = api(
        "PATCH",
        f"/api/v1/clients/{client['id']}/rebooking-preferences",
        cbo["owner"],
        json={
            "preferred_worker_ids": [ana["id"]] + ([bo["id"]] if bo else []),
            "use_ranking": False,
            "confirmation_window_minutes": 60,
            "min_lead_minutes": 0,
            "max_attempts": 3,
        },
    )
    assert prefs.status_code == 200, prefs.text
    shift_ids: list[str] = []
    bookings = math.ceil(shifts / PER_BOOKING)
    assert bookings <= len(SLOTS), f"at most {len(SLOTS) * PER_BOOKING} shifts"
    for number in range(bookings):
        count = min(PER_BOOKING, shifts - number * PER_BOOKING)
        start, end = SLOTS[number]
        body = booking_body(
            client_id=client["id"],
            site_id=client["site"],
            job_type_id=job_type["id"],
            on=days_ahead(2),
            start=start,
            end=end,
            named=zed["id"],
            recurrence=f"FREQ=DAILY;COUNT={count}",
        )
        made = api("POST", "/api/v1/bookings", cbo["owner"], json=body)
        assert made.status_code == 201, made.text
        shift_ids += [s["id"] for s in made.json()["shifts"]]
    zed_offers = offers_of(platform, cbo["id"], zed["id"])
    assert len(zed_offers) == shifts
    # Rebooking has each of Zed's deadlines as a timer.
    wait_for(
        lambda: timers(platform, zed_offers) == shifts,
        timeout=120,
        what="rebooking to record Zed's deadlines",
    )
    return {
        "cbo": cbo,
        "client": client,
        "zed": zed,
        "ana": ana,
        "bo": bo,
        "shift_ids": shift_ids,
        "zed_offers": zed_offers,
    }


def offers_of(platform, tenant_id: str, worker_id: str) -> list[str]:
    with Session(db(platform, "booking")) as session:
        query = select(Offer.id).where(Offer.tenant_id == tenant_id, Offer.worker_id == worker_id)
        return list(session.execute(query).scalars())


def timers(platform, offer_ids: list[str]) -> int:
    with db(platform, "rebooking").connect() as conn:
        query = text("SELECT count(*) FROM offer_deadlines WHERE offer_id = ANY(:ids)")
        return conn.execute(query, {"ids": offer_ids}).scalar_one()


def due_at(platform, offer_ids: list[str], moment: datetime) -> None:
    """The offers' deadlines (booking's, and rebooking's timers) moved to `moment`."""
    with Session(db(platform, "booking")) as session, session.begin():
        session.execute(update(Offer).where(Offer.id.in_(offer_ids)).values(deadline_at=moment))
    with db(platform, "rebooking").begin() as conn:
        conn.execute(
            text(
                "UPDATE offer_deadlines SET deadline_at = :at, due_at = :at "
                "WHERE offer_id = ANY(:ids) AND status = 'pending'"
            ),
            {"at": moment, "ids": offer_ids},
        )


def offer_counts(platform, tenant_id: str) -> dict[tuple[str, str], int]:
    """How many offers booking made per (shift, worker) in the CBO."""
    with Session(db(platform, "booking")) as session:
        query = (
            select(Offer.shift_id, Offer.worker_id, func.count())
            .where(Offer.tenant_id == tenant_id)
            .group_by(Offer.shift_id, Offer.worker_id)
        )
        return {(s, w): n for s, w, n in session.execute(query).all()}


def offers_by_shift(platform, tenant_id: str, worker_id: str) -> dict[str, tuple[str, datetime]]:
    """The worker's offers: shift id -> (offer id, created_at)."""
    with Session(db(platform, "booking")) as session:
        query = select(Offer.shift_id, Offer.id, Offer.created_at).where(
            Offer.tenant_id == tenant_id, Offer.worker_id == worker_id
        )
        return {s: (o, c) for s, o, c in session.execute(query).all()}


def offers_published(platform, tenant_id: str, worker_id: str) -> dict[str, datetime]:
    """When each of the worker's offer.sent left booking's outbox: offer id -> published_at
    (after the offer's commit, so never earlier than the worker could learn of it)."""
    with db(platform, "booking").connect() as conn:
        query = text(
            "SELECT envelope->'data'->>'offer_id', published_at FROM outbox "
            "WHERE event_type = 'offer.sent' AND tenant_id = :t "
            "AND envelope->'data'->>'worker_id' = :w AND published_at IS NOT NULL"
        )
        return dict(conn.execute(query, {"t": tenant_id, "w": worker_id}).all())


def cascade_statuses(platform, tenant_id: str) -> dict[str, int]:
    with db(platform, "rebooking").connect() as conn:
        query = text("SELECT status, count(*) FROM cascades WHERE tenant_id = :t GROUP BY status")
        return {status: n for status, n in conn.execute(query, {"t": tenant_id}).all()}


def dead_letters(platform) -> int:
    with db(platform, "rebooking").connect() as conn:
        return conn.execute(text("SELECT count(*) FROM dead_letters")).scalar_one()


def more_rebooking(platform, count: int) -> list[subprocess.Popen]:
    """`count` more rebooking instances beside the platform's own, as a deploy would scale it
    (each dies with this process)."""
    log = platform.var / "log"
    return [
        subprocess.Popen(
            [sys.executable, "-m", "chassis.runner", SERVICE_CLASSES["rebooking"]],
            cwd=ROOT,
            # Smaller pools each: the platform's processes and these stay within the 100
            # connections of a shared PostgreSQL's defaults.
            env={
                **platform.env,
                "WORKLB_OPS_PORT_BASE": "0",
                "WORKLB_MAX_WORKERS": str(min(10, int(platform.env.get("WORKLB_MAX_WORKERS", 20)))),
                "WORKLB_DB_POOL_SIZE": "2",
                "WORKLB_DB_MAX_OVERFLOW": "3",
            },
            stdout=(log / f"rebooking-{n + 2}.log").open("ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            preexec_fn=die_with(os.getpid()),
        )
        for n in range(count)
    ]


def stop(processes: Iterable[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(12)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# RabbitMQ's management figures are refreshed this often (its collect_statistics_interval).
STATS_SECONDS = 5.0


def traffic(platform) -> tuple[int, int, int]:
    """The vhost's messages waiting or in hand, and how many it has taken in and handed out
    so far (RabbitMQ's message_stats)."""
    settings = platform.settings
    api = urlparse(settings.rabbit_api_uri)
    vhost = quote(urlparse(settings.amqp_uri).path.lstrip("/") or "/", safe="")
    url = f"{api.scheme}://{api.hostname}:{api.port}/api/vhosts/{vhost}"
    auth = (api.username or "guest", api.password or "guest")
    answer = requests.get(url, auth=auth, timeout=10)
    answer.raise_for_status()
    found = answer.json()
    stats = found.get("message_stats") or {}
    return (found.get("messages") or 0, stats.get("publish") or 0, stats.get("deliver_get") or 0)


def wait_until_quiet(platform, timeout: float = 900) -> None:
    """Until every event a burst caused has been handled: no message waiting in the vhost,
    and nothing taken in or handed out over a whole refresh of RabbitMQ's figures (which lag
    by up to one)."""
    seen: dict[str, Any] = {"figures": None, "since": 0.0}

    def settled() -> bool:
        figures, now = traffic(platform), time.monotonic()
        if figures != seen["figures"]:
            seen.update(figures=figures, since=now)
        return figures[0] == 0 and now - seen["since"] > STATS_SECONDS

    wait_for(settled, timeout=timeout, interval=1, what="quiet queues")


def wait_for_instances(platform, count: int) -> None:
    """Until `count` rebooking instances consume booking's offer.expired (each has started)."""
    settings = platform.settings
    api = urlparse(settings.rabbit_api_uri)
    vhost = quote(urlparse(settings.amqp_uri).path.lstrip("/") or "/", safe="")
    queue = quote("evt-booking-offer.expired--rebooking.rebook_expired_offer", safe="")
    url = f"{api.scheme}://{api.hostname}:{api.port}/api/queues/{vhost}/{queue}"
    auth = (api.username or "guest", api.password or "guest")

    def consumers() -> bool:
        answer = requests.get(url, auth=auth, timeout=5)
        return answer.ok and answer.json().get("consumers", 0) >= count

    wait_for(consumers, timeout=60, interval=0.5, what=f"{count} rebooking instances")
