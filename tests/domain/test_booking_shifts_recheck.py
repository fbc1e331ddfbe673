"""The batch re-check (search.domain.ShiftsRecheck) answers for every pair what the search's
`reasons_against` answers one pair at a time: a worker holding pending offers all week (only
the one that meets a shift's hours counts against it), a shift booked, offers that ended, and
the offers the batch notes as it makes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.booking.search import domain as search
from services.booking.search import rules
from tests.market.offers import a_market, a_market_shift, a_worker, in_days
from tests.market.search import an_assignment, an_offer

SERVICE = "booking"

NOW = datetime.now(UTC).replace(microsecond=0)


def test_the_batch_recheck_answers_as_one_pair_at_a_time(uow):
    market = a_market(uow)
    worker = a_worker(uow, market)
    first = in_days(3).replace(hour=6)
    # Twelve shifts of four hours, one every five: none overlaps the next.
    shifts = [
        a_market_shift(uow, market, fill_mode="open", starts_at=first + timedelta(hours=5 * k))
        for k in range(12)
    ]
    overlapping = a_market_shift(
        uow, market, fill_mode="open", starts_at=shifts[3].starts_at + timedelta(hours=1)
    )
    over_booked = a_market_shift(
        uow, market, fill_mode="open", starts_at=shifts[5].starts_at + timedelta(hours=2)
    )
    noted = a_market_shift(
        uow, market, fill_mode="open", starts_at=shifts[10].starts_at + timedelta(hours=2)
    )
    for number, shift in enumerate(shifts):
        if number % 3 == 0:
            an_offer(uow, shift=shift, worker_id=worker.id)
        elif number % 3 == 1:
            an_offer(uow, shift=shift, worker_id=worker.id, status="declined")
    an_assignment(uow, shift=shifts[5], worker_id=worker.id)
    everything = [*shifts, overlapping, over_booked, noted]

    recheck = search.ShiftsRecheck(uow, shifts=everything, worker_ids=[worker.id])
    seen = set()
    for shift in everything:
        batch = recheck.reasons_against(shift=shift, worker_id=worker.id, now=NOW)
        alone = search.reasons_against(uow, shift=shift, worker_id=worker.id, now=NOW)
        assert batch == alone, shift.starts_at
        seen |= {reason.code for reason in batch}
    assert {rules.OFFERED, rules.BOOKED} <= seen

    # An offer the batch makes holds the worker's time for the pairs after it.
    assert recheck.reasons_against(shift=noted, worker_id=worker.id, now=NOW) == []
    recheck.note_offer(shift=shifts[10], worker_id=worker.id, worker_tenant_id=market.tenant_id)
    codes = [r.code for r in recheck.reasons_against(shift=noted, worker_id=worker.id, now=NOW)]
    assert codes == [rules.OFFERED]
    an_offer(uow, shift=shifts[10], worker_id=worker.id)
    assert recheck.reasons_against(
        shift=noted, worker_id=worker.id, now=NOW
    ) == search.reasons_against(uow, shift=noted, worker_id=worker.id, now=NOW)
