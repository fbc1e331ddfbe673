"""Rebooking under stress, on the whole platform (tests/e2e/rebooking_load.py makes the market):

- the rebooking process killed with SIGKILL in the middle of 120 cascades and started again
  carries on: every shift gets its replacement offer, none twice, no timer left behind, nothing
  dead-lettered;
- three rebooking instances side by side run 1,000 cascades (100 in `make test`;
  WORKLB_SCALE_CASCADES sets it) (each shift's named worker lets the deadline pass, the
  preferred worker is offered and lets it pass too, the cascade is exhausted): no offer is
  made twice (counted per shift and worker in booking's database).
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.e2e.rebooking_load import (
    a_load_market,
    cascade_statuses,
    db,
    dead_letters,
    due_at,
    more_rebooking,
    offer_counts,
    offers_by_shift,
    offers_of,
    stop,
    timers,
    wait_for_instances,
)
from tests.waiting import wait_for


def pending_timers(platform, offer_ids) -> int:
    with db(platform, "rebooking").connect() as conn:
        query = text(
            "SELECT count(*) FROM offer_deadlines WHERE offer_id = ANY(:ids) AND status = 'pending'"
        )
        return conn.execute(query, {"ids": offer_ids}).scalar_one()


# Enough shifts that the kill lands in the middle of them (some replaced, not all).
KILLED_SHIFTS = 120


@pytest.mark.timeout(900)
def test_a_rebooking_process_killed_mid_cascade_carries_on_after_a_restart(
    api, smtp, platform, operator_token
):
    market = a_load_market(api, smtp, platform, operator_token, shifts=KILLED_SHIFTS)
    tenant_id, ana = market["cbo"]["id"], market["ana"]["id"]
    # Zed's deadlines pass ten at a time, 0.3 s apart, so that the kill lands among them: the
    # sweep sends a chunk's expiries (and their next offers) to booking in one call, so
    # deadlines passing all at once would be replaced all at once.
    start, zed = datetime.now(UTC), market["zed_offers"]
    for n in range(0, KILLED_SHIFTS, 10):
        due_at(platform, zed[n : n + 10], start + timedelta(seconds=0.03 * n))

    # Some cascades have moved on (Ana offered some shifts), not all: kill it now.
    wait_for(
        lambda: len(offers_by_shift(platform, tenant_id, ana)) >= 10,
        timeout=60,
        interval=0.02,
        what="the first replacement offers",
    )
    rebooking = platform.processes["rebooking"]
    rebooking.send_signal(signal.SIGKILL)
    rebooking.wait(10)
    made_before = len(offers_by_shift(platform, tenant_id, ana))
    platform.spawn(["rebooking"])

    wait_for(
        lambda: len(offers_by_shift(platform, tenant_id, ana)) == KILLED_SHIFTS,
        timeout=180,
        what="Ana to be offered every shift",
    )
    wait_for(
        lambda: cascade_statuses(platform, tenant_id).get("active") == KILLED_SHIFTS,
        timeout=60,
        what=f"{KILLED_SHIFTS} active cascades",
    )
    assert made_before < KILLED_SHIFTS
    assert max(offer_counts(platform, tenant_id).values()) == 1
    assert pending_timers(platform, market["zed_offers"]) == 0
    assert timers(platform, offers_of(platform, tenant_id, ana)) == KILLED_SHIFTS
    assert dead_letters(platform) == 0


# `make test` runs 100 cascades (the same race, a suite that stays short); the 1,000
# with WORKLB_SCALE_CASCADES=1000.
CASCADES = int(os.environ.get("WORKLB_SCALE_CASCADES", "100"))


@pytest.mark.timeout(1800)
def test_three_rebooking_instances_run_a_thousand_cascades_and_never_offer_twice(
    api, smtp, platform, operator_token
):
    n = CASCADES
    market = a_load_market(api, smtp, platform, operator_token, shifts=n)
    tenant_id, ana = market["cbo"]["id"], market["ana"]["id"]
    extra = more_rebooking(platform, 2)
    try:
        wait_for_instances(platform, 3)
        # Zed's deadlines all fall in the same second.
        due_at(platform, market["zed_offers"], datetime.now(UTC) + timedelta(seconds=3))
        wait_for(
            lambda: len(offers_by_shift(platform, tenant_id, ana)) == n,
            timeout=max(300, n * 0.6),
            what="Ana to be offered every shift",
        )
        ana_offers = offers_of(platform, tenant_id, ana)
        wait_for(
            lambda: timers(platform, ana_offers) == n,
            timeout=60,
            what="rebooking to keep Ana's deadlines",
        )
        # Ana lets every deadline pass too: nobody is left, each cascade is exhausted.
        due_at(platform, ana_offers, datetime.now(UTC))
        wait_for(
            lambda: cascade_statuses(platform, tenant_id).get("exhausted") == n,
            timeout=max(300, n * 0.6),
            what=f"{n} exhausted cascades",
        )
    finally:
        stop(extra)
    counts = offer_counts(platform, tenant_id)
    assert len(counts) == 2 * n and max(counts.values()) == 1
    assert cascade_statuses(platform, tenant_id) == {"exhausted": n}
    assert dead_letters(platform) == 0
