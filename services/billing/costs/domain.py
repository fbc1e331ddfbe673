"""What a proposed shift would cost with each candidate, before it is booked: the worker's pay
week as payroll would see it (approved lines as worked, late cancellations, bonus), plus the
shifts booking says they hold in it and have not worked yet (as booked), with and without the
proposed shift, through the CBO's pay rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from chassis.db import UnitOfWork
from services.billing.lines import domain as lines
from services.billing.lines.models import ShiftRecord
from services.billing.payroll import domain as payroll
from services.billing.payrules import rules as pay
from services.billing.rates import domain as rates
from services.billing.settings import domain as settings

PROPOSED = "proposed"


def _totals(week: pay.WeekPay) -> dict[str, int]:
    return {
        "regular_minutes": week.minutes[pay.REGULAR],
        "overtime_minutes": week.minutes[pay.OVERTIME],
        "double_time_minutes": week.minutes[pay.DOUBLE_TIME],
        "gross_cents": week.gross_cents,
        "bill_cents": week.bill_cents,
    }


def _minutes(split: dict[str, int]) -> dict[str, int]:
    return {
        "regular_minutes": split[pay.REGULAR],
        "overtime_minutes": split[pay.OVERTIME],
        "double_time_minutes": split[pay.DOUBLE_TIME],
    }


def shift_costs(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    proposed: dict[str, Any],
    workers: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each worker's cost of the proposed shift (see the module); [] when billing cannot price
    it (its job type unknown here yet)."""
    if not workers:
        return []
    starts_at: datetime = proposed["starts_at"]
    minutes = max(0, int((proposed["ends_at"] - starts_at).total_seconds() // 60))
    terms = rates.ShiftTerms(
        client_id=proposed["client_id"],
        job_type_id=proposed["job_type_id"],
        booking_pay=proposed.get("pay_rate_cents"),
        booking_bill=proposed.get("bill_rate_cents"),
    )
    applied = rates.rates_for(uow, tenant_id=tenant_id, shifts=[terms]).get(terms)
    if applied is None:
        return []
    zone = ZoneInfo(lines.cbo_timezone(uow, tenant_id=tenant_id))
    week_start = pay.pay_week(starts_at, zone)
    rules_of_cbo = settings.pay_rules_for(uow, tenant_id=tenant_id)
    ids = [w["worker_id"] for w in workers]
    weeks = payroll.worker_weeks(uow, tenant_id=tenant_id, pairs=[(w, week_start) for w in ids])
    booked = _booked(uow, tenant_id=tenant_id, workers=workers, week_start=week_start, zone=zone)
    shift = pay.Work(
        key=PROPOSED,
        starts_at=starts_at,
        minutes=minutes,
        pay_rate_cents=applied.pay_rate_cents,
        bill_rate_cents=applied.bill_rate_cents,
        client_id=proposed["client_id"],
        job_type_id=proposed["job_type_id"],
    )
    found = []
    for worker_id in ids:
        week = weeks[(worker_id, week_start)]
        works = list(week.works) + [
            work for shift_id, work in booked.get(worker_id, []) if shift_id not in week.shift_ids
        ]
        cost = pay.cost_of(
            works,
            shift,
            week_start=week_start,
            zone=zone,
            cancelled=week.cancelled,
            bonus_cents=week.bonus_cents,
            rules=rules_of_cbo,
        )
        found.append(
            {
                "worker_id": worker_id,
                "week_start": week_start,
                "before": _totals(cost.before),
                "after": _totals(cost.after),
                "shift": _minutes(cost.shift_minutes),
                "added": {
                    **_minutes(cost.added_minutes),
                    "pay_cents": cost.added_pay_cents,
                    "bill_cents": cost.added_bill_cents,
                },
                "seventh_day": cost.after.seventh_day is not None
                and cost.after.seventh_day == starts_at.astimezone(zone).date(),
                "pay_rate_cents": applied.pay_rate_cents,
                "bill_rate_cents": applied.bill_rate_cents,
            }
        )
    return found


def _booked(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    workers: list[dict[str, Any]],
    week_start: Any,
    zone: ZoneInfo,
) -> dict[str, list[tuple[str, pay.Work]]]:
    """The shifts each worker holds in the week (booking's word), priced, as booked."""
    wanted = {s for w in workers for s in w.get("booked_shift_ids", [])}
    if not wanted:
        return {}
    start, end = lines.week_bounds(week_start, str(zone))
    shifts = {
        row.shift_id: row
        for row in uow.session.scalars(
            select(ShiftRecord).where(
                ShiftRecord.tenant_id == tenant_id,
                ShiftRecord.shift_id.in_(wanted),
                ShiftRecord.starts_at >= start,
                ShiftRecord.starts_at < end,
            )
        )
    }
    terms = {
        s.shift_id: rates.ShiftTerms(
            client_id=s.client_id,
            job_type_id=s.job_type_id,
            booking_pay=s.pay_rate_cents if s.pay_rate_given else None,
            booking_bill=s.bill_rate_cents if s.bill_rate_given else None,
        )
        for s in shifts.values()
    }
    priced = rates.rates_for(uow, tenant_id=tenant_id, shifts=terms.values())
    found: dict[str, list[tuple[str, pay.Work]]] = {}
    for worker in workers:
        for shift_id in worker.get("booked_shift_ids", []):
            shift = shifts.get(shift_id)
            applied = priced.get(terms[shift_id]) if shift is not None else None
            if shift is None or applied is None:
                continue
            found.setdefault(worker["worker_id"], []).append(
                (
                    shift_id,
                    pay.Work(
                        key=shift_id,
                        starts_at=shift.starts_at,
                        minutes=int((shift.ends_at - shift.starts_at).total_seconds() // 60),
                        pay_rate_cents=applied.pay_rate_cents,
                        bill_rate_cents=applied.bill_rate_cents,
                        client_id=shift.client_id,
                        job_type_id=shift.job_type_id,
                    ),
                )
            )
    return found
