"""Billing's read model fed the way its event handlers feed it (lines/domain.py's learn_*
functions with the events' data), so billing's domain tests build a week of approved lines in
a few calls:

    world = BillingWorld(uow)
    job = world.job_type(pay=2000, bill=2800)
    world.worked(worker="ana", client=world.client_a, job_type=job, day=0, start="08:00", hours=9)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chassis.db import UnitOfWork
from services.billing.lines import domain as lines
from services.billing.lines.models import APPROVED, DISPUTED

ZONE = "America/Los_Angeles"
# A Monday: the pay week the tests work in.
WEEK = date(2026, 11, 16)


def _id() -> str:
    return str(uuid.uuid4())


@dataclass
class BillingWorld:
    uow: UnitOfWork
    tenant_id: str = field(default_factory=_id)
    client_a: str = field(default_factory=_id)
    client_b: str = field(default_factory=_id)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        lines.learn_timezone(self.uow, tenant_id=self.tenant_id, timezone=ZONE, at=self.at)
        names = ((self.client_a, "City of Long Beach"), (self.client_b, "Shoreline"))
        for client_id, name in names:
            lines.learn_client(
                self.uow,
                tenant_id=self.tenant_id,
                data={"client_id": client_id, "name": name, "kind": "business"},
                at=self.at,
            )

    def job_type(self, *, pay: int, bill: int, client_id: str | None = None) -> str:
        job_type_id = _id()
        lines.learn_job_type(
            self.uow,
            tenant_id=self.tenant_id,
            data={
                "job_type_id": job_type_id,
                "key": f"job-{job_type_id[:6]}",
                "name": "Custodian",
                "client_id": client_id,
                "pay_rate_cents": pay,
                "bill_rate_cents": bill,
            },
            at=self.at,
        )
        return job_type_id

    def worker(self, name: str, *, payroll_id: str | None = "E100") -> str:
        worker_id = _id()
        lines.learn_worker(
            self.uow, tenant_id=self.tenant_id, worker_id=worker_id, name=name, at=self.at
        )
        if payroll_id is not None:
            lines.set_payroll_id(
                self.uow, tenant_id=self.tenant_id, worker_id=worker_id, payroll_id=payroll_id
            )
        return worker_id

    def local(self, day: int, clock: str, week: date = WEEK) -> datetime:
        hours, minutes = (int(part) for part in clock.split(":"))
        on = week + timedelta(days=day)
        return datetime.combine(on, time(hours, minutes), ZoneInfo(ZONE)).astimezone(UTC)

    def shift(
        self,
        *,
        client_id: str,
        job_type_id: str,
        starts_at: datetime,
        ends_at: datetime,
        pay: int = 2000,
        bill: int = 2800,
        given: bool = False,
    ) -> str:
        shift_id = _id()
        lines.learn_booking(
            self.uow,
            tenant_id=self.tenant_id,
            data={
                "booking_id": _id(),
                "client_id": client_id,
                "site_id": _id(),
                "job_type_id": job_type_id,
                "pay_rate_cents": pay,
                "bill_rate_cents": bill,
                "pay_rate_given": given,
                "bill_rate_given": given,
                "shifts": [{"shift_id": shift_id, "starts_at": starts_at, "ends_at": ends_at}],
            },
        )
        return shift_id

    def worked(
        self,
        *,
        worker_id: str,
        client_id: str,
        job_type_id: str,
        day: int,
        start: str,
        hours: float,
        worked_hours: float | None = None,
        week: date = WEEK,
        status: str = APPROVED,
        **shift_options: Any,
    ) -> str:
        """A shift the worker worked (verified, its line approved): the visit's id."""
        starts_at = self.local(day, start, week)
        ends_at = starts_at + timedelta(hours=hours)
        shift_id = self.shift(
            client_id=client_id,
            job_type_id=job_type_id,
            starts_at=starts_at,
            ends_at=ends_at,
            **shift_options,
        )
        clock_out = starts_at + timedelta(hours=hours if worked_hours is None else worked_hours)
        visit_id = _id()
        visit = {
            "visit_id": visit_id,
            "shift_id": shift_id,
            "client_id": client_id,
            "worker_id": worker_id,
            "worker_tenant_id": self.tenant_id,
            "starts_at": starts_at,
            "ends_at": ends_at,
        }
        lines.learn_verified(
            self.uow,
            tenant_id=self.tenant_id,
            data={
                **visit,
                "elements": {
                    "service_type": "custodian",
                    "recipient_id": client_id,
                    "service_date": starts_at.astimezone(ZoneInfo(ZONE)).date(),
                    "latitude": 33.77,
                    "longitude": -118.19,
                    "provider_id": worker_id,
                    "begins_at": starts_at,
                    "ends_at": clock_out,
                },
                "worked_minutes": int((clock_out - starts_at).total_seconds() // 60),
            },
            at=self.at,
        )
        self.line(visit, week=week, clock_out=clock_out, status=status)
        return visit_id

    def line(
        self,
        visit: dict[str, Any],
        *,
        week: date,
        clock_out: datetime,
        status: str = APPROVED,
        at: datetime | None = None,
    ) -> None:
        worked = int((clock_out - visit["starts_at"]).total_seconds() // 60)
        scheduled = int((visit["ends_at"] - visit["starts_at"]).total_seconds() // 60)
        lines.learn_line(
            self.uow,
            tenant_id=self.tenant_id,
            data={
                **visit,
                "timesheet_id": _id(),
                "week_start": week,
                "scheduled_minutes": scheduled,
                "worked_minutes": worked,
                "approved_by": "evv" if status == APPROVED else None,
                "disputed_by": "client" if status == DISPUTED else None,
            },
            status=status,
            at=at or self.at,
        )

    def amend(self, visit_id: str, *, worked_minutes: int, at: datetime) -> None:
        """evv approves a line again with corrected minutes (after a payroll run)."""
        found = lines.priced_lines(self.uow, tenant_id=self.tenant_id, visit_ids=[visit_id])[0]
        lines.learn_line(
            self.uow,
            tenant_id=self.tenant_id,
            data={
                "visit_id": visit_id,
                "timesheet_id": found.timesheet_id,
                "shift_id": found.shift_id,
                "worker_id": found.worker_id,
                "worker_tenant_id": found.worker_tenant_id,
                "client_id": found.client_id,
                "week_start": found.week_start,
                "scheduled_minutes": found.scheduled_minutes,
                "worked_minutes": worked_minutes,
                "approved_by": "staff",
            },
            status=APPROVED,
            at=at,
        )

    def cancel_late(self, *, worker_id: str, shift_id: str, client_id: str) -> str:
        assignment_id = _id()
        lines.learn_late_cancellations(
            self.uow,
            tenant_id=self.tenant_id,
            data={
                "assignment_id": assignment_id,
                "shift_id": shift_id,
                "booking_id": _id(),
                "client_id": client_id,
                "worker_id": worker_id,
                "worker_tenant_id": self.tenant_id,
                "cancelled_by_kind": "client",
                "reason": "not needed",
                "minutes_before_start": 60,
                "late": True,
            },
            at=self.at,
        )
        return assignment_id
