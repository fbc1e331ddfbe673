"""What booking's search shows of billing's cost of a shift (search/domain.py cost_view and
attach_costs with a stand-in for billing): staff see pay, client users the bill only; one call
for the page; billing down leaves every cost null and the search answering."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from chassis.errors import ServiceUnavailable
from services.booking.search import domain

COST = {
    "worker_id": "w1",
    "week_start": date(2026, 11, 16),
    "before": {"regular_minutes": 2400, "overtime_minutes": 0, "double_time_minutes": 0},
    "after": {"regular_minutes": 2400, "overtime_minutes": 120, "double_time_minutes": 0},
    "shift": {"regular_minutes": 0, "overtime_minutes": 120, "double_time_minutes": 0},
    "added": {
        "regular_minutes": 0,
        "overtime_minutes": 120,
        "double_time_minutes": 0,
        "pay_cents": 3800,
        "bill_cents": 5320,
    },
    "seventh_day": False,
}


def test_staff_see_the_pay_a_shift_adds():
    view = domain.cost_view(COST, name="Ana Reyes", is_client=False)
    assert view["summary"] == "this shift puts Ana at 42 h: 2 h at 1.5x, +$38.00"
    assert (view["added_pay_cents"], view["added_bill_cents"]) == (3800, 5320)


def test_a_client_sees_the_bill_never_the_pay():
    view = domain.cost_view(COST, name="Ana Reyes", is_client=True)
    assert view["summary"] == "this shift puts Ana at 42 h: 2 h at 1.5x, +$53.20 billed"
    assert view["added_pay_cents"] is None


def test_no_premium_is_said_so():
    plain = {**COST, "shift": {**COST["shift"], "overtime_minutes": 0, "regular_minutes": 90}}
    plain["after"] = {"regular_minutes": 90, "overtime_minutes": 0, "double_time_minutes": 0}
    assert domain.cost_view(plain, name="Bo", is_client=False)["summary"].startswith(
        "this shift puts Bo at 1.5 h: no premium"
    )


def _answer():
    starts = datetime(2026, 11, 21, 18, tzinfo=UTC)
    return {
        "client_id": "c1",
        "job_type_id": "j1",
        "occurrences": [{"starts_at": starts, "ends_at": starts.replace(hour=20)}],
        "eligible": {
            "items": [
                {"worker_id": "w1", "name": "Ana Reyes", "partner": False},
                {"worker_id": "p1", "name": "Pat", "partner": True},
            ]
        },
    }


class FakeUow:
    session = SimpleNamespace(execute=lambda query: [("w1", "s1")])


def test_one_call_prices_the_page():
    calls = []

    def price(**request):
        calls.append(request)
        return [COST]

    answer = _answer()
    domain.attach_costs(FakeUow(), answer=answer, is_client=False, price=price)  # type: ignore[arg-type]
    assert len(calls) == 1
    assert calls[0]["workers"] == [{"worker_id": "w1", "booked_shift_ids": ["s1"]}]
    ana, partner = answer["eligible"]["items"]
    assert ana["cost"]["overtime_minutes"] == 120
    assert partner["cost"] is None


def test_billing_down_leaves_the_costs_null():
    def price(**request):
        raise ServiceUnavailable("The billing service did not answer within 1.5 s.")

    answer = _answer()
    domain.attach_costs(FakeUow(), answer=answer, is_client=False, price=price)  # type: ignore[arg-type]
    assert [item["cost"] for item in answer["eligible"]["items"]] == [None, None]
