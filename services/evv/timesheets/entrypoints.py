"""Timesheets for staff (their CBO's), workers (their own) and client users (their client's);
answers to lines and staff resolving disputes."""

from __future__ import annotations

from marshmallow import ValidationError

from chassis.context import STAFF, Caller, requires, requires_any
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.errors import Forbidden
from services.evv.timesheets import domain
from services.evv.timesheets.schemas import (
    AmendLineSchema,
    AnswerSchema,
    LineSchema,
    ResolveLineSchema,
    TimesheetPageSchema,
    TimesheetQuerySchema,
)


class TimesheetsEntrypoints:
    db: UnitOfWork
    caller: Caller

    @rpc
    @requires_any("timesheets.approve", "self.work", "self.book")
    def list_timesheets(self, query: dict | None = None) -> dict:
        options = TimesheetQuerySchema().load(query or {})
        found = domain.list_timesheets(
            self.db, caller=self.caller, tenant_id=self.caller.require_tenant(), **options
        )
        return TimesheetPageSchema().dump(found)

    @rpc
    @requires_any("self.work", "self.book")
    def answer_timesheet_line(self, visit_id: str, body: dict) -> dict:
        # Somebody else's line is not found before the body is judged.
        domain.line_for(
            self.db, caller=self.caller, tenant_id=self.caller.require_tenant(), visit_id=visit_id
        )
        data = AnswerSchema().load(body)
        if data["answer"] == "disputed" and not (data.get("reason") or "").strip():
            raise ValidationError("Say why you dispute this line.", "reason")
        found = domain.answer_line(
            self.db,
            caller=self.caller,
            tenant_id=self.caller.require_tenant(),
            visit_id=visit_id,
            answer=data["answer"],
            reason=data.get("reason"),
        )
        return LineSchema().dump(found)

    @rpc
    @requires("timesheets.approve")
    def resolve_timesheet_line(self, visit_id: str, body: dict) -> dict:
        tenant_id = self.caller.require_tenant()
        if self.caller.kind != STAFF:
            raise Forbidden("Only the CBO's staff can do this.")
        domain.line_for(self.db, caller=self.caller, tenant_id=tenant_id, visit_id=visit_id)
        data = ResolveLineSchema().load(body)
        found = domain.resolve_line(
            self.db, caller=self.caller, tenant_id=tenant_id, visit_id=visit_id, data=data
        )
        return LineSchema().dump(found)

    @rpc
    @requires("timesheets.approve")
    def amend_timesheet_line(self, visit_id: str, body: dict) -> dict:
        tenant_id = self.caller.require_tenant()
        if self.caller.kind != STAFF:
            raise Forbidden("Only the CBO's staff can do this.")
        domain.line_for(self.db, caller=self.caller, tenant_id=tenant_id, visit_id=visit_id)
        data = AmendLineSchema().load(body)
        found = domain.amend_line(
            self.db, caller=self.caller, tenant_id=tenant_id, visit_id=visit_id, data=data
        )
        return LineSchema().dump(found)
