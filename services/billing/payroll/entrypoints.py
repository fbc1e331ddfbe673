"""Payroll runs for a CBO's finance staff (payroll.run): preview a pay week, complete it, read
its lines and download its files; the Tuesday timer starts the scheduled runs. Another CBO's
runs do not exist for them (404); client users and job seekers have no payroll.run (403)."""

from __future__ import annotations

import re

from chassis.context import STAFF, Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc, timer
from chassis.errors import Forbidden, NotFound
from chassis.jobs import JobStarter
from chassis.uploads import file_payload
from services.billing.payroll import domain
from services.billing.payroll.schemas import (
    BonusSchema,
    LinePageSchema,
    LinesQuerySchema,
    RunPageSchema,
    RunQuerySchema,
    RunRequestSchema,
    RunSchema,
)

RUN_ID = re.compile(r"[A-Za-z0-9-]{1,36}")


class PayrollEntrypoints:
    db: UnitOfWork
    caller: Caller
    payroll_jobs: JobStarter  # starts a run's job once the call has committed

    def _staff_tenant(self) -> str:
        tenant_id = self.caller.require_tenant()
        if self.caller.kind != STAFF:
            raise Forbidden("Only the CBO's finance staff can do this.")
        return tenant_id

    @staticmethod
    def _check_id(run_id: str) -> None:
        if RUN_ID.fullmatch(run_id or "") is None:
            raise NotFound("There is no such payroll run.")

    @rpc
    @requires("payroll.run")
    def start_payroll_run(self, body: dict) -> dict:
        """Preview a pay week: every worker's hours, overtime, premiums, gross, and what blocks
        the run (the preview job runs after this call answers)."""
        data = RunRequestSchema().load(body)
        tenant_id = self._staff_tenant()
        run, job_id = domain.start_run(
            self.db, caller=self.caller, tenant_id=tenant_id, week_start=data["week_start"]
        )
        self.payroll_jobs.start(job_id)
        return RunSchema().dump(domain.run_view(self.db, run=run))

    @rpc
    @requires("payroll.run")
    def list_payroll_runs(self, query: dict | None = None) -> dict:
        options = RunQuerySchema().load(query or {})
        tenant_id = self._staff_tenant()
        found = domain.list_runs(self.db, tenant_id=tenant_id, **options)
        return RunPageSchema().dump(found)

    @rpc
    @requires("payroll.run")
    def get_payroll_run(self, run_id: str) -> dict:
        self._check_id(run_id)
        tenant_id = self._staff_tenant()
        return RunSchema().dump(domain.read_run(self.db, tenant_id=tenant_id, run_id=run_id))

    @rpc
    @requires("payroll.run")
    def list_payroll_lines(self, run_id: str, query: dict | None = None) -> dict:
        self._check_id(run_id)
        options = LinesQuerySchema().load(query or {})
        tenant_id = self._staff_tenant()
        found = domain.run_lines(self.db, tenant_id=tenant_id, run_id=run_id, **options)
        return LinePageSchema().dump(found)

    @rpc
    @requires("payroll.run")
    def complete_payroll_run(self, run_id: str) -> dict:
        """Lock the previewed week and pay it: the files and payroll.completed follow (a run
        completed already is answered as it is)."""
        self._check_id(run_id)
        tenant_id = self._staff_tenant()
        run, job_id = domain.complete_run(
            self.db, caller=self.caller, tenant_id=tenant_id, run_id=run_id
        )
        if job_id is not None:
            self.payroll_jobs.start(job_id)
        return RunSchema().dump(domain.run_view(self.db, run=run))

    @rpc
    @requires("payroll.run")
    def download_payroll_export(self, run_id: str, layout: str) -> dict:
        self._check_id(run_id)
        tenant_id = self._staff_tenant()
        found = domain.export_file(self.db, tenant_id=tenant_id, run_id=run_id, layout=layout)
        return file_payload(
            filename=found.filename, content_type=found.content_type, data=found.data
        )

    @rpc
    @requires("payroll.run")
    def set_payroll_bonus(self, body: dict) -> dict:
        data = BonusSchema().load(body)
        tenant_id = self._staff_tenant()
        return BonusSchema().dump(
            domain.set_bonus(self.db, caller=self.caller, tenant_id=tenant_id, data=data)
        )

    @timer("payroll_sweep_seconds")
    def start_tuesday_runs(self) -> None:
        """Previews the week just ended for each CBO whose Tuesday run is due (and completes it
        when nothing blocks it)."""
        for job_id in domain.start_scheduled_runs(self.db):
            self.payroll_jobs.start(job_id)
