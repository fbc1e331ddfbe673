"""The reports' entrypoints: KPIs (and their download), the earnings profile, activity by
user and the skills report. The platform operator reads any CBO's, or all of them together;
a CBO's staff with `reports.read` read their own CBO's, and a partner's that shares its
reports (any other CBO is 404: no trace of it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chassis.context import OPERATOR, Caller, requires_any
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.errors import NotFound, ValidationFailed
from services.reporting.dashboards import domain, rules
from services.reporting.dashboards.schemas import (
    ActivityPageSchema,
    ActivityQuerySchema,
    EarningsProfileSchema,
    EarningsQuerySchema,
    KpiDownloadQuerySchema,
    KpiQuerySchema,
    KpiReportSchema,
    SkillsQuerySchema,
    SkillsReportSchema,
)
from services.reporting.records import domain as records

READ = ("reports.read", "platform.reports.read")
# One instance each: a report's answer is a few hundred values, and making the nested schemas
# again for every call would cost more than dumping them (dumping keeps no state).
KPI_REPORT = KpiReportSchema()


def scope(uow: UnitOfWork, caller: Caller, asked: str | None) -> str | None:
    """The CBO whose figures the caller reads (None: every CBO, the operator only)."""
    operator = caller.kind == OPERATOR and caller.can("platform.reports.read")
    own = None if operator else caller.require_tenant()
    shared = (
        own is not None
        and asked is not None
        and asked != own
        and records.shares_reports_with(uow, tenant_id=own, other_id=asked)
    )
    try:
        return rules.scope_for(
            operator=operator, own_tenant=own, asked=asked, shared_with_own=shared
        )
    except LookupError:
        raise NotFound("There is no such CBO.") from None


class DashboardsEntrypoints:
    db: UnitOfWork
    caller: Caller

    def _kpis(self, data: dict[str, Any]) -> tuple[str | None, rules.Period, dict[str, Any]]:
        tenant_id = scope(self.db, self.caller, data.get("tenant_id"))
        day = data.get("day") or domain.today_of(
            self.db, tenant_id=tenant_id, now=datetime.now(UTC)
        )
        period = rules.period_of(data["period"], day)
        report = domain.kpis(
            self.db,
            tenant_id=tenant_id,
            period=period,
            job_type_id=data.get("job_type_id"),
            source_id=data.get("source_id"),
            client_id=data.get("client_id"),
        )
        return tenant_id, period, report

    @rpc
    @requires_any(*READ)
    def report_kpis(self, query: dict | None = None) -> dict:
        _, _, report = self._kpis(KpiQuerySchema().load(query or {}))
        return KPI_REPORT.dump(report)

    @rpc
    @requires_any(*READ)
    def download_kpis(self, query: dict | None = None) -> dict:
        data = KpiDownloadQuerySchema().load(query or {})
        tenant_id, period, report = self._kpis(data)
        name = domain.file_name(slug=domain.slug_of(self.db, tenant_id=tenant_id), period=period)
        return domain.kpi_download(report, file_format=data["format"], name=name)

    @rpc
    @requires_any(*READ)
    def report_earnings(self, query: dict | None = None) -> dict:
        data = EarningsQuerySchema().load(query or {})
        tenant_id = scope(self.db, self.caller, data.get("tenant_id"))
        day = data.get("day") or domain.today_of(
            self.db, tenant_id=tenant_id, now=datetime.now(UTC)
        )
        profile = domain.earnings_profile(
            self.db, tenant_id=tenant_id, period=rules.period_of(data["period"], day)
        )
        return EarningsProfileSchema().dump(profile)

    @rpc
    @requires_any(*READ)
    def report_activity(self, query: dict | None = None) -> dict:
        data = ActivityQuerySchema().load(query or {})
        tenant_id = scope(self.db, self.caller, data.get("tenant_id"))
        timezone = records.cbo_timezone(self.db, tenant_id=tenant_id) if tenant_id else None
        today = domain.today_of(self.db, tenant_id=tenant_id, now=datetime.now(UTC))
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=6)
        if start > end:
            raise ValidationFailed(fields={"start": ["The start comes after the end."]})
        page = domain.activity(
            self.db,
            tenant_id=tenant_id,
            start=start,
            end=end,
            timezone=timezone,
            actor_kind=data.get("actor_kind"),
            actor_id=data.get("actor_id"),
            action=data.get("action"),
            page=data["page"],
            per_page=data["per_page"],
        )
        return ActivityPageSchema().dump(page)

    @rpc
    @requires_any(*READ)
    def report_skills(self, query: dict | None = None) -> dict:
        data = SkillsQuerySchema().load(query or {})
        tenant_id = scope(self.db, self.caller, data.get("tenant_id"))
        if tenant_id is None:
            raise ValidationFailed(fields={"tenant_id": ["Name the CBO whose skills to read."]})
        ending = data.get("ending") or domain.today_of(
            self.db, tenant_id=tenant_id, now=datetime.now(UTC)
        )
        report = domain.skills(self.db, tenant_id=tenant_id, ending=ending, weeks=data["weeks"])
        return SkillsReportSchema().dump(report)
