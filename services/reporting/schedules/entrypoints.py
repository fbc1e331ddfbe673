"""Scheduled deliveries: a CBO's staff with `reports.read` see its schedules and what was
sent; only `reports.schedule` creates, changes or deletes one (a viewer reads, never
changes). The sweep, on every instance, plans due occurrences and sends them once each."""

from __future__ import annotations

from datetime import UTC, datetime

from chassis.config import Settings
from chassis.context import Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc, timer
from chassis.mail import Mailer
from services.reporting.schedules import domain
from services.reporting.schedules.schemas import (
    DeliveryPageSchema,
    ScheduleCreateSchema,
    ScheduleListQuerySchema,
    SchedulePageSchema,
    ScheduleSchema,
    ScheduleUpdateSchema,
)

READ = "reports.read"
CHANGE = "reports.schedule"


class SchedulesEntrypoints:
    db: UnitOfWork
    caller: Caller
    mail: Mailer
    settings: Settings

    @rpc
    @requires(READ)
    def list_report_schedules(self, query: dict | None = None) -> dict:
        wanted = ScheduleListQuerySchema().load(query or {})
        found = domain.list_schedules(
            self.db,
            tenant_id=self.caller.require_tenant(),
            page=wanted["page"],
            per_page=wanted["per_page"],
        )
        return SchedulePageSchema().dump(found)

    @rpc
    @requires(READ)
    def get_report_schedule(self, schedule_id: str) -> dict:
        found = domain.get_schedule(
            self.db, tenant_id=self.caller.require_tenant(), schedule_id=schedule_id
        )
        return ScheduleSchema().dump(found)

    @rpc
    @requires(CHANGE)
    def create_report_schedule(self, body: dict) -> dict:
        data = ScheduleCreateSchema().load(body)
        made = domain.create_schedule(
            self.db,
            caller=self.caller,
            tenant_id=self.caller.require_tenant(),
            data=data,
            now=datetime.now(UTC),
        )
        return ScheduleSchema().dump(made)

    @rpc
    @requires(CHANGE)
    def update_report_schedule(self, schedule_id: str, body: dict) -> dict:
        tenant_id = self.caller.require_tenant()
        # Another CBO's schedule (or none) is 404 before anything about the body is said.
        domain.get_schedule(self.db, tenant_id=tenant_id, schedule_id=schedule_id)
        data = ScheduleUpdateSchema().load(body)
        changed = domain.update_schedule(
            self.db,
            caller=self.caller,
            tenant_id=tenant_id,
            schedule_id=schedule_id,
            data=data,
            now=datetime.now(UTC),
        )
        return ScheduleSchema().dump(changed)

    @rpc
    @requires(CHANGE)
    def delete_report_schedule(self, schedule_id: str) -> None:
        domain.delete_schedule(
            self.db,
            caller=self.caller,
            tenant_id=self.caller.require_tenant(),
            schedule_id=schedule_id,
        )

    @rpc
    @requires(READ)
    def list_report_deliveries(self, schedule_id: str, query: dict | None = None) -> dict:
        wanted = ScheduleListQuerySchema().load(query or {})
        found = domain.list_deliveries(
            self.db,
            tenant_id=self.caller.require_tenant(),
            schedule_id=schedule_id,
            page=wanted["page"],
            per_page=wanted["per_page"],
        )
        return DeliveryPageSchema().dump(found)

    @timer("report_sweep_seconds")
    def deliver_scheduled_reports(self) -> None:
        """Plans the occurrences that are due and sends them, each once (SKIP LOCKED claims,
        a unique key per occurrence, marked sent in the sending transaction)."""
        now = datetime.now(UTC)
        domain.plan_due(self.db, now=now)
        self.db.commit()
        domain.deliver_due(
            self.db,
            now=now,
            send=self.mail.send,
            mail_domain=self.settings.smtp_from.rpartition("@")[2].strip(">") or "worklb.local",
        )
